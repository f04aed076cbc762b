let warned = false;

/** Reports once per process that `billable()` ran on a request `fluxrateMiddleware()` never saw. */
export function warnMissingMiddleware(method: string, url: string): void {
  if (warned) return;
  warned = true;
  process.emitWarning(
    `billable() ran on ${method} ${url} but fluxrateMiddleware() did not run before it, so nothing is billed. ` +
      'Add app.use(fluxrateMiddleware({ tracker, customer })) before your billable routes.',
    { code: 'FLUXRATE_MIDDLEWARE_MISSING' },
  );
}
