// Zero configuration from the installed packages, through require() and import: the environment's
// tracker bills every request exactly, and SIGTERM delivers what it holds before the process ends.

import { killChildren } from '@fluxrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADAPTERS } from './support/apps.js';
import { runScript } from './support/child.js';
import { hit } from './support/drive.js';
import { type Fluxrate, packagedFluxrate } from './support/local.js';
import { INSTALL_TIMEOUT_MS, packagedSkipReason } from './support/project.js';
import { LOADERS, writeApp } from './support/render.js';
import { zeroConfigApp } from './support/zero-config-apps.js';

const skip = packagedSkipReason();
const N = 30;

describe.skipIf(skip)('packaged: zero configuration', () => {
  let project = '';
  let fx: Fluxrate;
  beforeAll(async () => ({ project, fx } = await packagedFluxrate()), INSTALL_TIMEOUT_MS);
  afterAll(killChildren);

  describe.each(LOADERS)('through %s', (loader) => {
    it.each(ADAPTERS)(
      `%s: FLUXRATE_* env only, ${N} billed requests, SIGTERM: ${N} stored`,
      async (adapter) => {
        const file = writeApp(project, `zero-config-${adapter}`, loader, zeroConfigApp(adapter, loader));
        const app = runScript(project, [file], {
          FLUXRATE_API_KEY: fx.apiKey,
          FLUXRATE_BASE_URL: fx.url,
          FLUXRATE_METERS: `api_calls=${fx.meters.api_calls}`,
        });
        const { port } = await app.next('listening');
        const customer = `zero-${adapter}-${loader}`;
        expect(await hit(port, '/billed', N, customer)).toEqual({ 200: N });
        app.proc.kill('SIGTERM');
        // No SIGTERM listener of the app's own: billing delivers, then the signal ends the process as Node would.
        expect(await app.exited).toEqual({ code: null, signal: 'SIGTERM' });
        expect(await fx.stored(customer)).toEqual({ events: N, total: N });
        expect(app.stderr()).toBe('');
      },
    );
  });
});
