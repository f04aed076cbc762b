/**
 * Every warning code Fluxrate raises, in one list: each is documented once, with what to do, in the
 * core README's "Warnings" table (test/tooling/warning-codes.test.ts keeps the two equal). A code is
 * stable: apps filter on it (`process.on('warning', (w) => w.code === 'FLUXRATE_AUTH' && …)`).
 */
export const WARNING_CODES = [
  'FLUXRATE_SKIPPED',
  'FLUXRATE_NOT_BILLED',
  'FLUXRATE_INVALID_ROUTE',
  'FLUXRATE_AUTH',
  'FLUXRATE_EVENT_FAILED',
  'FLUXRATE_EVENT_TOO_OLD',
  'FLUXRATE_EVENT_DROPPED',
  'FLUXRATE_SHUTDOWN_LEFT',
  'FLUXRATE_COALESCING',
  'FLUXRATE_STORAGE',
  'FLUXRATE_TLS_FAULT',
  'FLUXRATE_HEADER_FAULT',
  'FLUXRATE_DNS_FAULT',
  'FLUXRATE_PROXY_FAULT',
  'FLUXRATE_LOGGER_THREW',
  'FLUXRATE_MISUSE',
  'FLUXRATE_MIDDLEWARE_MISSING',
] as const;

export type WarningCode = (typeof WARNING_CODES)[number];
