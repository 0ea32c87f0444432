import type { Response } from 'express';
import { Agent, errors, request } from 'undici';

/** One Graph call made for a stack, with the stack's Meta token (never the client's key). */
export interface GraphCall {
  method: 'GET' | 'POST' | 'DELETE';
  /** The path after the version, its segments already URI-encoded: `123/message_templates`. */
  path: string;
  /** The client's query, passed on as is (minus `access_token`, see forwardableQuery). */
  query?: URLSearchParams;
  /** The client's body bytes and content type, passed on as is. */
  body?: Buffer;
  contentType?: string;
  token: string;
}

export type GraphResult =
  | { kind: 'response'; status: number; contentType: string | undefined; body: Buffer; ms: number }
  | { kind: 'timeout'; ms: number }
  | { kind: 'unreachable'; error: string; ms: number };

/** One finished call, for metrics: a fixed route name, never an id, token or body. */
export interface GraphCallEvent {
  route: string;
  outcome: string;
  ms: number;
}

export interface GraphPassthroughOptions {
  baseUrl: string;
  version: string;
  timeoutMs: number;
  onCall?: (event: GraphCallEvent) => void;
}

/**
 * The client's query without what belongs to a Graph credential: its `access_token`
 * (an SDK may put the gateway API key there) must never reach Meta, and an
 * `appsecret_proof` made for another token would only fail.
 */
export function forwardableQuery(query: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams(query);
  out.delete('access_token');
  out.delete('appsecret_proof');
  return out;
}

/** Meta answers never carry the token, but a body that did must not hand it to the client. */
export function withoutToken(body: Buffer, token: string): Buffer {
  if (token.length < 8 || !body.includes(token)) return body;
  return Buffer.from(body.toString('utf8').split(token).join('[redacted]'));
}

/**
 * Calls Graph for a stack and hands back Meta's status, content type and body
 * unchanged. Answers are small JSON documents, read whole; the agent keeps
 * connections to Meta open between calls.
 */
export function createGraphPassthrough(options: GraphPassthroughOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const agent = new Agent({
    keepAliveTimeout: 30_000,
    connect: { timeout: Math.min(options.timeoutMs, 3_000) },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });

  async function attempt(call: GraphCall): Promise<GraphResult> {
    const started = performance.now();
    const ms = () => Math.round((performance.now() - started) * 100) / 100;
    const query = call.query?.toString();
    try {
      const response = await request(`${base}/${options.version}/${call.path}${query ? `?${query}` : ''}`, {
        method: call.method,
        dispatcher: agent,
        headers: {
          authorization: `Bearer ${call.token}`,
          ...(call.body && call.body.length > 0 ? { 'content-type': call.contentType ?? 'application/json' } : {}),
        },
        body: call.body && call.body.length > 0 ? call.body : undefined,
      });
      const body = Buffer.from(await response.body.arrayBuffer());
      const contentType = response.headers['content-type'];
      return {
        kind: 'response',
        status: response.statusCode,
        contentType: Array.isArray(contentType) ? contentType[0] : contentType,
        body: withoutToken(body, call.token),
        ms: ms(),
      };
    } catch (error) {
      if (error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError) return { kind: 'timeout', ms: ms() };
      const e = error as { code?: string; cause?: { code?: string } };
      return { kind: 'unreachable', error: e.cause?.code ?? e.code ?? 'UNKNOWN', ms: ms() };
    }
  }

  return {
    /** Meta's base and version, for rewriting the paging links Meta answers with. */
    metaPrefix: `${base}/${options.version}/`,
    version: options.version,
    timeoutMs: options.timeoutMs,
    async call(route: string, call: GraphCall): Promise<GraphResult> {
      const result = await attempt(call);
      options.onCall?.({ route, outcome: result.kind === 'response' ? `${Math.floor(result.status / 100)}xx` : result.kind, ms: result.ms });
      return result;
    },
    close: () => agent.close(),
  };
}

export type GraphPassthrough = ReturnType<typeof createGraphPassthrough>;

/** Meta's answer as Meta gave it: status, content type and body bytes. */
export function writeGraphAnswer(res: Response, result: Extract<GraphResult, { kind: 'response' }>, body: Buffer = result.body): void {
  if (result.contentType) res.set('content-type', result.contentType);
  res.status(result.status).send(body);
}

/** The JSON document of an answer, or undefined when it is not one. */
export function jsonOf(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
