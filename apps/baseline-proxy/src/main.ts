/**
 * The benchmark's baseline peer: the plainest honest proxy a team would write
 * instead of the gateway. Express 5 parses and authenticates the request, undici
 * forwards it over a keep-alive pool to one Graph endpoint, and the answer is
 * relayed. No queue, no Redis, no routing: what is left is the cost of a hop.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Pool } from 'undici';
import { z } from 'zod';
import { announceReady } from '@gw/process-tools';

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).default(8081),
  HOST: z.string().default('127.0.0.1'),
  /** Base URL of the Graph API (the simulator). */
  UPSTREAM_URL: z.string().url(),
  UPSTREAM_VERSION: z.string().default('v24.0'),
  /** Which Graph endpoint every /messages request goes to. */
  UPSTREAM_ENDPOINT: z.enum(['messages', 'marketing_messages']).default('marketing_messages'),
  PHONE_NUMBER_ID: z.string().regex(/^\d+$/),
  ACCESS_TOKEN: z.string().min(1),
  API_KEY: z.string().min(1),
  /** Connections to the upstream; unset: undici's default (no limit), as a team would leave it. */
  CONNECTIONS: z.coerce.number().int().min(1).optional(),
});

const env = envSchema.parse(process.env);
const upstream = new URL(env.UPSTREAM_URL);
// undici's defaults, but for a keep-alive as long as the gateway's.
const pool = new Pool(upstream.origin, { ...(env.CONNECTIONS ? { connections: env.CONNECTIONS } : {}), keepAliveTimeout: 30_000 });
const path = `${upstream.pathname.replace(/\/+$/, '')}/${env.UPSTREAM_VERSION}/${env.PHONE_NUMBER_ID}/${env.UPSTREAM_ENDPOINT}`;
const upstreamHeaders = { authorization: `Bearer ${env.ACCESS_TOKEN}`, 'content-type': 'application/json' };
const expectedAuth = `Bearer ${env.API_KEY}`;

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.use(express.json({ limit: '256kb', type: () => true }));
app.get('/healthz', (_req, res) => {
  res.json({ status: 'ok' });
});
app.post('/messages', async (req, res) => {
  if (req.get('authorization') !== expectedAuth) {
    res.status(401).json({ error: { message: 'unauthenticated', code: 190 } });
    return;
  }
  try {
    const answer = await pool.request({ method: 'POST', path, headers: upstreamHeaders, body: JSON.stringify(req.body) });
    const text = await answer.body.text();
    res.status(answer.statusCode).type('application/json').send(text);
  } catch (error) {
    res.status(502).json({ error: { message: `upstream: ${(error as Error).message}` } });
  }
});

// The same listen backlog as the gateway's ingress (Node's default is 511).
const server = app.listen(env.PORT, env.HOST, 4096, (error?: Error) => {
  // Express 5 hands a listen error (a taken PORT) to this callback: exit rather than announce a port someone else answers on.
  if (error) {
    process.stderr.write(`baseline proxy: cannot listen on ${env.HOST}:${env.PORT}: ${error.message}\n`);
    process.exit(1);
  }
  const { port } = server.address() as AddressInfo;
  announceReady({ port });
});
server.keepAliveTimeout = 65_000;

const shutdown = () => {
  server.close();
  server.closeIdleConnections();
  void pool.close().finally(() => process.exit(0));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
