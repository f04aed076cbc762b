// Zero configuration (issue #17 item 0): the uncalled / no-options form of every adapter bills through
// the process-wide tracker from the environment, over real HTTP to @fluxrate/local. Misuse of a
// factory fails at startup with a FluxrateConfigError naming the problem, or (when only a request can
// reveal it) passes the request through untouched and says so once.
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { FluxrateConfigError } from '@fluxrate/core';
import { defaultTracker } from '@fluxrate/core/adapter';
import { billable, fluxrateMiddleware } from '@fluxrate/express';
import { fluxrate } from '@fluxrate/fastify';
import { type LocalServer, startLocalServer } from '@fluxrate/local';
import { Billable, FluxrateModule } from '@fluxrate/nestjs';
import { captureWarnings, waitFor } from '@fluxrate/testkit';
import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  type INestApplication,
  UseGuards,
} from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test, type TestingModule } from '@nestjs/testing';
import express5, { type NextFunction, type Request, type Response } from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { send } from './support/client.js';

const ENV = ['FLUXRATE_API_KEY', 'FLUXRATE_BASE_URL', 'FLUXRATE_METERS'] as const;
const saved = ENV.map((name) => [name, process.env[name]] as const);
let fx: LocalServer;
/** The raw token of the `tokens` meter: billed by token, without a name. */
const tokensToken = '0b7c1e9a-5d2f-4a8b-9c3e-7f6a5b4c3d2e';

beforeAll(async () => {
  fx = await startLocalServer({
    meters: { api_calls: { aggregation: 'SUM' }, tokens: { token: tokensToken, aggregation: 'SUM' } },
  });
  process.env.FLUXRATE_API_KEY = fx.apiKey;
  process.env.FLUXRATE_BASE_URL = fx.url;
  process.env.FLUXRATE_METERS = `api_calls=${fx.meters.api_calls!.token}`;
});
afterAll(async () => {
  await defaultTracker('test').shutdown({ timeoutMs: 1_000 });
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await fx.close();
});
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  fx.reset();
});

/** Serves a compiled Nest module on `platform` on 127.0.0.1 (closed after the test); returns its URL. */
async function serve(moduleRef: TestingModule, platform: 'express' | 'fastify'): Promise<string> {
  const app: INestApplication = moduleRef.createNestApplication(
    platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
    { logger: false },
  );
  cleanups.push(() => app.close());
  await app.listen(0, '127.0.0.1');
  return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
}

/** Process warnings with `code` raised while `run` runs (captured, so they are asserted, not printed). */
async function warningsDuring(code: string, run: () => Promise<void>): Promise<string[]> {
  const warnings = captureWarnings();
  try {
    await run();
  } finally {
    warnings.restore();
  }
  return warnings.of(code);
}

/** Every event billed, as `customer meter quantity`, once the default tracker has delivered `n`. */
async function billed(n: number): Promise<string[]> {
  await defaultTracker('test').flush({ timeoutMs: 5_000 });
  await waitFor(() => fx.events().length >= n, 5_000, `${n} events`);
  return fx
    .events()
    .map((e) => `${e.customer} ${e.meter} ${e.quantity}`)
    .sort();
}

const EXPECTED = ['acme api_calls 1', 'acme tokens 3', 'globex api_calls 1'];

// Express's types are the same for 4 and 5 here (the test project's @types/express is 5's).
type ExpressApp = ReturnType<typeof express5>;
const EXPRESS = [
  ['express 5', () => express5()],
  ['express 4', () => express4() as unknown as ExpressApp],
] as const;

async function listen(app: ExpressApp): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** What an app's auth middleware does: the customer, from the server's own session (here, fixed). */
const auth = (_req: Request, res: Response, next: NextFunction) => {
  res.locals.fluxrateCustomer = 'acme';
  next();
};

describe.each(EXPRESS)('%s: app.use(fluxrateMiddleware), uncalled', (_name, create) => {
  it('bills named and raw-token meters to res.locals.fluxrateCustomer, or the spec customer (failed on main: every request was a 500)', async () => {
    const app = create();
    app.use(auth);
    app.use(fluxrateMiddleware);
    app.get('/v1/search', billable({ meter: 'api_calls' }), (_req, res) => void res.json({ ok: true }));
    app.get('/v1/chat', billable({ meter: tokensToken, quantity: 3 }), (_req, res) => void res.json({}));
    app.get(
      '/v1/other',
      billable({ meter: 'api_calls', customer: () => 'globex' }),
      (_req, res) => void res.json({}),
    );
    const url = await listen(app);
    // A client-sent customer header is never the source.
    const answers = await Promise.all(
      ['/v1/search', '/v1/chat', '/v1/other'].map((path) => send(url, path, { customer: 'mallory' })),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(await billed(3)).toEqual(EXPECTED);
  });

  it('fluxrateMiddleware() and fluxrateMiddleware({}) are the same zero configuration, on the shared tracker', async () => {
    const app = create();
    const called = fluxrateMiddleware();
    expect(called.tracker).toBe(defaultTracker('test'));
    expect(called.ownsTracker).toBe(false);
    expect(fluxrateMiddleware({}).tracker).toBe(defaultTracker('test'));
    app.use(auth, called);
    app.get('/v1/search', called.billable({ meter: 'api_calls' }), (_req, res) => void res.json({}));
    const url = await listen(app);
    expect((await send(url, '/v1/search')).status).toBe(200);
    expect(await billed(1)).toEqual(['acme api_calls 1']);
  });
});

describe('express: a misused factory', () => {
  it('billable used uncalled passes the request through untouched and warns once', async () => {
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => undefined); // said there too
    onTestFinished(() => stderr.mockRestore());
    const app = express5();
    app.use(auth, fluxrateMiddleware);
    app.get('/v1/search', billable as any, (_req, res) => void res.json({ ok: true }));
    const url = await listen(app);
    const warnings = await warningsDuring('FLUXRATE_MISUSE', async () => {
      for (let i = 0; i < 2; i++) {
        const answer = await send(url, '/v1/search');
        expect([answer.status, answer.json()]).toEqual([200, { ok: true }]);
      }
    });
    expect(warnings).toHaveLength(1);
    expect(fx.events()).toEqual([]);
  });

  it.each([
    ['a string', 'options', () => fluxrateMiddleware('api_calls' as never)],
    ['two arguments', 'options', () => (fluxrateMiddleware as (...a: unknown[]) => unknown)({}, {})],
    ['a tracker that is not one', 'tracker', () => fluxrateMiddleware({ tracker: {} as never })],
  ])('fails at startup on %s, with a FluxrateConfigError naming `%s`', (_name, option, misuse) => {
    expect(misuse).toThrow(FluxrateConfigError);
    expect(misuse).toThrow(expect.objectContaining({ option }));
  });
});

describe('fastify: app.register(fluxrate) with no options', () => {
  async function start(register: (app: ReturnType<typeof Fastify>) => unknown) {
    const app = Fastify();
    cleanups.push(() => app.close());
    // What an auth hook does: the customer from the server's own session.
    app.addHook('onRequest', (request, _reply, done) => {
      request.fluxrateCustomer = 'acme';
      done();
    });
    await register(app);
    app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async () => ({}));
    app.get('/v1/chat', { config: { billable: { meter: tokensToken, quantity: 3 } } }, async () => ({}));
    app.get(
      '/v1/other',
      { config: { billable: { meter: 'api_calls', customer: () => 'globex' } } },
      async () => ({}),
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }

  it('bills to request.fluxrateCustomer, or the spec customer, through the shared tracker (failed on main: nothing billed, no customer)', async () => {
    let tracker: unknown;
    const url = await start(async (app) => {
      await app.register(fluxrate);
      tracker = app.fluxrate.tracker;
    });
    expect(tracker).toBe(defaultTracker('test'));
    for (const path of ['/v1/search', '/v1/chat', '/v1/other']) {
      expect((await send(url, path, { customer: 'mallory' })).status).toBe(200);
    }
    expect(await billed(3)).toEqual(EXPECTED);
  });

  it.each([
    [
      'called as a factory',
      (app: ReturnType<typeof Fastify>) => app.register((fluxrate as any)()),
      'fluxrate',
    ],
    [
      'a tracker that is not one',
      (app: ReturnType<typeof Fastify>) => app.register(fluxrate, { tracker: 5 as never }),
      'tracker',
    ],
  ])('misuse fails at startup: %s', async (_name, register, option) => {
    const app = Fastify();
    cleanups.push(() => app.close().catch(() => undefined));
    register(app);
    const error = await app.ready().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FluxrateConfigError);
    expect(error).toMatchObject({ option });
  });
});

/** What a Nest auth guard does: sets the customer on the platform request. */
const authGuard: CanActivate = {
  canActivate(context: ExecutionContext) {
    context.switchToHttp().getRequest<{ fluxrateCustomer?: string }>().fluxrateCustomer = 'acme';
    return true;
  },
};

@Controller('v1')
@UseGuards(authGuard)
class ZeroConfigController {
  @Get('search')
  @Billable({ meter: 'api_calls' })
  search() {
    return {};
  }
  @Get('chat')
  @Billable({ meter: tokensToken, quantity: 3 })
  chat() {
    return {};
  }
  @Get('other')
  @Billable({ meter: 'api_calls', customer: () => 'globex' })
  other() {
    return {};
  }
}

describe.each(['express', 'fastify'] as const)(
  'nest on platform-%s: FluxrateModule.forRoot()',
  (platform) => {
    async function compile(imports: unknown[]) {
      return Test.createTestingModule({
        imports: imports as never[],
        controllers: [ZeroConfigController],
      }).compile();
    }

    it('bills to request.fluxrateCustomer, or the spec customer (failed on main: forRoot() threw)', async () => {
      const moduleRef = await compile([FluxrateModule.forRoot()]);
      const url = await serve(moduleRef, platform);
      for (const path of ['/v1/search', '/v1/chat', '/v1/other']) {
        expect((await send(url, path, { customer: 'mallory' })).status).toBe(200);
      }
      expect(await billed(3)).toEqual(EXPECTED);
    });

    it.each([
      ['imported without forRoot()', [FluxrateModule], 'FluxrateModule'],
      ['forRoot() given a string', [FluxrateModule.forRoot('api_calls' as never)], 'options'],
    ])('misuse fails at bootstrap: %s', async (_name, imports, option) => {
      const error = await compile(imports).then(
        (m) => m.close(),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(FluxrateConfigError);
      expect(error).toMatchObject({ option });
    });
  },
);

// Issue #25: a forgotten customer was completely silent in every framework (200s, 0 events, nothing on
// stderr). It is now one FLUXRATE_SKIPPED warning per route, naming the route and how to set the customer.
describe('a forgotten customer is said once per route, with how to set it', () => {
  /** Sends two requests to each path and returns the FLUXRATE_SKIPPED warnings raised meanwhile. */
  async function forgotten(url: string, paths: string[]): Promise<string[]> {
    const warnings = captureWarnings();
    for (const path of [...paths, ...paths]) expect((await send(url, path)).status).toBe(200);
    await defaultTracker('test').flush({ timeoutMs: 5_000 });
    expect(fx.events()).toEqual([]);
    return warnings.of('FLUXRATE_SKIPPED');
  }

  it.each(EXPRESS)(
    '%s: app.use(fluxrateMiddleware) without res.locals.fluxrateCustomer',
    async (name, create) => {
      const app = create();
      app.use(fluxrateMiddleware);
      const base = `/${name.replace(' ', '')}`;
      app.get(`${base}/search`, billable({ meter: 'api_calls' }), (_req, res) => void res.json({}));
      app.get(`${base}/chat`, billable({ meter: tokensToken }), (_req, res) => void res.json({}));
      const said = await forgotten(await listen(app), [`${base}/search`, `${base}/chat`]);
      expect(said).toEqual([
        expect.stringContaining(`usage not billed on GET ${base}/search (meter api_calls): no customer`),
        expect.stringContaining(`usage not billed on GET ${base}/chat (meter ${tokensToken}): no customer`),
      ]);
      expect(said[0]).toContain('Set res.locals.fluxrateCustomer in your auth middleware');
    },
  );

  it('fastify: app.register(fluxrate) without request.fluxrateCustomer', async () => {
    const app = Fastify();
    cleanups.push(() => app.close());
    await app.register(fluxrate);
    app.get('/fastify/search', { config: { billable: { meter: 'api_calls' } } }, async () => ({}));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const said = await forgotten(url, ['/fastify/search']);
    expect(said).toEqual([
      expect.stringContaining('usage not billed on GET /fastify/search (meter api_calls)'),
    ]);
    expect(said[0]).toContain('Set request.fluxrateCustomer in an onRequest or preHandler hook');
  });

  it.each(['express', 'fastify'] as const)(
    'nest on platform-%s: FluxrateModule.forRoot() without request.fluxrateCustomer',
    async (platform) => {
      @Controller(`nest-${platform}`)
      class ForgottenController {
        @Get('search')
        @Billable({ meter: 'api_calls' })
        search() {
          return {};
        }
      }
      const moduleRef = await Test.createTestingModule({
        imports: [FluxrateModule.forRoot()],
        controllers: [ForgottenController],
      }).compile();
      const url = await serve(moduleRef, platform);
      const said = await forgotten(url, [`/nest-${platform}/search`]);
      expect(said).toEqual([
        expect.stringContaining(`usage not billed on GET /nest-${platform}/search (meter api_calls)`),
      ]);
      expect(said[0]).toContain('Set request.fluxrateCustomer in a guard or middleware');
    },
  );
});

// Issue #25: a misspelt meter printed two warnings with the same text, and named neither the known
// meters nor FLUXRATE_METERS.
describe('a misspelt meter under zero configuration', () => {
  const namesTheFix =
    /unknown meter 'api_cals' \(known: api_calls; zero configuration names meters in FLUXRATE_METERS=/;

  it('express: one FLUXRATE_INVALID_ROUTE warning listing the known meters and FLUXRATE_METERS', async () => {
    const app = express5();
    app.use(auth, fluxrateMiddleware);
    app.get('/misspelt/search', billable({ meter: 'api_cals' as never }), (_req, res) => void res.json({}));
    const url = await listen(app);
    const warnings = captureWarnings();
    for (let i = 0; i < 2; i++) expect((await send(url, '/misspelt/search')).status).toBe(200);
    expect(warnings.all).toEqual([
      { code: 'FLUXRATE_INVALID_ROUTE', message: expect.stringMatching(namesTheFix) },
    ]);
  });

  it('fastify: the route fails to register with the same words', async () => {
    const app = Fastify();
    cleanups.push(() => app.close().catch(() => undefined));
    await app.register(fluxrate);
    const misspelt = { config: { billable: { meter: 'api_cals' as never } } };
    expect(() => app.get('/misspelt/search', misspelt, async () => ({}))).toThrow(namesTheFix);
  });
});
