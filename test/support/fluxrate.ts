import { createTracker, type Tracker, type TrackerOptions } from '@fluxrate/core';
import { type FaultOptions, type LocalServer, startLocalServer } from '@fluxrate/local';

export const METER_NAMES = ['api_calls', 'tokens', 'active_users'] as const;
export type Meter = (typeof METER_NAMES)[number];

/** A local Fluxrate with the three meters the test apps bill: two SUM meters and a UNIQUE_COUNT one. */
export function startFluxrate(faults?: FaultOptions, seed = 42): Promise<LocalServer> {
  return startLocalServer({
    meters: {
      api_calls: { aggregation: 'SUM' },
      tokens: { aggregation: 'SUM' },
      active_users: { aggregation: 'UNIQUE_COUNT' },
    },
    ...(faults ? { faults } : {}),
    seed,
  });
}

/** The tracker's `meters` option for a local server. */
export const metersOf = (fx: LocalServer) => ({
  api_calls: fx.meters.api_calls!.token,
  tokens: fx.meters.tokens!.token,
  active_users: { token: fx.meters.active_users!.token, aggregation: 'UNIQUE_COUNT' as const },
});

/** A tracker pointed at the local server with short retry timings. */
export function trackerFor(fx: LocalServer, options: Partial<TrackerOptions<Meter>> = {}): Tracker<Meter> {
  return createTracker<Meter>({
    apiKey: fx.apiKey,
    baseUrl: fx.url,
    meters: metersOf(fx),
    retry: { minTimeout: 20, maxTimeout: 500 },
    ...options,
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
