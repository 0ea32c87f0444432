export const ENDPOINTS = [
  'messages',
  'marketing_messages',
  'message_templates',
  'messages_encrypted',
  'waba',
  // Template management (create, delete), one template node (read, edit), the business profile, the phone number node.
  'template_manage',
  'template',
  'business_profile',
  'phone_number',
  // Upload, retrieve and delete of media.
  'media',
] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export interface RequestRecord {
  seq: number;
  endpoint: Endpoint;
  phoneNumberId?: string;
  wabaId?: string;
  body: unknown;
  /** HTTP status sent; null while in flight and forever for hung requests. */
  status: number | null;
  wamid?: string;
  /** Epoch ms of arrival. */
  at: number;
}

export interface RequestQuery {
  endpoint?: Endpoint;
  phoneNumberId?: string;
  since?: number;
}

const zeroCounters = () => Object.fromEntries(ENDPOINTS.map((e) => [e, 0])) as Record<Endpoint, number>;

// Benchmarks send hundreds of thousands of requests; keep memory bounded by
// dropping the oldest entries (in batches, so pushes stay cheap).
const MAX_ENTRIES = 50_000;
const TRIM_SLACK = 5_000;

export class RequestLog {
  #entries: RequestRecord[] = [];
  #seq = 0;
  #counters: Record<Endpoint, number> = zeroCounters();

  /** Counts the request and records it immediately, so even hangs show up. */
  start(endpoint: Endpoint, fields: Pick<RequestRecord, 'phoneNumberId' | 'wabaId' | 'body'>): RequestRecord {
    this.#counters[endpoint] += 1;
    const record: RequestRecord = { seq: ++this.#seq, endpoint, ...fields, status: null, at: Date.now() };
    this.#entries.push(record);
    if (this.#entries.length > MAX_ENTRIES + TRIM_SLACK) {
      this.#entries.splice(0, this.#entries.length - MAX_ENTRIES);
    }
    return record;
  }

  query({ endpoint, phoneNumberId, since }: RequestQuery = {}): RequestRecord[] {
    return this.#entries.filter(
      (r) => (endpoint === undefined || r.endpoint === endpoint) && (phoneNumberId === undefined || r.phoneNumberId === phoneNumberId) && (since === undefined || r.seq > since),
    );
  }

  counters(): Record<Endpoint, number> {
    return { ...this.#counters };
  }

  /** seq keeps growing so a `since` cursor taken before a clear stays valid. */
  clear(): void {
    this.#entries = [];
  }

  resetCounters(): void {
    this.#counters = zeroCounters();
  }
}
