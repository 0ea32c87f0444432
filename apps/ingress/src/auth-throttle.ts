import type { Request, Response } from 'express';
import { gatewayErrors } from '@gw/contracts';
import { sendGatewayError } from './http-errors.ts';

export interface AuthThrottleOptions {
  /** Failed authentications one client may make per window. */
  limit: number;
  windowMs: number;
}

interface Window {
  start: number;
  failures: number;
}

/** A bound on the clients remembered; past it the oldest windows go first. */
const MAX_CLIENTS = 100_000;

/**
 * Failed authentication per client (API keys, the admin token, the login form):
 * past `limit` failures in a window, every attempt of that client is refused
 * with a 429 until the window ends, right or wrong (so guessing learns nothing).
 * Counted per ingress process; the client is `req.ip` (see TRUST_PROXY).
 */
export class AuthThrottle {
  private readonly windows = new Map<string, Window>();

  constructor(private options: AuthThrottleOptions) {}

  configure(options: AuthThrottleOptions): void {
    this.options = options;
    this.windows.clear();
  }

  /** No client has failed lately: nobody is throttled (and no client address needs working out). */
  get quiet(): boolean {
    return this.windows.size === 0;
  }

  /** Seconds until `client` may try again; 0 when it may now. */
  blockedFor(client: string, now = Date.now()): number {
    const window = this.windows.get(client);
    if (!window) return 0;
    const ends = window.start + this.options.windowMs;
    if (ends <= now) {
      this.windows.delete(client);
      return 0;
    }
    return window.failures >= this.options.limit ? Math.ceil((ends - now) / 1000) : 0;
  }

  failed(client: string, now = Date.now()): void {
    let window = this.windows.get(client);
    if (!window || window.start + this.options.windowMs <= now) {
      if (window) this.windows.delete(client);
      window = { start: now, failures: 0 };
      if (this.windows.size >= MAX_CLIENTS) this.windows.delete(this.windows.keys().next().value!);
      this.windows.set(client, window);
    }
    window.failures += 1;
  }
}

/** The ingress's one throttle of failed authentication; main configures it from the environment. */
export const authThrottle = new AuthThrottle({ limit: 20, windowMs: 60_000 });

const clientOf = (req: Request) => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/** Answers 429 and returns true when the client is throttled; call before checking credentials. */
export function refuseThrottled(req: Request, res: Response): boolean {
  // req.ip runs proxy-addr over the forwarding headers: about 1 % of the ingress's CPU per send.
  if (authThrottle.quiet) return false;
  const wait = authThrottle.blockedFor(clientOf(req));
  if (wait === 0) return false;
  res.set('retry-after', String(wait));
  sendGatewayError(res, gatewayErrors.authThrottled(wait));
  return true;
}

/** Counts a failed authentication of this request's client. */
export function authFailed(req: Request): void {
  authThrottle.failed(clientOf(req));
}
