import type { Logger } from '@gw/logger';

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

/** Runs an app's main; a configuration error prints only its message (it names the variable). */
export function runMain(main: () => Promise<void>, isConfigError: (error: unknown) => boolean): void {
  main().catch((error: unknown) => {
    console.error(isConfigError(error) ? (error as Error).message : error);
    process.exit(1);
  });
}
