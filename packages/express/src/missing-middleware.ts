import { warnOnce } from '@fluxrate/core/adapter';

/** Reports once per process that `billable()` ran on a request `fluxrateMiddleware()` never saw (`path`: no query). */
export function warnMissingMiddleware(method: string, path: string): void {
  warnOnce({
    code: 'FLUXRATE_MIDDLEWARE_MISSING',
    key: 'express:middleware-missing',
    message:
      `fluxrate: billable() ran on ${method} ${path} but fluxrateMiddleware() did not run before it, so nothing is billed. ` +
      'Add app.use(fluxrateMiddleware({ tracker, customer })) before your billable routes.',
  });
}
