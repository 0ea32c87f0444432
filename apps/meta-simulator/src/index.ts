import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createLogger, type Logger } from '@gw/logger';
import express from 'express';
import { controlRouter } from './control/router.ts';
import { MediaStore } from './graph/media-store.ts';
import { ParkedResponses } from './graph/parked.ts';
import { graphRouter } from './graph/router.ts';
import { sendMetaError, unknownPath } from './meta-errors.ts';
import { type Seed, seedSchema } from './seed.ts';
import type { LatencyModel } from './state/latency.ts';
import { SimulatorState } from './state/state.ts';
import { Webhooks } from './webhooks/webhooks.ts';

export type { Seed } from './seed.ts';
export type { SimulatorState } from './state/state.ts';

export interface SimulatorOptions {
  seed?: Seed;
  appSecret: string;
  webhookUrl?: string;
  logger?: Logger;
  /** Latency of every send unless a fault sets one: log-normal by median and p99 (none by default). */
  sendLatency?: LatencyModel;
  /** How long a template created or edited through the Graph API stays PENDING before approval (default 100 ms). */
  templateReviewMs?: number;
}

export interface Simulator {
  app: express.Express;
  state: SimulatorState;
  /** Convenience for main.ts and tests; close() also closes this server. */
  listen(port: number, host?: string): Promise<{ server: Server; url: string }>;
  /** Back to the seed, like POST /_sim/reset. */
  reset(): void;
  /** Cancels webhooks, releases hung requests and closes the server from listen(). */
  close(): Promise<void>;
}

export function createSimulator(options: SimulatorOptions): Simulator {
  const logger = options.logger ?? createLogger({ name: 'meta-simulator', level: 'warn' });
  const state = new SimulatorState(seedSchema.parse(options.seed ?? {}), options.sendLatency);
  const webhooks = new Webhooks({ url: options.webhookUrl, appSecret: options.appSecret, logger });
  const parked = new ParkedResponses();
  const media = new MediaStore();
  const reset = () => {
    state.reset();
    webhooks.reset();
    media.clear();
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use('/_sim', controlRouter({ state, webhooks, media, reset }));
  app.use(graphRouter({ state, webhooks, parked, media, templateReviewMs: options.templateReviewMs ?? 100 }));
  app.use((req, res) => sendMetaError(res, unknownPath(req.path)));
  app.use(((error, _req, res, _next) => {
    logger.error({ err: error }, 'unhandled error');
    if (!res.headersSent) res.status(500).json({ error: 'internal simulator error' });
  }) as express.ErrorRequestHandler);

  let server: Server | undefined;
  return {
    app,
    state,
    reset,
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        // Thousands of connections may arrive at once (benchmarks): Node's default backlog is 511.
        const listening = app.listen(port, host, 4096, (error?: Error) => {
          if (error) return reject(error);
          server = listening;
          const { port: actual } = listening.address() as AddressInfo;
          resolve({ server: listening, url: `http://${host}:${actual}` });
        });
      });
    },
    async close() {
      parked.releaseAll();
      await webhooks.close();
      media.close();
      if (!server) return;
      const closing = server;
      server = undefined;
      await new Promise<void>((resolve) => {
        closing.close(() => resolve());
        closing.closeAllConnections();
      });
    },
  };
}
