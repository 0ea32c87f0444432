import { describe, expect, it } from 'vitest';
import { auditEntryOf, ledgerLine, lineOwnedBy, parseLedgerLine, tenantOfLine } from './ledger-line.ts';

const at = Date.parse('2026-03-04T05:06:07Z');

describe('the ledger line, which is the audit entry', () => {
  it('keeps what the webhook enrichment reads and what the audit shows, calls as tuples', () => {
    const raw = ledgerLine({
      kind: 'send',
      stackId: 's1',
      tenant: 's1',
      wamid: 'wamid.A',
      at,
      route: 'cloud_api',
      reason: 'checked_fallback',
      mmErrorCode: 134100,
      calls: [
        { endpoint: 'marketing_messages', status: 400, durationMs: 12.345, errorCode: 134100 },
        { endpoint: 'messages', status: 200, durationMs: 20 },
      ],
      idempotencyKey: 'k-1',
      template: 'util:en_US',
    });
    expect(JSON.parse(raw)).toEqual({
      stackId: 's1',
      route: 'cloud_api',
      reason: 'checked_fallback',
      at,
      mmErrorCode: 134100,
      calls: [
        ['marketing_messages', 400, 12.3, 134100],
        ['messages', 200, 20],
      ],
      idempotencyKey: 'k-1',
      template: 'util:en_US',
    });
    const entry = auditEntryOf('wamid.A', parseLedgerLine(raw)!, []);
    expect(entry.calls).toEqual([
      { endpoint: 'marketing_messages', status: 400, durationMs: 12.3, errorCode: 134100 },
      { endpoint: 'messages', status: 200, durationMs: 20 },
    ]);
    expect(entry).toMatchObject({ sentAt: '2026-03-04T05:06:07.000Z', statuses: [], clicks: [], mmErrorCode: 134100, idempotencyKey: 'k-1' });
  });

  it("records the sender's tenant when it is not the stack id, and owns a line by stack id and tenant", () => {
    const send = { kind: 'send' as const, wamid: 'wamid.T', at, route: 'cloud_api' as const, reason: 'not_template' as const, calls: [] };
    const stored = parseLedgerLine(ledgerLine({ ...send, stackId: 's1', tenant: 'uid-1' }))!;
    expect(stored.tenant).toBe('uid-1');
    expect(lineOwnedBy(stored, { stackId: 's1', tenant: 'uid-1' })).toBe(true);
    // The same id re-created: another uid.
    expect(lineOwnedBy(stored, { stackId: 's1', tenant: 'uid-2' })).toBe(false);
    expect(lineOwnedBy(stored, { stackId: 's2', tenant: 'uid-1' })).toBe(false);
    // A stack without a uid: its tenant is its id, not written.
    const plain = parseLedgerLine(ledgerLine({ ...send, stackId: 's1', tenant: 's1' }))!;
    expect(plain).not.toHaveProperty('tenant');
    expect(tenantOfLine(plain)).toBe('s1');
    expect(lineOwnedBy(plain, { stackId: 's1', tenant: 's1' })).toBe(true);
    // A line from before tenants (none written): never a stored stack's (it has a uid).
    expect(lineOwnedBy(plain, { stackId: 's1', tenant: 'uid-1' })).toBe(false);
    expect(parseLedgerLine(JSON.stringify({ stackId: 's1', tenant: 7, route: 'cloud_api', reason: 'not_template', at }))).toBeUndefined();
  });

  it('reads a line written before the audit (no calls, no template) and refuses what is not a line', () => {
    const old = parseLedgerLine(JSON.stringify({ stackId: 's1', route: 'marketing_messages', reason: 'cached_marketing', at }));
    expect(auditEntryOf('wamid.B', old!, [])).toMatchObject({ calls: [], route: 'marketing_messages' });
    expect(auditEntryOf('wamid.B', old!, []).template).toBeUndefined();
    expect(parseLedgerLine('not json')).toBeUndefined();
    expect(parseLedgerLine('{"route":"cloud_api"}')).toBeUndefined();
    expect(parseLedgerLine(null)).toBeUndefined();
  });

  it('builds the timeline in the order received, skipping count-once flags', () => {
    const line = parseLedgerLine(JSON.stringify({ stackId: 's1', route: 'marketing_messages', reason: 'cached_marketing', at }))!;
    const entry = auditEntryOf('wamid.C', line, [
      `s:read ${JSON.stringify({ timestamp: '2', receivedAt: at + 10 })}`,
      'c:delivered',
      'c:read',
      `s:delivered ${JSON.stringify({ timestamp: '1', receivedAt: at + 20, pricing: { category: 'marketing_lite' } })}`,
      `k:c-1 ${JSON.stringify({ receivedAt: at + 30, clickId: 'c-1', data: { click_component: 'cta' } })}`,
      's:broken {',
    ]);
    expect(entry.statuses).toEqual([
      { status: 'read', timestamp: '2', receivedAt: new Date(at + 10).toISOString() },
      { status: 'delivered', timestamp: '1', receivedAt: new Date(at + 20).toISOString(), pricing: { category: 'marketing_lite' } },
    ]);
    expect(entry.clicks).toEqual([{ receivedAt: new Date(at + 30).toISOString(), clickId: 'c-1', data: { click_component: 'cta' } }]);
  });
});
