import express, { type Request, type RequestHandler, type Response } from 'express';
import { errors, MetaError, metaError, sendMetaError } from '../meta-errors.ts';
import type { Endpoint, RequestRecord } from '../state/request-log.ts';
import type { SimulatorState } from '../state/state.ts';
import type { ParkedResponses } from './parked.ts';

export interface GraphReply {
  status: number;
  body: unknown;
}

export type GraphHandler = (req: Request, record: RequestRecord) => GraphReply | Promise<GraphReply>;

const VERSION = /^v\d+\.\d+$/;
/** Endpoints whose path id is a WABA (the request log files them by wabaId). */
const WABA_ENDPOINTS: ReadonlySet<Endpoint> = new Set(['message_templates', 'waba', 'template_manage']);
const jsonBody = express.json({ limit: '1mb' });

/** Parses JSON inside the pipeline so even unparseable requests are counted and logged. */
function parseBody(req: Request, res: Response): Promise<MetaError | undefined> {
  return new Promise((resolve) => {
    jsonBody(req, res, (error?: unknown) => {
      if (!error) return resolve(undefined);
      const tooLarge = (error as { type?: string }).type === 'entity.too.large';
      resolve(tooLarge ? metaError(413, 100, 'Invalid parameter', 'Request body exceeds 1 MB.') : errors.invalidParameter('Request body is not valid JSON.'));
    });
  });
}

/**
 * Every graph endpoint runs the same way: count and log the request, apply the
 * configured fault, then let the handler answer (or throw a MetaError).
 */
export function graphEndpoint(endpoint: Endpoint, deps: { state: SimulatorState; parked: ParkedResponses }, handler: GraphHandler): RequestHandler {
  const idField = WABA_ENDPOINTS.has(endpoint) ? 'wabaId' : 'phoneNumberId';
  return async (req, res, next) => {
    const { version, id } = req.params as { version?: string; id: string };
    if (version !== undefined && !VERSION.test(version)) return next();

    const parseError = await parseBody(req, res);
    const record = deps.state.log.start(endpoint, { [idField]: id, body: req.body ?? null });
    res.on('finish', () => {
      record.status = res.statusCode;
    });
    if (parseError) return sendMetaError(res, parseError);

    const fault = deps.state.faults.take(endpoint);
    if (fault.kind === 'hang') return deps.parked.hang(res);
    if (fault.delayMs > 0 && !(await deps.parked.delay(res, fault.delayMs))) return;
    if (fault.kind === 'fail') {
      return sendMetaError(res, metaError(fault.error.status, fault.error.code, fault.error.message));
    }

    try {
      const reply = await handler(req, record);
      res.status(reply.status).json(reply.body);
    } catch (error) {
      if (error instanceof MetaError) return sendMetaError(res, error);
      throw error;
    }
  };
}
