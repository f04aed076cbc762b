import type { RequestOutcome } from '@fluxrate/core';
import type { NeutralBillable, NeutralOptions, NeutralSpec, View } from './model.js';

type Headers = Record<string, string | string[] | undefined>;

/** Builds the framework's spec functions from neutral ones, given how to read headers from its args. */
export function adapter<Args extends unknown[]>(headersOf: (...args: Args) => Headers) {
  const view = (args: unknown[]): View => {
    const outcome = args[args.length - 1] as RequestOutcome;
    const headers = headersOf(...(args.slice(0, -1) as Args));
    return {
      outcome,
      header: (name) => {
        const value = headers[name];
        return Array.isArray(value) ? value[0] : value;
      },
    };
  };
  const fn =
    <T>(f: (v: View) => T) =>
    (...args: unknown[]) =>
      f(view(args));
  const value = (v: unknown) => (typeof v === 'function' ? fn(v as (v: View) => unknown) : v);

  const spec = (s: NeutralSpec) => {
    const out: Record<string, unknown> = { meter: s.meter };
    for (const key of ['quantity', 'customer', 'metadata', 'idempotencyKey', 'when'] as const) {
      if (s[key] !== undefined) out[key] = value(s[key]);
    }
    return out;
  };
  const billable = (b: NeutralBillable): unknown =>
    b === false || typeof b === 'string' ? b : Array.isArray(b) ? b.map(spec) : spec(b);

  /** Module-level options: `customer` from the header, plus the scenario's own. */
  const options = (o: NeutralOptions = {}): Record<string, unknown> => {
    const out: Record<string, unknown> = {
      customer: o.customer
        ? fn(o.customer)
        : (...args: unknown[]) => headersOf(...(args.slice(0, -1) as Args))['x-customer'],
    };
    if (o.requestId) out.requestId = o.requestId;
    if (o.when) out.when = fn(o.when);
    if (o.routes) out.routes = Object.fromEntries(Object.entries(o.routes).map(([k, b]) => [k, billable(b)]));
    if (o.requestIdHeader) {
      const name = o.requestIdHeader;
      out.requestId = (...args: unknown[]) => headersOf(...(args as Args))[name];
    }
    for (const key of ['onMissingCustomer', 'idempotency', 'holdTimeoutMs', 'shutdownTimeoutMs'] as const) {
      if (o[key] !== undefined) out[key] = o[key];
    }
    return out;
  };
  return { billable, options };
}
