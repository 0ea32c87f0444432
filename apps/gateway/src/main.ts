import { ConfigError, parseEnv } from '@gw/config';
import type { LocalReplies } from '@gw/contracts';
import { createIngress, ingressEnvSchema } from '@gw/ingress';
import { createLogger } from '@gw/logger';
import { announceReady, onShutdown, runMain } from '@gw/process-tools';
import { createWorker, workerEnvSchema } from '@gw/worker';

/**
 * Both roles in one process (`pnpm gateway` with GATEWAY_PROCESSES): the worker and the ingress of
 * the separate processes, composed unchanged. Every send still goes through a BullMQ job on the shared
 * queue (any worker may take it); a reply to this process's own ingress is handed over in memory, and so is
 * a batch for a send carrier (SEND_CARRIERS) that runs in this process.
 */
async function main() {
  const ingressEnv = parseEnv(ingressEnvSchema, process.env);
  const workerEnv = parseEnv(workerEnvSchema, process.env);
  // The ingress's reply channel, known once it listens.
  const local: { replies?: LocalReplies } = {};
  const worker = createWorker(workerEnv, createLogger({ name: 'worker', level: workerEnv.LOG_LEVEL }), {
    localReplies: { channel: () => local.replies?.channel(), deliver: (replies) => local.replies?.deliver(replies) },
  });
  // The worker first, as `pnpm gateway` starts the separate processes: no send waits for a worker to exist.
  const { operationsPort: workerOperationsPort, carriers } = await worker.start();
  const ingressLogger = createLogger({ name: 'ingress', level: ingressEnv.LOG_LEVEL });
  const ingress = createIngress(ingressEnv, ingressLogger, { localCarriers: carriers });
  const running = await ingress.start();
  local.replies = running.replies;
  announceReady({ port: running.port, operationsPort: running.operationsPort, workerOperationsPort });
  // The ingress first (no new sends, in-flight ones answered), then the worker finishes what it holds.
  onShutdown(ingressLogger, Math.max(ingressEnv.SHUTDOWN_TIMEOUT_MS, workerEnv.SHUTDOWN_TIMEOUT_MS), async (signal) => {
    await ingress.close(signal);
    await worker.close(signal);
  });
}

runMain('gateway', main, (error) => error instanceof ConfigError);
