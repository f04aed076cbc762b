import { randomUUID } from 'node:crypto';
import { FluxrateValidationError } from './errors.js';
import { describe, isUuid, type ResolvedMeter } from './options.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
// ISO 8601 date-time with a time zone, e.g. 2025-01-15T10:30:00Z or 2025-01-15T10:30:00.123+02:00.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;
// ISO 8601 as Fluxrate reads it has four-digit years: 0000-01-01 to 9999-12-31.
const MIN_TIME = Date.parse('0000-01-01T00:00:00Z');
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const MAX_METADATA_DEPTH = 6;
const MAX_METADATA_NODES = 500;
const MAX_METADATA_BYTES = 16_384;

export function checkId(field: string, value: unknown, max = 255): string {
  if (typeof value !== 'string')
    throw new FluxrateValidationError(field, `must be a string, got ${describe(value)}`);
  if (value.trim().length === 0) throw new FluxrateValidationError(field, 'must not be empty or blank');
  if (value.length > max)
    throw new FluxrateValidationError(field, `must be at most ${max} characters, got ${value.length}`);
  if (CONTROL_CHARS.test(value))
    throw new FluxrateValidationError(field, 'must not contain control characters');
  return value;
}

export function checkQuantity(value: unknown, field = 'quantity'): number {
  if (value === undefined) return 1;
  if (typeof value !== 'number')
    throw new FluxrateValidationError(field, `must be a number, got ${describe(value)}`);
  if (!Number.isFinite(value) || !(value > 0)) {
    throw new FluxrateValidationError(
      field,
      `must be a finite number > 0, got ${Object.is(value, -0) ? '-0' : value}`,
    );
  }
  return value;
}

/** Date.parse rolls 2025-02-30 over to March; refuse days the month does not have. */
function isRealDay(iso: string): boolean {
  const year = Number(iso.slice(0, 4));
  const month = Number(iso.slice(5, 7));
  const day = Number(iso.slice(8, 10));
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export function checkTimestamp(value: unknown, now: number): number {
  if (value === undefined) return now;
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new FluxrateValidationError('timestamp', 'is an invalid Date');
    if (ms < MIN_TIME || ms > MAX_TIME)
      throw new FluxrateValidationError('timestamp', 'must be within years 0000-9999');
    return ms;
  }
  if (typeof value === 'string' && ISO_8601.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms) && isRealDay(value)) return ms;
  }
  throw new FluxrateValidationError(
    'timestamp',
    `must be a Date or an ISO 8601 date-time string, got ${describe(value)}`,
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Walks metadata once, rejecting anything JSON cannot carry faithfully; bounded in depth and size. */
function checkJsonValue(value: unknown, path: string, depth: number, budget: { nodes: number }): void {
  if (--budget.nodes < 0)
    throw new FluxrateValidationError('metadata', `has more than ${MAX_METADATA_NODES} values`);
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return;
    case 'number':
      if (!Number.isFinite(value))
        throw new FluxrateValidationError(path, `must be a finite number, got ${value}`);
      return;
    case 'object': {
      if (value === null) return;
      if (depth >= MAX_METADATA_DEPTH) {
        throw new FluxrateValidationError(
          path,
          `is nested deeper than ${MAX_METADATA_DEPTH} levels (circular?)`,
        );
      }
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) checkJsonValue(value[i], `${path}[${i}]`, depth + 1, budget);
        return;
      }
      if (!isPlainObject(value)) throw new FluxrateValidationError(path, 'must be a plain JSON object');
      for (const key of Object.keys(value)) checkJsonValue(value[key], `${path}.${key}`, depth + 1, budget);
      return;
    }
    default:
      throw new FluxrateValidationError(path, `cannot be sent as JSON (${typeof value})`);
  }
}

export function checkMetadata(value: unknown, meter: ResolvedMeter): string | undefined {
  if (value === undefined) {
    if (meter.aggregation === 'UNIQUE_COUNT') {
      throw new FluxrateValidationError(
        'metadata.user_id',
        `is required for UNIQUE_COUNT meter '${meter.name}'`,
      );
    }
    return undefined;
  }
  if (!isPlainObject(value))
    throw new FluxrateValidationError('metadata', `must be a plain object, got ${describe(value)}`);
  checkJsonValue(value, 'metadata', 0, { nodes: MAX_METADATA_NODES });
  if (meter.aggregation === 'UNIQUE_COUNT') {
    const userId = value.user_id;
    const ok =
      (typeof userId === 'string' && userId.length > 0) ||
      (typeof userId === 'number' && Number.isFinite(userId));
    if (!ok)
      throw new FluxrateValidationError(
        'metadata.user_id',
        `is required for UNIQUE_COUNT meter '${meter.name}'`,
      );
  }
  const json = JSON.stringify(value);
  if (json.length > MAX_METADATA_BYTES) {
    throw new FluxrateValidationError(
      'metadata',
      `serializes to ${json.length} characters (max ${MAX_METADATA_BYTES})`,
    );
  }
  return json;
}

/** Resolves a meter name or raw token against the configured meters. */
export function resolveMeter(meters: Map<string, ResolvedMeter>, ref: unknown): ResolvedMeter {
  if (typeof ref === 'string') {
    const configured = meters.get(ref);
    if (configured) return configured;
    if (isUuid(ref)) return { name: ref, token: ref, aggregation: 'SUM', id: ref };
  }
  const known = meters.size > 0 ? ` (configured: ${[...meters.keys()].join(', ')})` : '';
  throw new FluxrateValidationError(
    'meter',
    `unknown meter ${describe(ref)}: use a configured name or a meter token${known}`,
  );
}

/**
 * Default event keys: `evt_{uuid}`. The UUID's random part is drawn once per process and the tail is a
 * counter, which keeps keys unique across instances and restarts at a fraction of randomUUID()'s cost.
 */
const KEY_PREFIX = `evt_${randomUUID().slice(0, 24)}`;
let keyCounter = 0;
export const newEventKey = (): string => `${KEY_PREFIX}${(keyCounter++).toString(16).padStart(12, '0')}`;
