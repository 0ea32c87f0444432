import { describe, expect, it } from 'vitest';
import { auditEventsOf, auditWamids } from './audit-events.ts';
import type { EnvelopePart } from './split-envelope.ts';

const value = (extra: Record<string, unknown>) => ({ messaging_product: 'whatsapp', metadata: { phone_number_id: '111' }, ...extra });
const part = (target: EnvelopePart['target'], changes: unknown[]): EnvelopePart => ({
  target,
  envelope: { object: 'whatsapp_business_account', entry: [{ id: 'w', changes }] },
  kinds: [],
  changeCount: changes.length,
});

describe('audit events of a webhook', () => {
  it("takes every status of a stack's part with its errors and pricing, and MM link clicks", () => {
    const errors = [{ code: 131049 }];
    const pricing = { category: 'marketing_lite', cost: { amount: 0.01, currency: 'USD' } };
    const click = { action_type: 'marketing_messages_link_click', timestamp: '1780000003', marketing_messages_link_click_data: { click_component: 'cta', click_id: 'c-1' } };
    const events = auditEventsOf(
      [
        part({ stackId: 's1' }, [
          {
            field: 'messages',
            value: value({
              statuses: [{ id: 'wamid.A', status: 'delivered', timestamp: '1780000001', pricing }, { id: 'wamid.B', status: 'failed', errors }, { status: 'read' }],
            }),
          },
          { field: 'messages', value: value({ user_actions: [click, { action_type: 'other' }, { ...click, context: { id: 'wamid.A' } }] }) },
        ]),
      ],
      1000,
      (stackId) => (stackId === 's1' ? 'uid-1' : undefined),
    );
    expect(events).toEqual([
      { kind: 'status', stackId: 's1', tenant: 'uid-1', wamid: 'wamid.A', at: 1000, status: 'delivered', timestamp: '1780000001', pricing },
      { kind: 'status', stackId: 's1', tenant: 'uid-1', wamid: 'wamid.B', at: 1000, status: 'failed', errors },
      { kind: 'click', stackId: 's1', tenant: 'uid-1', at: 1000, clickId: 'c-1', data: { click_component: 'cta', click_id: 'c-1', timestamp: '1780000003' } },
      { kind: 'click', stackId: 's1', tenant: 'uid-1', at: 1000, wamid: 'wamid.A', clickId: 'c-1', data: { click_component: 'cta', click_id: 'c-1', timestamp: '1780000003' } },
    ]);
  });

  it('audits nothing no stack owns', () => {
    const statuses = [{ field: 'messages', value: value({ statuses: [{ id: 'wamid.A', status: 'sent' }] }) }];
    expect(auditEventsOf([part('unroutable', statuses), part({ phoneNumberId: '111' }, statuses)], 1, () => 'uid-1')).toEqual([]);
  });

  it('audits nothing of a stack that is gone by the time the webhook is processed', () => {
    const statuses = [{ field: 'messages', value: value({ statuses: [{ id: 'wamid.A', status: 'sent' }] }) }];
    expect(auditEventsOf([part({ stackId: 's1' }, statuses)], 1, () => undefined)).toEqual([]);
  });

  it("names every status's and click's wamid for the one ledger read", () => {
    const click = { action_type: 'marketing_messages_link_click', marketing_messages_link_click_data: { click_id: 'c-1' } };
    const envelope = part({ stackId: 's1' }, [
      {
        field: 'messages',
        value: value({ statuses: [{ id: 'wamid.A', status: 'failed' }, { id: 'wamid.A', status: 'read' }, { id: 'wamid.B', status: 'sent' }, { status: 'read' }] }),
      },
      { field: 'messages', value: value({ user_actions: [click, { ...click, context: { id: 'wamid.C' } }, { action_type: 'other', wamid: 'wamid.D' }] }) },
    ]).envelope;
    expect(auditWamids(envelope)).toEqual(['wamid.A', 'wamid.B', 'wamid.C']);
  });
});
