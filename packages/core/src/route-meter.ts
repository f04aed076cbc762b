import { randomUUID } from 'node:crypto';
import type { AdapterTracker } from './adapter-tracker.js';
import { FluxrateConfigError, FluxrateValidationError } from './errors.js';
import { requestKey, scopedKey } from './idempotency-key.js';
import { describe, TRACKER_KEYS } from './options.js';
import { RequestBillingState } from './request-billing.js';
import { type CompiledSpec, compileBillable } from './route-spec.js';
import type { RequestOutcome } from './route-types.js';
import { RoutesTable } from './routes-table.js';
import { createTracker } from './tracker.js';
import type { TrackEvent, TrackerOptions } from './types.js';
import { kUniqueKey } from './unique-key.js';

type Fn = (...args: unknown[]) => unknown;

const METER_KEYS = [
  'customer',
  'when',
  'requestId',
  'routes',
  'onMissingCustomer',
  'idempotency',
  'holdTimeoutMs',
  'shutdownTimeoutMs',
] as const;
const CLIENT_KEY = /^[\u0021-\u007e][\u0020-\u007e]{0,254}$/;

/** Result of a guarded user function: its value, or the reason it could not be used. */
type Guarded = { ok: true; value: unknown } | { ok: false; reason: string; error?: unknown };

function guard(fn: unknown, args: unknown[]): Guarded {
  if (typeof fn !== 'function') return { ok: true, value: fn };
  try {
    const value = (fn as Fn)(...args);
    if (value instanceof Promise || (typeof value === 'object' && value !== null && 'then' in value)) {
      // A promise would need an await on the request path; refuse it loudly instead.
      Promise.resolve(value).catch(() => undefined);
      return { ok: false, reason: 'returned a Promise (billing functions must be synchronous)' };
    }
    return { ok: true, value };
  } catch (error) {
    return { ok: false, reason: `threw: ${error instanceof Error ? error.message : String(error)}`, error };
  }
}

const handlerSuffix = (handler: string | undefined): string => (handler ? ` (in ${handler})` : '');

const defaultWhen = (outcome: RequestOutcome): boolean =>
  outcome.finished && !outcome.aborted && !outcome.failed && outcome.status >= 100 && outcome.status < 400;

/**
 * Billing decisions shared by every adapter: the adapter supplies its framework's arguments
 * (`Args`, e.g. `[req, res]`) and a finished-request record; the meter resolves specs and tracks.
 * Nothing here throws into a request: problems become `error` or `skipped` events on the tracker.
 */
export class RouteMeter<Args extends unknown[] = unknown[]> {
  readonly tracker: AdapterTracker;
  /** True when the adapter created the tracker from options, and so owns its shutdown. */
  readonly ownsTracker: boolean;
  readonly routes: RoutesTable;
  readonly onMissingCustomer: 'skip' | 'reject';
  readonly idempotency: 'request' | 'client-key';
  readonly #customer: Fn | undefined;
  readonly #when: Fn | undefined;
  readonly #requestId: Fn | undefined;

  constructor(options: Record<string, unknown>, adapter: string) {
    if (typeof options !== 'object' || options === null) {
      throw new FluxrateConfigError('options', `${adapter} expects an options object`);
    }
    const trackerOptions: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(options)) {
      if (key !== 'tracker' && !(METER_KEYS as readonly string[]).includes(key)) trackerOptions[key] = value;
    }
    // Adapter options are checked before a tracker is created, so a bad option leaves nothing behind.
    for (const name of ['customer', 'when', 'requestId'] as const) {
      if (options[name] !== undefined && typeof options[name] !== 'function') {
        throw new FluxrateConfigError(name, `must be a function, got ${describe(options[name])}`);
      }
    }
    this.#customer = options.customer as Fn | undefined;
    this.#when = options.when as Fn | undefined;
    this.#requestId = options.requestId as Fn | undefined;
    const onMissing = options.onMissingCustomer ?? 'skip';
    if (onMissing !== 'skip' && onMissing !== 'reject') {
      throw new FluxrateConfigError(
        'onMissingCustomer',
        `must be 'skip' or 'reject', got ${describe(onMissing)}`,
      );
    }
    this.onMissingCustomer = onMissing;
    const idempotency = options.idempotency ?? 'request';
    if (idempotency !== 'request' && idempotency !== 'client-key') {
      throw new FluxrateConfigError(
        'idempotency',
        `must be 'request' or 'client-key', got ${describe(idempotency)}`,
      );
    }
    this.idempotency = idempotency;
    if (options.tracker !== undefined) {
      const t = options.tracker as AdapterTracker;
      if (
        typeof t !== 'object' ||
        t === null ||
        typeof t.track !== 'function' ||
        typeof t.shutdown !== 'function'
      ) {
        throw new FluxrateConfigError(
          'tracker',
          `must be a tracker from createTracker(), got ${describe(t)}`,
        );
      }
      const extra = Object.keys(trackerOptions)[0];
      if (extra !== undefined) {
        throw new FluxrateConfigError(
          extra,
          TRACKER_KEYS.has(extra)
            ? 'is a tracker option: pass it to createTracker(), not next to `tracker`'
            : `unknown option (known: tracker, ${METER_KEYS.join(', ')})`,
        );
      }
      this.tracker = t;
      this.ownsTracker = false;
    } else {
      this.tracker = createTracker(trackerOptions as TrackerOptions<string>) as AdapterTracker;
      this.ownsTracker = true;
    }
    try {
      this.routes = new RoutesTable(options.routes, (meter) => this.tracker.hasMeter(meter));
    } catch (error) {
      if (this.ownsTracker) void this.tracker.shutdown({ timeoutMs: 0 });
      throw error;
    }
  }

  /** Validates a route's `billable` spec at registration; throws `FluxrateRouteError` naming the route. */
  compile(spec: unknown, route: string): CompiledSpec[] {
    return compileBillable(spec, route, (meter) => this.tracker.hasMeter(meter));
  }

  /** Starts billing state for a request. `clientKey` is the raw `Idempotency-Key` header, if any. */
  begin(args: Args, clientKey?: unknown, handler?: string): RequestBillingState {
    let requestId: string | undefined;
    if (this.#requestId) {
      const result = guard(this.#requestId, args);
      if (
        result.ok &&
        typeof result.value === 'string' &&
        result.value.length > 0 &&
        result.value.length <= 255
      ) {
        requestId = result.value;
      } else {
        this.tracker.reportError({
          reason: `requestId ${result.ok ? `returned ${describe(result.value)}` : result.reason}; using a generated UUID${handlerSuffix(handler)}`,
          error: result.ok ? undefined : result.error,
        });
      }
    }
    const state = new RequestBillingState(requestId ?? randomUUID(), Date.now());
    if (requestId !== undefined) state.appRequestId = true;
    if (this.idempotency === 'client-key' && typeof clientKey === 'string' && CLIENT_KEY.test(clientKey)) {
      state.clientKey = clientKey;
    }
    return state;
  }

  /** Specs that apply: the annotation wins over the `routes` table; `false` opts out. */
  specsFor(
    annotated: CompiledSpec[] | false | undefined,
    method: string,
    route: string | undefined,
    path?: string,
  ): CompiledSpec[] {
    if (annotated === false) return [];
    if (annotated) return annotated;
    return this.routes.lookup(method, route, path) || [];
  }

  /**
   * For `onMissingCustomer: 'reject'`: true when a billable request has no customer, so the adapter
   * answers 403 before the handler runs. Never throws.
   */
  shouldReject(specs: CompiledSpec[], args: Args, outcome: RequestOutcome): boolean {
    if (this.onMissingCustomer !== 'reject' || specs.length === 0) return false;
    for (const spec of specs) {
      const result = guard(spec.customer ?? this.#customer, [...args, outcome]);
      if (!result.ok || typeof result.value !== 'string' || result.value.length === 0) return true;
    }
    return false;
  }

  /** Bills a finished request. Never throws; never awaits. */
  finish(state: RequestBillingState, specs: CompiledSpec[], args: Args, outcome: RequestOutcome): void {
    // Free routes (no spec, no handler usage) cost nothing more than this check.
    if (specs.length === 0 && state.usage === undefined) return;
    try {
      const route = `${outcome.method} ${outcome.route ?? '(no route)'}`;
      if (state.skipped) {
        if (specs.length > 0 || state.usage) this.tracker.reportSkip({ reason: 'opted-out', route });
        return;
      }
      let all = specs;
      if (state.usage) {
        // Usage reported by the handler for a meter the route does not list is billed too.
        const extra = [...state.usage.keys()].filter((meter) => !specs.some((s) => s.meter === meter));
        if (extra.length > 0)
          all = [
            ...specs,
            ...compileBillable(
              extra.map((meter) => ({ meter })),
              route,
            ),
          ];
      }
      const callArgs = [...args, outcome];
      for (const spec of all) this.#billOne(state, spec, callArgs, outcome, route);
    } catch (error) {
      this.tracker.reportError({ reason: `internal error while billing: ${String(error)}`, error });
    }
  }

  #billOne(
    state: RequestBillingState,
    spec: CompiledSpec,
    callArgs: unknown[],
    outcome: RequestOutcome,
    route: string,
  ): void {
    const meter = spec.meter;
    const fail = (what: string, reason: string, error?: unknown) =>
      this.tracker.reportError({
        route,
        meter,
        reason: `${what} ${reason}${handlerSuffix(outcome.handler)}`,
        error,
      });

    const when = spec.when ?? this.#when;
    if (when) {
      const result = guard(when, callArgs);
      if (!result.ok) return fail('when', result.reason, result.error);
      if (typeof result.value !== 'boolean') {
        return fail('when', `returned ${describe(result.value)}, expected a boolean`);
      }
      if (!result.value) return;
    } else if (!defaultWhen(outcome)) return;

    const customerResult = guard(spec.customer ?? this.#customer, callArgs);
    if (!customerResult.ok) return fail('customer', customerResult.reason, customerResult.error);
    const customer = customerResult.value;
    if (customer === undefined || customer === null || customer === '') {
      return this.tracker.reportSkip({ reason: 'missing-customer', meter, route });
    }
    if (typeof customer !== 'string')
      return fail('customer', `returned ${describe(customer)}, expected a string`);

    let quantity: unknown;
    // Handler usage belongs to the meter's first spec only, so a meter listed twice is not billed twice.
    const usage = spec.ordinal === 0 ? state.usage?.get(meter) : undefined;
    if (usage) quantity = usage.set === undefined ? usage.added : usage.set + usage.added;
    else if (typeof spec.quantity === 'function') {
      // A function that returns nothing is a bug (e.g. res.locals.tokens never set): report, don't bill 1.
      const result = guard(spec.quantity, callArgs);
      if (!result.ok) return fail('quantity', result.reason, result.error);
      quantity = result.value;
    } else quantity = spec.quantity ?? 1;
    if (quantity === 0)
      return this.tracker.reportSkip({ reason: 'zero-quantity', meter, customerId: customer, route });
    if (typeof quantity !== 'number' || !Number.isFinite(quantity) || quantity < 0) {
      return fail(
        'quantity',
        `is ${Object.is(quantity, -0) ? '-0' : describe(quantity)}, expected a finite number > 0`,
      );
    }

    const metadataResult = guard(spec.metadata, callArgs);
    if (!metadataResult.ok) return fail('metadata', metadataResult.reason, metadataResult.error);
    const metadata = metadataResult.value ?? undefined;

    const keyResult = guard(spec.idempotencyKey, callArgs);
    if (!keyResult.ok) return fail('idempotencyKey', keyResult.reason, keyResult.error);
    const appKey = keyResult.value;
    if (appKey !== undefined && appKey !== null && (typeof appKey !== 'string' || appKey === '')) {
      return fail('idempotencyKey', `returned ${describe(appKey)}, expected a non-empty string`);
    }
    let idempotencyKey: string;
    if (typeof appKey === 'string') idempotencyKey = scopedKey('key', customer, appKey, meter, spec.ordinal);
    else if (state.clientKey !== undefined)
      idempotencyKey = scopedKey('idem', customer, state.clientKey, meter, spec.ordinal);
    else if (state.appRequestId)
      idempotencyKey = scopedKey('app', customer, state.requestId, meter, spec.ordinal);
    else idempotencyKey = requestKey(state.requestId, meter, spec.ordinal);
    // Only the server-generated request UUID makes a key unique by construction.
    const unique = typeof appKey !== 'string' && state.clientKey === undefined && !state.appRequestId;

    try {
      const input: TrackEvent & { [kUniqueKey]?: boolean } = {
        meter,
        customerId: customer,
        quantity,
        idempotencyKey,
      };
      if (metadata !== undefined) input.metadata = metadata as Record<string, unknown>;
      if (unique) input[kUniqueKey] = true;
      this.tracker.track(input);
    } catch (error) {
      if (error instanceof FluxrateValidationError) return fail('event', error.message, error);
      throw error;
    }
  }
}

/** Creates the route meter an adapter uses; validates options and names the one at fault. */
export function createRouteMeter<Args extends unknown[]>(
  options: unknown,
  adapter: string,
): RouteMeter<Args> {
  return new RouteMeter<Args>(options as Record<string, unknown>, adapter);
}
