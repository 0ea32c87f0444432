import { describe, expect, it } from 'vitest';
import { enrichStatuses, statusWamids, type LedgerRoute } from './enrich-statuses.ts';

const envelopeOf = (...statuses: object[]) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: 'W', changes: [{ field: 'messages', value: { metadata: { phone_number_id: '1' }, statuses } }] }],
});
const statuses = (envelope: ReturnType<typeof envelopeOf>) => envelope.entry[0]!.changes[0]!.value.statuses as Array<Record<string, unknown>>;
const ledger = new Map<string, LedgerRoute>([
  ['mm', { route: 'marketing_messages' }],
  ['cloud', { route: 'cloud_api' }],
]);

describe('enrichStatuses', () => {
  it('adds marketing_lite pricing to an MM read that has none, and nothing else', () => {
    const envelope = envelopeOf({ id: 'mm', status: 'read', timestamp: '1' });
    expect(enrichStatuses(envelope, ledger)).toBe(1);
    expect(statuses(envelope)[0]).toEqual({ id: 'mm', status: 'read', timestamp: '1', pricing: { category: 'marketing_lite' } });
  });

  it("keeps Meta's pricing when present and fills only a missing category", () => {
    const envelope = envelopeOf(
      { id: 'mm', status: 'sent', pricing: { billable: true, pricing_model: 'PMP', category: 'marketing_lite' } },
      { id: 'mm', status: 'delivered', pricing: { billable: true, pricing_model: 'PMP' } },
    );
    expect(enrichStatuses(envelope, ledger)).toBe(1);
    expect(statuses(envelope).map((s) => s.pricing)).toEqual([
      { billable: true, pricing_model: 'PMP', category: 'marketing_lite' },
      { billable: true, pricing_model: 'PMP', category: 'marketing_lite' },
    ]);
  });

  it('leaves Cloud-routed, unknown, failed and new-status messages as Meta sent them', () => {
    const original = [
      { id: 'cloud', status: 'read' },
      { id: 'unknown', status: 'read' },
      { id: 'mm', status: 'failed', errors: [{ code: 131049 }] },
      { id: 'mm', status: 'played' },
    ];
    const envelope = envelopeOf(...structuredClone(original));
    expect(enrichStatuses(envelope, ledger)).toBe(0);
    expect(statuses(envelope)).toEqual(original);
  });

  it('asks the ledger once per distinct wamid of sent, delivered and read statuses', () => {
    const envelope = envelopeOf({ id: 'a', status: 'sent' }, { id: 'a', status: 'read' }, { id: 'b', status: 'failed' }, { id: 'c', status: 'delivered' });
    expect(statusWamids(envelope)).toEqual(['a', 'c']);
  });
});
