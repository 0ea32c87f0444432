import { IncomingMessage, ServerResponse, type RequestListener, type ServerOptions } from 'node:http';
import type { ErrorRequestHandler, Express, NextFunction, Request, RequestHandler, Response } from 'express';
import { SEND_ENDPOINTS } from '@gw/contracts';
import { matchSendRoute, type SendRoutes } from './send-routes.ts';

export interface SendFastPathOptions {
  /** Run first for every send, as the app runs them (the request timing). */
  before: RequestHandler[];
  sends: SendRoutes;
  /** The app's error handler: a send's errors (body too large, bad JSON) get the same answers. */
  onError: ErrorRequestHandler;
}

/**
 * Runs the handlers in order, Express's way: `next(error)` and a throw or a rejection go to onError (none of them
 * skips a route). An object with bound methods rather than closures: every send in flight holds its chain.
 */
class HandlerChain {
  private at = 0;
  private readonly next: NextFunction = this.step.bind(this);
  private readonly rejected = this.fail.bind(this);

  constructor(
    private readonly handlers: RequestHandler[],
    private readonly req: Request,
    private readonly res: Response,
    private readonly onError: ErrorRequestHandler,
  ) {}

  run(): void {
    this.step();
  }

  private step(error?: unknown): void {
    if (error) {
      this.onError(error, this.req, this.res, () => undefined);
      return;
    }
    const handler = this.handlers[this.at++];
    if (!handler) return;
    try {
      const settled = handler(this.req, this.res, this.next);
      if (settled instanceof Promise) settled.catch(this.rejected);
    } catch (thrown) {
      this.step(thrown);
    }
  }

  private fail(thrown: unknown): void {
    this.step(thrown ?? new Error('handler rejected'));
  }
}

/**
 * The ingress's HTTP server options and request listener: the send routes straight to their handlers,
 * everything else to the Express app. Express's router walks its layers and matches patterns on every step
 * of every request, about a tenth of the ingress's CPU per send (docs/performance.md); here a send is matched
 * once (`matchSendRoute`, as the router would) and runs the same handlers on Express's request and response,
 * so answers, errors, limits and metrics are the app's own. The routes stay registered in the app: the route
 * table, and the path of any request the match declines (a parameter that does not decode, a version that is
 * not Graph's).
 *
 * The server's requests and responses are born with the app's prototypes (`serverOptions`): Express gives a
 * plain request its prototype with `Object.setPrototypeOf` on every request, which costs the call and leaves
 * the object's later property reads and writes slower (Node's stream and event code runs on it throughout).
 */
export function withSendFastPath(app: Express, { before, sends, onError }: SendFastPathOptions): { serverOptions: ServerOptions; listener: RequestListener } {
  class AppRequest extends IncomingMessage {}
  Object.setPrototypeOf(AppRequest.prototype, app.request);
  class AppResponse<R extends IncomingMessage = IncomingMessage> extends ServerResponse<R> {}
  Object.setPrototypeOf(AppResponse.prototype, app.response);
  const chains = new Map(SEND_ENDPOINTS.map((endpoint) => [endpoint, [...before, ...sends.handlersOf(endpoint)]]));
  const listener: RequestListener = (incoming, outgoing) => {
    const match = matchSendRoute(incoming.method, incoming.url);
    if (!match) return void app(incoming, outgoing);
    // What app.handle and its router give a request: Express's prototypes (from the server, or set here for
    // a server without them), locals, params, the route (the metrics label).
    const req = (incoming instanceof AppRequest ? incoming : Object.setPrototypeOf(incoming, app.request)) as Request;
    const res = (outgoing instanceof AppResponse ? outgoing : Object.setPrototypeOf(outgoing, app.response)) as Response;
    req.res = res;
    res.req = req;
    res.locals = Object.create(null) as Response['locals'];
    req.originalUrl = req.url;
    req.baseUrl = '';
    req.params = match.params;
    req.route = { path: match.pattern };
    new HandlerChain(chains.get(match.endpoint)!, req, res, onError).run();
  };
  return { serverOptions: { IncomingMessage: AppRequest, ServerResponse: AppResponse }, listener };
}
