import {
  type CompiledSpec,
  createRouteMeter,
  createTracker,
  FluxrateConfigError,
  type RouteMeter,
  type ShutdownReport,
  type Tracker,
} from '@fluxrate/core';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from './fluxrate.constants.js';
import { type HandlerScope, scopedTracker } from './fluxrate.scoped-tracker.js';
import type { NestBillingArgs, NestBillingContext } from './fluxrate.types.js';

const ADAPTER = 'FluxrateModule';
/** Options the route meter takes; everything else (besides `tracker`) is a tracker option. */
const METER_KEYS = new Set(['customer', 'when', 'requestId', 'routes', 'onMissingCustomer', 'idempotency']);
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

  constructor(
    readonly meter: RouteMeter<NestBillingArgs>,
    /** The tracker injected as `FluxrateTracker` (the app's own, or the one created from options). */
    readonly tracker: Tracker,
    readonly ownsTracker: boolean,
    readonly shutdownTimeoutMs: number,
    /** Read by the scoped tracker the meter reports to. */
    private readonly scope: HandlerScope,
  ) {}

  /** Runs a route-meter call with `label` appended to any `error` it reports. */
  labelled<T>(label: string, fn: () => T): T {
    const previous = this.scope.current;
    this.scope.current = label;
    try {
      return fn();
    } finally {
      this.scope.current = previous;
    }
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

  const meterOptions: Record<string, unknown> = {};
  const trackerOptions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (key !== 'tracker') (METER_KEYS.has(key) ? meterOptions : trackerOptions)[key] = value;
  }
  // Module-level `customer` and `requestId` take the request first: `(request, ctx, outcome)`.
  for (const name of ['customer', 'requestId'] as const) {
    const fn = meterOptions[name];
    if (typeof fn === 'function') {
      meterOptions[name] = (ctx: NestBillingContext, ...more: unknown[]) =>
        (fn as Fn)(ctx.request, ctx, ...more);
    }
  }

  const billingScope: HandlerScope = { current: undefined };
  let tracker: Tracker;
  let owns: boolean;
  if (rest.tracker !== undefined) {
    tracker = rest.tracker as Tracker;
    owns = false;
    // Tracker options next to `tracker` are passed on so that core names the misplaced one.
    Object.assign(meterOptions, trackerOptions);
  } else {
    tracker = createTracker(trackerOptions);
    owns = true;
  }
  let meter: RouteMeter<NestBillingArgs>;
  try {
    meter = createRouteMeter<NestBillingArgs>(
      { ...meterOptions, tracker: scopedTracker(tracker, billingScope) },
      ADAPTER,
    );
  } catch (error) {
    if (owns) void tracker.shutdown({ timeoutMs: 0 }).catch(() => undefined);
    throw error;
  }
  return new FluxrateBilling(meter, tracker, owns, deadline, billingScope);
}
