import { FluxrateConfigError, type MeterName, type Tracker } from '@fluxrate/core';
import { isZeroConfig, RequestLifecycle, shareShape } from '@fluxrate/core/adapter';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { annotate } from './billable.js';
import { callSite } from './call-site.js';
import { expressPathMatching } from './path-matching.js';
import { endRoutePattern } from './route-pattern.js';
import type { BillableInput, ExpressArgs, FluxrateMiddleware, FluxrateMiddlewareOptions } from './types.js';
import {
  isExpressCall,
  OPTIONS_HINTS,
  pathOnly,
  runUncalled,
  ZERO_CONFIG_HINTS,
  zeroConfigOptions,
} from './zero-config.js';

function createLifecycle(options: unknown, zero: boolean): RequestLifecycle<ExpressArgs> {
  try {
    return new RequestLifecycle<ExpressArgs>(
      options,
      'fluxrateMiddleware()',
      zero ? ZERO_CONFIG_HINTS : OPTIONS_HINTS,
    );
  } catch (error) {
    const given = options as { tracker?: unknown; apiKey?: unknown } | undefined;
    // With neither a tracker nor an API key, "apiKey missing" hides the likelier fix: pass the tracker.
    if (
      error instanceof FluxrateConfigError &&
      error.option === 'apiKey' &&
      given?.tracker === undefined &&
      given?.apiKey === undefined
    ) {
      throw new FluxrateConfigError(
        'tracker',
        'missing: pass { tracker } (from createTracker()) or tracker options with apiKey (or set FLUXRATE_API_KEY)',
      );
    }
    throw error;
  }
}

/**
 * Meters every request: gives it a server-generated id (`req.fluxrate.requestId`), records the matched
 * route pattern, and bills it once the response has finished, in the background: no I/O, await or
 * throw is added to the request. Routes are billed through `billable()` or the `routes` table.
 * Invalid options throw a `FluxrateConfigError` naming the option, here rather than on a request.
 *
 * Zero configuration: `app.use(fluxrateMiddleware)` (uncalled), `fluxrateMiddleware()` or
 * `fluxrateMiddleware({})` bill through the process-wide tracker from the environment
 * (`FLUXRATE_API_KEY`, `FLUXRATE_BASE_URL`, `FLUXRATE_METERS`), charge `res.locals.fluxrateCustomer`
 * (or the route spec's `customer`), and deliver on SIGTERM / SIGINT. Called with no options, a bad
 * environment throws now; uncalled, it is said once on the first request, which passes through unbilled.
 */
export function fluxrateMiddleware(req: Request, res: Response, next: NextFunction): void;
export function fluxrateMiddleware(): FluxrateMiddleware<MeterName>;
export function fluxrateMiddleware<const M extends string = MeterName>(
  options: FluxrateMiddlewareOptions<M>,
): FluxrateMiddleware<M>;
export function fluxrateMiddleware(...args: unknown[]): FluxrateMiddleware<string> | undefined {
  if (isExpressCall(args)) {
    runUncalled(createZeroConfig, ...args);
    return undefined;
  }
  if (args.length > 1) {
    throw new FluxrateConfigError(
      'options',
      `fluxrateMiddleware() takes one options object, got ${args.length} arguments (use app.use(fluxrateMiddleware) or app.use(fluxrateMiddleware(options)))`,
    );
  }
  const [options] = args;
  const zero = isZeroConfig(options);
  return createMiddleware(zero ? zeroConfigOptions() : options, zero);
}

const createZeroConfig = () => createMiddleware(zeroConfigOptions(), true);

function createMiddleware<M extends string>(options: unknown, zero: boolean): FluxrateMiddleware<M> {
  const lifecycle = createLifecycle(options, zero);
  lifecycle.pathMatching = expressPathMatching;
  lifecycle.endRoute = ([req], recorded) => endRoutePattern(req, recorded);
  const clientKeys = lifecycle.meter.idempotency === 'client-key';

  const handler: RequestHandler = function fluxrate(req, res, next) {
    // V8 < 13 only, on this request and response alone (README: "What it does to Express's objects").
    shareShape(req);
    shareShape(res);
    // Undefined when an outer fluxrateMiddleware() (e.g. on a parent app) already meters this request.
    const metered = lifecycle.begin(req, res, [req, res], {
      method: req.method,
      path: pathOnly(req),
      clientKey: clientKeys ? req.headers['idempotency-key'] : undefined,
    });
    // An own property of this request; Express's prototypes and `req.route` stay as Express made them.
    if (metered) req.fluxrate = metered.state;
    next();
  };

  const boundBillable = (spec: BillableInput<M>): RequestHandler =>
    annotate(spec === false ? false : lifecycle.compile(spec, callSite('billable()', boundBillable)));

  return Object.assign(handler, {
    tracker: lifecycle.tracker as unknown as Tracker<M>,
    ownsTracker: lifecycle.ownsTracker,
    billable: boundBillable,
    async close(closeOptions?: { timeoutMs?: number }): Promise<void> {
      await lifecycle.close(closeOptions);
    },
  });
}
