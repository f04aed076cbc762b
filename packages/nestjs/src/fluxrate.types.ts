import type {
  BillableSpec,
  MeterName,
  RequestOutcome,
  RouteSpec,
  RoutesTable,
  Tracker,
  TrackerOptions,
} from '@fluxrate/core';
import type {
  ExecutionContext,
  InjectionToken,
  ModuleMetadata,
  OptionalFactoryDependency,
  Type,
} from '@nestjs/common';

/**
 * What every route-level billing function receives (first argument; the `RequestOutcome` comes second).
 * `request` / `response` are the platform's objects: Express `Request` / `Response`, or
 * `FastifyRequest` / `FastifyReply`.
 */
export interface NestBillingContext<Result = any, Request = any, Response = any> {
  request: Request;
  response: Response;
  /**
   * The handler's own return value (the last value for an Observable), captured by `@Billable`'s
   * interceptor before the app's global and controller interceptors map it (routes-table routes:
   * after them); undefined if it threw or returned nothing.
   */
  result: Result | undefined;
  /** Nest's execution context: `context.getHandler()`, `context.getClass()`. */
  context: ExecutionContext;
}

/** The argument tuple route-level functions get before the outcome: `(ctx, outcome)`. */
export type NestBillingArgs<Result = any> = [NestBillingContext<Result>];

/** One meter billed by a handler; functions get `({ request, response, result, context }, outcome)`. */
export type NestRouteSpec<Result = any, M extends string = MeterName> = RouteSpec<NestBillingArgs<Result>, M>;

/** `@Billable()` argument: one spec or several (one event per meter). */
export type NestBillableSpec<Result = any, M extends string = MeterName> = BillableSpec<
  NestBillingArgs<Result>,
  M
>;

/** Billing options of `FluxrateModule` (besides a `tracker` or tracker options). */
export interface FluxrateBillingOptions<M extends string = MeterName, Request = any> {
  /**
   * The customer billed for a request: `(request, ctx, outcome) => request.user?.orgId`.
   * Required unless every spec names its own `customer`. Default: none (requests are skipped, reason `missing-customer`).
   */
  customer?: (
    request: Request,
    ctx: NestBillingContext<any, Request>,
    outcome: RequestOutcome,
  ) => string | null | undefined;
  /** Global billing condition, `(ctx, outcome) => boolean`. Default: finished, not aborted, not failed, status < 400. */
  when?: (ctx: NestBillingContext<any, Request>, outcome: RequestOutcome) => boolean;
  /**
   * The request id used in idempotency keys, `(request, ctx) => string`. Default: a server-generated UUID
   * per request. An app-supplied id is scoped to the customer and meter in keys.
   */
  requestId?: (request: Request, ctx: NestBillingContext<any, Request>) => string;
  /** Central table matched on `METHOD /route/pattern`: `{ 'GET /v1/search': 'api_calls' }`. Default: none. */
  routes?: RoutesTable<NestBillingArgs, NoInfer<M>>;
  /** A billable request without a customer: `skip` (counted, emitted) or `reject` (403 before the handler). Default: `skip`. */
  onMissingCustomer?: 'skip' | 'reject';
  /** `request` (default): keys from the server's request id. `client-key`: honour `Idempotency-Key`, scoped to the customer. */
  idempotency?: 'request' | 'client-key';
  /**
   * Deadline for delivering outstanding events when the app closes, in ms: a tracker the module
   * created is shut down within it, an app's tracker is flushed within it. Default: 10 000.
   */
  shutdownTimeoutMs?: number;
  /** How long billing waits after the response for open `request.fluxrate.hold()`s, in ms. Default: 30 000. */
  holdTimeoutMs?: number;
}

/** A tracker from `createTracker()`, or tracker options from which the module creates (and owns) one. */
export type FluxrateTrackerSource<M extends string = MeterName> =
  | { tracker: Tracker<M> }
  | (TrackerOptions<M> & { tracker?: undefined });

/** What the `forRootAsync` factory returns. */
export type FluxrateOptions<M extends string = MeterName, Request = any> = FluxrateBillingOptions<
  M,
  Request
> &
  FluxrateTrackerSource<M>;

/** `FluxrateModule.forRoot()` options. */
export type FluxrateModuleOptions<M extends string = MeterName, Request = any> = FluxrateOptions<
  M,
  Request
> & {
  /** Register the module globally and start billing every HTTP request (a global guard). Default: true. */
  global?: boolean;
};

/** A class that builds the options, for `forRootAsync({ useClass | useExisting })`. */
export interface FluxrateOptionsFactory<M extends string = MeterName> {
  createFluxrateOptions(): FluxrateOptions<M> | Promise<FluxrateOptions<M>>;
}

/** `FluxrateModule.forRootAsync()` options: exactly one of `useFactory`, `useClass`, `useExisting`. */
export interface FluxrateModuleAsyncOptions<M extends string = MeterName>
  extends Pick<ModuleMetadata, 'imports'> {
  useFactory?: (...args: any[]) => FluxrateOptions<M> | Promise<FluxrateOptions<M>>;
  /** Providers passed to `useFactory`. Default: none. */
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useClass?: Type<FluxrateOptionsFactory<M>>;
  useExisting?: Type<FluxrateOptionsFactory<M>>;
  /** Register the module globally and start billing every HTTP request (a global guard). Default: true. */
  global?: boolean;
}
