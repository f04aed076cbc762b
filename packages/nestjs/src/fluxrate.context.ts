import type { ExecutionContext } from '@nestjs/common';
import type { FluxrateBilling } from './fluxrate.billing.js';
import type { NestBillingContext } from './fluxrate.types.js';

/**
 * The `ctx` of one metered request. `result` is an accessor so that a read on a request no capture runs
 * for (a module `customer` declared with fewer than two parameters that still reaches `ctx`, through
 * `arguments` or a rest parameter) is said once per route instead of silently reading `undefined`.
 */
export class BillingContext implements NestBillingContext {
  #result: unknown = undefined;
  #captured = false;

  constructor(
    public request: any,
    public response: any,
    public context: ExecutionContext,
    private readonly billing: FluxrateBilling,
    private readonly label: string,
  ) {}

  get result(): any {
    if (!this.#captured) this.#uncaptured();
    return this.#result;
  }

  set result(value: unknown) {
    this.#captured = true;
    this.#result = value;
  }

  /** A capture runs for this request: `result` is what it sets (undefined if the handler threw or returned nothing). */
  captured(): void {
    this.#captured = true;
  }

  #uncaptured(): void {
    const message =
      `${this.label}: a billing function read ctx.result on a route that captures no result (a module ` +
      '`customer` with fewer than two declared parameters gets no capture): declare it `(request, ctx) => …`';
    this.billing.lifecycle.reportRouteError(this.label, new Error(message), 'result read as undefined');
  }
}
