import { createTracker, type Tracker, type TrackerOptions } from '@fluxrate/core';
import type { LocalServer } from '@fluxrate/local';
import { onCleanup } from './cleanup.js';
import { type Meter, metersOf } from './local.js';
import { endQuietly } from './warnings.js';

export const TOKEN = '11111111-2222-4333-8444-555555555555';
export const USERS_TOKEN = '66666666-7777-4888-9999-aaaaaaaaaaaa';
export const API_KEY = 'org_live_test_secret_key_0123456789';
/** Short timings so retries take milliseconds. */
export const FAST_RETRY = { minTimeout: 5, maxTimeout: 20 };

/**
 * A tracker with test defaults (fast retries, meters `api_calls` and UNIQUE_COUNT `users`, a closed port
 * as base URL: pass a scripted server's), shut down after the current test.
 */
export function tracker(options: TrackerOptions<string> = {}): Tracker<string> {
  const t = createTracker<string>({
    apiKey: API_KEY,
    baseUrl: 'http://127.0.0.1:9',
    meters: { api_calls: TOKEN, users: { token: USERS_TOKEN, aggregation: 'UNIQUE_COUNT' } },
    retry: FAST_RETRY,
    ...options,
  });
  onCleanup(() => endQuietly(t));
  return t;
}

/** A tracker pointed at a server from `startFluxrate`, with short retry timings. The caller shuts it down. */
export function trackerFor(fx: LocalServer, options: Partial<TrackerOptions<Meter>> = {}): Tracker<Meter> {
  return createTracker<Meter>({
    apiKey: fx.apiKey,
    baseUrl: fx.url,
    meters: metersOf(fx),
    retry: { minTimeout: 20, maxTimeout: 500 },
    ...options,
  });
}
