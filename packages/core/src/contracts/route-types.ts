import type { MeterName, MeterRef, Tracker, TrackerOptions } from './types.js';

/** The framework-neutral record of a finished request that adapters hand to the route meter. */
export interface RequestOutcome {
  requestId: string;
  method: string;
  /** The route pattern, e.g. `/v1/items/:id`; undefined when no route matched. */
  route: string | undefined;
  status: number;
  /** The client went away before the response was fully sent. */
  aborted: boolean;
  /** The response was fully handed to the OS. */
  finished: boolean;
  /**
   * The handler failed after the response had started (a stream or Observable that errored, a handler
   * that threw after writing). Not billed by default.
   */
  failed?: boolean;
  durationMs: number;
  /** Where the request was handled, e.g. `SearchController.search`; named in error reasons. */
  handler?: string;
}

/** A value, or a function of the adapter's arguments plus the request outcome. */
export type Resolver<Args extends unknown[], T> = T | ((...args: [...Args, RequestOutcome]) => T);

/** One meter billed by a route. Functions run once the response has finished, guarded. */
export interface RouteSpec<Args extends unknown[] = unknown[], M extends string = MeterName> {
  /** A configured meter name or a raw meter token. */
  meter: MeterRef<M>;
  /** Default: 1, or what the handler set through `setQuantity` / `addUsage`. */
  quantity?: Resolver<Args, number | null | undefined>;
  /** Default: the adapter's global `customer`. */
  customer?: Resolver<Args, string | null | undefined>;
  metadata?: Resolver<Args, Record<string, unknown> | null | undefined>;
  /** Bill this request? Default: finished, not aborted, not failed, status < 400. */
  when?: (...args: [...Args, RequestOutcome]) => boolean;
  /** App-chosen key (e.g. an order id). Always scoped to the customer and meter. */
  idempotencyKey?: Resolver<Args, string | null | undefined>;
}

export type BillableSpec<Args extends unknown[] = unknown[], M extends string = MeterName> =
  | RouteSpec<Args, M>
  | readonly RouteSpec<Args, M>[];

/** `'GET /v1/search': 'api_calls'`, `'/v1/chat': { meter: 'tokens' }`, or `false` to never bill a route. */
export type RoutesTable<Args extends unknown[] = unknown[], M extends string = MeterName> = Record<
  string,
  MeterRef<M> | BillableSpec<Args, M> | false
>;

/** Options every adapter accepts (besides `tracker` or tracker options). */
export interface RouteMeterOptions<Args extends unknown[] = unknown[], M extends string = MeterName> {
  /** The customer billed for a request. Required unless every spec names its own. */
  customer?: (...args: [...Args, RequestOutcome]) => string | null | undefined;
  /** Global billing condition. Default: finished, not aborted, not failed, status < 400. */
  when?: (...args: [...Args, RequestOutcome]) => boolean;
  /**
   * The request id used in keys. Default: a server-generated UUID per request. An app-supplied id is
   * scoped to the customer and meter, so a client-chosen value can never make two customers share a key.
   */
  requestId?: (...args: Args) => string;
  /** Central billing table matched on `METHOD /route/pattern` (or `/pattern` for any method). */
  routes?: RoutesTable<Args, M>;
  /** A billable request without a customer: `skip` (counted and emitted) or `reject` (403 before the handler). Default: `skip`. */
  onMissingCustomer?: 'skip' | 'reject';
  /**
   * `request` (default): one event per request, keyed by the server's request id; client headers are ignored.
   * `client-key`: honour the client's `Idempotency-Key` header (IETF draft), scoped to customer and meter.
   */
  idempotency?: 'request' | 'client-key';
  /** How long billing waits after the response for open `hold()`s, in ms. Default: 30 000. */
  holdTimeoutMs?: number;
  /**
   * Deadline for `close()` (and the framework's close hook): a tracker the adapter created is shut
   * down within it; a tracker passed in is flushed within it and left running. Default: 10 000.
   */
  shutdownTimeoutMs?: number;
}

/** Adapter options: a tracker, or tracker options from which the adapter creates (and owns) one. */
export type AdapterOptions<
  Args extends unknown[] = unknown[],
  M extends string = MeterName,
> = RouteMeterOptions<Args, M> & ({ tracker: Tracker<M> } | (TrackerOptions<M> & { tracker?: undefined }));

/** Per-request billing state, exposed by adapters as `req.fluxrate` / `request.fluxrate`. */
export interface RequestBilling {
  /** Server-generated UUID (or the app's `requestId`). */
  readonly requestId: string;
  /** Sets the quantity billed to `meter` for this request (overrides the route's `quantity`). */
  setQuantity(meter: string, quantity: number): void;
  /** Adds to the quantity billed to `meter` for this request. A meter not on the route is billed too. */
  addUsage(meter: string, quantity: number): void;
  /** Do not bill this request. */
  skip(): void;
  /**
   * Keeps the event open after the response ended, until the returned function is called (or the
   * adapter's `holdTimeoutMs` passes: then what was added is billed and an `error` names the route).
   * For quantities known late: `const done = req.fluxrate.hold(); … addUsage('tokens', n); done();`
   */
  hold(): () => void;
}
