// Issue #26: "without @opentelemetry/api installed, nothing is imported". The packaged project installs
// our tarballs with npm, which leaves optional peers out: the api is not resolvable there. Through
// require() and import, a tracker bills exactly and loads nothing under @opentelemetry (core tries the
// api through createRequire only, so require.cache would hold it), @fluxrate/redis loads too, and
// `fluxrate-forwarder --metrics-port` exits 2 naming the packages to install.

import { killChildren } from '@fluxrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScript } from './support/child.js';
import { type Fluxrate, packagedFluxrate } from './support/local.js';
import { INSTALL_TIMEOUT_MS, packagedSkipReason } from './support/project.js';
import { LOADERS, render, writeApp } from './support/render.js';

const skip = packagedSkipReason();
const N = 20;

const BODY = `
  const require = createRequire(process.argv[1]);
  let resolvable = true;
  try {
    require.resolve('@opentelemetry/api');
  } catch {
    resolvable = false;
  }
  const tracker = createTracker({ meters: { api_calls: process.env.METER } });
  for (let i = 0; i < ${N}; i++) tracker.track({ meter: 'api_calls', customerId: process.env.CUSTOMER, quantity: 1 });
  await tracker.shutdown();
  const loaded = Object.keys(require.cache).filter((path) => path.includes('@opentelemetry'));
  const line = { event: 'done', resolvable, loaded, delivered: tracker.stats().delivered, redis: typeof redisOutbox };
  process.stdout.write(JSON.stringify(line) + '\\n');
`;

describe.skipIf(skip)('packaged: without @opentelemetry/api', () => {
  let project = '';
  let fx: Fluxrate;
  beforeAll(async () => ({ project, fx } = await packagedFluxrate()), INSTALL_TIMEOUT_MS);
  afterAll(killChildren);

  it.each(LOADERS)('through %s: bills exactly and loads nothing under @opentelemetry', async (loader) => {
    const source = render(
      loader,
      [
        ['{ createRequire }', 'node:module'],
        ['{ createTracker }', '@fluxrate/core'],
        ['{ redisOutbox }', '@fluxrate/redis'],
      ],
      BODY,
    );
    const file = writeApp(project, 'otel-absent', loader, source);
    const customer = `otel-absent-${loader}`;
    const app = runScript(project, [file], {
      FLUXRATE_API_KEY: fx.apiKey,
      FLUXRATE_BASE_URL: fx.url,
      METER: fx.meters.api_calls,
      CUSTOMER: customer,
    });
    expect(await app.next('done')).toMatchObject({
      resolvable: false,
      loaded: [],
      delivered: N,
      redis: 'function',
    });
    expect((await app.exited).code).toBe(0);
    expect(await fx.stored(customer)).toEqual({ events: N, total: N });
  });

  it('fluxrate-forwarder --metrics-port without the exporter: exits 2 naming what to install', async () => {
    const bin = 'node_modules/@fluxrate/redis/bin/fluxrate-forwarder.mjs';
    const cli = runScript(project, [bin, '--redis', 'redis://127.0.0.1:1', '--metrics-port', '9464'], {
      FLUXRATE_API_KEY: fx.apiKey,
    });
    expect((await cli.exited).code).toBe(2);
    expect(cli.stderr()).toMatch(
      /--metrics-port needs @opentelemetry\/sdk-metrics and @opentelemetry\/exporter-prometheus/,
    );
  });
});
