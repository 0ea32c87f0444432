import { createLogger, type Logger } from '@gw/logger';

/**
 * One shutdown path per process: SIGTERM or SIGINT runs `stop` once, within a
 * deadline; exit 0 when it finished in time, 1 when the deadline passed or it failed.
 */
export function onShutdown(logger: Logger, timeoutMs: number, stop: (signal: string) => Promise<void>): void {
  let stopping = false;
  const run = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const deadline = setTimeout(() => {
      logger.error({ signal, timeoutMs }, 'shutdown deadline passed; exiting with work in flight');
      process.exit(1);
    }, timeoutMs);
    try {
      await stop(signal);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
    clearTimeout(deadline);
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void run('SIGTERM'));
  process.on('SIGINT', () => void run('SIGINT'));
}

/**
 * Tells a supervising process (`pnpm gateway`, the demo, the tests) that this
 * service is ready, over the IPC channel they open; a no-op when run on its own.
 * Readiness never travels through the logs, so it does not depend on LOG_LEVEL.
 */
export function announceReady(details: Record<string, unknown> = {}): void {
  if (!process.send) return;
  process.send({ type: 'ready', ...details });
  // The channel must not keep the process alive once everything else has stopped.
  process.channel?.unref();
}

/**
 * Runs an app's main. A failure before the app has its own logger is logged by a
 * startup logger; a configuration error shows only its message (it names the variable).
 */
export function runMain(name: string, main: () => Promise<void>, isConfigError: (error: unknown) => boolean): void {
  main().catch((error: unknown) => {
    const log = createLogger({ name });
    if (isConfigError(error)) log.fatal((error as Error).message);
    else log.fatal({ err: error }, 'could not start');
    process.exit(1);
  });
}
