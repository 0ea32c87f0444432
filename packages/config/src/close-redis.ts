import type { Redis } from 'ioredis';

/**
 * Closes a connection without hanging a shutdown: QUIT when connected (bounded
 * by timeoutMs), a plain disconnect otherwise (Redis down or reconnecting).
 */
export async function closeRedis(connection: Redis, timeoutMs = 1000): Promise<void> {
  if (connection.status !== 'ready') return connection.disconnect();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([
    connection.quit().then(
      () => undefined,
      () => undefined,
    ),
    timeout,
  ]);
  clearTimeout(timer);
  // Still open when QUIT took too long: drop it.
  if ((connection.status as string) !== 'end') connection.disconnect();
}
