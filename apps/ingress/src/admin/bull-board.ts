import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { Express } from 'express';
import { QUEUES } from '@gw/contracts';

export const BULL_BOARD_PATH = '/admin/queues';

const DESCRIPTIONS: Record<string, string> = {
  [QUEUES.send]: 'Client sends. View only: a send is never retried or added here (it could reach Meta twice).',
  [QUEUES.templateSync]: 'Warm-up and periodic template category syncs.',
  [QUEUES.webhookInbound]: "Meta's webhooks as received; failed jobs are parked for an operator.",
  [QUEUES.webhookDelivery]: 'Forwards to stacks; the failed tab is the dead-letter state (replay with retry).',
};

/**
 * Bull Board over every queue in QUEUES (a queue added there appears here).
 * Job data holds no secrets: send jobs carry a stack id and the message,
 * deliveries carry the envelope, never a URL, token or signing secret.
 */
export function bullBoardRouter(queues: Queue[]): Express {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: queues.map(
      (queue) =>
        new BullMQAdapter(queue, {
          description: DESCRIPTIONS[queue.name] ?? '',
          readOnlyMode: queue.name === QUEUES.send,
          allowRetries: queue.name !== QUEUES.send,
        }),
    ),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'WA gateway queues' } },
  });
  const router = serverAdapter.getRouter() as Express;
  router.disable('x-powered-by');
  return router;
}
