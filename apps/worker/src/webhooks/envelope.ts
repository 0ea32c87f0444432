/** Meta's webhook envelope, loosely: only what the gateway reads; everything else is kept as is. */
export type Json = Record<string, unknown>;

export interface Change extends Json {
  field?: unknown;
  value?: unknown;
}

export interface Entry extends Json {
  id?: unknown;
  changes?: unknown;
}

export interface Envelope extends Json {
  object?: unknown;
  entry?: unknown;
}

export const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

export function entriesOf(envelope: Envelope): Entry[] {
  return Array.isArray(envelope.entry) ? envelope.entry.filter(isObject) : [];
}

export function changesOf(entry: Entry): Change[] {
  return Array.isArray(entry.changes) ? entry.changes.filter(isObject) : [];
}

/** `value` of a change, when it is an object. */
export function valueOf(change: Change): Json | undefined {
  return isObject(change.value) ? change.value : undefined;
}

/** Every change with its entry, in order. */
export function* eachChange(envelope: Envelope): Generator<{ entry: Entry; change: Change }> {
  for (const entry of entriesOf(envelope)) for (const change of changesOf(entry)) yield { entry, change };
}
