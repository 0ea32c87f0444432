import { createLogger } from '@gw/logger';
import { parseEnv, type SimulatorEnv } from './env.ts';
import { createSimulator } from './index.ts';
import { loadSeedFile, type ParsedSeed } from './seed.ts';

function fail(message: string): never {
  process.stderr.write(`meta simulator: ${message}\n`);
  process.exit(1);
}

async function readSeed(env: SimulatorEnv): Promise<ParsedSeed | undefined> {
  if (!env.SIM_SEED_FILE) return undefined;
  try {
    return await loadSeedFile(env.SIM_SEED_FILE);
  } catch (error) {
    return fail(`SIM_SEED_FILE (${env.SIM_SEED_FILE}) is not a valid seed: ${(error as Error).message}`);
  }
}

async function main(): Promise<void> {
  let env: SimulatorEnv;
  try {
    env = parseEnv(process.env);
  } catch (error) {
    return fail((error as Error).message);
  }
  const logger = createLogger({ name: 'meta-simulator', level: env.SIM_LOG_LEVEL });
  const simulator = createSimulator({
    seed: await readSeed(env),
    appSecret: env.SIM_APP_SECRET,
    webhookUrl: env.SIM_WEBHOOK_URL,
    sendLatency: { medianMs: env.SIM_LATENCY_MEDIAN_MS, p99Ms: env.SIM_LATENCY_P99_MS },
    templateReviewMs: env.SIM_TEMPLATE_REVIEW_MS,
    logger,
  });
  const { url } = await simulator
    .listen(env.SIM_PORT, env.SIM_HOST)
    .catch((error: Error) => fail(`cannot listen on ${env.SIM_HOST}:${env.SIM_PORT} (SIM_PORT/SIM_HOST): ${error.message}`));
  logger.info({ url }, 'meta simulator listening');
  // A plain line on stdout, whatever the log level: scripts and tests wait for it.
  process.stdout.write(`meta simulator listening on ${url}\n`);

  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'meta simulator shutting down');
    await simulator.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

void main();
