import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths whose values must never reach a log line: tokens, keys, secrets and the
 * phone numbers of message recipients.
 */
export const REDACTED_PATHS = [
  'accessToken',
  'apiKey',
  'webhookSecret',
  'appSecret',
  'token',
  'to',
  '*.accessToken',
  '*.apiKey',
  '*.webhookSecret',
  '*.appSecret',
  '*.token',
  '*.to',
  '*.recipient_id',
  '*.wa_id',
  '*.input',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
];

export interface LoggerSettings {
  name: string;
  level?: string;
  /** A destination stream, for tests that capture log lines. */
  destination?: NodeJS.WritableStream;
}

export function createLogger({ name, level = 'info', destination }: LoggerSettings): Logger {
  const options: LoggerOptions = {
    name,
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}
