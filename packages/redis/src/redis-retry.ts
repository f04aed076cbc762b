import pRetryImport from 'p-retry';

type PRetry = typeof pRetryImport;

/**
 * p-retry is ESM-only. The ESM build gets its default export; the CJS build (tsup) compiles the import
 * to `__toESM(require('p-retry'), 1).default`, which under require(esm) is the module namespace, so the
 * function is its `default`. Resolved once, here, for every retried Redis operation.
 */
const pRetry: PRetry =
  typeof pRetryImport === 'function'
    ? pRetryImport
    : (pRetryImport as unknown as { default: PRetry }).default;
if (typeof pRetry !== 'function') {
  throw new TypeError(`@fluxrate/redis: p-retry did not load as a function (got ${typeof pRetry})`);
}

/**
 * Retries one Redis operation with backoff (100 ms to 2 s, jittered) until it succeeds or `signal`
 * aborts; each failed attempt is reported to `onFault`. Rejects only on abort (or a bug).
 */
export function retryRedis<T>(
  operation: () => Promise<T>,
  signal: AbortSignal,
  onFault: (error: unknown) => void,
): Promise<T> {
  return pRetry(operation, {
    retries: Number.POSITIVE_INFINITY,
    minTimeout: 100,
    maxTimeout: 2_000,
    randomize: true,
    signal,
    onFailedAttempt: ({ error }) => onFault(error),
  });
}
