import type { Response } from 'express';
import type { GraphAnswer } from './graph-upstream.ts';

/**
 * The client's side of a passed-through Graph call (templates, profile, nodes, media); the call to
 * Meta itself is GraphUpstream's (graph-upstream.ts).
 */

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

/** The query of the client's request, ready to pass on (see forwardableQuery). */
export function forwardableQueryOf(originalUrl: string): URLSearchParams {
  return forwardableQuery(new URL(originalUrl, 'http://gateway.invalid').searchParams);
}

/** Meta's answer as Meta gave it: status, content type and body bytes. */
export function writeGraphAnswer(res: Response, answer: GraphAnswer, body: Buffer = answer.body): void {
  if (answer.contentType) res.set('content-type', answer.contentType);
  res.status(answer.status).send(body);
}

/** The JSON document of an answer, or undefined when it is not one. */
export function jsonOf(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
