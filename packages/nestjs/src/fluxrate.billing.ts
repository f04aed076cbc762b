import { FluxrateConfigError, type ShutdownReport, type Tracker } from '@fluxrate/core';
import { type CompiledSpec, isZeroConfig, RequestLifecycle } from '@fluxrate/core/adapter';
import { type CapturePolicy, capturePolicy } from './fluxrate.capture-policy.js';
import type { NestBillingArgs, NestBillingContext } from './fluxrate.types.js';
import { customerHints, zeroConfigOptions } from './fluxrate.zero-config.js';

const ADAPTER = 'FluxrateModule';
type Fn = (...args: unknown[]) => unknown;
/** Cached annotation per handler and controller: specs, `false` (opted out) or `null` (none). */
type Annotation = CompiledSpec[] | false | null;

const describe = (v: unknown): string =>
  typeof v === 'string'
    ? `'${v.slice(0, 40)}'`
    : v === null
      ? 'null'
      : Array.isArray(v)
        ? 'an array'
        : typeof v;

/**
 * The module's billing state: core's request lifecycle and the specs compiled once per handler.
 * One instance per `FluxrateModule`; shared by its guard and every `FluxrateInterceptor` instance.
 */
export class FluxrateBilling {
  readonly #annotations = new WeakMap<object, Map<object, Annotation>>();

  constructor(
    readonly lifecycle: RequestLifecycle<NestBillingArgs>,
    /** Which module-level functions get `ctx`: decides which handlers get the capture at bootstrap. */
    readonly capture: CapturePolicy = { moduleReadsContext: true, tableHasFunctions: true },
  ) {}

  /** `onMissingCustomer: 'reject'`: billing starts in `FluxrateInterceptor`, after the app's guards. */
  get rejects(): boolean {
    return this.lifecycle.meter.onMissingCustomer === 'reject';
  }

  get tracker(): Tracker {
    return this.lifecycle.tracker;
  }

  get shutdownTimeoutMs(): number {
    return this.lifecycle.shutdownTimeoutMs;
  }

  annotation(handler: object, controller: object): Annotation | undefined {
    return this.#annotations.get(handler)?.get(controller);
  }

  /** Compiles a `@Billable` spec (or records `@SkipBilling` / none); throws `FluxrateRouteError` naming `route`. */
  compile(handler: object, controller: object, spec: unknown, route: string): Annotation {
    const annotation: Annotation =
      spec === false
        ? false
        : spec === undefined || spec === null
          ? null
          : this.lifecycle.compile(spec, route);
    let byController = this.#annotations.get(handler);
    if (!byController) {
      byController = new Map();
      this.#annotations.set(handler, byController);
    }
    byController.set(controller, annotation);
    return annotation;
  }

  /** On `app.close()`: shuts down a tracker the module created, or flushes the app's own, within the deadline. */
  close(): Promise<ShutdownReport | undefined> {
    return this.lifecycle.close();
  }
}

/**
 * Builds the billing state from module options. Invalid options throw `FluxrateConfigError` naming the
 * option, which Nest surfaces at bootstrap. `fromFactory`: options came from `forRootAsync`.
 */
export function createFluxrateBilling(options: unknown, fromFactory = false): FluxrateBilling {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new FluxrateConfigError(
      'options',
      `${fromFactory ? 'the forRootAsync() factory must return' : 'forRoot() expects'} an options object, got ${describe(options)}`,
    );
  }
  const { global, ...rest } = options as Record<string, unknown>;
  if (fromFactory && global !== undefined) {
    throw new FluxrateConfigError(
      'global',
      'set it on forRootAsync({ global }), not in the options the factory returns',
    );
  }
  if (!fromFactory && global !== undefined && typeof global !== 'boolean') {
    throw new FluxrateConfigError('global', `must be a boolean, got ${describe(global)}`);
  }
  // Nest passes one context object to route functions; module-level customer/requestId get the request first.
  const zero = isZeroConfig(rest);
  const lifecycleOptions: Record<string, unknown> = zero ? zeroConfigOptions() : { ...rest };
  // Read from the app's own functions, before they are wrapped below.
  const capture = capturePolicy(lifecycleOptions);
  for (const name of ['customer', 'requestId'] as const) {
    const fn = lifecycleOptions[name];
    if (typeof fn === 'function') {
      lifecycleOptions[name] = (ctx: NestBillingContext, ...more: unknown[]) =>
        (fn as Fn)(ctx.request, ctx, ...more);
    }
  }
  const lifecycle = new RequestLifecycle<NestBillingArgs>(lifecycleOptions, ADAPTER, customerHints(zero));
  return new FluxrateBilling(lifecycle, capture);
}
