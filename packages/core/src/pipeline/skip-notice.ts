import type { TrackerEvents } from '../contracts/types.js';

/** What the adapter tells a user who forgot the customer (where its customer comes from). */
export interface AdapterHints {
  /** One sentence on how to set the customer in this adapter, e.g. "Set res.locals.fluxrateCustomer …". */
  customerHint?: string;
}

export interface SkipNotice {
  key: string;
  message: string;
}

type Skip = TrackerEvents['skipped'];

/**
 * Skips that mean the app's configuration kept usage from being billed (a forgotten customer, a disabled
 * tracker, an allow list), worded once per route or tracker; undefined for skips a request decided itself
 * (zero quantity, `skip()` in the handler), which are only counted and emitted. `advice` follows the
 * missing-customer text: what the customer function gave and how to set it.
 */
export function skipNotice(skip: Skip, advice: string | undefined): SkipNotice | undefined {
  if (skip.reason === 'missing-customer') {
    const route = skip.route ?? '(no route)';
    return {
      key: `missing-customer:${route}`,
      message: `fluxrate: usage not billed on ${route}${skip.meter ? ` (meter ${skip.meter})` : ''}: no customer${advice ? ` ${advice}` : ''}`,
    };
  }
  if (skip.reason === 'disabled') {
    return {
      key: 'disabled',
      message:
        'fluxrate: usage is not sent: the tracker has disabled: true (events are validated and counted only)',
    };
  }
  if (skip.reason === 'not-allowed') {
    return {
      key: 'not-allowed',
      message: `fluxrate: usage of customers outside customerAllowList is not billed (first for meter ${skip.meter}); stats().skipped counts them`,
    };
  }
  return undefined;
}
