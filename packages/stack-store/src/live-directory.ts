import type { Redis } from 'ioredis';
import { closeRedis, ConfigError, StackDirectory, type StackEntry } from '@gw/config';
import type { Logger } from '@gw/logger';
import type { StackStore } from './stack-store.ts';
import { unsealStack } from './stored-stack.ts';

export interface LiveDirectoryOptions {
  store: StackStore;
  encryptionKey: Buffer;
  /** Keys a rotation retires (STACKS_ENCRYPTION_KEY_PREVIOUS): still opened, never used to seal. */
  previousKeys?: readonly Buffer[];
  /** A connection of its own: it only listens on the change channel. */
  subscriber: Redis;
  channel: string;
  refreshMs: number;
  logger: Logger;
}

/**
 * A StackDirectory that follows the stack store: reloaded on every change
 * notification and every refreshMs (a notification can be missed while the
 * subscriber reconnects). A failed reload keeps the stacks it had.
 */
export class LiveStackDirectory {
  readonly directory = StackDirectory.fromEntries([]);
  private readonly listeners: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;

  constructor(private readonly options: LiveDirectoryOptions) {}

  /** Loads once (a wrong key or an unreadable store stops the process), then follows changes. */
  async start(): Promise<void> {
    const { subscriber, channel } = this.options;
    await this.load();
    subscriber.on('message', (chan: string) => {
      if (chan === channel) void this.reload();
    });
    // After a reconnect, reload: changes made meanwhile were not heard.
    subscriber.on('ready', () => void this.reload());
    await subscriber.subscribe(channel);
    this.timer = setInterval(() => void this.reload(), this.options.refreshMs);
    this.timer.unref();
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Reloads now; concurrent calls share one reload plus at most one more. */
  reload(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.load();
        } catch (error) {
          this.options.logger.warn({ err: (error as Error).message }, 'could not reload stacks from Redis; keeping the ones loaded');
        }
      } while (this.again);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await closeRedis(this.options.subscriber);
  }

  private async load(): Promise<void> {
    const records = await this.options.store.list();
    const entries: StackEntry[] = [];
    for (const record of records) {
      try {
        entries.push(unsealStack([this.options.encryptionKey, ...(this.options.previousKeys ?? [])], record));
      } catch (error) {
        throw new ConfigError(`STACKS_ENCRYPTION_KEY: cannot read the secrets of stack "${record.id}": ${(error as Error).message}`);
      }
    }
    const before = this.fingerprint();
    this.directory.replace(entries);
    if (this.fingerprint() !== before) for (const listener of this.listeners) listener();
  }

  /** What listeners (template-sync schedules) depend on: ids, numbers and WABAs. */
  private fingerprint(): string {
    return this.directory
      .all()
      .map((s) => `${s.id}:${s.phoneNumberId}:${s.wabaId}:${s.mmRouting}`)
      .join('|');
  }
}
