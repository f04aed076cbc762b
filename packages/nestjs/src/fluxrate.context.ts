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
  /** The innermost capture running for this request: the last to start (Nest starts the outermost first). */
  #capture: object | undefined;

  constructor(
    public request: any,
    public response: any,
    public context: ExecutionContext,
    private readonly billing: FluxrateBilling,
    private readonly label: string,
  ) {}

  get result(): any {
    if (this.#capture === undefined) this.#uncaptured();
    return this.#result;
  }

  set result(value: unknown) {
    this.#result = value;
  }

  /** `capture` runs for this request, inside any that started before it: `result` is what it sets. */
  capturedBy(capture: object): void {
    this.#capture = capture;
  }

  /** Whether `capture` is the innermost one, whose value stands. */
  isInnermost(capture: object): boolean {
    return this.#capture === capture;
  }

  #uncaptured(): void {
    const message =
      `${this.label}: a billing function read ctx.result on a route that captures no result (a module ` +
      '`customer` with fewer than two declared parameters gets no capture): declare it `(request, ctx) => …`';
    this.billing.lifecycle.reportRouteError(this.label, new Error(message), 'result read as undefined');
  }
}
