import { describe } from './options.js';
import type { RequestBillingState } from './request-billing.js';
import type { CompiledSpec } from './route-spec.js';
import { call } from './user-function.js';

/**
 * The quantity one spec bills: the handler's usage (on the meter's first spec only, so a meter listed
 * twice is not billed twice), else the spec's function (a function that returns nothing is a bug, e.g.
 * `res.locals.tokens` never set: reported, never billed as 1), else its value, default 1. `FAILED` when
 * the function threw.
 */
export function specQuantity(spec: CompiledSpec, state: RequestBillingState, callArgs: unknown[]): unknown {
  const usage = spec.ordinal === 0 ? state.usage?.get(spec.meter) : undefined;
  if (usage) return usage.set === undefined ? usage.added : usage.set + usage.added;
  if (typeof spec.quantity === 'function') return call(spec.quantity, callArgs);
  return spec.quantity ?? 1;
}

/** Why a quantity cannot be billed, or undefined when it can (0 is a skip, not a problem). */
export function quantityProblem(quantity: unknown): string | undefined {
  if (typeof quantity === 'number' && Number.isFinite(quantity) && quantity >= 0) return undefined;
  return `is ${Object.is(quantity, -0) ? '-0' : describe(quantity)}, expected a finite number > 0`;
}
