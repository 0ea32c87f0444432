import type { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import type { GatewayError } from '@gw/contracts';
import { mediaErrors } from './media-errors.ts';

export interface GraphUpstreamOptions {
  /** META_GRAPH_URL, without a trailing slash. */
  baseUrl: string;
  /** Longest wait for Meta's answer to a metadata or delete call. */
  timeoutMs: number;
  /** Longest pause in an upload or download (and wait for the answer's headers once the upload is sent). */
  idleTimeoutMs: number;
  /** Each call's time to Meta's answer (headers) and its outcome, for `gateway_meta_request_duration_seconds`. */
  onCall?: (call: { endpoint: MediaEndpoint; outcome: string; ms: number }) => void;
}

/** The metric's `endpoint` of each kind of call. */
export type MediaEndpoint = 'graph_media_upload' | 'graph_media' | 'graph_media_download';

/** A call to Meta that failed before Meta answered: the gateway's own 502 or 504. */
export class UpstreamFailure extends Error {
  constructor(readonly answer: GatewayError) {
    super(answer.body.error.message);
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** Meta unreachable (refused, reset, DNS) is a 502; Meta too slow a 504. */
export function upstreamFailureOf(error: unknown, what: string, timeoutMs: number): GatewayError {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && TIMEOUT_CODES.has(code) ? mediaErrors.upstreamTimeout(what, timeoutMs) : mediaErrors.upstreamUnreachable(what);
}

/**
 * The ingress's own connection pool to Meta's Graph API for the pass-through calls (no send job, no
 * worker): every call carries the stack's token, which never comes from or goes back to the client.
 */
export class GraphUpstream {
  readonly #agent = new Agent({ keepAliveTimeout: 30_000, connections: 256 });

  constructor(readonly options: GraphUpstreamOptions) {}

  /** A Graph call (`path` like `/v24.0/123?phone_number_id=4`) answered within GRAPH_TIMEOUT_MS. */
  call(method: 'GET' | 'DELETE', path: string, token: string, what: string): Promise<Dispatcher.ResponseData> {
    return this.#send('graph_media', `${this.options.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${token}` } }, what, this.options.timeoutMs);
  }

  /** A streamed upload: the body is a stream the caller writes (and destroys to abort). */
  upload(path: string, token: string, contentType: string, body: Readable, what: string): Promise<Dispatcher.ResponseData> {
    return this.#send(
      'graph_media_upload',
      `${this.options.baseUrl}${path}`,
      { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body },
      what,
      this.options.idleTimeoutMs,
    );
  }

  /** The bytes behind a download URL Meta gave (it needs the token too), streamed. */
  download(url: string, token: string, what: string): Promise<Dispatcher.ResponseData> {
    return this.#send('graph_media_download', url, { method: 'GET', headers: { authorization: `Bearer ${token}` } }, what, this.options.timeoutMs);
  }

  close(): Promise<void> {
    return this.#agent.close();
  }

  async #send(
    endpoint: MediaEndpoint,
    url: string,
    options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'>,
    what: string,
    headersTimeout: number,
  ): Promise<Dispatcher.ResponseData> {
    const target = new URL(url);
    const started = performance.now();
    const observe = (outcome: string) => this.options.onCall?.({ endpoint, outcome, ms: performance.now() - started });
    try {
      const response = await this.#agent.request({
        ...options,
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        headersTimeout,
        bodyTimeout: this.options.idleTimeoutMs,
      });
      observe(`${Math.floor(response.statusCode / 100)}xx`);
      return response;
    } catch (error) {
      const failure = upstreamFailureOf(error, what, headersTimeout);
      observe(failure.status === 504 ? 'timeout' : 'unreachable');
      throw new UpstreamFailure(failure);
    }
  }
}
