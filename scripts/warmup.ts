/**
 * `pnpm warmup --stack <id> [--template name:language ...]`: bulk senders' warm-up.
 * Enqueues a template-sync job for a running gateway's workers (same REDIS_URL,
 * REDIS_KEY_PREFIX and STACKS_FILE as `pnpm gateway`), shows its progress and
 * prints the summary. Exit code 0 when the sync finished without errors, 1 when it
 * failed or no worker listens under that REDIS_URL and REDIS_KEY_PREFIX, 2 on bad usage.
 */
import { parseArgs } from 'node:util';
import { Job, Queue } from 'bullmq';
import { SingleBar, Presets } from 'cli-progress';
import { z } from 'zod';
import { commonEnv, ConfigError, parseEnv, redisConnections, requireStacksSource } from '@gw/config';
import { createLogger } from '@gw/logger';
import { redisAddress } from '@gw/process-tools';
import { openStacks } from '@gw/stack-store';
import { enqueue, JOBS, QUEUES, redisKeys, type TemplateSyncJob, type TemplateSyncProgress, type TemplateSyncSummary } from '@gw/contracts';

const USAGE = 'usage: pnpm warmup --stack <id> [--template name:language ...] [--wait-seconds 600]';

function parseTemplates(values: string[]): TemplateSyncJob['templates'] {
  if (values.length === 0) return undefined;
  return values.map((value) => {
    const separator = value.lastIndexOf(':');
    if (separator <= 0 || separator === value.length - 1) throw new ConfigError(`--template ${value}: expected name:language, e.g. summer_sale:en_US`);
    return { name: value.slice(0, separator), language: value.slice(separator + 1) };
  });
}

async function main() {
  const { values } = parseArgs({
    options: {
      stack: { type: 'string' },
      template: { type: 'string', multiple: true, default: [] },
      'wait-seconds': { type: 'string', default: '600' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.stack) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const env = parseEnv(z.object(commonEnv).superRefine(requireStacksSource), process.env);
  // The same stacks the gateway uses: STACKS_FILE, or the Redis stack store when STACKS_ENCRYPTION_KEY is set.
  // One Redis at REDIS_URL, a Redis Cluster (REDIS_CLUSTER_NODES) or a primary found through Sentinels (REDIS_SENTINELS).
  const redis = redisConnections(env);
  const stacks = await openStacks({ env, keys: redisKeys(env.REDIS_KEY_PREFIX), redis, logger: createLogger({ name: 'warmup', level: 'warn' }) });
  const stack = stacks.directory.get(values.stack);
  await stacks.close();
  if (!stack) throw new ConfigError(`No stack "${values.stack}" in ${env.STACKS_ENCRYPTION_KEY ? 'the stack store' : env.STACKS_FILE}.`);
  const templates = parseTemplates(values.template);

  const queue = new Queue(QUEUES.templateSync, { connection: redis.bullmq({ maxRetriesPerRequest: 1 }), prefix: env.REDIS_KEY_PREFIX });
  if ((await countWorkers(queue)) === 0) {
    await queue.close();
    throw new NoWorkerError(
      `No gateway worker is listening at ${redisAddress(env.REDIS_URL)} under REDIS_KEY_PREFIX=${env.REDIS_KEY_PREFIX}; nothing was queued.\n` +
        'Start `pnpm gateway` (or the demo) first, and run `pnpm warmup` with the same REDIS_URL and REDIS_KEY_PREFIX ' +
        '(the demo prints its warm-up command, prefix included).',
    );
  }
  const data: TemplateSyncJob = { stackId: stack.id, templates, trigger: 'cli' };
  const job = await enqueue(queue, JOBS.templateWarmup, data, undefined);
  console.log(`Warm-up job ${job.id} queued for stack ${stack.id} (WABA ${stack.wabaId}), ${templates ? `${templates.length} template(s)` : 'whole WABA'}.`);

  const bar = new SingleBar({ format: 'pages {pages} | templates read {value} | categories cached {written} | {state}', hideCursor: true }, Presets.shades_classic);
  bar.start(0, 0, { pages: 0, written: 0, state: 'waiting' });
  const deadline = Date.now() + Number(values['wait-seconds']) * 1000;
  let warned = false;
  for (;;) {
    const current = await Job.fromId(queue, job.id!);
    const state = current ? await current.getState() : 'unknown';
    const progress = (current?.progress ?? {}) as Partial<TemplateSyncProgress>;
    bar.setTotal(Math.max(progress.seen ?? 0, 1));
    bar.update(progress.seen ?? 0, { pages: progress.pages ?? 0, written: progress.written ?? 0, state });
    if (state === 'completed' || state === 'failed') {
      bar.stop();
      // Read the job again: it may have finished after `current` was read, without its result.
      const finished = (await Job.fromId(queue, job.id!))!;
      printResult(finished, state);
      await queue.close();
      const summary = finished.returnvalue as TemplateSyncSummary | undefined;
      process.exit(state === 'completed' && summary && summary.errors.length === 0 ? 0 : 1);
    }
    if (!warned && state === 'waiting' && Date.now() - job.timestamp > 10_000) {
      warned = true;
      bar.stop();
      console.warn('No worker has picked the job up after 10 s. Is `pnpm gateway` running against this REDIS_URL and REDIS_KEY_PREFIX?');
      bar.start(0, 0, { pages: 0, written: 0, state });
    }
    if (Date.now() > deadline) {
      bar.stop();
      console.error(`Gave up waiting after ${values['wait-seconds']} s; job ${job.id} is ${state}. Check it in Bull Board or GET /templates/warmup/${job.id}.`);
      await queue.close();
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

class NoWorkerError extends Error {}

/** Workers connected to the queue, or undefined where the server refuses CLIENT LIST (some managed Redis). */
async function countWorkers(queue: Queue): Promise<number | undefined> {
  try {
    return await queue.getWorkersCount();
  } catch {
    return undefined;
  }
}

function printResult(job: Job, state: string) {
  if (state === 'failed') {
    console.error(`Warm-up failed: ${job.failedReason}`);
    return;
  }
  const s = job.returnvalue as TemplateSyncSummary;
  console.log('\nWarm-up summary');
  console.table({
    marketing: s.marketing,
    'non-marketing': s.nonMarketing,
    'not found': s.notFound.length,
    errors: s.errors.length,
    pages: s.pages,
    'duration (ms)': s.durationMs,
  });
  for (const t of s.notFound) console.log(`  not found: ${t.name} (${t.language})`);
  for (const e of s.errors) console.log(`  error: ${e}`);
}

main().catch((error) => {
  const expected = error instanceof ConfigError || error instanceof NoWorkerError;
  console.error(expected ? error.message : error);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
