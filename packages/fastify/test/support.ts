import { createTracker, type Tracker, type TrackerEvents, type TrackerOptions } from '@fluxrate/core';
import { startFluxrate } from '@fluxrate/testkit';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach } from 'vitest';
// A relative import: @fluxrate/local is not a dependency of this package, so `tsc` could not resolve
// the bare name (vitest's alias could). Same sources either way.
import type { LocalServer } from '../../local/src/index.js';

const cleanups: Array<() => Promise<unknown>> = [];
/** One local server per test file (starting one per test costs more than the tests); reset between tests. */
let shared: Promise<LocalServer> | undefined;

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  if (shared) {
    const fx = await shared;
    if (fx.stats().suspended) await fx.resume();
    fx.reset();
  }
});

afterAll(async () => {
  await (await shared)?.close();
});

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const DEFAULT_KEY =
  /^req_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}_(api_calls|tokens)$/;

/** The file's local Fluxrate server on 127.0.0.1 (testkit's `startFluxrate`), empty at the start of each test. */
export function sharedFluxrate(): Promise<LocalServer> {
  shared ??= startFluxrate();
  return shared;
}

/** Tracker options pointing at the local server, with test-speed retries. */
export function trackerOptions(fx: LocalServer): TrackerOptions<'api_calls' | 'tokens'> {
  return {
    apiKey: fx.apiKey,
    baseUrl: fx.url,
    meters: { api_calls: fx.meters.api_calls!.token, tokens: fx.meters.tokens!.token },
    retry: { minTimeout: 5, maxTimeout: 20 },
  };
}

/** A tracker for the local server, shut down after the test. */
export function trackerFor(fx: LocalServer): Tracker<'api_calls' | 'tokens'> {
  const tracker = createTracker(trackerOptions(fx));
  cleanups.push(() => tracker.shutdown({ timeoutMs: 1_000 }));
  return tracker;
}

/** A Fastify app closed after the test. */
export function newApp(): FastifyInstance {
  const app = Fastify();
  cleanups.push(() => app.close());
  return app;
}

/** Collects a tracker event into an array. */
export function collect<M extends string, E extends keyof TrackerEvents>(
  tracker: Tracker<M>,
  name: E,
): TrackerEvents[E][] {
  const seen: TrackerEvents[E][] = [];
  tracker.on(name, (payload) => seen.push(payload));
  return seen;
}

/** Reads the customer from a header, as an auth layer would. */
export const customerHeader = (request: { headers: Record<string, unknown> }): string | undefined =>
  request.headers['x-customer'] as string | undefined;
