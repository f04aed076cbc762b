// In-process A/B of each adapter's per-request cost: the same app with and without billing, driven by
// the framework's own injector (Fastify `inject`) or a raw node:http round trip on loopback, blocks of
// requests alternated so load drifts hit both alike. Prints `{ framework, bareUs, billedUs, deltaUs }`
// per framework (median of the blocks' CPU per request). Aggregated mode, so delivery is out of the
// picture: what is left is the request path. `node micro/adapters.mjs [fastify|express|nestjs] [blocks]`.
import { request } from 'node:http';
import { createTracker } from '@fluxrate/core';
import { closedPort } from './closed-port.mjs';

const framework = process.argv[2] ?? 'fastify';
const BLOCKS = Number(process.argv[3] ?? 12);
const PER_BLOCK = 3000;
const port = await closedPort();
const tracker = createTracker({
  apiKey: 'org_live_bench',
  baseUrl: `http://127.0.0.1:${port}`,
  meters: { api_calls: '550e8400-e29b-41d4-a716-446655440000' },
  aggregate: { windowMs: 600_000 },
});
const RESULT = { query: 'espresso', results: [{ id: 1, title: 'Ristretto' }] };

async function fastifyApp(billed) {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  if (billed) {
    const { fluxrate } = await import('@fluxrate/fastify');
    await app.register(fluxrate, { tracker, customer: () => 'cus_bench' });
  }
  app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async () => RESULT);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { port: app.server.address().port, close: () => app.close() };
}

async function expressApp(billed) {
  const { default: express } = await import('express');
  const app = express();
  let billable = () => (_req, _res, next) => next();
  if (billed) {
    const { fluxrateMiddleware } = await import('@fluxrate/express');
    const mw = fluxrateMiddleware({ tracker, customer: () => 'cus_bench' });
    app.use(mw);
    billable = mw.billable;
  }
  app.get('/v1/search', billable({ meter: 'api_calls' }), (_req, res) => res.json(RESULT));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { port: server.address().port, close: () => new Promise((r) => server.close(r)) };
}

// NestJS 11 on platform-express, decorators applied by hand (plain JS), as in bench/apps/nestjs.mjs.
async function nestjsApp(billed) {
  await import('reflect-metadata');
  const { Controller, Get, Module } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  class SearchController {
    search() {
      return RESULT;
    }
  }
  const imports = [];
  const decorators = [Get('search')];
  if (billed) {
    const { FluxrateModule, Billable } = await import('@fluxrate/nestjs');
    // `(request) =>`, as apps read the customer from the request: a `customer` that may take `ctx`
    // (declared, length > 1) gets the result capture on every billed route (packages/nestjs/README.md).
    imports.push(
      FluxrateModule.forRoot({ tracker, customer: (_request) => 'cus_bench', shutdownTimeoutMs: 0 }),
    );
    decorators.push(Billable({ meter: 'api_calls' }));
  }
  const proto = SearchController.prototype;
  const descriptor = Object.getOwnPropertyDescriptor(proto, 'search');
  Object.defineProperty(proto, 'search', Reflect.decorate(decorators, proto, 'search', descriptor));
  Reflect.decorate([Controller('v1')], SearchController);
  class AppModule {}
  Reflect.decorate([Module({ imports, controllers: [SearchController] })], AppModule);
  const app = await NestFactory.create(AppModule, { logger: false });
  // NEST_PASSTHROUGH=1: the billed app also runs one global interceptor that returns next.handle()
  // untouched, the cost of Nest's interceptor chain alone.
  if (billed && process.env.NEST_PASSTHROUGH)
    app.useGlobalInterceptors({ intercept: (_c, next) => next.handle() });
  await app.listen(0, '127.0.0.1');
  return { port: app.getHttpServer().address().port, close: () => app.close() };
}

const make = { express: expressApp, nestjs: nestjsApp }[framework] ?? fastifyApp;
const apps = { bare: await make(false), billed: await make(true) };
const agent = new (await import('node:http')).Agent({ keepAlive: true, maxSockets: 8 });

function one(p) {
  return new Promise((resolve, reject) => {
    const req = request({ port: p, path: '/v1/search', agent }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
}

async function block(p) {
  const start = process.cpuUsage();
  let left = PER_BLOCK;
  const worker = async () => {
    while (left-- > 0) await one(p);
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  const used = process.cpuUsage(start);
  return (used.user + used.system) / PER_BLOCK;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
await block(apps.bare.port);
await block(apps.billed.port);
const runs = { bare: [], billed: [] };
// ONLY=bare|billed runs one side (for a profile of it alone).
const only = process.env.ONLY;
for (let i = 0; i < BLOCKS; i++) {
  if (only !== 'billed') runs.bare.push(await block(apps.bare.port));
  if (only !== 'bare') runs.billed.push(await block(apps.billed.port));
}
const bareUs = runs.bare.length ? median(runs.bare) : Number.NaN;
const billedUs = runs.billed.length ? median(runs.billed) : Number.NaN;
process.stdout.write(
  `${JSON.stringify({ framework, bareUs, billedUs, deltaUs: billedUs - bareUs, blocks: BLOCKS, perBlock: PER_BLOCK, stats: tracker.stats().queued })}\n`,
);
await apps.bare.close();
await apps.billed.close();
await tracker.shutdown({ timeoutMs: 0 });
process.exit(0);
