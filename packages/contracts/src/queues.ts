/**
 * Every BullMQ queue the gateway uses, declared once.
 *
 * WARNING: renaming a queue strands every job already waiting under the old
 * name. Add a new name and drain the old queue instead.
 */
export const QUEUES = {
  send: 'send',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];
