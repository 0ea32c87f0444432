import type { AccountInput, Category, ParsedSeed } from '../seed.ts';
import { BusinessProfiles } from './business-profiles.ts';
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
  /** The WABA's `disable_marketing_messages_on_cloud_api`: /messages refuses marketing templates (131063). */
  cloudMarketingOff?: boolean;
  /** Recipients at their per-user marketing limit (131049 on both APIs). */
  marketingLimited?: string[];
}

/** Everything the simulator remembers; webhook state lives with the webhook emitter. */
export class SimulatorState {
  readonly accounts = new Map<string, Account>();
  readonly templates = new TemplateStore();
  readonly profiles = new BusinessProfiles();
  /** `wabaId\0name` -> the category Meta's review assigns to a template created with that name (control API). */
  readonly reviewVerdicts = new Map<string, Category>();
  readonly log = new RequestLog();
  readonly faults: FaultStore;
  /** Message ids Meta knows (sent or received), for mark-as-read; bounded, oldest dropped first. */
  readonly messageIds = new Set<string>();
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

  rememberMessage(wamid: string): void {
    this.messageIds.add(wamid);
    if (this.messageIds.size > 100_000) this.messageIds.delete(this.messageIds.values().next().value!);
  }

  /** A WABA setting: on when any account of the WABA says so. */
  cloudMarketingOff(wabaId: string): boolean {
    return this.accountsOfWaba(wabaId).some((a) => a.cloudMarketingOff === true);
  }

  accountsOfWaba(wabaId: string): Account[] {
    return [...this.accounts.values()].filter((a) => a.wabaId === wabaId);
  }

  /** Back to the seed: catalogue, request log, counters and faults. */
  reset(): void {
    this.log.clear();
    this.log.resetCounters();
    this.faults.clear();
    this.messageIds.clear();
    this.#loadSeed();
  }

  #loadSeed(): void {
    this.accounts.clear();
    this.templates.clear();
    this.profiles.clear();
    this.reviewVerdicts.clear();
    for (const account of this.#seed.accounts) this.upsertAccount(account);
    const now = Date.now();
    for (const template of this.#seed.templates) this.templates.upsert(template, now);
  }
}
