import type {
  BillableSpec,
  MeterName,
  MeterRef,
  RequestBilling,
  RouteMeterOptions,
  ShutdownOptions,
  Tracker,
  TrackerOptions,
} from '@fluxrate/core';
import type { Request, RequestHandler, Response } from 'express';

declare global {
  namespace Express {
    interface Request {
      /**
       * This request's billing state, set by `fluxrateMiddleware()`: the server-generated `requestId`,
       * `setQuantity` / `addUsage` to report usage from the handler, and `skip()` to not bill it.
       */
      fluxrate: RequestBilling;
    }
  }
}

/** What Express passes to every billing function: `(req, res, outcome)`. */
export type ExpressArgs = [req: Request, res: Response];

/** A route spec (or array of them), a meter name, or `false` to opt a route out of billing. */
export type BillableInput<M extends string = MeterName> = BillableSpec<ExpressArgs, M> | MeterRef<M> | false;

/**
 * Options of `fluxrateMiddleware()`: `tracker` (or tracker options, from which the middleware creates
 * and owns a tracker) plus `customer`, `when`, `requestId`, `routes`, `onMissingCustomer`, `idempotency`.
 */
export type FluxrateMiddlewareOptions<M extends string = MeterName> = RouteMeterOptions<
  ExpressArgs,
  NoInfer<M>
> &
  // Meter names are inferred from the tracker (or `meters`) only, so a misspelt name in `routes` fails to compile.
  ({ tracker: Tracker<M> } | (TrackerOptions<M> & { tracker?: undefined }));

/** The middleware returned by `fluxrateMiddleware()`: a plain request handler with the tracker attached. */
export type FluxrateMiddleware<M extends string = MeterName> = RequestHandler & {
  /** The tracker events are sent through (the one passed in, or the one created from tracker options). */
  readonly tracker: Tracker<M>;
  /** True when the middleware created the tracker and so must shut it down (`close()`). */
  readonly ownsTracker: boolean;
  /** `billable()` checked against this tracker's meter names, at compile time and when called. */
  billable(spec: BillableInput<M>): RequestHandler;
  /**
   * Shuts the tracker down (draining queued events) when the middleware owns it; otherwise flushes it
   * and leaves it running for its owner to shut down, within `timeoutMs` (default: the
   * `shutdownTimeoutMs` option, 10 000). Requests still held by `hold()` are billed first.
   * Call it after `server.close()`.
   */
  close(options?: ShutdownOptions): Promise<void>;
};
