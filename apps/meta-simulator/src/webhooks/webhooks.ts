import type { Logger } from '@gw/logger';
import { defaultWebhookConfig, mergeWebhookConfig, type WebhookConfig, type WebhookConfigPatch } from './config.ts';
import { WebhookDispatcher } from './dispatcher.ts';
import { planEvents, playEvents } from './message-events.ts';
import type { AcceptedMessage } from './payloads.ts';

/** The webhook side of the simulator: config, delivery and message status events. */
export class Webhooks {
  readonly dispatcher: WebhookDispatcher;
  #config: WebhookConfig;
  readonly #defaults: () => WebhookConfig;

  constructor(options: { url?: string; appSecret: string; logger: Logger }) {
    this.#defaults = () => defaultWebhookConfig(options.url, options.appSecret);
    this.#config = this.#defaults();
    this.dispatcher = new WebhookDispatcher(() => this.#config, options.logger);
  }

  get config(): WebhookConfig {
    return this.#config;
  }

  update(patch: WebhookConfigPatch): WebhookConfig {
    this.#config = mergeWebhookConfig(this.#config, patch);
    return this.#config;
  }

  /** Schedules what Meta would report for an accepted message. */
  messageAccepted(msg: AcceptedMessage): void {
    if (!this.#config.url) return;
    void playEvents(msg, planEvents(msg, this.#config), this.dispatcher);
  }

  reset(): void {
    this.dispatcher.cancelAll();
    this.#config = this.#defaults();
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }
}
