// Zero-configuration billing delivers on SIGTERM without taking over the app's signal handling:
// a real child process, a real signal, a local Fluxrate that answers slowly.
import type { LocalServer } from '@fluxrate/local';
import { type Child, get, needsBuild, startChild, startFluxrate } from '@fluxrate/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const skipReason = needsBuild('zeroconf sigterm', 'core', 'express', 'nestjs');
const fixture = (name: string) => new URL(name, import.meta.url).pathname;

describe.skipIf(skipReason)('zero configuration: SIGTERM', () => {
  let fx: LocalServer | undefined;
  let child: Child | undefined;
  afterEach(async () => {
    child?.process.kill('SIGKILL');
    await fx?.close();
  });

  async function billTwenty(script: string, env: Record<string, string> = {}) {
    fx = await startFluxrate();
    // Every delivery takes 300 ms, so events are still in flight when SIGTERM arrives.
    fx.setFaults({ slow: { rate: 1, ms: 300 } });
    child = startChild(fixture(script), [], {
      env: {
        FLUXRATE_API_KEY: fx.apiKey,
        FLUXRATE_BASE_URL: fx.url,
        FLUXRATE_METERS: `api_calls=${fx.meters.api_calls!.token}`,
        ...env,
      },
    });
    const { port } = await child.next('listening');
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(port, '/v1/search')));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(fx.stats().stored).toBeLessThan(20);
    return child;
  }

  it('express, no SIGTERM listener of its own: delivers everything, then dies by SIGTERM as Node would', async () => {
    const c = await billTwenty('./zero-config-app.mjs');
    c.process.kill('SIGTERM');
    expect(await c.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(fx!.usage()).toEqual([expect.objectContaining({ customer: 'acme', total: 20, eventCount: 20 })]);
  });

  it("express, the app's own SIGTERM listener: the app's handler runs, billing flushes, the process ends on its own", async () => {
    const c = await billTwenty('./zero-config-app.mjs', { OWN_SIGTERM: '1' });
    c.process.kill('SIGTERM');
    await c.next('app-sigterm');
    expect(await c.exited).toEqual({ code: 0, signal: null });
    expect(fx!.usage()).toEqual([expect.objectContaining({ customer: 'acme', total: 20, eventCount: 20 })]);
  });

  it('nest, FluxrateModule.forRoot() with enableShutdownHooks(): Nest closes the app, everything is delivered', async () => {
    const c = await billTwenty('../fixtures/nest-app.mjs', { ZERO_CONFIG: '1' });
    c.process.kill('SIGTERM');
    // Nest re-raises the signal once it has closed the app.
    expect(await c.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(fx!.usage()).toEqual([expect.objectContaining({ customer: 'acme', total: 20, eventCount: 20 })]);
  });
});
