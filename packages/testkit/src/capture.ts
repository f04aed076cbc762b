import type { Logger, Tracker, TrackerEventName, TrackerEvents } from '@fluxrate/core';

export interface LogCall {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: unknown;
  msg: string | undefined;
}

/** A pino-like logger at debug level that keeps every call; `text()` for searching them. */
export function captureLogger(): Logger & { calls: LogCall[]; text(): string } {
  const calls: LogCall[] = [];
  const at =
    (level: LogCall['level']) =>
    (obj: unknown, msg?: string): void => {
      calls.push({ level, obj, msg });
    };
  return {
    calls,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    text: () => calls.map((l) => `${l.level} ${serialize(l.obj)} ${l.msg ?? ''}`).join('\n'),
  };
}

export const EVENT_NAMES: TrackerEventName[] = [
  'delivered',
  'retry',
  'failed',
  'dropped',
  'skipped',
  'error',
  'drained',
  'coalesced',
];

export type Recorded = { [E in TrackerEventName]: TrackerEvents[E][] };

/** Records every payload of every tracker event, by event name. */
export function record(t: Tracker<any>): Recorded {
  const out = Object.fromEntries(EVENT_NAMES.map((name) => [name, []])) as unknown as Recorded;
  for (const name of EVENT_NAMES) t.on(name, (payload) => (out[name] as unknown[]).push(payload));
  return out;
}

/** Records every payload the tracker emits, in order, with its event name. */
export function captureEvents(t: Tracker<any>): { name: TrackerEventName; payload: unknown }[] {
  const seen: { name: TrackerEventName; payload: unknown }[] = [];
  for (const name of EVENT_NAMES) t.on(name, (payload: unknown) => seen.push({ name, payload }));
  return seen;
}

/** JSON with Errors expanded (message, stack, cause) so a secret inside one is visible to a search. */
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
