import { describe, expect, it } from 'vitest';
import type { SendItem } from '@gw/contracts';
import { sendAuditEvent } from './send-outcome-writer.ts';

const item = (over: Partial<SendItem> = {}): SendItem => ({ id: 'j.0', stackId: 's1', endpoint: 'messages', payload: { type: 'text' }, receivedAt: 1, ...over });
const result = { status: 200, body: {}, route: 'cloud_api' as const, reason: 'not_template' as const, wamid: 'wamid.A' };

describe("a send's audit event", () => {
  it("carries the tenant the ingress authenticated, else the worker's directory's, else the stack id", () => {
    expect(sendAuditEvent(item({ tenant: 'uid-ingress' }), result, [], 5, () => 'uid-worker').tenant).toBe('uid-ingress');
    // Queued by an ingress of an earlier version: no tenant in the item.
    expect(sendAuditEvent(item(), result, [], 5, () => 'uid-worker').tenant).toBe('uid-worker');
    expect(sendAuditEvent(item(), result, [], 5).tenant).toBe('s1');
  });
});
