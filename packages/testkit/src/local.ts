import {
  type FaultOptions,
  type LocalServer,
  type LocalServerOptions,
  startLocalServer,
} from '@fluxrate/local';
import { onCleanup } from './cleanup.js';

/** A local Fluxrate server closed after the current test. */
export async function startLocal(options: LocalServerOptions = {}): Promise<LocalServer> {
  const server = await startLocalServer(options);
  onCleanup(() => server.close());
  return server;
}

export const METER_NAMES = ['api_calls', 'tokens', 'active_users'] as const;
export type Meter = (typeof METER_NAMES)[number];

/**
 * A local Fluxrate with the three meters the cross-package test apps bill: two SUM meters and a
 * UNIQUE_COUNT one. The caller closes it (suites share one across tests).
 */
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

/** The tracker's `meters` option for a server from `startFluxrate`. */
export const metersOf = (fx: LocalServer) => ({
  api_calls: fx.meters.api_calls!.token,
  tokens: fx.meters.tokens!.token,
  active_users: { token: fx.meters.active_users!.token, aggregation: 'UNIQUE_COUNT' as const },
});

/** The total quantity a local server stored for one meter. */
export const storedQuantity = (fx: LocalServer, meter = 'api_calls'): number =>
  fx.events({ meter }).reduce((total, e) => total + Number(e.quantity), 0);

/** A tracker option set pointed at a local server's `api_calls` meter, with fast retries. */
export const localApiCalls = (fx: LocalServer) => ({
  apiKey: fx.apiKey,
  baseUrl: fx.url,
  meters: { api_calls: fx.meters.api_calls!.token },
  retry: { minTimeout: 5, maxTimeout: 20 },
});
