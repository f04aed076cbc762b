import {
  type CompiledSpec,
  createRouteMeter,
  FluxrateConfigError,
  type RouteMeter,
  type ShutdownReport,
  type Tracker,
} from '@fluxrate/core';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from './fluxrate.constants.js';
import type { NestBillingArgs, NestBillingContext } from './fluxrate.types.js';

const ADAPTER = 'FluxrateModule';
/** Options the route meter takes; everything else (besides `tracker`) is a tracker option. */
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
 * The module's billing state: the route meter, the tracker it reports to, and the specs compiled once
 * per handler. One instance per `FluxrateModule`; shared by every `FluxrateInterceptor` instance.
 */
export class FluxrateBilling {
  readonly #annotations = new WeakMap<object, Map<object, Annotation>>();

  readonly tracker: Tracker;
  readonly ownsTracker: boolean;

  constructor(
    readonly meter: RouteMeter<NestBillingArgs>,
    readonly shutdownTimeoutMs: number,
  ) {
    this.tracker = meter.tracker;
    this.ownsTracker = meter.ownsTracker;
  }

  annotation(handler: object, controller: object): Annotation | undefined {
    return this.#annotations.get(handler)?.get(controller);
  }

  /** Compiles a `@Billable` spec (or records `@SkipBilling` / none); throws `FluxrateRouteError` naming `route`. */
  compile(handler: object, controller: object, spec: unknown, route: string): Annotation {
    const annotation: Annotation =
      spec === false ? false : spec === undefined || spec === null ? null : this.meter.compile(spec, route);
    let byController = this.#annotations.get(handler);
    if (!byController) {
      byController = new Map();
      this.#annotations.set(handler, byController);
    }
    byController.set(controller, annotation);
    return annotation;
  }

  /** On `app.close()`: shuts down a tracker the module created, or flushes the app's own, within the deadline. */
  async close(): Promise<ShutdownReport | undefined> {
    if (this.ownsTracker) return this.tracker.shutdown({ timeoutMs: this.shutdownTimeoutMs });
    await this.tracker.flush({ timeoutMs: this.shutdownTimeoutMs });
    return undefined;
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
  const { global, shutdownTimeoutMs, ...rest } = options as Record<string, unknown>;
  if (fromFactory && global !== undefined) {
    throw new FluxrateConfigError(
      'global',
      'set it on forRootAsync({ global }), not in the options the factory returns',
    );
  }
  if (!fromFactory && global !== undefined && typeof global !== 'boolean') {
    throw new FluxrateConfigError('global', `must be a boolean, got ${describe(global)}`);
  }
  const deadline = shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  if (typeof deadline !== 'number' || Number.isNaN(deadline) || deadline < 0) {
    throw new FluxrateConfigError('shutdownTimeoutMs', `must be a number >= 0, got ${describe(deadline)}`);
  }

  // Nest passes one context object to route functions; module-level customer/requestId get the request first.
  const meterOptions: Record<string, unknown> = { ...rest };
  for (const name of ['customer', 'requestId'] as const) {
    const fn = meterOptions[name];
    if (typeof fn === 'function') {
      meterOptions[name] = (ctx: NestBillingContext, ...more: unknown[]) =>
        (fn as Fn)(ctx.request, ctx, ...more);
    }
  }
  // The route meter splits tracker options from its own and creates (and owns) a tracker when none is given.
  return new FluxrateBilling(createRouteMeter<NestBillingArgs>(meterOptions, ADAPTER), deadline);
}
