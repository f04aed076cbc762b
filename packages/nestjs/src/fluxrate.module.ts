import { FluxrateConfigError, type MeterName } from '@fluxrate/core';
import {
  type DynamicModule,
  Inject,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
  Optional,
  type Provider,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, DiscoveryModule, DiscoveryService, Reflector } from '@nestjs/core';
import { createFluxrateBilling, FluxrateBilling } from './fluxrate.billing.js';
import { FluxrateCapture } from './fluxrate.capture.js';
import { FLUXRATE_MODULE_OPTIONS } from './fluxrate.constants.js';
import { attachCaptures, compileControllers } from './fluxrate.discovery.js';
import { FluxrateGuard } from './fluxrate.guard.js';
import { FluxrateInterceptor } from './fluxrate.interceptor.js';
import { FluxrateTracker } from './fluxrate.tracker.js';
import type {
  FluxrateModuleAsyncOptions,
  FluxrateModuleOptions,
  FluxrateOptions,
  FluxrateOptionsFactory,
} from './fluxrate.types.js';
import { bareImport } from './fluxrate.zero-config.js';

function billingProviders(global: boolean, fromFactory: boolean): Provider[] {
  return [
    {
      provide: FluxrateBilling,
      useFactory: (options: unknown) => createFluxrateBilling(options, fromFactory),
      inject: [FLUXRATE_MODULE_OPTIONS],
    },
    {
      provide: FluxrateTracker,
      useFactory: (billing: FluxrateBilling) => billing.tracker,
      inject: [FluxrateBilling],
    },
    ...(global ? globalEnhancers : []),
  ];
}

/**
 * Billing starts in a guard; the handlers that need it capture their result through `FluxrateCapture`
 * (`@Billable` or the module applies it), and when a `routes` table entry has a function a global one
 * captures it for every handler. With `onMissingCustomer: 'reject'`
 * billing starts in `FluxrateInterceptor` (which captures too) and the guard's factory returns null,
 * which Nest skips. Public extension points only: no Nest metadata is rewritten.
 */
const globalEnhancers: Provider[] = [
  {
    provide: APP_GUARD,
    useFactory: (billing: FluxrateBilling, reflector: Reflector) =>
      billing.rejects ? null : new FluxrateGuard(billing, reflector),
    inject: [FluxrateBilling, Reflector],
  },
  {
    provide: APP_INTERCEPTOR,
    useFactory: (billing: FluxrateBilling, reflector: Reflector) =>
      billing.rejects
        ? new FluxrateInterceptor(billing, reflector)
        : billing.capture.tableHasFunctions
          ? new FluxrateCapture()
          : null,
    inject: [FluxrateBilling, Reflector],
  },
];

function asyncOptionsProviders<M extends string>(options: FluxrateModuleAsyncOptions<M>): Provider[] {
  if (options.useFactory) {
    return [
      { provide: FLUXRATE_MODULE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
    ];
  }
  const factory = options.useClass ?? options.useExisting;
  if (!factory) {
    throw new FluxrateConfigError(
      'useFactory',
      'FluxrateModule.forRootAsync() needs useFactory, useClass or useExisting',
    );
  }
  const fromFactory: Provider = {
    provide: FLUXRATE_MODULE_OPTIONS,
    useFactory: (f: FluxrateOptionsFactory<M>): Promise<FluxrateOptions<M>> | FluxrateOptions<M> =>
      f.createFluxrateOptions(),
    inject: [factory],
  };
  return options.useClass ? [fromFactory, { provide: factory, useClass: factory }] : [fromFactory];
}

const EXPORTS = [FluxrateBilling, FluxrateTracker, FLUXRATE_MODULE_OPTIONS];

/**
 * Bills routes marked `@Billable()` (or listed in `routes`) to Fluxrate. Global by default: billing
 * starts in a global guard (`FluxrateInterceptor` for `onMissingCustomer: 'reject'`), and a global
 * interceptor captures each handler's `result`. On `app.close()` it delivers outstanding
 * events within `shutdownTimeoutMs` (shutting down a tracker it created, flushing one it was given).
 */
@Module({})
export class FluxrateModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    // Optional so that `imports: [FluxrateModule]` (no forRoot) fails with a FluxrateConfigError naming the fix.
    @Optional() @Inject(FluxrateBilling) private readonly billing: FluxrateBilling,
    @Optional() @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {
    if (!billing || !discovery) throw bareImport();
    attachCaptures(billing, discovery, reflector);
  }

  /**
   * With no arguments (`FluxrateModule.forRoot()`), bills through the process-wide tracker from the
   * environment (`FLUXRATE_API_KEY`, `FLUXRATE_BASE_URL`, `FLUXRATE_METERS`), charges
   * `request.fluxrateCustomer` (or the route spec's `customer`) and delivers on SIGTERM / SIGINT;
   * a bad environment fails bootstrap with a `FluxrateConfigError` naming the variable.
   */
  static forRoot(): DynamicModule;
  static forRoot<const M extends string = MeterName>(options: FluxrateModuleOptions<M>): DynamicModule;
  static forRoot(options: unknown = {}): DynamicModule {
    const global = (options as { global?: unknown } | null)?.global !== false;
    return {
      module: FluxrateModule,
      global,
      imports: [DiscoveryModule],
      providers: [
        { provide: FLUXRATE_MODULE_OPTIONS, useValue: options },
        ...billingProviders(global, false),
      ],
      exports: EXPORTS,
    };
  }

  static forRootAsync<M extends string = MeterName>(options: FluxrateModuleAsyncOptions<M>): DynamicModule {
    const global = options.global !== false;
    return {
      module: FluxrateModule,
      global,
      imports: [DiscoveryModule, ...(options.imports ?? [])],
      providers: [...asyncOptionsProviders(options), ...billingProviders(global, true)],
      exports: EXPORTS,
    };
  }

  onModuleInit(): void {
    compileControllers(this.billing, this.discovery, this.reflector);
  }

  /** What the deadline left is reported by core's shutdown, the same way for every adapter. */
  async onApplicationShutdown(): Promise<void> {
    await this.billing.close();
  }
}
