import { quantityProblem } from '../pipeline/validate-event.js';
import type { RequestBillingState, Usage } from './request-billing.js';
import { type CompiledSpec, compileBillable } from './route-spec.js';
import { call } from './user-function.js';

/** The handler reported only amounts that cannot be billed (each reported already): nothing to bill. */
export const NOT_COUNTED: unique symbol = Symbol.for('fluxrate.notCounted');

/**
 * The quantity one spec bills: the handler's usage (on the meter's first spec only, so a meter listed
 * twice is not billed twice), else the spec's function (a function that returns nothing is a bug, e.g.
 * `res.locals.tokens` never set: reported, never billed as 1), else its value, default 1. `FAILED` when
 * the function threw; `NOT_COUNTED` when the handler's only amounts for this meter were invalid.
 */
export function specQuantity(spec: CompiledSpec, state: RequestBillingState, callArgs: unknown[]): unknown {
  const usage = spec.ordinal === 0 ? state.usage?.get(spec.meter) : undefined;
  if (usage) {
    if (!usage.counted) return NOT_COUNTED;
    return usage.set === undefined ? usage.added : usage.set + usage.added;
  }
  if (typeof spec.quantity === 'function') return call(spec.quantity, callArgs);
  return spec.quantity ?? 1;
}

/**
 * The specs that bill a request with handler usage: the route's, plus one per meter the handler reported
 * that the route does not list. An amount that cannot be billed (`addUsage('tokens', -3)`) is reported
 * through `report`, once per meter, and not counted: the meter bills its valid amounts only.
 */
export function withHandlerUsage(
  specs: CompiledSpec[],
  usage: Map<string, Usage>,
  route: string,
  report: (meter: string, what: string, problem: string) => void,
): CompiledSpec[] {
  const extra: { meter: string }[] = [];
  for (const [meter, entry] of usage) {
    if (entry.invalid) {
      const { call: name, value } = entry.invalid;
      report(meter, `${name}('${meter}', …)`, `${quantityProblem(value)}; not counted (never netted)`);
    }
    if (!specs.some((s) => s.meter === meter)) extra.push({ meter });
  }
  return extra.length > 0 ? [...specs, ...compileBillable(extra, route)] : specs;
}
