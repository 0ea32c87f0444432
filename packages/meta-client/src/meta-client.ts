import { Agent, type Dispatcher } from 'undici';

export type MetaEndpoint = 'messages' | 'marketing_messages' | 'messages_encrypted';

/** What one call to Meta produced. `not_sent` is safe to retry elsewhere; `timeout` is not. */
export type MetaCallResult =
  | { kind: 'response'; status: number; body: unknown; errorCode?: number; ms: number }
  | { kind: 'not_sent'; error: string; ms: number }
  | { kind: 'timeout'; error: string; ms: number };

export interface MetaClientOptions {
  baseUrl: string;
  version: string;
  /** How long to wait for Meta's response headers once the request is sent. */
  timeoutMs: number;
  connectTimeoutMs?: number;
  /** Connections per origin; unset: no limit, so only the sends in flight bound them. */
  connections?: number;
  /** Offer HTTP/2 (ALPN over TLS): sends share connections as streams. */
  http2?: boolean;
  /** Only for probes against a self-signed test server; never in the gateway. */
  tlsRejectUnauthorized?: boolean;
  /** Told about every call once it ended (latency metrics, per-send timings); must not throw. */
  onCall?: (call: MetaCallEvent) => void;
}

/** One finished call to Meta, for observers: never the token or the payload. */
export interface MetaCallEvent {
  endpoint: MetaEndpoint | 'message_templates' | 'waba';
  kind: MetaCallResult['kind'];
  status?: number;
  errorCode?: number;
  ms: number;
}

export interface TemplatePage {
  data: Array<{ id?: string; name: string; language: string; category?: string; status?: string }>;
  paging?: { cursors?: { after?: string }; next?: string };
}

/** Errors raised before any byte of the request reached Meta. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function errorCode(error: unknown): string {
  const e = error as { code?: string; cause?: { code?: string } };
  return e.cause?.code ?? e.code ?? 'UNKNOWN';
}

/** Milliseconds since `started` (performance.now()), to a hundredth. */
const msSince = (started: number) => Math.round((performance.now() - started) * 100) / 100;

export function metaErrorCode(body: unknown): number | undefined {
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * The handler of one exchange (`exchange` below): collects the status and the body's bytes. An object whose methods
 * are its class's, not closures: every send in flight holds one.
 */
class ResponseReader implements Dispatcher.DispatchHandler {
  private status = 0;
  private readonly chunks: Buffer[] = [];

  constructor(
    private readonly resolve: (response: { status: number; text: string }) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  onRequestStart(): void {}

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    const { chunks } = this;
    this.resolve({ status: this.status, text: (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8') });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.reject(error);
  }
}

export function createMetaClient(options: MetaClientOptions) {
  const baseUrl = new URL(options.baseUrl);
  const { origin } = baseUrl;
  const prefix = `${baseUrl.pathname.replace(/\/+$/, '')}/${options.version}/`;
  const agent = new Agent({
    // No fixed cap: at Meta's 100-500 ms a number at 1,000 msg/s has hundreds of sends in flight.
    ...(options.connections ? { connections: options.connections } : {}),
    // undici runs at most `pipelining` requests at once on a connection, HTTP/2 streams included.
    ...(options.http2 ? { allowH2: true, pipelining: 100 } : {}),
    keepAliveTimeout: 30_000,
    connect: { timeout: options.connectTimeoutMs ?? 3_000, ...(options.tlsRejectUnauthorized === false ? { rejectUnauthorized: false } : {}) },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });

  /**
   * One HTTP exchange through the agent's `dispatch` (origin and path prefix parsed once, above): the status and
   * the body's text. undici's top-level `request(url)` parsed the URL of every call and gave every answer a body
   * stream: 64 against 42 µs of CPU per call (`scripts/bench/meta-client-cpu.ts`, docs/performance.md). Errors
   * (a refused connection, a timeout) reject as they would there.
   */
  function exchange(request: Dispatcher.DispatchOptions): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      agent.dispatch(request, new ResponseReader(resolve, reject));
    });
  }

  /** One call to Meta and what it produced, told to `onCall`. One async frame: every send in flight holds it while Meta answers. */
  async function call(endpoint: MetaCallEvent['endpoint'], method: 'GET' | 'POST', path: string, token: string, body?: unknown): Promise<MetaCallResult> {
    const started = performance.now();
    let result: MetaCallResult;
    try {
      const response = await exchange({
        origin,
        path: prefix + path,
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        // undici multiplexes a POST on HTTP/2 only when told it is idempotent; it then also re-dispatches
        // streams cut by a GOAWAY, so a send may reach Meta twice. Hence META_HTTP2 is off by default.
        ...(options.http2 ? { idempotent: true } : {}),
      });
      const { text } = response;
      let parsed: unknown = text;
      try {
        parsed = text.length ? JSON.parse(text) : null;
      } catch {
        // Non-JSON (an HTML error page from a proxy): keep the text so it is visible.
      }
      result = { kind: 'response', status: response.status, body: parsed, errorCode: metaErrorCode(parsed), ms: msSince(started) };
    } catch (error) {
      const code = errorCode(error);
      // Anything but a refused connection is ambiguous, like a timeout: a socket closed mid-request may have reached Meta.
      result = { kind: NOT_SENT_CODES.has(code) ? 'not_sent' : 'timeout', error: code, ms: msSince(started) };
    }
    options.onCall?.({
      endpoint,
      kind: result.kind,
      ms: result.ms,
      ...(result.kind === 'response' ? { status: result.status, errorCode: result.errorCode } : {}),
    });
    return result;
  }

  return {
    send(endpoint: MetaEndpoint, phoneNumberId: string, token: string, payload: unknown) {
      return call(endpoint, 'POST', `${encodeURIComponent(phoneNumberId)}/${endpoint}`, token, payload);
    },
    listTemplates(wabaId: string, token: string, query: { after?: string; limit?: number; fields?: string }) {
      const params = new URLSearchParams({ fields: query.fields ?? 'name,language,category,status', limit: String(query.limit ?? 100) });
      if (query.after) params.set('after', query.after);
      return call('message_templates', 'GET', `${encodeURIComponent(wabaId)}/message_templates?${params}`, token);
    },
    /** `GET /{waba_id}?fields=disable_marketing_messages_on_cloud_api` (April 2026). */
    wabaSettings(wabaId: string, token: string) {
      return call('waba', 'GET', `${encodeURIComponent(wabaId)}?fields=disable_marketing_messages_on_cloud_api`, token);
    },
    close: () => agent.close(),
  };
}

export type MetaClient = ReturnType<typeof createMetaClient>;
