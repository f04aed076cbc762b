import { createTracker } from '@fluxrate/core';

/** True when the built tracker accepts the `aggregate` option (the aggregated variants run only then). */
export function supportsAggregate() {
  try {
    const tracker = createTracker({
      apiKey: 'org_live_probe',
      baseUrl: 'http://127.0.0.1:9',
      meters: { api_calls: '550e8400-e29b-41d4-a716-446655440000' },
      aggregate: { windowMs: 1000 },
    });
    const ok = 'aggregated' in tracker.stats();
    tracker.shutdown({ timeoutMs: 0 });
    return ok;
  } catch {
    return false;
  }
}
