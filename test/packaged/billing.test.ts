// The installed packages, through require() and through import, bill exactly in every adapter: N billed
// requests are N stored events, late usage (hold/addUsage/done) is billed, and a misspelt meter is
// reported by name without breaking anything else.

import { type Child, killChildren } from '@fluxrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, adapterApp } from './support/apps.js';
import { runScript } from './support/child.js';
import { hit } from './support/drive.js';
import { type Fluxrate, packagedFluxrate } from './support/local.js';
import { INSTALL_TIMEOUT_MS, packagedSkipReason } from './support/project.js';
import { LOADERS, writeApp } from './support/render.js';

const skip = packagedSkipReason();
const N = 50;

describe.skipIf(skip)('packaged: billing exact', () => {
  let project = '';
  let fx: Fluxrate;
  beforeAll(async () => ({ project, fx } = await packagedFluxrate()), INSTALL_TIMEOUT_MS);
  afterAll(killChildren);

  describe.each(LOADERS)('through %s', (loader) => {
    describe.each(ADAPTERS)('%s', (adapter) => {
      let app: Child;
      let port = 0;
      const customer = (what: string) => `${adapter}-${loader}-${what}`;
      beforeAll(async () => {
        const file = writeApp(project, `billing-${adapter}`, loader, adapterApp(adapter, loader));
        app = runScript(project, [file], fx.env);
        ({ port } = await app.next('listening'));
      });
      afterAll(async () => {
        app.send({ do: 'exit' });
        await app.exited;
      });

      it(`${N} billed requests are ${N} stored events, one each`, async () => {
        expect(await hit(port, '/billed', N, customer('billed'))).toEqual({ 200: N });
        const flushed = await app.ask({ do: 'flush' });
        expect(flushed.settled).toBe(true);
        expect(await fx.stored(customer('billed'))).toEqual({ events: N, total: N });
        expect(flushed.stats).toMatchObject({ failed: 0, dropped: 0 });
      });

      it('late usage: hold() + addUsage(7) + done() bills the added amount', async () => {
        expect(await hit(port, '/late', 10, customer('late'))).toEqual({ 200: 10 });
        const billed = await fx.storedWhen(customer('late'), (s) => s.events === 10, 5_000, 'tokens');
        const flushed = await app.ask({ do: 'flush' });
        expect(flushed.settled).toBe(true);
        expect(await fx.stored(customer('late'), 'tokens')).toEqual({ events: 10, total: 70 });
        expect(billed.total).toBe(70);
        expect(flushed.problems).toEqual([]);
      });
    });
  });

  describe.each(LOADERS)('a misspelt meter, through %s', (loader) => {
    it('express: reported on the first request, naming the meter, once; the other routes bill exactly', async () => {
      const file = writeApp(project, 'misspelt-express', loader, adapterApp('express', loader));
      const app = runScript(project, [file], fx.env);
      const { port } = await app.next('listening');
      const customer = `misspelt-${loader}`;
      expect(await hit(port, '/misspelt', 3, customer)).toEqual({ 200: 3 });
      expect(await hit(port, '/billed', 5, customer)).toEqual({ 200: 5 });
      const flushed = await app.ask({ do: 'flush' });
      expect(await fx.stored(customer)).toEqual({ events: 5, total: 5 });
      const named = flushed.problems.filter((p: string) => p.includes("unknown meter 'api_cals'"));
      // One `error` event and one process warning, for the route, however many requests it served.
      expect(named).toEqual([
        expect.stringMatching(/^error event: GET \/misspelt/),
        expect.stringMatching(/^FLUXRATE_INVALID_ROUTE: /),
      ]);
      expect(flushed.stats).toMatchObject({ failed: 0, dropped: 0 });
      app.send({ do: 'exit' });
      await app.exited;
    });

    it.each(['fastify', 'nest'] as const)(
      '%s: startup fails with FluxrateRouteError naming the meter and route',
      async (adapter) => {
        const file = writeApp(project, `misspelt-${adapter}`, loader, adapterApp(adapter, loader));
        const app = runScript(project, [file], { ...fx.env, MISSPELT: '1' });
        const failed = await app.next('startup-error');
        expect(failed.code).toBe('FLUXRATE_INVALID_ROUTE');
        expect(failed.message).toMatch(/route GET \/misspelt.*unknown meter 'api_cals'/);
        app.send({ do: 'exit' });
        await app.exited;
      },
    );
  });
});
