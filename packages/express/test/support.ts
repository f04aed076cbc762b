import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTracker, type Tracker, type TrackerEvents } from '@fluxrate/core';
import { waitFor } from '@fluxrate/testkit';
import express from 'express';
import express4 from 'express4';
// @fluxrate/local is not a dependency of this package (see the report); import its sources directly.
import type { LocalServer } from '../../local/src/index.js';
import { fluxrateMiddleware } from '../src/index.js';
import type { FluxrateMiddleware, FluxrateMiddlewareOptions } from '../src/types.js';

type Meters = 'api_calls' | 'tokens';

/** Both majors, typed as Express 5 (the runtime API the tests use is the same in both). */
export const frameworks: [string, typeof express][] = [
  ['express 5', express],
  ['express 4', express4 as unknown as typeof express],
];

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function newTracker(fx: LocalServer): Tracker<Meters> {
  return createTracker({
    apiKey: fx.apiKey,
    baseUrl: fx.url,
    meters: { api_calls: fx.meters.api_calls!.token, tokens: fx.meters.tokens!.token },
    retry: { minTimeout: 5, maxTimeout: 20 },
  });
}

export interface Harness {
  app: express.Express;
  tracker: Tracker<Meters>;
  middleware: FluxrateMiddleware<Meters>;
  errors: TrackerEvents['error'][];
  skipped: TrackerEvents['skipped'][];
  /** Resolves once `n` responses have ended (finished or aborted) and what they tracked has settled. */
  settled(n: number): Promise<void>;
}

/**
 * An app with fluxrateMiddleware() first, then a probe counting ended responses. The probe's `close`
 * listener is registered after the middleware's, so when it fires the request has been billed.
 */
export function harness(
  factory: typeof express,
  fx: LocalServer,
  options: Omit<FluxrateMiddlewareOptions<Meters>, 'tracker'> = {},
): Harness {
  const tracker = newTracker(fx);
  const middleware = fluxrateMiddleware<Meters>({
    tracker,
    customer: (req) => req.get('x-customer'),
    ...options,
  });
  const app = factory();
  let ended = 0;
  app.use(middleware);
  app.use((_req, res, next) => {
    res.on('close', () => ended++);
    next();
  });
  const errors: TrackerEvents['error'][] = [];
  const skipped: TrackerEvents['skipped'][] = [];
  tracker.on('error', (e) => errors.push(e));
  tracker.on('skipped', (e) => skipped.push(e));
  return {
    app,
    tracker,
    middleware,
    errors,
    skipped,
    async settled(n) {
      await waitFor(() => ended >= n, 5_000, `${n} responses to end`);
      await tracker.flush();
    },
  };
}

export async function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
