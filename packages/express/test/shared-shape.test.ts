import { setFlagsFromString } from 'node:v8';
import { startFluxrate } from '@fluxrate/testkit';
import type { Request, Response } from 'express';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { fluxrateMiddleware } from '../src/index.js';
import { frameworks, newTracker } from './support.js';

// V8's own view of an object's hidden class, for this test only.
setFlagsFromString('--allow-natives-syntax');
const sameShape = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;
const fastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;
const uniqueShapes = Number.parseInt(process.versions.v8, 10) < 13;

const fx = await startFluxrate();
const tracker = newTracker(fx);
afterAll(async () => {
  await tracker.shutdown({ timeoutMs: 2_000 });
  await fx.close();
});

describe.each(frameworks)('%s: request and response shapes', (_name, express) => {
  async function seen(metered: boolean): Promise<{ reqs: Request[]; ress: Response[] }> {
    const app = express();
    const reqs: Request[] = [];
    const ress: Response[] = [];
    if (metered) app.use(fluxrateMiddleware({ tracker, customer: () => 'acme' }));
    app.get('/v1/search', (req, res) => {
      reqs.push(req);
      ress.push(res);
      res.json({ ok: true });
    });
    for (let i = 0; i < 3; i++) await request(app).get('/v1/search').expect(200);
    return { reqs, ress };
  }

  // V8 < 13 (Node 20, 22) gives each swapped object a hidden class of its own; V8 13 (Node 24) shares it.
  it('metered requests and responses go to dictionary mode where V8 < 13 gives each its own hidden class, untouched where V8 shares it', async () => {
    const bare = await seen(false);
    const metered = await seen(true);
    expect(sameShape(bare.reqs[1]!, bare.reqs[2]!)).toBe(!uniqueShapes);
    expect(sameShape(bare.ress[1]!, bare.ress[2]!)).toBe(!uniqueShapes);
    // Where V8 gives each its own, the metered ones are in dictionary mode: their map comes from V8's
    // normalized-map cache, shared as long as the cache holds it (a GC may evict it: so not asserted).
    if (!uniqueShapes) {
      expect(sameShape(metered.reqs[1]!, metered.reqs[2]!)).toBe(true);
      expect(sameShape(metered.ress[1]!, metered.ress[2]!)).toBe(true);
    }
    expect(fastProperties(metered.reqs[2]!)).toBe(!uniqueShapes);
    expect(fastProperties(metered.ress[2]!)).toBe(!uniqueShapes);
  });

  it('leaves no property of its own behind, and the request is billed', async () => {
    const before = tracker.stats().delivered;
    const app = express();
    app.use(
      fluxrateMiddleware({ tracker, customer: () => 'acme', routes: { 'GET /v1/search': 'api_calls' } }),
    );
    let keys: (string | symbol)[] = [];
    app.get('/v1/search', (req, res) => {
      keys = [...Reflect.ownKeys(req), ...Reflect.ownKeys(res)];
      res.json({ id: req.fluxrate.requestId });
    });
    await request(app).get('/v1/search').expect(200);
    await tracker.flush();
    expect(tracker.stats().delivered).toBe(before + 1);
    expect(keys.filter((k) => typeof k === 'symbol' && k.description?.startsWith('fluxrate.shape'))).toEqual(
      [],
    );
  });
});
