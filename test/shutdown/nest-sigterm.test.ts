import type { LocalServer } from '@fluxrate/local';
import { type Child, get, needsBuild, startFluxrate } from '@fluxrate/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixtures.js';

const skipReason = needsBuild('nest sigterm', 'core', 'nestjs');

describe.skipIf(skipReason)(
  'NestJS: SIGTERM with enableShutdownHooks() flushes the module-owned tracker',
  () => {
    let fx: LocalServer | undefined;
    let child: Child | undefined;
    afterEach(async () => {
      child?.process.kill('SIGKILL');
      await fx?.close();
    });

    it('delivers every billed request before the process exits, though Fluxrate answers slowly', async () => {
      fx = await startFluxrate();
      // Every delivery takes 300 ms, so events are still in flight when SIGTERM arrives.
      fx.setFaults({ slow: { rate: 1, ms: 300 } });
      child = runFixture('nest-app.mjs', {
        FLUXRATE_BASE_URL: fx.url,
        FLUXRATE_API_KEY: fx.apiKey,
        METER_TOKEN: fx.meters.api_calls!.token,
      });
      const { port } = await child.next('listening');
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => get(port, '/v1/search', { 'x-customer': 'acme' })),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
      expect(fx.stats().stored).toBeLessThan(20);

      child.process.kill('SIGTERM');
      await child.exited;
      expect(fx.usage()).toEqual([expect.objectContaining({ customer: 'acme', total: 20, eventCount: 20 })]);
    });
  },
);
