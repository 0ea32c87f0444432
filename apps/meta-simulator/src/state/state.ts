import type { AccountInput, ParsedSeed } from '../seed.ts';
import { FaultStore } from './faults.ts';
import type { LatencyModel } from './latency.ts';
import { RequestLog } from './request-log.ts';
import { TemplateStore } from './templates.ts';

export interface Account {
  phoneNumberId: string;
  wabaId: string;
  accessToken: string;
  displayPhoneNumber?: string;
  /** Onboarded to the MM API; false makes /marketing_messages answer 134102. */
  mmEligible: boolean;
}

/** Everything the simulator remembers; webhook state lives with the webhook emitter. */
export class SimulatorState {
  readonly accounts = new Map<string, Account>();
  readonly templates = new TemplateStore();
  readonly log = new RequestLog();
  readonly faults: FaultStore;
  readonly #seed: ParsedSeed;

  constructor(seed: ParsedSeed, sendLatency?: LatencyModel) {
    this.#seed = seed;
    this.faults = new FaultStore(sendLatency);
    this.#loadSeed();
  }

  upsertAccount(input: AccountInput): Account {
    // Eligible unless told otherwise: most tests want the MM happy path.
    const account: Account = { ...input, mmEligible: input.mmEligible ?? true };
    this.accounts.set(account.phoneNumberId, account);
    return account;
  }

  accountsOfWaba(wabaId: string): Account[] {
    return [...this.accounts.values()].filter((a) => a.wabaId === wabaId);
  }

  /** Back to the seed: catalogue, request log, counters and faults. */
  reset(): void {
    this.log.clear();
    this.log.resetCounters();
    this.faults.clear();
    this.#loadSeed();
  }

  #loadSeed(): void {
    this.accounts.clear();
    this.templates.clear();
    for (const account of this.#seed.accounts) this.upsertAccount(account);
    const now = Date.now();
    for (const template of this.#seed.templates) this.templates.upsert(template, now);
  }
}
