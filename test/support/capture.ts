import type { Logger, Tracker, TrackerEventName } from '@fluxrate/core';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: unknown;
  msg: string | undefined;
}

/** A pino-like logger at debug level that keeps every line it is given. */
export function capturingLogger(): Logger & { lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (obj: unknown, msg?: string): void => {
      lines.push({ level, obj, msg });
    };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    text: () => lines.map((l) => `${l.level} ${serialize(l.obj)} ${l.msg ?? ''}`).join('\n'),
  };
}

const EVENT_NAMES: TrackerEventName[] = [
  'delivered',
  'retry',
  'failed',
  'dropped',
  'skipped',
  'error',
  'drained',
];

/** Records every payload the tracker emits, by event name. */
export function captureEvents(tracker: Tracker<any>): { name: TrackerEventName; payload: unknown }[] {
  const seen: { name: TrackerEventName; payload: unknown }[] = [];
  for (const name of EVENT_NAMES) tracker.on(name, (payload: unknown) => seen.push({ name, payload }));
  return seen;
}

/** JSON with Errors expanded (message, stack, cause) so a secret inside one is visible to the search. */
export function serialize(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v instanceof Error) {
      return { name: v.name, message: v.message, stack: v.stack, cause: v.cause, ...(v as object) };
    }
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '[circular]';
      seen.add(v);
    }
    return v;
  });
}
