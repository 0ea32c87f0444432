import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { gatewayErrors, type GatewayError } from '@gw/contracts';
import type { Logger } from '@gw/logger';

export function sendGatewayError(res: Response, error: GatewayError): void {
  res.status(error.status).json(error.body);
}

export const notFound: RequestHandler = (req, res) => sendGatewayError(res, gatewayErrors.notFound(`${req.method} ${req.path}`));

/** Every error leaves as Meta's envelope: never an HTML page or a stack trace. */
export function errorHandler(logger: Logger, bodyLimit: string): ErrorRequestHandler {
  return (error: { type?: string; status?: number }, _req, res, _next) => {
    if (error.type === 'entity.parse.failed') return sendGatewayError(res, gatewayErrors.invalidJson());
    if (error.type === 'entity.too.large') return sendGatewayError(res, gatewayErrors.bodyTooLarge(bodyLimit));
    if (error.status && error.status >= 400 && error.status < 500) {
      return sendGatewayError(res, gatewayErrors.invalidParameter('The request could not be read.'));
    }
    logger.error({ err: error }, 'unhandled ingress error');
    sendGatewayError(res, gatewayErrors.internal());
  };
}
