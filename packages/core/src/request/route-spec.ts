import { FluxrateRouteError } from '../contracts/errors.js';
import type { RouteSpec } from '../contracts/route-types.js';
import { quantityProblem } from '../pipeline/validate-event.js';
import { describe } from '../support/describe.js';

/** A validated route spec; `ordinal` separates keys when one request bills the same meter twice. */
export interface CompiledSpec {
  meter: string;
  ordinal: number;
  quantity: unknown;
  customer: unknown;
  metadata: unknown;
  when: ((...args: unknown[]) => boolean) | undefined;
  idempotencyKey: unknown;
}

const SPEC_KEYS = new Set(['meter', 'quantity', 'customer', 'metadata', 'when', 'idempotencyKey']);

function checkResolver(
  route: string,
  at: string,
  name: string,
  value: unknown,
  ok: (v: unknown) => boolean,
  want: string,
): void {
  if (value === undefined || typeof value === 'function' || ok(value)) return;
  throw new FluxrateRouteError(
    route,
    `${at}\`${name}\` must be ${want} or a function, got ${describe(value)}`,
  );
}

/**
 * Validates a `billable` spec (or array) once, at registration, and throws naming the route.
 * `hasMeter` checks names against the tracker when the adapter has one at that point; `known` completes
 * an unknown-meter error (the names the tracker knows).
 */
export function compileBillable(
  spec: unknown,
  route: string,
  hasMeter?: (meter: string) => boolean,
  known?: () => string,
): CompiledSpec[] {
  const list = Array.isArray(spec) ? spec : [spec];
  if (list.length === 0)
    throw new FluxrateRouteError(route, 'an empty array bills nothing (use false to opt out)');
  const seen = new Map<string, number>();
  return list.map((raw, index) => {
    const at = list.length > 1 ? `[${index}] ` : '';
    const item = typeof raw === 'string' ? { meter: raw } : raw;
    if (typeof item !== 'object' || item === null) {
      throw new FluxrateRouteError(
        route,
        `${at}spec must be an object like { meter: 'api_calls' }, got ${describe(raw)}`,
      );
    }
    for (const key of Object.keys(item)) {
      if (!SPEC_KEYS.has(key)) throw new FluxrateRouteError(route, `${at}unknown spec field \`${key}\``);
    }
    const s = item as RouteSpec;
    if (typeof s.meter !== 'string' || s.meter.length === 0) {
      throw new FluxrateRouteError(
        route,
        `${at}\`meter\` must be a meter name or token, got ${describe(s.meter)}`,
      );
    }
    if (hasMeter && !hasMeter(s.meter))
      throw new FluxrateRouteError(route, `${at}unknown meter '${s.meter}'${known?.() ?? ''}`);
    const positive = (v: unknown) => !quantityProblem(v);
    checkResolver(route, at, 'quantity', s.quantity, positive, 'a finite number > 0');
    checkResolver(
      route,
      at,
      'customer',
      s.customer,
      (v) => typeof v === 'string' && v.length > 0,
      'a non-empty string',
    );
    checkResolver(route, at, 'metadata', s.metadata, (v) => typeof v === 'object' && v !== null, 'an object');
    checkResolver(route, at, 'idempotencyKey', s.idempotencyKey, (v) => typeof v === 'string', 'a string');
    if (s.when !== undefined && typeof s.when !== 'function') {
      throw new FluxrateRouteError(route, `${at}\`when\` must be a function`);
    }
    const ordinal = seen.get(s.meter) ?? 0;
    seen.set(s.meter, ordinal + 1);
    return {
      meter: s.meter,
      ordinal,
      quantity: s.quantity,
      customer: s.customer,
      metadata: s.metadata,
      when: s.when as CompiledSpec['when'],
      idempotencyKey: s.idempotencyKey,
    };
  });
}
