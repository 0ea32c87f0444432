/**
 * Every BullMQ queue the gateway uses, declared once.
 *
 * WARNING: renaming a queue strands every job already waiting under the old
 * name. Add a new name and drain the old queue instead.
 */
export const QUEUES = {
  send: 'send',
  /** Warm-up and periodic sync of a WABA's template categories. */
  templateSync: 'template-sync',
  /** Meta's webhooks as received, stored before the ingress answers 200. */
  webhookInbound: 'webhook-inbound',
  /** One forward of one envelope to one stack; its failed set is the dead-letter state. */
  webhookDelivery: 'webhook-delivery',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/**
 * Queues whose failed set is a dead-letter state: jobs parked until an operator
 * replays them (never removed on failure). /metrics reports their size.
 */
export const DEAD_LETTER_QUEUES: readonly QueueName[] = [QUEUES.webhookInbound, QUEUES.webhookDelivery];
