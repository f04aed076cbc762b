import type { RequestBilling } from '../contracts/route-types.js';
import { quantityProblem } from '../pipeline/validate-event.js';

/** What a handler reported for one meter; an amount that cannot be billed is kept apart, never netted. */
export interface Usage {
  set: number | undefined;
  added: number;
  /** True once a valid amount was set or added. */
  counted: boolean;
  /** The first amount that cannot be billed (negative, NaN, not a number), and the call that gave it. */
  invalid: { call: 'setQuantity' | 'addUsage'; value: unknown } | undefined;
}

/** Handler usage may add 0; anything else follows the one quantity rule. */
const billable = (quantity: unknown): quantity is number => quantity === 0 || !quantityProblem(quantity);

/** Called by the lifecycle: the last hold was released, or usage arrived after the event was tracked. */
export interface BillingHooks {
  released(): void;
  late(meter: string): void;
}

/** Per-request state. Methods never throw: bad values are kept and reported when the request is billed. */
export class RequestBillingState implements RequestBilling {
  readonly requestId: string;
  readonly startedAt: number;
  /** The client's Idempotency-Key, captured by adapters only in `client-key` mode. */
  clientKey: string | undefined;
  /** The route pattern, when the adapter learns it while the handler runs (Express). */
  route: string | undefined;
  skipped = false;
  /** The request id came from the app's `requestId` option (so keys are scoped to the customer). */
  appRequestId = false;
  usage: Map<string, Usage> | undefined;
  /** Open `hold()`s; billing waits for them (up to the lifecycle's deadline). */
  holds = 0;
  /** Set once the request was billed (or abandoned): later usage is reported, not billed. */
  sealed = false;
  hooks: BillingHooks | undefined;

  constructor(requestId: string, startedAt: number) {
    this.requestId = requestId;
    this.startedAt = startedAt;
  }

  #entry(meter: string): Usage | undefined {
    if (this.sealed) {
      this.hooks?.late(meter);
      return undefined;
    }
    this.usage ??= new Map();
    let entry = this.usage.get(meter);
    if (!entry) {
      entry = { set: undefined, added: 0, counted: false, invalid: undefined };
      this.usage.set(meter, entry);
    }
    return entry;
  }

  setQuantity(meter: string, quantity: number): void {
    const entry = this.#entry(String(meter));
    if (!entry) return;
    if (!billable(quantity)) entry.invalid ??= { call: 'setQuantity', value: quantity };
    else {
      entry.set = quantity;
      entry.counted = true;
    }
  }

  addUsage(meter: string, quantity: number): void {
    const entry = this.#entry(String(meter));
    if (!entry) return;
    if (!billable(quantity)) entry.invalid ??= { call: 'addUsage', value: quantity };
    else {
      entry.added += quantity;
      entry.counted = true;
    }
  }

  skip(): void {
    this.skipped = true;
  }

  hold(): () => void {
    if (this.sealed) {
      this.hooks?.late('(hold)');
      return () => undefined;
    }
    this.holds++;
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      this.holds--;
      if (this.holds === 0) this.hooks?.released();
    };
  }
}
