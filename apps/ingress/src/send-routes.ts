import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { gatewayErrors, messagePayloadIssue, SEND_ENDPOINTS, type SendEndpoint } from '@gw/contracts';
import { tenantOf, type StackDirectory } from '@gw/config';
import { requireStack } from './auth.ts';
import { sendGatewayError } from './http-errors.ts';
import type { DispatchResult, SendDispatcher } from './send-dispatcher.ts';
import type { StackLimits } from './stack-limits.ts';

const GRAPH_VERSION = /^v\d+\.\d+$/;

export interface SendRoutesDeps {
  stacks: StackDirectory;
  dispatcher: SendDispatcher;
  bodyLimit: string;
  /** Per-stack rate and in-flight limits; absent: none. */
  limits?: StackLimits;
}

/** The worker's answer as Meta gave it, plus the gateway's headers, in one write (the hot path skips Express's response helpers). */
function writeResult(res: Response, result: DispatchResult): void {
  const text = typeof result.body === 'string';
  // 204 and 304 carry no body (HTTP forbids one).
  const body = result.status === 204 || result.status === 304 ? '' : text ? (result.body as string) : JSON.stringify(result.body ?? null);
  const headers: Record<string, string> = { 'x-gateway-route-reason': result.reason };
  if (body) {
    headers['content-type'] = text ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  if (result.route !== 'none') headers['x-gateway-route'] = result.route;
  if (result.jobId) headers['x-gateway-job-id'] = result.jobId;
  if (result.mmErrorCode !== undefined) headers['x-gateway-mm-error-code'] = String(result.mmErrorCode);
  if (result.replayed) headers['x-gateway-idempotent-replay'] = 'true';
  res.writeHead(result.status, headers).end(body);
}

/** Which send route a path is: its endpoint, the path parameters and the route's pattern (the metrics label). */
export interface SendRouteMatch {
  endpoint: SendEndpoint;
  params: { version?: string; phoneNumberId?: string };
  pattern: string;
}

const SEND_PATH = new RegExp(`^/(?:([^/]+)/([^/]+)/)?(${SEND_ENDPOINTS.join('|')})/?$`, 'i');

/**
 * The send route a request's method and URL name, matched as Express's router matches the routes
 * `sendRoutes` registers (case-insensitive, an optional trailing slash, parameters URL-decoded,
 * a Graph version only); undefined for anything else, including a parameter that does not decode.
 */
export function matchSendRoute(method: string | undefined, url: string | undefined): SendRouteMatch | undefined {
  if (method !== 'POST' || url === undefined) return undefined;
  const query = url.indexOf('?');
  const match = SEND_PATH.exec(query === -1 ? url : url.slice(0, query));
  if (!match) return undefined;
  const endpoint = match[3]!.toLowerCase() as SendEndpoint;
  if (match[1] === undefined) return { endpoint, params: {}, pattern: `/${endpoint}` };
  let version: string;
  let phoneNumberId: string;
  try {
    version = decodeURIComponent(match[1]);
    phoneNumberId = decodeURIComponent(match[2]!);
  } catch {
    return undefined;
  }
  if (!GRAPH_VERSION.test(version)) return undefined;
  return { endpoint, params: { version, phoneNumberId }, pattern: `/:version/:phoneNumberId/${endpoint}` };
}

export interface SendRoutes {
  /** The routes as Express registers them: the route table (OpenAPI, metrics labels) and what serves a send the fast path does not. */
  router: Router;
  /** The handlers of one send route, in order (authentication, limits, body, send), for the fast path. */
  handlersOf(endpoint: SendEndpoint): RequestHandler[];
}

/** `/messages`, `/marketing_messages`, `/messages_encrypted` and their Graph-compatible twins. */
export function sendRoutes({ stacks, dispatcher, bodyLimit, limits }: SendRoutesDeps): SendRoutes {
  const router = Router();
  // Any content type is read as JSON: some clients omit the header, Meta accepts them.
  // Parsed only after authentication, and only on these routes.
  const json = express.json({ limit: bodyLimit, type: () => true, strict: false });

  // Not async: the dispatch's promise is returned, so no frame of this handler is held while the send is in flight.
  const handle = (endpoint: SendEndpoint) => (req: Request, res: Response) => {
    const { phoneNumberId } = req.params as { phoneNumberId?: string };
    const stack = res.locals.stack;
    if (phoneNumberId !== undefined && phoneNumberId !== stack.phoneNumberId) {
      return sendGatewayError(res, gatewayErrors.wrongPhoneNumber(phoneNumberId));
    }
    if (req.body === undefined || req.body === null || typeof req.body !== 'object' || Array.isArray(req.body)) {
      return sendGatewayError(res, gatewayErrors.invalidParameter('The request body must be a JSON object.'));
    }
    // An encrypted send is a JWE the gateway cannot read: nothing in it is routed, so nothing is validated.
    // The schema only checks (it transforms nothing): the client's own object goes on, its keys in its order, with no copy.
    const payload = req.body as Record<string, unknown>;
    const issue = endpoint === 'messages_encrypted' ? undefined : messagePayloadIssue(payload);
    if (issue !== undefined) return sendGatewayError(res, gatewayErrors.invalidParameter(issue));
    const idempotencyKey = req.get('idempotency-key');
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 255)) {
      return sendGatewayError(res, gatewayErrors.invalidParameter('Idempotency-Key must be 1 to 255 characters.'));
    }
    return dispatcher.dispatch({ stackId: stack.id, tenant: tenantOf(stack), endpoint, payload, idempotencyKey }).then((result) => writeResult(res, result));
  };

  const auth = requireStack(stacks);
  // Before the body is read: a stack over its limits costs no parsing and nothing in Redis.
  const limited: RequestHandler = (_req, res, next) => {
    if (!limits) return next();
    const stack = res.locals.stack;
    const admission = limits.admit(tenantOf(stack), stack.messagesPerSecond);
    if (!admission.ok) {
      const details =
        admission.reason === 'rate'
          ? `Stack ${stack.id} is over the gateway's limit of ${admission.limit} sends per second; nothing was sent. Retry later.`
          : `Stack ${stack.id} has ${admission.limit} sends in flight, the gateway's limit; nothing was sent. Retry when some are answered.`;
      res.set('retry-after', String(admission.retryAfterSeconds));
      return sendGatewayError(res, gatewayErrors.stackLimit(details, admission.retryAfterSeconds));
    }
    res.on('close', admission.release);
    next();
  };
  // `/{not a Graph version}/x/messages` is not a send route: leave it to the other routers (then 404).
  const graphVersion: RequestHandler = (req, _res, next) => next(GRAPH_VERSION.test(String(req.params.version)) ? undefined : 'route');
  const handlers = new Map(SEND_ENDPOINTS.map((endpoint) => [endpoint, [auth, limited, json, handle(endpoint)]]));
  for (const endpoint of SEND_ENDPOINTS) {
    router.post(`/${endpoint}`, ...handlers.get(endpoint)!);
    router.post(`/:version/:phoneNumberId/${endpoint}`, graphVersion, ...handlers.get(endpoint)!);
  }
  return { router, handlersOf: (endpoint) => handlers.get(endpoint)! };
}
