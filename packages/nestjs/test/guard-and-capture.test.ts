import type { RequestOutcome } from '@fluxrate/core';
import { expectWarnings } from '@fluxrate/testkit';
import {
  type CallHandler,
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  type INestApplication,
  type NestInterceptor,
  Res,
  Sse,
  UseGuards,
} from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { map, type Observable, of } from 'rxjs';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { FluxrateGuard } from '../src/fluxrate.guard.js';
import { Billable, FluxrateModule, type FluxrateModuleOptions, FluxrateTracker } from '../src/index.js';
import {
  ADAPTERS,
  customerHeader,
  rpcCall,
  settle,
  trackerOptions,
  uniqueCustomer,
  useFluxrate,
} from './support/app.js';

const local = useFluxrate();

const INTERCEPTORS = '__interceptors__';
const interceptorsOf = (handler: unknown): unknown[] =>
  Reflect.getMetadata(INTERCEPTORS, handler as object) ?? [];

/** `{ data: … }` around every response, as apps' response-shaping interceptors do. */
class WrapInData implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((data) => ({ data })));
  }
}

/** An auth guard: rejects `x-deny`, else sets `request.user` from `x-org`. */
const auth: CanActivate = {
  canActivate(context: ExecutionContext) {
    const request = context.switchToHttp().getRequest();
    if (request.headers['x-deny']) return false;
    request.user = { org: request.headers['x-org'] };
    return true;
  },
};

@Controller('g')
class GuardedController {
  @Get('static')
  @Billable({ meter: 'api_calls' })
  static() {
    return { org: 'from-result' };
  }

  @Get('fn')
  @Billable({ meter: 'tokens', quantity: ({ result }) => (result as { n: number }).n })
  fn() {
    return { n: 4 };
  }

  @Get('res')
  @Billable({ meter: 'api_calls' })
  res(@Res() res: { send?: (b: string) => void; raw?: unknown }) {
    // Sends through the platform response itself (Express `send`, Fastify `send`).
    (res as { send: (b: string) => void }).send('sent');
  }

  @Get('auth')
  @UseGuards(auth)
  @Billable({ meter: 'api_calls' })
  authed() {
    return 'ok';
  }
}

async function withApp(
  adapter: (typeof ADAPTERS)[number],
  options: Partial<FluxrateModuleOptions>,
  run: (http: ReturnType<typeof supertest>, app: INestApplication) => Promise<void>,
  configure?: (app: INestApplication) => void,
): Promise<void> {
  const moduleRef = await Test.createTestingModule({
    imports: [FluxrateModule.forRoot({ ...trackerOptions(local.fx), ...options } as FluxrateModuleOptions)],
    controllers: [GuardedController],
  }).compile();
  const app = moduleRef.createNestApplication(
    adapter === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
    { logger: false },
  );
  configure?.(app);
  await app.listen(0, '127.0.0.1');
  if (adapter === 'fastify') await app.getHttpAdapter().getInstance().ready();
  try {
    await run(supertest(app.getHttpServer()), app);
  } finally {
    await app.close();
  }
}

describe('Nest metadata', () => {
  it("is left as the app declared it: no handler's interceptors, route arguments or SSE flag are rewritten", async () => {
    const proto = GuardedController.prototype;
    const handlers = [proto.static, proto.fn, proto.res, proto.authed];
    const keys = ['__interceptors__', '__routeArguments__', '__sse__'];
    const snapshot = () =>
      handlers.map((h) =>
        keys.map((key) => [Reflect.getMetadata(key, h), Reflect.getMetadata(key, GuardedController, h.name)]),
      );
    const declared = snapshot();
    await withApp('express', { customer: customerHeader }, async () => {
      expect(snapshot()).toEqual(declared);
    });
    expect(snapshot()).toEqual(declared);
    // The one interceptor there is the one `@Billable` declared with the class (`UseInterceptors`).
    expect(interceptorsOf(proto.fn).map((i) => (i as object).constructor.name)).toEqual(['FluxrateCapture']);
  });
});

@Controller('lean')
class LeanController {
  @Get('static')
  @Billable({ meter: 'api_calls' })
  static() {
    return 'ok';
  }

  @Get('fn')
  @Billable({ meter: 'tokens', quantity: ({ result }) => (result as { n: number }).n })
  fn() {
    return { n: 2 };
  }

  @Get('res')
  @Billable({ meter: 'api_calls' })
  res(@Res() res: { send: (b: string) => void }) {
    res.send('sent');
  }

  @Sse('sse-above')
  @Billable({ meter: 'api_calls' })
  sseAbove() {
    return of({ data: 'x' });
  }

  @Billable({ meter: 'api_calls' })
  @Sse('sse-below')
  sseBelow() {
    return of({ data: 'x' });
  }

  @Get('unbilled')
  unbilled(@Res() res: { send: (b: string) => void }) {
    res.send('free');
  }
}

describe('where the capture runs', () => {
  it('only on handlers that need it: a static @Billable runs no interceptor of ours; a spec function, @Res() and @Sse() (above or below) get one', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [FluxrateModule.forRoot({ ...trackerOptions(local.fx), customer: customerHeader })],
      controllers: [LeanController],
    }).compile();
    const app = moduleRef.createNestApplication(new ExpressAdapter(), { logger: false });
    await app.init();
    const names = (handler: unknown) => interceptorsOf(handler).map((i) => (i as object).constructor.name);
    const proto = LeanController.prototype;
    expect(names(proto.static)).toEqual([]);
    expect(names(proto.unbilled)).toEqual([]);
    for (const handler of [proto.fn, proto.res, proto.sseAbove, proto.sseBelow]) {
      expect(names(handler)).toEqual(['FluxrateCapture']);
    }
    const customer = uniqueCustomer('lean');
    await supertest(app.getHttpServer()).get('/lean/static').set('x-customer', customer).expect(200);
    await settle(app.get(FluxrateTracker));
    await app.close();
    expect(local.fx.events({ customer })).toHaveLength(1);
  });

  it('a module customer that takes no parameter (`() => …`) adds no capture either; one that declares ctx does', async () => {
    const customer = uniqueCustomer('constant');
    const names = (handler: unknown) => interceptorsOf(handler).map((i) => (i as object).constructor.name);
    const byCtx = (_request: unknown, _ctx: unknown) => customer;
    for (const [fn, expected] of [
      [() => customer, []],
      [byCtx, ['FluxrateCapture']],
    ] as const) {
      @Controller(`constant-${expected.length}`)
      class ConstantController {
        @Get('static')
        @Billable({ meter: 'api_calls' })
        static() {
          return 'ok';
        }
      }
      const moduleRef = await Test.createTestingModule({
        imports: [FluxrateModule.forRoot({ ...trackerOptions(local.fx), customer: fn })],
        controllers: [ConstantController],
      }).compile();
      const app = moduleRef.createNestApplication(new ExpressAdapter(), { logger: false });
      await app.init();
      expect(names(ConstantController.prototype.static)).toEqual(expected);
      await supertest(app.getHttpServer()).get(`/constant-${expected.length}/static`).expect(200);
      await settle(app.get(FluxrateTracker));
      await app.close();
    }
    expect(local.fx.events({ customer })).toHaveLength(2);
  });
});

describe.each(ADAPTERS)('guard and capture on %s', (adapter) => {
  it('bills a static @Billable route, a spec function reading `result` and a @Res() route', async () => {
    const customer = uniqueCustomer(`${adapter}-static`);
    await withApp(adapter, { customer: customerHeader }, async (http) => {
      await http.get('/g/static').set('x-customer', customer).expect(200);
      await http.get('/g/fn').set('x-customer', customer).expect(200);
      await http.get('/g/res').set('x-customer', customer).expect(200, 'sent');
    });
    expect(
      local.fx
        .events({ customer })
        .map((e) => `${e.meter} ${e.quantity}`)
        .sort(),
    ).toEqual(['api_calls 1', 'api_calls 1', 'tokens 4']);
  });

  it("a module-level customer that reads ctx.result gets the handler's own value under a mapping global interceptor", async () => {
    const org = uniqueCustomer(`${adapter}-result`);
    const byArity = (_request: unknown, ctx: { result?: { org: string } }) =>
      ctx.result && `${org}-${ctx.result.org}`;
    await withApp(
      adapter,
      { customer: byArity },
      async (http) => {
        const res = await http.get('/g/static').expect(200);
        expect(res.body).toEqual({ data: { org: 'from-result' } });
      },
      (app) => app.useGlobalInterceptors(new WrapInData()),
    );
    expect(local.fx.events({ customer: `${org}-from-result` })).toHaveLength(1);
  });

  it('a module-level customer that declares no ctx yet reaches ctx.result (through `arguments`) is told, once per route, to declare it', async () => {
    const org = uniqueCustomer(`${adapter}-args`);
    // Length 0: no capture is applied for it (a constant `() => 'acme'` must not pay one), so the read is said.
    function byArguments(): string | undefined {
      // biome-ignore lint/complexity/noArguments: the case under test
      const ctx = arguments[1] as { result?: { org: string } };
      return ctx.result ? `${org}-${ctx.result.org}` : `${org}-no-result`;
    }
    // Its own controller: a capture applied at bootstrap stays on a handler for later apps in this process.
    @Controller('args')
    class ArgumentsController {
      @Get('static')
      @Billable({ meter: 'api_calls' })
      static() {
        return { org: 'from-result' };
      }
    }
    const warnings = expectWarnings('FLUXRATE_INVALID_ROUTE');
    const moduleRef = await Test.createTestingModule({
      imports: [FluxrateModule.forRoot({ ...trackerOptions(local.fx), customer: byArguments })],
      controllers: [ArgumentsController],
    }).compile();
    const app = moduleRef.createNestApplication(
      adapter === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
      { logger: false },
    );
    await app.init();
    if (adapter === 'fastify') await app.getHttpAdapter().getInstance().ready();
    const http = supertest(app.getHttpServer());
    await http.get('/args/static').expect(200);
    await http.get('/args/static').expect(200);
    await settle(app.get(FluxrateTracker));
    await app.close();
    const told = warnings.of('FLUXRATE_INVALID_ROUTE');
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/ArgumentsController\.static: .*ctx\.result.*\(request, ctx\) =>/);
    expect(local.fx.events({ customer: `${org}-no-result` })).toHaveLength(2);
  });

  it('a request an app guard rejects is not billed (its `when` sees the 403); one it lets through is billed once', async () => {
    const customer = uniqueCustomer(`${adapter}-denied`);
    const seen: number[] = [];
    const when = (_ctx: unknown, outcome: RequestOutcome) => {
      seen.push(outcome.status);
      return outcome.status < 400;
    };
    await withApp(adapter, { customer: customerHeader, when }, async (http, app) => {
      await http.get('/g/auth').set('x-customer', customer).set('x-deny', '1').expect(403);
      await http.get('/g/auth').set('x-customer', customer).expect(200);
      await settle(app.get(FluxrateTracker));
    });
    expect(seen.sort()).toEqual([200, 403]);
    expect(local.fx.events({ customer })).toHaveLength(1);
  });

  it("onMissingCustomer: 'reject' sees the customer an app guard sets (the check runs after the app's guards)", async () => {
    const org = uniqueCustomer(`${adapter}-reject-auth`);
    const customer = (request: { user?: { org?: string } }) => request.user?.org;
    await withApp(adapter, { customer, onMissingCustomer: 'reject' }, async (http, app) => {
      await http.get('/g/auth').set('x-org', org).expect(200);
      await http.get('/g/static').expect(403);
      await settle(app.get(FluxrateTracker));
    });
    expect(local.fx.events({ customer: org })).toHaveLength(1);
  });
});

describe('the global guard outside HTTP', () => {
  it('lets non-HTTP contexts (rpc, ws) through without billing state', async () => {
    const { moduleRef, payload, context, billing, reflector } = await rpcCall(local.fx);
    const guard = new FluxrateGuard(billing, reflector);
    expect(guard.canActivate(context)).toBe(true);
    expect(payload).not.toHaveProperty('fluxrate');
    await moduleRef.close();
  });
});
