import type { Server } from 'node:http';
import type { Tracker, TrackerEvents } from '@fluxrate/core';
import type { LocalServer } from '@fluxrate/local';
import { metersOf, trackerFor, waitFor } from '@fluxrate/testkit';
import type { AppDef, Running } from './model.js';

/** `{ tracker }` (the test's own), or tracker options from which the adapter creates and owns one. */
export function trackerSource(fx: LocalServer, def: AppDef): Record<string, unknown> {
  if (!def.ownTracker) return { tracker: trackerFor(fx) };
  return {
    apiKey: fx.apiKey,
    baseUrl: fx.url,
    meters: metersOf(fx),
    retry: { minTimeout: 20, maxTimeout: 500 },
    ...(def.logs ? { logger: def.logs.tracker } : {}),
  };
}

/**
 * Counts ended responses on the raw server. The count moves a tick after the response's `close`, so
 * whatever the adapter billed on that response has been tracked by then.
 */
export function running(
  server: Server,
  url: string,
  tracker: Tracker<string>,
  close: () => Promise<void>,
): Running {
  let ended = 0;
  server.on('request', (_req, res) => res.once('close', () => setImmediate(() => ended++)));
  const errors: TrackerEvents['error'][] = [];
  const skipped: TrackerEvents['skipped'][] = [];
  tracker.on('error', (e) => errors.push(e));
  tracker.on('skipped', (e) => skipped.push(e));
  return {
    url,
    tracker,
    errors,
    skipped,
    async settled(n) {
      await waitFor(() => ended >= n, 5_000, `${n} responses to end (saw ${ended})`);
      await tracker.flush({ timeoutMs: 5_000 });
    },
    close,
  };
}
