import { FluxrateConfigError } from '../contracts/errors.js';
import { AGGREGATIONS, type Aggregation, type ResolvedMeter } from '../contracts/meter.js';
import type { Outbox } from '../contracts/outbox.js';
import type { SpoolDriver } from '../contracts/types.js';
import { describe } from '../support/describe.js';

/** Parsers for single tracker options; each names the option at fault. `resolveOptions` composes them. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const RETRY_KEYS = ['retries', 'minTimeout', 'maxTimeout', 'maxRetryTime', 'maxRetryAfter'];
const METER_NAME = /^[\w.:-]{1,100}$/;
const METER_NAME_HINT = 'a meter token, or { token, aggregation?, id? }';

export function parseAggregate(
  raw: unknown,
): { windowMs: number; meters: Set<string> | undefined } | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null)
    throw new FluxrateConfigError('aggregate', 'must be { windowMs, meters? }');
  const { windowMs, meters } = raw as { windowMs?: unknown; meters?: unknown };
  if (typeof windowMs !== 'number' || !Number.isInteger(windowMs) || windowMs < 100) {
    throw new FluxrateConfigError(
      'aggregate.windowMs',
      `must be an integer >= 100 (ms), got ${describe(windowMs)}`,
    );
  }
  if (meters !== undefined && (!Array.isArray(meters) || meters.some((m) => typeof m !== 'string'))) {
    throw new FluxrateConfigError('aggregate.meters', 'must be an array of meter names');
  }
  return { windowMs, meters: meters === undefined ? undefined : new Set(meters as string[]) };
}

export function parseCoalesce(raw: unknown, maxQueueSize: number): { at: number; windowMs: number } {
  if (raw === false) return { at: Number.POSITIVE_INFINITY, windowMs: 1_000 };
  const fallback = { at: Math.max(1, Math.floor(maxQueueSize / 10)), windowMs: 1_000 };
  if (raw === undefined) return fallback;
  if (typeof raw !== 'object' || raw === null) {
    throw new FluxrateConfigError('coalesce', 'must be false or { highWater?, windowMs? }');
  }
  const { highWater, windowMs } = raw as { highWater?: unknown; windowMs?: unknown };
  if (
    highWater !== undefined &&
    (typeof highWater !== 'number' || !Number.isInteger(highWater) || highWater < 1)
  ) {
    throw new FluxrateConfigError(
      'coalesce.highWater',
      `must be a positive integer, got ${describe(highWater)}`,
    );
  }
  if (
    windowMs !== undefined &&
    (typeof windowMs !== 'number' || !Number.isInteger(windowMs) || windowMs < 100)
  ) {
    throw new FluxrateConfigError(
      'coalesce.windowMs',
      `must be an integer >= 100 (ms), got ${describe(windowMs)}`,
    );
  }
  return {
    at: (highWater as number | undefined) ?? fallback.at,
    windowMs: (windowMs as number | undefined) ?? 1_000,
  };
}

const OUTBOX_METHODS = ['open', 'append', 'lease', 'nextDueAt', 'settle', 'evict', 'close'] as const;

export function parseOutbox(raw: unknown, spool: unknown): Outbox | undefined {
  if (raw === undefined) return undefined;
  const outbox = raw as Record<string, unknown> | null;
  const missing = OUTBOX_METHODS.find((m) => typeof outbox?.[m] !== 'function');
  if (typeof outbox !== 'object' || outbox === null || missing) {
    throw new FluxrateConfigError(
      'outbox',
      `must implement the Outbox interface (missing ${missing ?? 'open'}())`,
    );
  }
  if (spool !== undefined) throw new FluxrateConfigError('outbox', 'cannot be combined with spool: pick one');
  return raw as Outbox;
}

export function pathOption(raw: unknown, option: string, field: string): string | undefined {
  if (raw === undefined) return undefined;
  const value = (raw as Record<string, unknown> | null)?.[field];
  if (typeof value !== 'string' || value.length === 0) {
    throw new FluxrateConfigError(`${option}.${field}`, 'must be a non-empty path');
  }
  return value;
}

export const isUuid = (value: string): boolean => UUID.test(value);

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

export function positiveInt(
  options: Record<string, unknown>,
  name: string,
  fallback: number,
  path = name,
): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new FluxrateConfigError(path, `must be a positive integer, got ${describe(value)}`);
  }
  return value;
}

export function nonNegative(
  options: Record<string, unknown>,
  name: string,
  fallback: number,
  path: string,
): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new FluxrateConfigError(path, `must be a number >= 0, got ${describe(value)}`);
  }
  return value;
}

export function parseBaseUrl(
  raw: string,
  allowInsecureHttp: boolean,
): { origin: string; pathPrefix: string; query: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Never echoed: a key pasted into FLUXRATE_BASE_URL by mistake would be printed.
    throw new FluxrateConfigError(
      'baseUrl',
      `not a valid URL (a string of ${raw.length} characters, not shown in case it is a secret)`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    // Not echoed either: 'org_live_x:y' parses as a URL whose protocol is part of the key.
    throw new FluxrateConfigError('baseUrl', 'must use https:// (or http:// on loopback)');
  }
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname) && !allowInsecureHttp) {
    throw new FluxrateConfigError(
      'baseUrl',
      `plain http:// is refused for non-loopback host ${url.hostname} (API keys would travel in clear); use https:// or set allowInsecureHttp: true`,
    );
  }
  if (url.username || url.password) throw new FluxrateConfigError('baseUrl', 'must not contain credentials');
  if (url.hash)
    throw new FluxrateConfigError('baseUrl', 'must not contain a fragment (#…): it is never sent');
  // A query (a gateway's `?code=…`) is kept and sent on every request, after the endpoint's path.
  return { origin: url.origin, pathPrefix: url.pathname.replace(/\/+$/, ''), query: url.search };
}

export function parseMeters(raw: unknown): Map<string, ResolvedMeter> {
  const meters = new Map<string, ResolvedMeter>();
  if (raw === undefined) return meters;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new FluxrateConfigError('meters', `must be an object of name -> ${METER_NAME_HINT}`);
  }
  for (const [name, config] of Object.entries(raw)) {
    const path = `meters.${name}`;
    if (!METER_NAME.test(name)) {
      throw new FluxrateConfigError(
        path,
        'meter names use letters, digits, _ . : - (at most 100 characters)',
      );
    }
    if (config === undefined) {
      throw new FluxrateConfigError(
        path,
        `meter '${name}' is undefined (an unset environment variable?): it must be ${METER_NAME_HINT}`,
      );
    }
    const spec = typeof config === 'string' ? { token: config } : config;
    if (typeof spec !== 'object' || spec === null)
      throw new FluxrateConfigError(
        path,
        `meter '${name}' must be ${METER_NAME_HINT}, got ${describe(spec)}`,
      );
    const {
      token,
      aggregation = 'SUM',
      id,
    } = spec as { token?: unknown; aggregation?: unknown; id?: unknown };
    if (typeof token !== 'string' || token.length === 0 || token.length > 255) {
      throw new FluxrateConfigError(`${path}.token`, `must be a non-empty string, got ${describe(token)}`);
    }
    if (!AGGREGATIONS.includes(aggregation as Aggregation)) {
      throw new FluxrateConfigError(`${path}.aggregation`, `must be one of ${AGGREGATIONS.join(', ')}`);
    }
    if (id !== undefined && (typeof id !== 'string' || id.length === 0)) {
      throw new FluxrateConfigError(`${path}.id`, 'must be a non-empty string');
    }
    meters.set(name, { name, token, aggregation: aggregation as Aggregation, id: id as string | undefined });
  }
  return meters;
}

export function parseAllowList(raw: unknown): ((customerId: string) => boolean) | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'function') return raw as (customerId: string) => boolean;
  if (raw !== null && typeof raw === 'object' && Symbol.iterator in raw && typeof raw !== 'string') {
    const allowed = new Set<string>(raw as Iterable<string>);
    return (customerId) => allowed.has(customerId);
  }
  throw new FluxrateConfigError(
    'customerAllowList',
    'must be an array or Set of customer ids, or a function',
  );
}

const SPOOL_DRIVERS: readonly SpoolDriver[] = ['better-sqlite3', 'node:sqlite'];

export function parseSpoolDriver(raw: unknown): SpoolDriver | undefined {
  const value = (raw as { driver?: unknown } | undefined)?.driver;
  if (value === undefined || SPOOL_DRIVERS.includes(value as SpoolDriver)) return value as SpoolDriver;
  throw new FluxrateConfigError(
    'spool.driver',
    `must be 'better-sqlite3' or 'node:sqlite', got ${describe(value)}`,
  );
}
