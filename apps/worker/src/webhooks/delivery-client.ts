import { Agent, request } from 'undici';
import { guardedLookup, PRIVATE_ADDRESS_CODE } from './destination-guard.ts';

export type DeliveryAttempt =
  { kind: 'response'; status: number; retryAfter?: string; ms: number } | { kind: 'refused'; reason: string; ms: number } | { kind: 'error'; code: string; ms: number };

export interface DeliveryClientOptions {
  timeoutMs: number;
  allowPrivate: boolean;
}

function errorOf(error: unknown): { code: string; message: string } {
  const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  return { code: e.cause?.code ?? e.code ?? (e as Error).name ?? 'UNKNOWN', message: e.cause?.message ?? e.message ?? String(error) };
}

/** Posts forwarded webhooks over a keep-alive agent, with a deadline on the whole attempt. */
export function createDeliveryClient({ timeoutMs, allowPrivate }: DeliveryClientOptions) {
  const agent = new Agent({
    keepAliveTimeout: 30_000,
    connections: 16,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: Math.min(timeoutMs, 5000), ...(allowPrivate ? {} : { lookup: guardedLookup }) },
  });

  async function post(url: string, body: string, headers: Record<string, string>): Promise<DeliveryAttempt> {
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    try {
      const response = await request(url, {
        method: 'POST',
        dispatcher: agent,
        headers,
        body,
        // No redirect is followed (undici's default): a redirect is not a delivery.
        signal: AbortSignal.timeout(timeoutMs),
      });
      // The answer's body is of no interest; read a little so the socket can be reused.
      await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      const retryAfter = response.headers['retry-after'];
      return { kind: 'response', status: response.statusCode, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, ms: ms() };
    } catch (error) {
      const { code, message } = errorOf(error);
      if (code === PRIVATE_ADDRESS_CODE) return { kind: 'refused', reason: message, ms: ms() };
      return { kind: 'error', code, ms: ms() };
    }
  }

  return { post, close: () => agent.close() };
}

export type DeliveryClient = ReturnType<typeof createDeliveryClient>;
