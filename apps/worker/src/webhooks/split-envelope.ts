import type { DeliveryTarget } from '@gw/contracts';
import { changesOf, entriesOf, isObject, valueOf, type Change, type Entry, type Envelope } from './envelope.ts';

/** How the splitter finds stacks; a StackDirectory plus an index by WABA. */
export interface StackIndex {
  byPhoneNumberId(phoneNumberId: string): { id: string } | undefined;
  byWabaId(wabaId: string): Array<{ id: string }>;
}

export interface EnvelopePart {
  target: DeliveryTarget;
  envelope: Envelope;
  kinds: string[];
  changeCount: number;
}

export interface SplitResult {
  parts: EnvelopePart[];
  totalChanges: number;
}

const MESSAGE_ARRAYS = ['statuses', 'messages', 'user_actions', 'errors'];

/** What a change holds, for operators: `messages.statuses`, `template_category_update`, ... */
export function kindsOf(change: Change): string[] {
  const field = typeof change.field === 'string' ? change.field : 'unknown';
  const value = valueOf(change);
  if (field !== 'messages' || !value) return [field];
  const arrays = MESSAGE_ARRAYS.filter((key) => Array.isArray(value[key]));
  return arrays.length ? arrays.map((key) => `messages.${key}`) : [field];
}

/**
 * Who a change is for: the stack of its `metadata.phone_number_id`; without
 * one (template and other account-level events), every stack of the WABA in
 * `entry.id`. A phone number no stack has is kept apart by that number; a
 * change no stack can claim is unroutable.
 */
function targetsOf(entry: Entry, change: Change, stacks: StackIndex): DeliveryTarget[] {
  const metadata = valueOf(change)?.metadata;
  const phoneNumberId = isObject(metadata) && typeof metadata.phone_number_id === 'string' ? metadata.phone_number_id : undefined;
  if (phoneNumberId) {
    const stack = stacks.byPhoneNumberId(phoneNumberId);
    return [stack ? { stackId: stack.id } : { phoneNumberId }];
  }
  const byWaba = typeof entry.id === 'string' ? stacks.byWabaId(entry.id) : [];
  return byWaba.length ? byWaba.map((s) => ({ stackId: s.id })) : ['unroutable'];
}

const keyOf = (target: DeliveryTarget) => (target === 'unroutable' ? 'u' : 'stackId' in target ? `s:${target.stackId}` : `p:${target.phoneNumberId}`);

/**
 * Splits one of Meta's envelopes into one envelope per target, each in Meta's
 * format with only that target's changes. Entries keep their own fields and
 * order; unknown fields pass through untouched.
 */
export function splitEnvelope(envelope: Envelope, stacks: StackIndex): SplitResult {
  const groups = new Map<string, { target: DeliveryTarget; entries: Map<number, Change[]>; kinds: Set<string>; count: number }>();
  const entries = entriesOf(envelope);
  let totalChanges = 0;
  entries.forEach((entry, index) => {
    for (const change of changesOf(entry)) {
      totalChanges += 1;
      for (const target of targetsOf(entry, change, stacks)) {
        const key = keyOf(target);
        let group = groups.get(key);
        if (!group) groups.set(key, (group = { target, entries: new Map(), kinds: new Set(), count: 0 }));
        const list = group.entries.get(index) ?? [];
        list.push(change);
        group.entries.set(index, list);
        group.count += 1;
        for (const kind of kindsOf(change)) group.kinds.add(kind);
      }
    }
  });
  const parts = [...groups.values()].map((group) => ({
    target: group.target,
    envelope: { ...envelope, entry: [...group.entries].map(([index, changes]) => ({ ...entries[index], changes })) },
    kinds: [...group.kinds],
    changeCount: group.count,
  }));
  return { parts, totalChanges };
}
