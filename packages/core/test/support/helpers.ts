import { afterEach } from 'vitest';
import {
  createTracker,
  type Logger,
  type Tracker,
  type TrackerEventName,
  type TrackerEvents,
  type TrackerOptions,
} from '../../src/index.js';
import { type ScriptedServer, type Step, startScriptedServer } from './scripted-server.js';

export const TOKEN = '11111111-2222-4333-8444-555555555555';
export const USERS_TOKEN = '66666666-7777-4888-9999-aaaaaaaaaaaa';
export const API_KEY = 'org_live_test_secret_key_0123456789';
/** Short timings so retries take milliseconds. */
export const FAST_RETRY = { minTimeout: 5, maxTimeout: 20 };

const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  const list = cleanups.splice(0).reverse();
  for (const cleanup of list) await cleanup().catch(() => undefined);
});

/** Registers a teardown run after the current test. */
export function onCleanup(fn: () => Promise<unknown>): void {
  cleanups.push(fn);
}

/** A scripted server closed after the current test. */
export async function scripted(
  steps?: Step[] | ((req: any, index: number) => Step),
): Promise<ScriptedServer> {
  const server = await startScriptedServer(steps);
  onCleanup(() => server.close());
  return server;
}

/** A tracker with test defaults (fast retries, the test meters), shut down after the current test. */
export function tracker(options: TrackerOptions<string> = {}): Tracker<string> {
  const t = createTracker<string>({
    apiKey: API_KEY,
    baseUrl: 'http://127.0.0.1:9',
    meters: { api_calls: TOKEN, users: { token: USERS_TOKEN, aggregation: 'UNIQUE_COUNT' } },
    retry: FAST_RETRY,
    ...options,
  });
  onCleanup(() => t.shutdown({ timeoutMs: 200 }));
  return t;
}

export interface LogCall {
  level: string;
  obj: unknown;
  msg: string | undefined;
}

/** A logger recording every call at every level. */
export function captureLogger(): Logger & { calls: LogCall[] } {
  const calls: LogCall[] = [];
  const at = (level: string) => (obj: unknown, msg?: string) => {
    calls.push({ level, obj, msg });
  };
  return { calls, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const ALL_EVENTS: TrackerEventName[] = [
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

/** Records every payload of every tracker event. */
export function record(t: Tracker<string>): Recorded {
  const out = Object.fromEntries(ALL_EVENTS.map((name) => [name, []])) as unknown as Recorded;
  for (const name of ALL_EVENTS) t.on(name, (payload) => (out[name] as unknown[]).push(payload));
  return out;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` returns true, or fails after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Runs `fn` and returns what it threw (fails when it does not throw). */
export function thrown(fn: () => unknown): any {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
