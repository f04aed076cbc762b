import { startFluxrate } from '@fluxrate/testkit';
import type { Request } from 'express';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { fluxrateMiddleware } from '../src/index.js';
import { frameworks, newTracker } from './support.js';

const fx = await startFluxrate();
const tracker = newTracker(fx);
afterAll(async () => {
  await tracker.shutdown({ timeoutMs: 2_000 });
  await fx.close();
});

/** What a handler can observe of `req.route` and `req.fluxrate`, and of the prototypes above `req`. */
function observe(req: Request) {
  const route = Object.getOwnPropertyDescriptor(req, 'route');
  const onPrototypes: string[] = [];
  for (let p: object | null = Object.getPrototypeOf(req); p !== null; p = Object.getPrototypeOf(p)) {
    for (const name of ['route', 'fluxrate']) if (Object.hasOwn(p, name)) onPrototypes.push(name);
  }
  return {
    route: route && { ...route, value: route.value === req.route },
    routeIsOwn: Object.hasOwn(req, 'route'),
    hasFluxrate: 'fluxrate' in req,
    fluxrateIsOwn: Object.hasOwn(req, 'fluxrate'),
    onPrototypes,
  };
}

describe.each(frameworks)('%s', (_name, express) => {
  function plainApp(seen: ReturnType<typeof observe>[]) {
    const app = express();
    app.get('/items/:id', (req, res) => {
      seen.push(observe(req));
      res.send('ok');
    });
    return app;
  }

  it('leaves Express untouched for an app that never mounts fluxrateMiddleware() in the same process', async () => {
    const before: ReturnType<typeof observe>[] = [];
    await request(plainApp(before)).get('/items/1').expect(200);

    const metered = express();
    metered.use(fluxrateMiddleware({ tracker, customer: () => 'acme' }));
    const meteredSeen: ReturnType<typeof observe>[] = [];
    metered.get('/items/:id', (req, res) => {
      meteredSeen.push(observe(req));
      res.send('ok');
    });
    await request(metered).get('/items/1').expect(200);

    const after: ReturnType<typeof observe>[] = [];
    await request(plainApp(after)).get('/items/2').expect(200);

    const plain = {
      route: { value: true, writable: true, enumerable: true, configurable: true },
      routeIsOwn: true,
      hasFluxrate: false,
      fluxrateIsOwn: false,
      onPrototypes: [],
    };
    expect(before).toEqual([plain]);
    expect(after).toEqual([plain]);
    // Ours: the same req.route as Express's own, and req.fluxrate an own property of the request.
    expect(meteredSeen).toEqual([{ ...plain, hasFluxrate: true, fluxrateIsOwn: true }]);
  });
});
