import { randomUUID } from 'node:crypto';
import { isUuid } from '../config/option-parsers.js';
import { FluxrateValidationError } from '../contracts/errors.js';
import type { ResolvedMeter } from '../contracts/meter.js';
import { describe } from '../support/describe.js';

// ISO 8601 date-time with a time zone, e.g. 2025-01-15T10:30:00Z or 2025-01-15T10:30:00.123+02:00.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;
// ISO 8601 as Fluxrate reads it has four-digit years: 0000-01-01 to 9999-12-31.
const MIN_TIME = Date.parse('0000-01-01T00:00:00Z');
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * A required string field. Fluxrate documents no length or character limit, so only a missing (empty or
 * blank) value is refused; `max` is the optional `limits.idLength`.
 */
export function checkId(field: string, value: unknown, max?: number): string {
  if (typeof value !== 'string')
    throw new FluxrateValidationError(field, `must be a string, got ${describe(value)}`);
  if (value.trim().length === 0) throw new FluxrateValidationError(field, 'must not be empty or blank');
  if (max !== undefined && value.length > max)
    throw new FluxrateValidationError(
      field,
      `must be at most ${max} characters (limits.idLength), got ${value.length}`,
    );
  return value;
}

/** The one quantity rule (track(), route specs, handler usage): why `value` cannot be billed, or undefined. */
export function quantityProblem(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return undefined;
  return `must be a finite number > 0, got ${Object.is(value, -0) ? '-0' : describe(value)}`;
}

export function checkQuantity(value: unknown, field = 'quantity'): number {
  if (value === undefined) return 1;
  const problem = quantityProblem(value);
  if (problem) throw new FluxrateValidationError(field, problem);
  return value as number;
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

/**
 * Why metadata JSON.stringify refused (a cycle or a BigInt), with the path to it. JSON's own rules apply
 * otherwise: a Date becomes ISO 8601, `toJSON()` is honoured, functions and `undefined` are left out.
 */
function explainUnserialisable(
  value: unknown,
  path: string,
  ancestors: unknown[],
): { path: string; problem: string } | undefined {
  if (typeof value === 'bigint') return { path, problem: 'is a BigInt, which JSON cannot carry' };
  if (typeof value !== 'object' || value === null) return undefined;
  if (ancestors.includes(value)) return { path, problem: 'is circular (refers to itself)' };
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return undefined;
  ancestors.push(value);
  const entries = Array.isArray(value)
    ? value.map((v, i) => [`${path}[${i}]`, v] as const)
    : Object.keys(value).map((k) => [`${path}.${k}`, (value as Record<string, unknown>)[k]] as const);
  for (const [childPath, child] of entries) {
    const found = explainUnserialisable(child, childPath, ancestors);
    if (found) return found;
  }
  ancestors.pop();
  return undefined;
}

function serialiseMetadata(value: object): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (error) {
    let found: { path: string; problem: string } | undefined;
    try {
      found = explainUnserialisable(value, 'metadata', []);
    } catch {
      // Too deep to walk as well: reported below.
    }
    if (found) throw new FluxrateValidationError(found.path, found.problem);
    const tooDeep = error instanceof RangeError;
    throw new FluxrateValidationError(
      'metadata',
      tooDeep ? 'is nested too deeply to serialise' : `cannot be serialised as JSON (${String(error)})`,
    );
  }
}

/**
 * Metadata as Fluxrate documents it: an object, with `user_id` for UNIQUE_COUNT meters. Serialised once,
 * here, with JSON's rules; `maxBytes` is the optional `limits.metadataBytes`.
 */
export function checkMetadata(value: unknown, meter: ResolvedMeter, maxBytes?: number): string | undefined {
  if (value === undefined) {
    if (meter.aggregation === 'UNIQUE_COUNT') {
      throw new FluxrateValidationError(
        'metadata.user_id',
        `is required for UNIQUE_COUNT meter '${meter.name}'`,
      );
    }
    return undefined;
  }
  const json =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? serialiseMetadata(value)
      : undefined;
  // A Date or anything whose toJSON() is not an object would not reach Fluxrate as an object.
  if (json === undefined || json.charCodeAt(0) !== 123 /* { */)
    throw new FluxrateValidationError('metadata', `must be an object, got ${describe(value)}`);
  if (meter.aggregation === 'UNIQUE_COUNT') {
    const userId = (value as Record<string, unknown>).user_id;
    const ok =
      (typeof userId === 'string' && userId.length > 0) ||
      (typeof userId === 'number' && Number.isFinite(userId));
    if (!ok)
      throw new FluxrateValidationError(
        'metadata.user_id',
        `is required for UNIQUE_COUNT meter '${meter.name}'`,
      );
  }
  if (maxBytes !== undefined && json.length > maxBytes) {
    throw new FluxrateValidationError(
      'metadata',
      `serialises to ${json.length} characters (limits.metadataBytes is ${maxBytes})`,
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
// Per copy of core, harmlessly: each copy draws its own random prefix, so two copies never share a key.
const KEY_PREFIX = `evt_${randomUUID().slice(0, 24)}`;
let keyCounter = 0;
export const newEventKey = (): string => `${KEY_PREFIX}${(keyCounter++).toString(16).padStart(12, '0')}`;
