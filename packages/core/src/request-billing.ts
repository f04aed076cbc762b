import type { RequestBilling } from './route-types.js';

interface Usage {
  set: number | undefined;
  added: number;
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

  constructor(requestId: string, startedAt: number) {
    this.requestId = requestId;
    this.startedAt = startedAt;
  }

  #entry(meter: string): Usage {
    this.usage ??= new Map();
    let entry = this.usage.get(meter);
    if (!entry) {
      entry = { set: undefined, added: 0 };
      this.usage.set(meter, entry);
    }
    return entry;
  }

  setQuantity(meter: string, quantity: number): void {
    this.#entry(String(meter)).set = quantity;
  }

  addUsage(meter: string, quantity: number): void {
    this.#entry(String(meter)).added += quantity;
  }

  skip(): void {
    this.skipped = true;
  }
}
