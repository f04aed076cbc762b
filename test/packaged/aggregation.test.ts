// Aggregation and overload coalescing work on events from every adapter, through require() and import
// (issue 22: through require() each adapter event went out on its own, 200 requests for 200 events), and
// in a mixed app: ESM code creating the tracker, the adapter loaded with require().

import { type Child, killChildren } from '@fluxrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS, adapterApp } from './support/apps.js';
import { runScript } from './support/child.js';
import { hit } from './support/drive.js';
import { type Fluxrate, packagedFluxrate } from './support/local.js';
import { INSTALL_TIMEOUT_MS, packagedSkipReason } from './support/project.js';
import { LOADERS, writeApp } from './support/render.js';

const skip = packagedSkipReason();
const N = 200;
/** Hour windows: windows are clock-aligned, and a minute one would straddle a boundary now and then. */
const HOUR = 3_600_000;

describe.skipIf(skip)('packaged: aggregation and coalescing through each adapter', () => {
  let project = '';
  let fx: Fluxrate;
  beforeAll(async () => ({ project, fx } = await packagedFluxrate()), INSTALL_TIMEOUT_MS);
  afterAll(killChildren);

  async function start(file: string, options: object): Promise<{ app: Child; port: number }> {
    const app = runScript(project, [file], { ...fx.env, TRACKER_OPTIONS: JSON.stringify(options) });
    const { port } = await app.next('listening');
    return { app, port };
  }
  async function exit(app: Child) {
    app.send({ do: 'exit' });
    await app.exited;
  }

  describe.each(LOADERS)('through %s', (loader) => {
    it.each(ADAPTERS)(
      `%s: aggregate (hour windows), ${N} billed requests -> 1 Fluxrate request`,
      async (adapter) => {
        const file = writeApp(project, `aggregate-${adapter}`, loader, adapterApp(adapter, loader));
        const { app, port } = await start(file, { aggregate: { windowMs: HOUR } });
        const customer = `aggregate-${adapter}-${loader}`;
        expect(await hit(port, '/billed', N, customer)).toEqual({ 200: N });
        const flushed = await app.ask({ do: 'flush' });
        expect(flushed.settled).toBe(true);
        expect(await fx.stored(customer)).toEqual({ events: 1, total: N });
        expect(flushed.stats).toMatchObject({ aggregated: N - 1, delivered: 1, failed: 0, dropped: 0 });
        await exit(app);
      },
    );

    it.each(ADAPTERS)(
      `%s: Fluxrate refusing connections, ${N} billed requests are coalesced; the total is exact`,
      async (adapter) => {
        const file = writeApp(project, `coalesce-${adapter}`, loader, adapterApp(adapter, loader));
        const { app, port } = await start(file, {
          maxQueueSize: 1_000,
          coalesce: { highWater: 20, windowMs: HOUR },
        });
        const customer = `coalesce-${adapter}-${loader}`;
        await fx.command({ do: 'suspend' });
        try {
          expect(await hit(port, '/billed', N, customer)).toEqual({ 200: N });
        } finally {
          await fx.command({ do: 'resume' });
        }
        const flushed = await app.ask({ do: 'flush' });
        expect(flushed.settled).toBe(true);
        const stored = await fx.stored(customer);
        // Past the high-water mark (20 held), each request merges into the open group instead of queueing.
        expect(stored.total).toBe(N);
        expect(stored.events).toBeLessThan(N / 2);
        expect(flushed.stats.coalesced).toBeGreaterThan(N / 2);
        expect(flushed.stats).toMatchObject({ failed: 0, dropped: 0 });
        await exit(app);
      },
    );
  });

  it(`a mixed app (ESM tracker from @fluxrate/core, the Express adapter through createRequire): ${N} requests -> 1`, async () => {
    const source = adapterApp('express', 'mjs', {
      imports: [['{ createRequire }', 'node:module']],
      prelude: `const require = createRequire(import.meta.url);
const express = require('express');
const { billable, fluxrateMiddleware } = require('@fluxrate/express');`,
    });
    const { app, port } = await start(writeApp(project, 'mixed-express', 'mjs', source), {
      aggregate: { windowMs: HOUR },
    });
    expect(await hit(port, '/billed', N, 'mixed')).toEqual({ 200: N });
    const flushed = await app.ask({ do: 'flush' });
    expect(flushed.settled).toBe(true);
    expect(await fx.stored('mixed')).toEqual({ events: 1, total: N });
    expect(flushed.stats).toMatchObject({ aggregated: N - 1, delivered: 1, failed: 0, dropped: 0 });
    await exit(app);
  });
});
