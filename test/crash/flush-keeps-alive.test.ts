import type { LocalServer } from '@fluxrate/local';
import { type Child, needsBuild, startFluxrate } from '@fluxrate/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixtures.js';

const skipReason = needsBuild('flush keeps alive', 'core');

// Issue #13 item 1: on main, `track(); await tracker.flush()` in a job exited 0 while events waited for
// their retry behind unref'd timers (20 events, 50% 503s: 11 stored), with nothing counted or emitted.
describe.skipIf(skipReason)('a job that ends with await tracker.flush()', () => {
  let fx: LocalServer | undefined;
  let child: Child | undefined;
  afterEach(async () => {
    child?.process.kill('SIGKILL');
    await fx?.close();
  });

  it('stays alive until every event is delivered, then exits on its own', async () => {
    fx = await startFluxrate({ '503': 0.5 }, 7);
    child = runFixture('track-job.mjs', {
      FLUXRATE_BASE_URL: fx.url,
      FLUXRATE_API_KEY: fx.apiKey,
      METER_TOKEN: fx.meters.api_calls!.token,
      EVENTS: '20',
    });
    const exit = await child.exited;
    expect(exit, child.stderr()).toEqual({ code: 0, signal: null });
    const flushed = await child.next('flushed', 1_000);
    expect(flushed.result).toEqual({ settled: true, pending: 0 });
    expect(flushed.stats).toMatchObject({ tracked: 20, delivered: 20 });
    expect(fx.stats().faults['503']).toBeGreaterThan(0);
    expect(new Set(fx.events().map((e) => e.idempotencyKey)).size).toBe(20);
  });
});
