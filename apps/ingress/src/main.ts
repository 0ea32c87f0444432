import { ConfigError, parseEnv } from '@gw/config';
import { createLogger } from '@gw/logger';
import { announceReady, onShutdown, runMain } from '@gw/process-tools';
import { ingressEnvSchema } from './config.ts';
import { createIngress } from './ingress.ts';

async function main() {
  const env = parseEnv(ingressEnvSchema, process.env);
  const logger = createLogger({ name: 'ingress', level: env.LOG_LEVEL });
  const ingress = createIngress(env, logger);
  const { port, operationsPort } = await ingress.start();
  announceReady({ port, operationsPort });
  onShutdown(logger, env.SHUTDOWN_TIMEOUT_MS, (signal) => ingress.close(signal));
}

runMain('ingress', main, (error) => error instanceof ConfigError);
