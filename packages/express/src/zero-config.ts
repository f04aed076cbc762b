import { defaultTracker, warnOnce } from '@fluxrate/core/adapter';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

const ADAPTER = 'fluxrateMiddleware';

declare global {
  namespace Express {
    interface Locals {
      /**
       * The customer billed for this request in zero-configuration mode (`app.use(fluxrateMiddleware)`):
       * set it in your auth middleware, e.g. `res.locals.fluxrateCustomer = req.user.orgId`. A route
       * spec's own `customer` wins. Ignored when `fluxrateMiddleware({ customer })` is given.
       */
      fluxrateCustomer?: string;
    }
  }
}

/** Zero-configuration options: the process-wide tracker from the environment, the customer from `res.locals`. */
export const zeroConfigOptions = () => ({
  tracker: defaultTracker(ADAPTER),
  customer: (_req: Request, res: Response) => res.locals.fluxrateCustomer,
});

/** How to set the customer, for a billable request that had none. */
export const ZERO_CONFIG_HINTS = {
  customerHint:
    "Set res.locals.fluxrateCustomer in your auth middleware before the route (e.g. res.locals.fluxrateCustomer = req.user.orgId), or give the route's billable() spec a customer.",
};
export const OPTIONS_HINTS = {
  customerHint:
    "Pass fluxrateMiddleware({ customer: (req, res) => … }) returning the customer id (set by your auth middleware), or give the route's billable() spec a customer.",
};

/** True when Express itself called the factory: `app.use(fluxrateMiddleware)`, uncalled. */
export function isExpressCall(args: unknown[]): args is [Request, Response, NextFunction] {
  const [req, res, next] = args as [Record<string, unknown>, Record<string, unknown>, unknown];
  return (
    args.length >= 3 &&
    typeof next === 'function' &&
    typeof req === 'object' &&
    req !== null &&
    typeof req.method === 'string' &&
    typeof req.headers === 'object' &&
    typeof res === 'object' &&
    res !== null &&
    typeof res.setHeader === 'function'
  );
}

/**
 * A misuse only a request can reveal, with no tracker to report it to: said once per process as a
 * `FLUXRATE_MISUSE` process warning (Node prints it on stderr), while the request passes through untouched.
 */
export function warnMisuse(key: string, message: string): void {
  warnOnce({ code: 'FLUXRATE_MISUSE', key: `express:${key}`, message: `fluxrate: ${message}` });
}

let uncalled: RequestHandler | undefined;
let failed = false;
/** Requests the uncalled middleware let through because it could not start: `billable()` says nothing more. */
const passedUnbilled = new WeakSet<object>();

/** True when `app.use(fluxrateMiddleware)` ran on `req` but could not start (its error was already said). */
export const middlewareFailed = (req: object): boolean => passedUnbilled.has(req);

/** The request's path without its query string: a warning never echoes what a client sent after `?`. */
export const pathOnly = (req: Request): string => {
  const url = req.originalUrl ?? req.url;
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
};

/**
 * The handler behind the uncalled form, created on the first request through `create`. When it cannot
 * be (e.g. `FLUXRATE_API_KEY` unset), every request passes through unbilled and the error is said once.
 */
export function runUncalled(
  create: () => RequestHandler,
  req: Request,
  res: Response,
  next: NextFunction,
): void {
  if (uncalled === undefined && !failed) {
    try {
      uncalled = create();
    } catch (error) {
      failed = true;
      warnMisuse(
        'zero-config',
        `app.use(fluxrateMiddleware) could not start, so nothing is billed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  if (uncalled) {
    uncalled(req, res, next);
    return;
  }
  passedUnbilled.add(req);
  next();
}
