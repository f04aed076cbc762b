import type { LocalServer } from '@fluxrate/local';
import { startFluxrate } from '@fluxrate/testkit';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { express4Driver, express5Driver } from './express-driver.js';
import { fastifyDriver } from './fastify-driver.js';
import type { AppDef, Driver, Running } from './model.js';
import { nestExpressDriver, nestFastifyDriver } from './nest-driver.js';

export const DRIVERS: Driver[] = [
  express5Driver,
  express4Driver,
  fastifyDriver,
  nestExpressDriver,
  nestFastifyDriver,
];
/** For `describe.each`: `[name, driver]`. */
export const EACH = DRIVERS.map((d) => [d.name, d] as const);

export const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** One local Fluxrate per file, reset between tests; apps started through `start` are closed after each. */
export function useFluxrate() {
  let fx: LocalServer;
  const open: Running[] = [];
  beforeAll(async () => {
    fx = await startFluxrate();
  });
  afterAll(() => fx.close());
  afterEach(async () => {
    await Promise.all(
      open.splice(0).map(async (app) => {
        await app.close();
        await app.tracker.shutdown({ timeoutMs: 1_000 });
      }),
    );
    if (fx.stats().suspended) await fx.resume();
    fx.reset();
  });
  return {
    get fx() {
      return fx;
    },
    async start(driver: Driver, def: AppDef): Promise<Running> {
      const app = await driver.start(fx, def);
      open.push(app);
      return app;
    },
    /** `customer meter quantity` of every event received, sorted. */
    billed(): string[] {
      return fx
        .events()
        .map((e) => `${e.customer} ${e.meter} ${e.quantity}`)
        .sort();
    },
  };
}
