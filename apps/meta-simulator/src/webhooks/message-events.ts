import type { FailError, WebhookConfig } from './config.ts';
import type { WebhookDispatcher } from './dispatcher.ts';
import { type AcceptedMessage, clickPayload, failedPayload, statusPayload } from './payloads.ts';

interface PlannedEvent {
  kind: 'sent' | 'delivered' | 'read' | 'failed' | 'click';
  atMs: number;
  build: (now: number) => object;
}

const chance = (p: number) => p > 0 && Math.random() < p;

/**
 * Rolls the dice once per message: which statuses Meta would send and when.
 * In order (the default), times never go backwards, so sent < delivered < read
 * even if configured oddly; with `inOrder: false` each goes at its own delay.
 */
export function planEvents(msg: AcceptedMessage, config: WebhookConfig): PlannedEvent[] {
  const { sent, delivered, read } = config.statuses;
  const plan: PlannedEvent[] = [];
  let at = 0;
  const add = (kind: PlannedEvent['kind'], delayMs: number, build: PlannedEvent['build']) => {
    at = config.inOrder ? Math.max(at, delayMs) : delayMs;
    plan.push({ kind, atMs: at, build });
  };
  if (chance(sent.probability)) add('sent', sent.delayMs, (now) => statusPayload(msg, 'sent', now));
  if (chance(config.failProbability)) {
    const error: FailError = config.failError;
    add('failed', delivered.delayMs, (now) => failedPayload(msg, error, now));
    return plan;
  }
  if (chance(delivered.probability)) add('delivered', delivered.delayMs, (now) => statusPayload(msg, 'delivered', now));
  if (chance(read.probability)) add('read', read.delayMs, (now) => statusPayload(msg, 'read', now));
  if (msg.viaMarketingMessages && chance(config.clickProbability)) {
    add('click', config.clickDelayMs, (now) => clickPayload(msg, now));
  }
  return plan.sort((a, b) => a.atMs - b.atMs);
}

/** Plays a message's plan; each event waits for the previous one's first attempt. */
export async function playEvents(msg: AcceptedMessage, plan: PlannedEvent[], dispatcher: WebhookDispatcher): Promise<void> {
  const acceptedAt = Date.now();
  try {
    for (const event of plan) {
      const wait = acceptedAt + event.atMs - Date.now();
      if (wait > 0) await dispatcher.sleep(wait);
      const started = dispatcher.start(event.kind, 'messages', event.build(Date.now()), msg.wamid);
      if (!started) return;
      await started.firstAttempt;
    }
  } catch {
    // Aborted by reset/close: the rest of the plan is dropped on purpose.
  }
}
