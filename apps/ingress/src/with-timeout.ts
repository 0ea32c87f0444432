/** What withTimeout rejects with: the promise took too long, and may still settle later. */
export class TimedOut extends Error {
  override name = 'TimedOut';
}

/** Rejects with TimedOut when the promise takes longer than `ms`; the promise itself keeps running. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOut(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
