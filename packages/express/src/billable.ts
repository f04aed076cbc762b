import { randomUUID } from 'node:crypto';
import {
  type CompiledSpec,
  compileBillable,
  type MeterName,
  RequestBillingState,
  type RequestOutcome,
} from '@fluxrate/core';
import type { RequestHandler } from 'express';
import { callSite } from './call-site.js';
import { warnMissingMiddleware } from './missing-middleware.js';
import { getContext } from './request-context.js';
import { routePattern } from './route-capture.js';
import type { BillableInput } from './types.js';

/**
 * The annotation middleware behind `billable()`: records the route's specs on the request for the
 * finish handler, and (with `onMissingCustomer: 'reject'`) answers 403 before the handler. Never throws.
 */
export function annotate(specs: CompiledSpec[] | false): RequestHandler {
  return function fluxrateBillable(req, res, next) {
    const context = getContext(req);
    if (!context) {
      warnMissingMiddleware(req.method, req.originalUrl ?? req.url);
      // Handlers may still call req.fluxrate.addUsage(): give them a detached state that bills nothing.
      if (req.fluxrate === undefined) req.fluxrate = new RequestBillingState(randomUUID(), Date.now());
      return next();
    }
    // The innermost annotation wins: a route's billable() overrides one on its router or prefix.
    context.annotation = specs;
    const { meter, state } = context;
    if (state.route === undefined && req.route) state.route = routePattern(req.baseUrl, req.route);
    if (specs && meter.onMissingCustomer === 'reject' && !res.headersSent) {
      const outcome: RequestOutcome = {
        requestId: state.requestId,
        method: req.method,
        route: state.route,
        status: res.statusCode,
        aborted: false,
        finished: false,
        durationMs: Date.now() - state.startedAt,
      };
      if (meter.shouldReject(specs, [req, res], outcome)) {
        res.status(403).json({ error: 'customer required' });
        return;
      }
    }
    next();
  };
}

/**
 * Marks a route (or a router, or an `app.use` prefix) billable: `billable({ meter: 'api_calls' })`,
 * `billable([{ meter: 'api_calls' }, { meter: 'tokens', quantity: (req, res) => res.locals.tokens }])`,
 * `billable('api_calls')`, or `billable(false)` to opt out. The spec is validated now and a bad one
 * throws a `FluxrateRouteError` naming the problem and where `billable()` was called. Meter names are
 * the ones registered on `Register` (see `@fluxrate/core`); `middleware.billable` checks them against
 * the tracker too. Needs `fluxrateMiddleware()` earlier in the chain, else it warns once and bills nothing.
 */
export function billable<M extends string = MeterName>(spec: BillableInput<NoInfer<M>>): RequestHandler {
  return annotate(spec === false ? false : compileBillable(spec, callSite('billable()', billable)));
}
