import { normaliseLanguage } from './language.ts';

/**
 * Builders for every Redis key and channel outside BullMQ's own. The prefix may
 * carry a hash tag (`{gw}`) so everything lands in one Redis Cluster slot.
 */
export function redisKeys(prefix: string) {
  return {
    category: (wabaId: string, name: string, language: string) => `${prefix}:cat:${wabaId}:${normaliseLanguage(language)}:${name}`,
    /** Pattern matching every category key of one WABA (for listing). */
    categoryPattern: (wabaId: string) => `${prefix}:cat:${wabaId}:*`,
    /** Lock and outcome of the one MM probe in flight for a template. */
    probe: (wabaId: string, name: string, language: string) => `${prefix}:probe:${wabaId}:${normaliseLanguage(language)}:${name}`,
    /** Set while the MM API refuses a whole WABA (134102). */
    mmUnavailable: (wabaId: string) => `${prefix}:mm-off:${wabaId}`,
    /** Set while a WABA has `disable_marketing_messages_on_cloud_api` (learned from 131063 or the template sync). */
    cloudMarketingOff: (wabaId: string) => `${prefix}:cloud-mkt-off:${wabaId}`,
    /** Open MM circuits shared by every worker: hash of WABA id -> open until (epoch ms). */
    mmBreaker: () => `${prefix}:mm-breaker`,
    /** Pub/sub channel announcing a circuit opened or closed (`{"waba","until"}`, until null: closed). */
    mmBreakerChanged: () => `${prefix}:mm-breaker:changed`,
    /** Webhook deliveries in flight for one stack, across workers: sorted set of lease -> expiry (epoch ms). */
    webhookSlots: (stackId: string) => `${prefix}:wh-slots:${stackId}`,
    replyChannel: (ingressId: string) => `${prefix}:reply:${ingressId}`,
    /** One of an ingress's send-carrier lanes (see send-carrier.ts): its keys share this hash tag. */
    sendLane: (ingressId: string, lane: number) => `${prefix}:lane:{${ingressId}.${lane}}`,
    /** One client Idempotency-Key of one stack; the key itself is hashed to bound its length. */
    idempotency: (stackId: string, keyHash: string) => `${prefix}:idem:${stackId}:${keyHash}`,
    /** Token bucket and 130429 back-off of one phone number. */
    paceBucket: (phoneNumberId: string) => `${prefix}:pace:${phoneNumberId}`,
    /** The send ledger line of a wamid, which is its audit entry (stack, tenant, route, reason, calls to Meta, template). */
    ledger: (wamid: string) => `${prefix}:ledger:${wamid}`,
    /** A message's status and click timeline with its count-once flags (a list); expires after the ledger's retention. */
    auditTimeline: (wamid: string) => `${prefix}:audit:${wamid}`,
    /** Count-once flag of a click Meta ties to no message, by its tenant (stack uid, else id) and click_id. */
    auditClick: (tenant: string, clickId: string) => `${prefix}:audit-click:${tenant}:${clickId}`,
    /**
     * Route analytics of one tenant (stack uid, else id: a stack re-created under the same id starts empty)
     * for one UTC hour (start, epoch ms): hash of `route|template|metric` -> count.
     */
    analyticsBucket: (tenant: string, hourStart: number) => `${prefix}:analytics:${tenant}:${hourStart}`,
    /** Set when a stack's webhook endpoint answered 410; holds a hash of that URL. */
    webhookEndpointGone: (stackId: string) => `${prefix}:wh-gone:${stackId}`,
    /** Stacks kept in Redis (admin API): hash of stack id -> stored record (secrets encrypted). */
    stacks: () => `${prefix}:stacks`,
    /** sha256 of an API key -> stack id, for uniqueness across stacks. */
    stackApiKeyIndex: () => `${prefix}:stacks:by-key`,
    /** Phone number id -> stack id, for uniqueness across stacks. */
    stackPhoneIndex: () => `${prefix}:stacks:by-phone`,
    /** Ids STACKS_FILE has seeded once; a stack deleted later is not seeded again. */
    stacksSeeded: () => `${prefix}:stacks:seeded`,
    /** Pub/sub channel: a stack changed; every process reloads its directory. */
    stacksChanged: () => `${prefix}:stacks:changed`,
    /** One Bull Board login session (its random id); deleted on logout, expires with the session. */
    adminSession: (sessionId: string) => `${prefix}:admin-session:${sessionId}`,
    /** Template id -> its WABA, name and language (hash), for the Graph pass-through's tenancy and cache updates. */
    templateOwners: () => `${prefix}:tpl-owners`,
    /** Sorted set of worker ids scored by their last check-in (Redis time, ms). */
    workerHeartbeats: () => `${prefix}:workers`,
    /** Which tenant (stack uid, else id) may reach one Meta media id: it uploaded it or received it in a webhook. */
    mediaOwner: (mediaId: string) => `${prefix}:media:${mediaId}`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;
