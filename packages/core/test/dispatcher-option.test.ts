import { createTracker } from '@fluxrate/core';
import { startLocal } from '@fluxrate/testkit';
import { Agent, H2CClient, interceptors } from 'undici';
import { describe, expect, it } from 'vitest';

describe('a user’s own undici dispatcher', () => {
  it('delivers over h2c through an H2CClient, and the tracker leaves it open', async () => {
    const fx = await startLocal({ http2: true });
    const h2c = new H2CClient(fx.url);
    const t = createTracker({
      apiKey: fx.apiKey,
      baseUrl: fx.url,
      meters: { api_calls: fx.meters.api_calls!.token },
      dispatcher: h2c,
    });
    for (let i = 0; i < 10; i++) t.track({ meter: 'api_calls', customerId: 'acme' });
    const report = await t.shutdown({ timeoutMs: 5_000 });
    expect(report).toMatchObject({ delivered: 10, failed: 0 });
    expect(fx.stats().stored).toBe(10);
    expect(h2c.closed).toBe(false);
    await h2c.close();
  });

  it('runs every attempt through the user’s interceptors', async () => {
    const fx = await startLocal();
    const seen: string[] = [];
    const agent = new Agent().compose(
      (dispatch) => (opts, handler) => {
        seen.push(`${opts.method} ${opts.origin}${opts.path}`);
        return dispatch(opts, handler);
      },
      interceptors.dns(),
    );
    const t = createTracker({
      apiKey: fx.apiKey,
      baseUrl: fx.url,
      meters: { api_calls: fx.meters.api_calls!.token },
      dispatcher: agent,
    });
    for (let i = 0; i < 3; i++) t.track({ meter: 'api_calls', customerId: 'acme' });
    expect(await t.shutdown({ timeoutMs: 5_000 })).toMatchObject({ delivered: 3, failed: 0 });
    expect(seen).toEqual(Array(3).fill(`POST ${fx.url}/api/v1/sdk/track`));
    await agent.close();
  });
});
