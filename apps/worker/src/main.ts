import { ConfigError, parseEnv } from '@gw/config';
import { createLogger } from '@gw/logger';
import { announceReady, onShutdown, runMain } from '@gw/process-tools';
import { workerEnvSchema } from './config.ts';
import { createWorker } from './worker.ts';

async function main() {
  const env = parseEnv(workerEnvSchema, process.env);
  const logger = createLogger({ name: 'worker', level: env.LOG_LEVEL });
  const worker = createWorker(env, logger);
  const { operationsPort } = await worker.start();
  announceReady({ operationsPort });
  onShutdown(logger, env.SHUTDOWN_TIMEOUT_MS, (signal) => worker.close(signal));
}

runMain('worker', main, (error) => error instanceof ConfigError);
