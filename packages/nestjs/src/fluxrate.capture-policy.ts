import type { Reflector } from '@nestjs/core';
import {
  BILLABLE_METADATA,
  NEST_NEXT_PARAM,
  NEST_RESPONSE_PARAM,
  NEST_ROUTE_ARGS_METADATA,
  NEST_SSE_METADATA,
} from './fluxrate.constants.js';

type Fn = (...args: unknown[]) => unknown;

/** A spec (or list of specs) with a function: it gets `ctx`, so it may read `ctx.result`. */
export const hasFunction = (spec: unknown): boolean =>
  Array.isArray(spec)
    ? spec.some(hasFunction)
    : typeof spec === 'object' && spec !== null && Object.values(spec).some((v) => typeof v === 'function');

/**
 * The handler is `@Sse()` or takes `@Res()` / `@Next()`: it can send headers before it fails, which
 * only the capture reports. Nest's metadata is read here, never written.
 */
export function sendsEarly(controller: object, name: string | symbol, handler: object | undefined): boolean {
  if (typeof handler === 'function' && Reflect.getMetadata(NEST_SSE_METADATA, handler)) return true;
  const args = Reflect.getMetadata(NEST_ROUTE_ARGS_METADATA, controller, name) as object | undefined;
  return Object.keys(args ?? {}).some((key) => {
    const type = Number(key.split(':')[0]);
    return type === NEST_RESPONSE_PARAM || type === NEST_NEXT_PARAM;
  });
}

/** What the module's options ask of every billed route (read once, when the module starts). */
export interface CapturePolicy {
  /**
   * A module-level `when` (it gets `ctx` first), or a `customer` that declares `ctx`, its second
   * parameter (`length > 1`). `() => …` and `(request) => …` get no capture: one that still reaches
   * `ctx.result` (through `arguments` or a rest parameter) is said once per route (fluxrate.context.ts).
   */
  readonly moduleReadsContext: boolean;
  /** Some `routes` table entry has a function, which gets `ctx` first. */
  readonly tableHasFunctions: boolean;
}

export function capturePolicy(options: Record<string, unknown>): CapturePolicy {
  const { customer, when, routes } = options;
  return {
    moduleReadsContext:
      typeof when === 'function' || (typeof customer === 'function' && (customer as Fn).length > 1),
    tableHasFunctions:
      typeof routes === 'object' && routes !== null && Object.values(routes).some(hasFunction),
  };
}

/**
 * Whether a route handler needs the capture at bootstrap: it is billed (`@Billable`, or the `routes`
 * table may bill it) and can fail after sending, or the module's functions read `ctx`. A `@Billable`
 * with a function composed the capture itself; the table's functions get the global one.
 */
export function needsCapture(
  policy: CapturePolicy,
  tableHasRoutes: boolean,
  reflector: Reflector,
  route: { controller: object; name: string; handler: object },
): boolean {
  const { controller, name, handler } = route;
  const spec: unknown = reflector.getAllAndOverride(BILLABLE_METADATA, [
    handler as () => void,
    controller as () => void,
  ]);
  if (spec === false || ((spec === undefined || spec === null) && !tableHasRoutes)) return false;
  return policy.moduleReadsContext || sendsEarly(controller, name, handler);
}
