import { createTracker, FluxrateConfigError, FluxrateRouteError, type Tracker } from '@fluxrate/core';
import { Controller, Get, Injectable, Module, UseInterceptors } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { lastValueFrom, of } from 'rxjs';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import type { LocalServer } from '../../local/src/index.js';
import {
  Billable,
  FluxrateInterceptor,
  FluxrateModule,
  type FluxrateOptions,
  type FluxrateOptionsFactory,
  FluxrateTracker,
  InjectTracker,
} from '../src/index.js';
import {
  ADAPTERS,
  customerHeader,
  rpcCall,
  settle,
  startApp,
  trackerOptions,
  uniqueCustomer,
  useFluxrate,
} from './support/app.js';

const local = useFluxrate();

@Controller('billed')
class BilledController {
  static calls = 0;
  @Get()
  @Billable({ meter: 'api_calls' })
  get() {
    BilledController.calls++;
    return 'ok';
  }
}

@Controller('intercepted')
@UseInterceptors(FluxrateInterceptor)
class InterceptedController {
  @Get()
  @Billable({ meter: 'api_calls' })
  get() {
    return 'ok';
  }
}

/** A stand-in for @nestjs/config: options come from an injected provider. */
@Injectable()
class AppConfig {
  static fx: LocalServer;
  readonly fluxrate = trackerOptions(AppConfig.fx);
}
@Module({ providers: [AppConfig], exports: [AppConfig] })
class AppConfigModule {}

@Injectable()
class OptionsFactory implements FluxrateOptionsFactory {
  createFluxrateOptions(): FluxrateOptions {
    return { ...trackerOptions(AppConfig.fx), customer: customerHeader };
  }
}

/** Reads the tracker back through @InjectTracker(). */
@Injectable()
class UsesTracker {
  constructor(@InjectTracker() readonly tracker: Tracker) {}
}

async function billedOnce(adapter: (typeof ADAPTERS)[number], imports: unknown[], path = '/billed') {
  const app = await startApp(adapter, {
    imports: imports as never[],
    controllers: [BilledController],
    providers: [UsesTracker],
  });
  try {
    const customer = uniqueCustomer(`${adapter}-options`);
    await supertest(app.getHttpServer()).get(path).set('x-customer', customer).expect(200);
    const tracker = app.get(UsesTracker).tracker;
    expect(tracker).toBe(app.get(FluxrateTracker));
    await settle(tracker);
    return local.fx.events({ customer });
  } finally {
    await app.close();
  }
}

describe.each(ADAPTERS)('FluxrateModule options on %s', (adapter) => {
  it('forRootAsync with useFactory and an injected config provider', async () => {
    AppConfig.fx = local.fx;
    const events = await billedOnce(adapter, [
      FluxrateModule.forRootAsync({
        imports: [AppConfigModule],
        inject: [AppConfig],
        useFactory: (config: AppConfig) => ({ ...config.fluxrate, customer: customerHeader }),
      }),
    ]);
    expect(events).toHaveLength(1);
  });

  it('forRootAsync with useClass', async () => {
    AppConfig.fx = local.fx;
    const events = await billedOnce(adapter, [FluxrateModule.forRootAsync({ useClass: OptionsFactory })]);
    expect(events).toHaveLength(1);
  });

  it('global: false bills only controllers that use @UseInterceptors(FluxrateInterceptor)', async () => {
    const app = await startApp(adapter, {
      imports: [
        FluxrateModule.forRoot({ ...trackerOptions(local.fx), customer: customerHeader, global: false }),
      ],
      controllers: [BilledController, InterceptedController],
    });
    try {
      const customer = uniqueCustomer(`${adapter}-local`);
      await supertest(app.getHttpServer()).get('/billed').set('x-customer', customer).expect(200);
      await supertest(app.getHttpServer()).get('/intercepted').set('x-customer', customer).expect(200);
      await settle(app.get(FluxrateTracker));
      expect(local.fx.events({ customer })).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it("app.close() delivers every billed event and shuts down the module's own tracker", async () => {
    const app = await startApp(adapter, {
      imports: [FluxrateModule.forRoot({ ...trackerOptions(local.fx), customer: customerHeader })],
      controllers: [BilledController],
    });
    const tracker = app.get(FluxrateTracker);
    const customer = uniqueCustomer(`${adapter}-close`);
    local.fx.setFaults({ slow: { rate: 1, ms: 300 } });
    try {
      await Promise.all(
        Array.from({ length: 5 }, () =>
          supertest(app.getHttpServer()).get('/billed').set('x-customer', customer).expect(200),
        ),
      );
      expect(tracker.stats().delivered).toBeLessThan(5); // some still in flight when the app closes
      await app.close();
    } finally {
      local.fx.setFaults({});
    }
    expect(local.fx.events({ customer })).toHaveLength(5);
    expect(tracker.closed).toBe(true);
  });

  it("onMissingCustomer: 'reject' answers 403 before the handler runs", async () => {
    const app = await startApp(adapter, {
      imports: [
        FluxrateModule.forRoot({
          ...trackerOptions(local.fx),
          customer: customerHeader,
          onMissingCustomer: 'reject',
        }),
      ],
      controllers: [BilledController],
    });
    try {
      const before = BilledController.calls;
      await supertest(app.getHttpServer()).get('/billed').expect(403);
      expect(BilledController.calls).toBe(before);
      const customer = uniqueCustomer(`${adapter}-reject`);
      await supertest(app.getHttpServer()).get('/billed').set('x-customer', customer).expect(200);
      await settle(app.get(FluxrateTracker));
      expect(local.fx.events({ customer })).toHaveLength(1);
    } finally {
      await app.close();
    }
  });

  it('app.close() flushes an app-provided tracker but leaves it open', async () => {
    const own = createTracker(trackerOptions(local.fx));
    const app = await startApp(adapter, {
      imports: [FluxrateModule.forRoot({ tracker: own, customer: customerHeader })],
      controllers: [BilledController],
    });
    const customer = uniqueCustomer(`${adapter}-own`);
    await supertest(app.getHttpServer()).get('/billed').set('x-customer', customer).expect(200);
    await app.close();
    expect(local.fx.events({ customer })).toHaveLength(1);
    expect(own.closed).toBe(false);
    await own.shutdown();
  });
});

describe('FluxrateInterceptor outside HTTP', () => {
  it('passes non-HTTP contexts (rpc, ws) through without billing state', async () => {
    const { moduleRef, payload, context, billing, reflector } = await rpcCall(local.fx);
    const interceptor = new FluxrateInterceptor(billing, reflector);
    const out = await lastValueFrom(interceptor.intercept(context, { handle: () => of('pong') }));
    expect(out).toBe('pong');
    expect(payload).not.toHaveProperty('fluxrate');
    await moduleRef.close();
  });
});

describe('invalid options fail at bootstrap naming the option', () => {
  const compile = (imports: unknown[], controllers: unknown[] = []) =>
    Test.createTestingModule({ imports: imports as never[], controllers: controllers as never[] }).compile();

  it('a module-level customer that is not a function', async () => {
    const error = await compile([
      FluxrateModule.forRoot({ ...trackerOptions(local.fx), customer: 'acme' as never }),
    ]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FluxrateConfigError);
    expect(error).toMatchObject({ option: 'customer' });
  });

  it('an invalid tracker option', async () => {
    const error = await compile([
      FluxrateModule.forRoot({ ...trackerOptions(local.fx), maxQueueSize: -1 }),
    ]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FluxrateConfigError);
    expect((error as Error).message).toContain('maxQueueSize');
  });

  it('tracker options next to a tracker, and global returned by an async factory', async () => {
    const own = createTracker(trackerOptions(local.fx));
    const misplaced = await compile([
      FluxrateModule.forRoot({ tracker: own, maxQueueSize: 5 } as never),
    ]).catch((e: unknown) => e);
    expect(misplaced).toMatchObject({ option: 'maxQueueSize' });
    const global = await compile([
      FluxrateModule.forRootAsync({
        useFactory: () => ({ ...trackerOptions(local.fx), global: true }) as never,
      }),
    ]).catch((e: unknown) => e);
    expect(global).toMatchObject({ option: 'global' });
    await own.shutdown();
  });

  it('a @Billable naming an unknown meter fails with the route and handler', async () => {
    @Controller('v1')
    class TypoController {
      @Get('typo')
      @Billable({ meter: 'api_cals' as 'api_calls' })
      typo() {}
    }
    const error = await compile(
      [FluxrateModule.forRoot({ ...trackerOptions(local.fx), customer: customerHeader })],
      [TypoController],
    )
      .then((moduleRef) => moduleRef.init())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FluxrateRouteError);
    expect((error as Error).message).toMatch(
      /GET \/v1\/typo \(TypoController\.typo\).*unknown meter 'api_cals'/,
    );
  });

  it('a malformed @Billable spec throws where it is declared, naming Controller.handler', () => {
    class Declared {
      handler() {}
    }
    const descriptor = Object.getOwnPropertyDescriptor(Declared.prototype, 'handler')!;
    expect(() =>
      Billable({ meter: 'api_calls', quantity: -1 })(Declared.prototype, 'handler', descriptor),
    ).toThrow(/Declared\.handler.*quantity/);
  });
});
