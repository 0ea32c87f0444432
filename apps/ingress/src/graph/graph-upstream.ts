import type { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import type { GatewayError } from '@gw/contracts';
import { graphErrors } from './graph-errors.ts';

export interface GraphUpstreamOptions {
  /** META_GRAPH_URL. */
  baseUrl: string;
  /** META_GRAPH_VERSION: every call uses it, as sends do, whatever version the client's path names. */
  version: string;
  /** GRAPH_PASSTHROUGH_TIMEOUT_MS: longest wait for Meta's answer to a call (templates, profile, nodes, media metadata and delete, a download's start). */
  timeoutMs: number;
  /** MEDIA_IDLE_TIMEOUT_MS: longest pause in an upload or download (and wait for the answer's headers once an upload is sent). */
  idleTimeoutMs: number;
  /** Each finished call, for `gateway_meta_request_duration_seconds`: a fixed endpoint name (never an id, token or body), its outcome and time. */
  onCall?: (call: { endpoint: string; outcome: string; ms: number }) => void;
}

/** One Graph call made for a stack, with the stack's Meta token (never the client's key). */
export interface GraphCall {
  method: 'GET' | 'POST' | 'DELETE';
  /** The path after the version, its segments already URI-encoded: `123/message_templates`. */
  path: string;
  /** The client's query, passed on (see forwardableQuery). */
  query?: URLSearchParams;
  /** The client's body bytes and content type, passed on as is. */
  body?: Buffer;
  contentType?: string;
  token: string;
}

/** Meta's answer, read whole: status, content type and body bytes (the token, were it in them, redacted). */
export interface GraphAnswer {
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

/** A call to Meta that failed before Meta answered: the gateway's own 502 or 504. */
export class UpstreamFailure extends Error {
  constructor(readonly answer: GatewayError) {
    super(answer.body.error.message);
  }
}

/** Meta too slow to answer (or stalled mid-answer); a connection that could not even be opened in time is "unreachable". */
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Meta unreachable (refused, reset, DNS, connect timeout) is a 502; Meta too slow a 504, which after a change says it may have happened. */
export function upstreamFailureOf(error: unknown, what: string, timeoutMs: number, changes: boolean): GatewayError {
  if (error instanceof UpstreamFailure) return error.answer;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && TIMEOUT_CODES.has(code) ? graphErrors.timeout(what, timeoutMs, changes) : graphErrors.unreachable(what);
}

/** Meta answers never carry the token, but a body that did must not hand it to the client. */
export function withoutToken(body: Buffer, token: string): Buffer {
  if (token.length < 8 || !body.includes(token)) return body;
  return Buffer.from(body.toString('utf8').split(token).join('[redacted]'));
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The ingress's one connection pool to Meta's Graph API for the calls it passes through itself (no
 * send job, no worker): templates, business profile, phone number and WABA nodes, media. Every call
 * carries the stack's token, which never comes from or goes back to the client; every failure before
 * Meta answered becomes the gateway's 502 or 504 (UpstreamFailure), every call is counted by endpoint.
 */
export class GraphUpstream {
  readonly #agent: Agent;
  readonly #base: string;
  /** Meta's base and version, for rewriting the paging links Meta answers with. */
  readonly metaPrefix: string;

  constructor(readonly options: GraphUpstreamOptions) {
    this.#base = options.baseUrl.replace(/\/+$/, '');
    this.metaPrefix = `${this.#base}/${options.version}/`;
    this.#agent = new Agent({ keepAliveTimeout: 30_000, connections: 256, connect: { timeout: Math.min(options.timeoutMs, 3_000) } });
  }

  get version(): string {
    return this.options.version;
  }

  /** The gateway's 502 or 504 for an error of a call to Meta (or of reading its answer), in Meta's format. */
  failureOf(error: unknown, what: string, method = 'GET'): GatewayError {
    return upstreamFailureOf(error, what, this.options.timeoutMs, method !== 'GET');
  }

  /** A call whose answer is a small document, read whole within GRAPH_PASSTHROUGH_TIMEOUT_MS. */
  json(endpoint: string, call: GraphCall, what: string): Promise<GraphAnswer> {
    const query = call.query?.toString();
    const hasBody = call.body !== undefined && call.body.length > 0;
    return this.#send(
      endpoint,
      `${this.metaPrefix}${call.path}${query ? `?${query}` : ''}`,
      {
        method: call.method,
        headers: { authorization: `Bearer ${call.token}`, ...(hasBody ? { 'content-type': call.contentType ?? 'application/json' } : {}) },
        body: hasBody ? call.body : undefined,
      },
      what,
      { headersTimeout: this.options.timeoutMs, bodyTimeout: this.options.timeoutMs },
      (response) => this.#readWhole(response, call.token),
    );
  }

  /** A streamed upload to `path` (after the version): the body is a stream the caller writes (and destroys to abort); Meta's answer is read whole. */
  upload(endpoint: string, path: string, token: string, contentType: string, body: Readable, what: string): Promise<GraphAnswer> {
    return this.#send(
      endpoint,
      `${this.metaPrefix}${path}`,
      { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body },
      what,
      { headersTimeout: this.options.idleTimeoutMs, bodyTimeout: this.options.idleTimeoutMs },
      (response) => this.#readWhole(response, token),
    );
  }

  /** The bytes behind a download URL Meta gave (it needs the token too), streamed: the caller reads or destroys the body. */
  download(endpoint: string, url: string, token: string, what: string): Promise<Dispatcher.ResponseData> {
    return this.#send(
      endpoint,
      url,
      { method: 'GET', headers: { authorization: `Bearer ${token}` } },
      what,
      { headersTimeout: this.options.timeoutMs, bodyTimeout: this.options.idleTimeoutMs },
      (response) => Promise.resolve(response),
    );
  }

  close(): Promise<void> {
    return this.#agent.close();
  }

  async #readWhole(response: Dispatcher.ResponseData, token: string): Promise<GraphAnswer> {
    const body = Buffer.from(await response.body.arrayBuffer());
    return { status: response.statusCode, contentType: headerOf(response.headers['content-type']), body: withoutToken(body, token) };
  }

  /** Sends, then `read`s the answer (whole, or only its headers for a stream); a failure of either is the gateway's 502/504. */
  async #send<T>(
    endpoint: string,
    url: string,
    options: Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'headersTimeout' | 'bodyTimeout'>,
    what: string,
    timeouts: { headersTimeout: number; bodyTimeout: number },
    read: (response: Dispatcher.ResponseData) => Promise<T>,
  ): Promise<T> {
    const target = new URL(url);
    const started = performance.now();
    const observe = (outcome: string) => this.options.onCall?.({ endpoint, outcome, ms: Math.round((performance.now() - started) * 100) / 100 });
    try {
      const response = await this.#agent.request({ ...options, ...timeouts, origin: target.origin, path: `${target.pathname}${target.search}` });
      const result = await read(response);
      observe(`${Math.floor(response.statusCode / 100)}xx`);
      return result;
    } catch (error) {
      const failure = upstreamFailureOf(error, what, timeouts.headersTimeout, options.method !== 'GET');
      observe(failure.status === 504 ? 'timeout' : 'unreachable');
      throw new UpstreamFailure(failure);
    }
  }
}
