import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@gw/logger';
import { Agent, request } from 'undici';
import { signatureFor } from './sign.ts';
import type { WebhookConfig } from './config.ts';

export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'cancelled';

export interface Delivery {
  id: number;
  field: string;
  kind: string;
  wamid?: string;
  status: DeliveryState;
  attempts: number;
  /** HTTP status of the last attempt; null when it never got an answer. */
  lastStatus: number | null;
  deliveredAt?: number;
}

export interface StartedDelivery {
  /** Settles after the first attempt, so callers can keep per-message order. */
  firstAttempt: Promise<void>;
  done: Promise<Delivery>;
}

export type SignatureMode = 'valid' | 'invalid' | 'missing';

// 360dialog and Meta both give the receiver 5 s to answer.
const TIMEOUT_MS = 5_000;
const MAX_LOG = 10_000;

/** Posts signed webhooks with retries; owns the keep-alive agent and every pending timer. */
export class WebhookDispatcher {
  readonly #agent = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
  readonly #config: () => WebhookConfig;
  readonly #logger: Logger;
  #lifetime = new AbortController();
  #log: Delivery[] = [];
  #nextId = 1;

  constructor(config: () => WebhookConfig, logger: Logger) {
    this.#config = config;
    this.#logger = logger;
  }

  /** Sleeps without keeping the process alive; rejects when cancelAll() runs. */
  sleep(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.#lifetime.signal, ref: false });
  }

  /** Returns undefined when no webhook URL is configured. */
  start(kind: string, field: string, payload: object, wamid?: string): StartedDelivery | undefined {
    const { url, appSecret, retryScheduleMs } = this.#config();
    if (!url) return undefined;
    const raw = Buffer.from(JSON.stringify(payload));
    const headers = { 'x-hub-signature-256': signatureFor(raw, appSecret) };
    const delivery: Delivery = { id: this.#nextId++, field, kind, status: 'pending', attempts: 0, lastStatus: null };
    if (wamid) delivery.wamid = wamid;
    this.#remember(delivery);
    let firstDone: () => void = () => {};
    const firstAttempt = new Promise<void>((resolve) => (firstDone = resolve));
    const done = this.#deliver(delivery, url, raw, headers, [...retryScheduleMs], firstDone).finally(firstDone);
    return { firstAttempt, done };
  }

  /** One attempt, no retries, not logged as a delivery: for hand-made payloads. */
  async sendOnce(payload: object, signature: SignatureMode): Promise<number | null> {
    const { url, appSecret } = this.#config();
    if (!url) throw new Error('no webhook url configured');
    const raw = Buffer.from(JSON.stringify(payload));
    const headers: Record<string, string> = {};
    if (signature === 'valid') headers['x-hub-signature-256'] = signatureFor(raw, appSecret);
    if (signature === 'invalid') headers['x-hub-signature-256'] = signatureFor(raw, `${appSecret}-wrong`);
    return this.#post(url, raw, headers);
  }

  deliveries(): Delivery[] {
    return this.#log;
  }

  /** Drops every scheduled event and retry (used by reset and close). */
  cancelAll(): void {
    this.#lifetime.abort();
    this.#lifetime = new AbortController();
    this.#log = [];
  }

  async close(): Promise<void> {
    this.#lifetime.abort();
    await this.#agent.destroy();
  }

  async #deliver(delivery: Delivery, url: string, raw: Buffer, headers: Record<string, string>, schedule: number[], firstDone: () => void): Promise<Delivery> {
    const signal = this.#lifetime.signal;
    for (;;) {
      const status = await this.#post(url, raw, headers, signal);
      if (signal.aborted) return Object.assign(delivery, { status: 'cancelled' });
      delivery.attempts += 1;
      delivery.lastStatus = status;
      firstDone();
      // Only a 200 counts, exactly as Meta treats webhook answers.
      if (status === 200) return Object.assign(delivery, { status: 'delivered', deliveredAt: Date.now() });
      const wait = schedule.shift();
      if (wait === undefined) {
        this.#logger.warn({ delivery }, 'webhook delivery gave up');
        return Object.assign(delivery, { status: 'failed' });
      }
      try {
        await sleep(wait, undefined, { signal, ref: false });
      } catch {
        return Object.assign(delivery, { status: 'cancelled' });
      }
    }
  }

  async #post(url: string, raw: Buffer, headers: Record<string, string>, lifetime?: AbortSignal): Promise<number | null> {
    const signal = AbortSignal.any([AbortSignal.timeout(TIMEOUT_MS), ...(lifetime ? [lifetime] : [])]);
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.#agent,
        headers: { 'content-type': 'application/json', 'user-agent': 'facebookexternalua', ...headers },
        body: raw,
        signal,
      });
      await res.body.dump();
      return res.statusCode;
    } catch (error) {
      this.#logger.debug({ err: error, url }, 'webhook attempt failed');
      return null;
    }
  }

  #remember(delivery: Delivery): void {
    this.#log.push(delivery);
    if (this.#log.length > MAX_LOG * 1.1) this.#log.splice(0, this.#log.length - MAX_LOG);
  }
}
