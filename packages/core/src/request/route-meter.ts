import { randomUUID } from 'node:crypto';
import { METERS_ENV } from '../config/env-meters.js';
import type { AdapterTracker } from '../contracts/adapter-tracker.js';
import { isDefaultTracker } from '../contracts/default-slot.js';
import { FluxrateValidationError } from '../contracts/errors.js';
import type { RequestOutcome } from '../contracts/route-types.js';
import type { TrackEvent, TrackerOptions } from '../contracts/types.js';
import { kUniqueKey } from '../contracts/unique-key.js';
import type { AdapterHints } from '../pipeline/skip-notice.js';
import { describe } from '../support/describe.js';
import { createTracker } from '../tracker.js';
import { eventKey } from './idempotency-key.js';
import { RequestBillingState } from './request-billing.js';
import { appRequestId } from './request-id.js';
import { parseMeterOptions } from './route-meter-options.js';
import { customerAdvice, defaultWhen, handlerSuffix, knownMeters, routeLabel } from './route-outcome.js';
import { type CompiledSpec, compileBillable } from './route-spec.js';
import { RoutesTable } from './routes-table.js';
import { NOT_COUNTED, specQuantity, withHandlerUsage } from './spec-quantity.js';
import { call, callFailure, FAILED, guard } from './user-function.js';

type Fn = (...args: unknown[]) => unknown;

const CLIENT_KEY = /^[\u0021-\u007e][\u0020-\u007e]{0,254}$/;

/**
 * Billing decisions shared by every adapter: given the framework's `Args` (e.g. `[req, res]`) and a finished-
 * request record, the meter resolves specs and tracks. It never throws into a request: problems are events.
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
  readonly #adapter: string;
  readonly #hints: AdapterHints;

  constructor(options: Record<string, unknown>, adapter: string, hints: AdapterHints = {}) {
    const parsed = parseMeterOptions(options, adapter);
    this.#customer = parsed.customer;
    this.#when = parsed.when;
    this.#requestId = parsed.requestId;
    this.onMissingCustomer = parsed.onMissingCustomer;
    this.idempotency = parsed.idempotency;
    this.#adapter = adapter;
    this.#hints = hints;
    this.ownsTracker = parsed.tracker === undefined;
    this.tracker =
      parsed.tracker ?? (createTracker(parsed.trackerOptions as TrackerOptions<string>) as AdapterTracker);
    try {
      this.routes = new RoutesTable(
        options.routes,
        (meter) => this.tracker.hasMeter(meter),
        () => this.#knownMeters(),
      );
    } catch (error) {
      if (this.ownsTracker) void this.tracker.shutdown({ timeoutMs: 0 });
      throw error;
    }
  }

  /** Validates a route's `billable` spec at registration; throws `FluxrateRouteError` naming the route. */
  compile(spec: unknown, route: string): CompiledSpec[] {
    return compileBillable(
      spec,
      route,
      (meter) => this.tracker.hasMeter(meter),
      () => this.#knownMeters(),
    );
  }

  #knownMeters(): string {
    return knownMeters(this.tracker.meterNames(), isDefaultTracker(this.tracker), METERS_ENV);
  }

  /** Starts billing state for a request. `clientKey` is the raw `Idempotency-Key` header, if any. */
  begin(args: Args, clientKey?: unknown, handler?: string): RequestBillingState {
    const requestId = this.#requestId && appRequestId(this.#requestId, args, this.tracker, handler);
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
    caseSensitive?: boolean,
  ): CompiledSpec[] {
    if (annotated === false) return [];
    if (annotated) return annotated;
    return this.routes.lookup(method, route, path, caseSensitive) || [];
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
      if (state.skipped) {
        if (specs.length > 0 || state.usage)
          this.tracker.reportSkip({ reason: 'opted-out', route: routeLabel(outcome) });
        return;
      }
      // Usage reported by the handler for a meter the route does not list is billed too.
      const fail = (meter: string, what: string, problem: string) =>
        this.#fail(outcome, meter, what, problem);
      const all = state.usage ? withHandlerUsage(specs, state.usage, routeLabel(outcome), fail) : specs;
      const callArgs: unknown[] = [...args, outcome];
      for (const spec of all) this.#billOne(state, spec, callArgs, outcome);
    } catch (error) {
      this.tracker.reportError({ reason: `internal error while billing: ${String(error)}`, error });
    }
  }

  /** A user function's problem, reported as an `error` event naming route, meter and handler. */
  #fail(outcome: RequestOutcome, meter: string, what: string, reason: string, error?: unknown): void {
    this.tracker.reportError(
      {
        route: routeLabel(outcome),
        meter,
        reason: `${what} ${reason}${handlerSuffix(outcome.handler)}`,
        error,
      },
      { topic: what }, // one problem per route, meter and function, whatever value it returned
    );
  }

  #billOne(
    state: RequestBillingState,
    spec: CompiledSpec,
    callArgs: unknown[],
    outcome: RequestOutcome,
  ): void {
    const meter = spec.meter;
    const when = spec.when ?? this.#when;
    if (when) {
      const value = call(when, callArgs);
      if (value === FAILED) return this.#fail(outcome, meter, 'when', callFailure.reason, callFailure.error);
      if (typeof value !== 'boolean') {
        return this.#fail(outcome, meter, 'when', `returned ${describe(value)}, expected a boolean`);
      }
      if (!value) return;
    } else if (!defaultWhen(outcome)) return;

    const customerFn = spec.customer ?? this.#customer;
    const customer = call(customerFn, callArgs);
    if (customer === FAILED)
      return this.#fail(outcome, meter, 'customer', callFailure.reason, callFailure.error);
    if (customer === undefined || customer === null || customer === '') {
      return this.tracker.reportSkip(
        { reason: 'missing-customer', meter, route: routeLabel(outcome) },
        customerAdvice(customerFn, customer, this.#adapter, this.#hints.customerHint),
      );
    }
    if (typeof customer !== 'string')
      return this.#fail(outcome, meter, 'customer', `returned ${describe(customer)}, expected a string`);

    const quantity = specQuantity(spec, state, callArgs);
    if (quantity === NOT_COUNTED) return;
    if (quantity === FAILED)
      return this.#fail(outcome, meter, 'quantity', callFailure.reason, callFailure.error);
    if (quantity === 0) {
      return this.tracker.reportSkip({
        reason: 'zero-quantity',
        meter,
        customerId: customer,
        route: routeLabel(outcome),
      });
    }
    const metadata = call(spec.metadata, callArgs);
    if (metadata === FAILED)
      return this.#fail(outcome, meter, 'metadata', callFailure.reason, callFailure.error);

    const appKey = call(spec.idempotencyKey, callArgs);
    if (appKey === FAILED)
      return this.#fail(outcome, meter, 'idempotencyKey', callFailure.reason, callFailure.error);
    if (appKey !== undefined && appKey !== null && (typeof appKey !== 'string' || appKey === '')) {
      return this.#fail(
        outcome,
        meter,
        'idempotencyKey',
        `returned ${describe(appKey)}, expected a non-empty string`,
      );
    }
    const { key: idempotencyKey, unique } = eventKey(
      {
        appKey: typeof appKey === 'string' ? appKey : undefined,
        clientKey: state.clientKey,
        requestId: state.requestId,
        appRequestId: state.appRequestId,
      },
      customer,
      meter,
      spec.ordinal,
    );

    try {
      const input: TrackEvent & { [kUniqueKey]?: boolean } = {
        meter,
        customerId: customer,
        quantity: quantity as number,
        idempotencyKey,
      };
      if (metadata !== undefined && metadata !== null) input.metadata = metadata as Record<string, unknown>;
      if (unique) input[kUniqueKey] = true;
      this.tracker.track(input);
    } catch (error) {
      if (error instanceof FluxrateValidationError)
        return this.#fail(outcome, meter, error.field, error.problem ?? error.message, error);
      throw error;
    }
  }
}

/** Creates the route meter an adapter uses; validates options and names the one at fault. */
export function createRouteMeter<Args extends unknown[]>(
  options: unknown,
  adapter: string,
  hints?: AdapterHints,
): RouteMeter<Args> {
  return new RouteMeter<Args>(options as Record<string, unknown>, adapter, hints);
}
