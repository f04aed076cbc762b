/** One line an app's logger was given at warn or error, and which logger got it. */
export interface LogLine {
  to: 'tracker' | 'framework';
  level: 'warn' | 'error';
  message: string;
  fields?: unknown;
}

/**
 * Loggers that record what they are told at warn or error: the tracker's `logger` option, and the
 * framework's own logger (a pino-like `loggerInstance` for Fastify, a `LoggerService` for Nest), so a
 * scenario sees where each problem went and how many times it was said.
 */
export class LogCapture {
  readonly lines: LogLine[] = [];

  readonly tracker = {
    warn: (fields: unknown, message?: string) => this.#add('tracker', 'warn', message, fields),
    error: (fields: unknown, message?: string) => this.#add('tracker', 'error', message, fields),
  };

  /** Fastify's `loggerInstance`: pino's shape, with `child()` returning itself. */
  fastify(): Record<string, unknown> {
    const text = (a: unknown, b: unknown) => (typeof a === 'string' ? a : String(b ?? ''));
    const silent = () => undefined;
    const logger: Record<string, unknown> = {
      level: 'info',
      fatal: (a: unknown, b?: unknown) => this.#add('framework', 'error', text(a, b)),
      error: (a: unknown, b?: unknown) => this.#add('framework', 'error', text(a, b)),
      warn: (a: unknown, b?: unknown) => this.#add('framework', 'warn', text(a, b)),
      info: silent,
      debug: silent,
      trace: silent,
      silent,
    };
    logger.child = () => logger;
    return logger;
  }

  /** Nest's `LoggerService`. */
  nest() {
    const silent = () => undefined;
    return {
      log: silent,
      debug: silent,
      verbose: silent,
      warn: (message: unknown) => this.#add('framework', 'warn', String(message)),
      error: (message: unknown) => this.#add('framework', 'error', String(message)),
      fatal: (message: unknown) => this.#add('framework', 'error', String(message)),
    };
  }

  #add(to: LogLine['to'], level: LogLine['level'], message: string | undefined, fields?: unknown): void {
    this.lines.push({ to, level, message: message ?? '', ...(fields === undefined ? {} : { fields }) });
  }
}
