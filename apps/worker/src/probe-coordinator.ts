import type { Redis } from 'ioredis';
import type { RedisKeys, TemplateRef } from '@gw/contracts';

/** What a probe of the MM API taught, shared with the sends that waited for it. */
export type ProbeOutcome = 'marketing' | 'non_marketing' | 'syncing' | 'fallback';

export type ProbeRun<T> = { kind: 'probed'; result: T } | { kind: 'waited'; outcome: ProbeOutcome };

export interface ProbeCoordinatorOptions {
  redis: Redis;
  keys: RedisKeys;
  /** How long a probe may take; also how long the others wait for it. */
  probeTimeoutMs: number;
  /** How long a finished probe's outcome answers later sends without a new probe. */
  outcomeTtlMs: number;
  pollMs?: number;
}

const PENDING = 'pending';
const DONE = 'done:';
const OUTCOMES = new Set<string>(['marketing', 'non_marketing', 'syncing', 'fallback']);

/**
 * At most one MM probe in flight per (WABA, template, language), across every
 * worker process: a Redis SET NX elects the prober; the others wait for the
 * outcome it leaves in the same key. Within a process one promise serves all.
 */
export class ProbeCoordinator {
  private readonly inProcess = new Map<string, Promise<ProbeOutcome | undefined>>();

  constructor(private readonly options: ProbeCoordinatorOptions) {}

  /**
   * A probe whose outcome is `undefined` taught nothing about the template (an
   * answer about its own request, such as 131049 or code 100): the sends waiting
   * on it then probe for themselves instead of following it.
   */
  async run<T>(wabaId: string, template: TemplateRef, probe: () => Promise<{ result: T; outcome: ProbeOutcome | undefined }>): Promise<ProbeRun<T>> {
    const key = this.options.keys.probe(wabaId, template.name, template.language);
    const shared = this.inProcess.get(key);
    if (shared) {
      const outcome = await shared;
      if (outcome) return { kind: 'waited', outcome };
      return { kind: 'probed', result: (await probe()).result };
    }

    let settle!: (outcome: ProbeOutcome | undefined) => void;
    this.inProcess.set(key, new Promise((resolve) => (settle = resolve)));
    try {
      const elected = await this.elect(key);
      if (elected !== true) {
        const outcome = elected === 'wait' ? await this.awaitOutcome(key) : elected;
        if (outcome) {
          settle(outcome);
          return { kind: 'waited', outcome };
        }
      }
      const { result, outcome } = await probe();
      settle(outcome);
      if (outcome) await this.options.redis.set(key, DONE + outcome, 'PX', this.options.outcomeTtlMs).catch(() => undefined);
      else await this.options.redis.del(key).catch(() => undefined);
      return { kind: 'probed', result };
    } catch (error) {
      settle(undefined);
      throw error;
    } finally {
      this.inProcess.delete(key);
    }
  }

  /** true: this caller probes; 'wait': another probe is pending; an outcome: a recent probe already answered. */
  private async elect(key: string): Promise<true | 'wait' | ProbeOutcome> {
    try {
      const ok = await this.options.redis.set(key, PENDING, 'PX', this.options.probeTimeoutMs, 'NX');
      if (ok === 'OK') return true;
      const value = await this.options.redis.get(key);
      return this.parse(value) ?? (value === null ? true : 'wait');
    } catch {
      return true; // Redis unreadable: probe without coordination rather than not send.
    }
  }

  private async awaitOutcome(key: string): Promise<ProbeOutcome | undefined> {
    const deadline = Date.now() + this.options.probeTimeoutMs;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, this.options.pollMs ?? 20));
      let value: string | null;
      try {
        value = await this.options.redis.get(key);
      } catch {
        return undefined;
      }
      if (value === null) return undefined; // the prober died: probe ourselves
      const outcome = this.parse(value);
      if (outcome) return outcome;
    }
    return 'fallback'; // the probe is still hanging: do not pile more sends onto the MM API
  }

  private parse(value: string | null): ProbeOutcome | undefined {
    if (!value?.startsWith(DONE)) return undefined;
    const outcome = value.slice(DONE.length);
    return OUTCOMES.has(outcome) ? (outcome as ProbeOutcome) : undefined;
  }
}
