import type { Redis } from 'ioredis';
import type { RedisKeys } from '@gw/contracts';
import type {
  AuditEntry,
  AuditEvent,
  AuditOwner,
  AuditStore,
  ClickAuditEvent,
  KnownLedger,
  RouteAnalyticsQuery,
  RouteAnalyticsRow,
  SendAuditEvent,
  StatusAuditEvent,
} from '../audit-store.ts';
import { hourStart, hoursBetween, rowPrefix, UNATTRIBUTED } from '../buckets.ts';
import {
  auditEntryOf,
  clickField,
  ledgerLine,
  lineOwnedBy,
  parseLedgerLine,
  statusField,
  tenantOfLine,
  type LedgerLine,
  type StoredClick,
  type StoredStatus,
} from '../ledger-line.ts';
import { rowsOf } from '../rows.ts';
import { CLICK_COUNT, costOf, statusCounts, type CountOnce } from '../status-counts.ts';
import { COUNT_ONCE } from './count-once-script.ts';
import { SendTally } from './send-tally.ts';

export interface RedisAuditStoreOptions {
  redis: Redis;
  keys: RedisKeys;
  /** Lifetime of a message's ledger line and timeline (LEDGER_RETENTION_SECONDS). */
  auditRetentionSeconds: number;
  /** Lifetime of an hour bucket of the analytics (ANALYTICS_RETENTION_SECONDS). */
  analyticsRetentionSeconds: number;
}

const CLICK_REDELIVERY_SECONDS = 7 * 24 * 3600;

type CountOnceCommand = (
  timeline: string,
  bucket: string,
  timelineField: string,
  value: string,
  timelineTtl: number,
  bucketTtl: number,
  rowPrefix: string,
  cost: string,
  ...pairs: string[]
) => Promise<number>;

/**
 * The default AuditStore: everything in Redis, bounded by expiry. The worker writes a send's
 * ledger line in its own outcome pipeline and counts sends with a SendTally; record() is for
 * the webhook path (statuses, clicks) and for sends recorded off the hot path.
 */
export class RedisAuditStore implements AuditStore {
  private readonly countOnce: CountOnceCommand;

  constructor(private readonly options: RedisAuditStoreOptions) {
    options.redis.defineCommand('auditCountOnce', { numberOfKeys: 2, lua: COUNT_ONCE });
    const redis = options.redis as unknown as { auditCountOnce: CountOnceCommand };
    this.countOnce = redis.auditCountOnce.bind(redis);
  }

  /**
   * Statuses and clicks count on the row of their message's send: its ledger line is needed. Lines in
   * `known` (the inbound worker's enrichment read them) are not read again; the rest in one MGET (the
   * keys share the prefix's hash tag, so one slot in a cluster). Per status: one count-once script.
   */
  async record(events: AuditEvent[], known?: KnownLedger): Promise<void> {
    const sends = events.filter((e): e is SendAuditEvent => e.kind === 'send');
    const statuses = events.filter((e): e is StatusAuditEvent => e.kind === 'status');
    const clicks = events.filter((e): e is ClickAuditEvent => e.kind === 'click');
    if (sends.length) await this.recordSends(sends);
    const wamids = [...new Set([...statuses.map((s) => s.wamid), ...clicks.flatMap((c) => (c.wamid ? [c.wamid] : []))])];
    const lines = await this.lines(wamids, known);
    // Messages at once, each message's events in order: the timeline keeps the order they came in.
    const byMessage = new Map<string, Array<() => Promise<void>>>();
    const later = (key: string, task: () => Promise<void>) => byMessage.set(key, [...(byMessage.get(key) ?? []), task]);
    for (const status of statuses) later(status.wamid, () => this.recordStatus(status, lines.get(status.wamid)));
    for (const click of clicks) later(click.wamid ?? `click:${click.clickId ?? ''}`, () => this.recordClick(click, click.wamid ? lines.get(click.wamid) : undefined));
    await Promise.all(
      [...byMessage.values()].map(async (tasks) => {
        for (const task of tasks) await task();
      }),
    );
  }

  async entry(owner: AuditOwner, wamid: string): Promise<AuditEntry | undefined> {
    const { redis, keys } = this.options;
    const [raw, timeline] = await Promise.all([redis.get(keys.ledger(wamid)), redis.lrange(keys.auditTimeline(wamid), 0, -1)]);
    const line = parseLedgerLine(raw);
    if (!line || !lineOwnedBy(line, owner)) return undefined;
    return auditEntryOf(wamid, line, timeline);
  }

  async routes(query: RouteAnalyticsQuery): Promise<RouteAnalyticsRow[]> {
    const { redis, keys } = this.options;
    const hours = hoursBetween(query.from, query.to);
    // One HGETALL per hour, sent together (not a pipeline object, which a cluster would refuse across slots).
    const buckets = await Promise.all(hours.map(async (hour) => ({ hour, fields: await redis.hgetall(keys.analyticsBucket(query.tenant, hour)) })));
    return rowsOf(buckets, query);
  }

  close(): Promise<void> {
    // The connection belongs to the caller.
    return Promise.resolve();
  }

  private async recordSends(sends: SendAuditEvent[]): Promise<void> {
    const { redis, keys, auditRetentionSeconds, analyticsRetentionSeconds } = this.options;
    await Promise.all(sends.map((send) => redis.set(keys.ledger(send.wamid), ledgerLine(send), 'EX', auditRetentionSeconds)));
    const tally = new SendTally({ redis, keys, retentionSeconds: analyticsRetentionSeconds });
    for (const send of sends) tally.count(send);
    await tally.flush();
  }

  private async lines(wamids: string[], known: KnownLedger | undefined): Promise<Map<string, LedgerLine>> {
    const found = new Map<string, LedgerLine>();
    const missing: string[] = [];
    for (const wamid of wamids) {
      if (known?.has(wamid)) {
        const line = known.get(wamid);
        if (line) found.set(wamid, line);
      } else missing.push(wamid);
    }
    if (missing.length === 0) return found;
    const raws = await this.options.redis.mget(...missing.map((wamid) => this.options.keys.ledger(wamid)));
    raws.forEach((raw, i) => {
      const line = parseLedgerLine(raw);
      if (line) found.set(missing[i]!, line);
    });
    return found;
  }

  /** A status of a message this gateway did not send (or sent for another stack, or for a deleted stack of the same id) is not audited. */
  private async recordStatus(status: StatusAuditEvent, line: LedgerLine | undefined): Promise<void> {
    if (!line || !lineOwnedBy(line, status)) return;
    const stored: StoredStatus = {
      ...(status.timestamp !== undefined ? { timestamp: status.timestamp } : {}),
      receivedAt: status.at,
      ...(status.errors ? { errors: status.errors } : {}),
      ...(status.pricing ? { pricing: status.pricing } : {}),
    };
    const cost = costOf(status.pricing);
    await this.count(this.options.keys.auditTimeline(status.wamid), line, statusField(status.status), JSON.stringify(stored), cost, statusCounts(status.status));
  }

  /**
   * A click tied to a message of this stack joins its timeline and counts on its row; any
   * other counts on the stack's MM row of template `(unattributed)` in the hour it arrived,
   * once per click_id.
   */
  private async recordClick(click: ClickAuditEvent, line: LedgerLine | undefined): Promise<void> {
    const { keys, auditRetentionSeconds } = this.options;
    const stored: StoredClick = { receivedAt: click.at, ...(click.clickId ? { clickId: click.clickId } : {}), data: click.data };
    const id = click.clickId ?? String(click.at);
    if (line && lineOwnedBy(line, click) && click.wamid) {
      await this.count(keys.auditTimeline(click.wamid), line, clickField(id), JSON.stringify(stored), undefined, [CLICK_COUNT]);
      return;
    }
    const bucket = keys.analyticsBucket(click.tenant, hourStart(click.at));
    const prefix = rowPrefix('marketing_messages', UNATTRIBUTED);
    if (!click.clickId) {
      await this.options.redis.hincrby(bucket, `${prefix}clicked`, 1);
      await this.options.redis.expire(bucket, this.options.analyticsRetentionSeconds);
      return;
    }
    // Meta re-delivers a webhook for up to 7 days: the click's count-once flag need not outlive that.
    await this.countOnce(
      keys.auditClick(click.tenant, click.clickId),
      bucket,
      'k',
      '',
      Math.min(auditRetentionSeconds, CLICK_REDELIVERY_SECONDS),
      this.options.analyticsRetentionSeconds,
      prefix,
      '',
      CLICK_COUNT.flag,
      CLICK_COUNT.metric,
    );
  }

  private async count(timeline: string, line: LedgerLine, timelineField: string, value: string, cost: number | undefined, counts: CountOnce[]): Promise<void> {
    const { keys, auditRetentionSeconds, analyticsRetentionSeconds } = this.options;
    // Counted in the bucket of the send: a row's rates compare its statuses with its own sends.
    const bucket = keys.analyticsBucket(tenantOfLine(line), hourStart(line.at));
    const pairs = counts.flatMap(({ flag, metric }) => [flag, metric]);
    await this.countOnce(
      timeline,
      bucket,
      timelineField,
      value,
      auditRetentionSeconds,
      analyticsRetentionSeconds,
      rowPrefix(line.route, line.template),
      cost === undefined ? '' : String(cost),
      ...pairs,
    );
  }
}
