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

/**
 * `logger.child(bindings)`, made on first use. A child costs a redaction pass over its bindings; a hot
 * path that gives every unit of work its own logger but rarely logs through it (a send logs a warning
 * only when something goes wrong) pays that only when it does.
 */
export function lazyChild(logger: Logger, bindings: Record<string, unknown>): Logger {
  return new Proxy(logger, new LazyChild(bindings));
}

/** lazyChild's proxy handler: an object, not closures, since a hot path keeps one per unit of work in flight. */
class LazyChild implements ProxyHandler<Logger> {
  private child: Logger | undefined;

  constructor(private readonly bindings: Record<string, unknown>) {}

  get(target: Logger, key: string | symbol): unknown {
    this.child ??= target.child(this.bindings);
    const value: unknown = Reflect.get(this.child, key, this.child);
    return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(this.child) : value;
  }
}
