import {
  createRouteMeter,
  FluxrateConfigError,
  type MeterName,
  type RequestOutcome,
  type RouteMeter,
  type Tracker,
} from '@fluxrate/core';
import type { Request, RequestHandler, Response } from 'express';
import { annotate } from './billable.js';
import { callSite } from './call-site.js';
import { getContext, type RequestContext, setContext } from './request-context.js';
import { onResponseEnd } from './response-end.js';
import { captureRoute } from './route-capture.js';
import type { BillableInput, ExpressArgs, FluxrateMiddleware, FluxrateMiddlewareOptions } from './types.js';

function bill(
  meter: RouteMeter<ExpressArgs>,
  context: RequestContext,
  req: Request,
  res: Response,
  finished: boolean,
) {
  const { state } = context;
  const outcome: RequestOutcome = {
    requestId: state.requestId,
    method: req.method,
    route: state.route,
    status: res.statusCode,
    aborted: !finished,
    finished,
    durationMs: Date.now() - state.startedAt,
  };
  try {
    meter.finish(
      state,
      meter.specsFor(context.annotation, outcome.method, outcome.route),
      [req, res],
      outcome,
    );
  } catch (error) {
    // finish() never throws by contract; this runs in an event listener, where a throw would crash the process.
    meter.tracker.reportError({ reason: `internal error while billing: ${String(error)}`, error });
  }
}

function createMeter(options: unknown): RouteMeter<ExpressArgs> {
  try {
    return createRouteMeter<ExpressArgs>(options, 'fluxrateMiddleware()');
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
 */
export function fluxrateMiddleware<const M extends string = MeterName>(
  options: FluxrateMiddlewareOptions<M>,
): FluxrateMiddleware<M> {
  const meter = createMeter(options);
  const clientKeys = meter.idempotency === 'client-key';

  const handler: RequestHandler = function fluxrate(req, res, next) {
    // An outer fluxrateMiddleware() (e.g. on a parent app) already meters this request: bill it once.
    if (getContext(req)) return next();
    try {
      const state = meter.begin([req, res], clientKeys ? req.headers['idempotency-key'] : undefined);
      const context: RequestContext = { meter, state, annotation: undefined };
      setContext(req, context);
      req.fluxrate = state;
      captureRoute(req, state);
      onResponseEnd(res, (finished) => bill(meter, context, req, res, finished));
    } catch (error) {
      meter.tracker.reportError({ reason: `could not start metering: ${String(error)}`, error });
    }
    next();
  };

  const boundBillable = (spec: BillableInput<M>): RequestHandler =>
    annotate(spec === false ? false : meter.compile(spec, callSite('billable()', boundBillable)));

  return Object.assign(handler, {
    tracker: meter.tracker as unknown as Tracker<M>,
    ownsTracker: meter.ownsTracker,
    billable: boundBillable,
    async close(closeOptions?: { timeoutMs?: number }): Promise<void> {
      if (meter.ownsTracker) await meter.tracker.shutdown(closeOptions);
      else await meter.tracker.flush(closeOptions);
    },
  });
}
