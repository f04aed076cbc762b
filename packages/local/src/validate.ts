/** Body validation for the ingestion routes. Independent of @fluxrate/core on purpose. */

export interface FieldError {
  /** Dotted field path, e.g. `quantity` or `metadata.user_id`. */
  field: string;
  message: string;
}

export interface EventInput {
  quantity: number;
  /** Epoch ms. */
  ts: number;
  metadata: Record<string, unknown>;
  idempotencyKey: string | null;
}

export interface TrackInput extends EventInput {
  meterToken: string;
  customerExternalId: string;
}

export interface UsageInput extends EventInput {
  meterId: string;
  customerId: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/** Deeper metadata is refused: it could not be serialised back without blowing the stack. */
export const MAX_METADATA_DEPTH = 32;

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/** Parses an ISO 8601 date-time; a missing offset means UTC. Returns epoch ms or null. */
export function parseIsoDateTime(value: string): number | null {
  const m = ISO_DATE_TIME.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '0', frac = '', zone = 'Z'] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const base = Date.UTC(
    Number(y),
    month - 1,
    day,
    hour,
    minute,
    second,
    Number(frac.padEnd(3, '0').slice(0, 3)),
  );
  // Date.UTC rolls 2025-02-30 over to March; refuse days the month does not have.
  if (new Date(base).getUTCDate() !== day) return null;
  let offsetMin = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2) || '0');
    if (oh > 23 || om > 59) return null;
    offsetMin = sign * (oh * 60 + om);
  }
  const ts = base - offsetMin * 60_000;
  return Number.isFinite(ts) && Math.abs(ts) <= 8.64e15 ? ts : null;
}

/** Parses a date (`2025-01-15`) or date-time query value; `endOfDay` makes a bare date cover its whole day. */
export function parseQueryDate(value: string, endOfDay: boolean): number | null {
  const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (dateOnly) {
    const start = parseIsoDateTime(`${value}T00:00:00Z`);
    if (start === null) return null;
    return endOfDay ? start + 86_400_000 - 1 : start;
  }
  return parseIsoDateTime(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function depthExceeds(value: unknown, max: number): boolean {
  // Iterative so that hostile nesting cannot overflow the stack here either.
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

function requiredString(body: Record<string, unknown>, field: string, errors: FieldError[]): string {
  const v = body[field];
  if (v === undefined || v === null) errors.push({ field, message: `${field} is required` });
  else if (typeof v !== 'string') errors.push({ field, message: `${field} must be a string` });
  else if (v.trim() === '') errors.push({ field, message: `${field} must not be empty` });
  else return v;
  return '';
}

function eventFields(body: Record<string, unknown>, errors: FieldError[], now: number): EventInput {
  const out: EventInput = { quantity: 0, ts: now, metadata: {}, idempotencyKey: null };
  const q = body.quantity;
  if (q === undefined || q === null) errors.push({ field: 'quantity', message: 'quantity is required' });
  else if (typeof q !== 'number')
    errors.push({ field: 'quantity', message: `quantity must be a JSON number, got ${typeof q}` });
  else if (!Number.isFinite(q) || q <= 0)
    errors.push({ field: 'quantity', message: 'quantity must be a finite number greater than 0' });
  else out.quantity = q;

  const t = body.timestamp;
  if (t !== undefined && t !== null) {
    const ts = typeof t === 'string' ? parseIsoDateTime(t) : null;
    if (ts === null) {
      errors.push({
        field: 'timestamp',
        message: 'timestamp must be an ISO 8601 date-time string, e.g. 2025-01-15T10:30:00Z',
      });
    } else out.ts = ts;
  }

  const md = body.metadata;
  if (md !== undefined) {
    if (!isPlainObject(md)) {
      const got = md === null ? 'null' : Array.isArray(md) ? 'an array' : typeof md;
      errors.push({ field: 'metadata', message: `metadata must be a JSON object, got ${got}` });
    } else if (depthExceeds(md, MAX_METADATA_DEPTH)) {
      errors.push({
        field: 'metadata',
        message: `metadata is nested deeper than ${MAX_METADATA_DEPTH} levels`,
      });
    } else out.metadata = md;
  }

  const key = body.idempotency_key;
  if (key !== undefined && key !== null) {
    if (typeof key !== 'string')
      errors.push({ field: 'idempotency_key', message: 'idempotency_key must be a string' });
    else if (key === '')
      errors.push({ field: 'idempotency_key', message: 'idempotency_key must not be empty' });
    else out.idempotencyKey = key;
  }
  return out;
}

function bodyObject(body: unknown): FieldError[] {
  return isPlainObject(body) ? [] : [{ field: 'body', message: 'request body must be a JSON object' }];
}

export function validateTrack(body: unknown, now = Date.now()): Validated<TrackInput> {
  const errors = bodyObject(body);
  if (errors.length > 0) return { ok: false, errors };
  const b = body as Record<string, unknown>;
  const meterToken = requiredString(b, 'meter_token', errors);
  const customerExternalId = requiredString(b, 'customer_external_id', errors);
  const rest = eventFields(b, errors, now);
  return errors.length > 0
    ? { ok: false, errors }
    : { ok: true, value: { meterToken, customerExternalId, ...rest } };
}

export function validateUsage(body: unknown, now = Date.now()): Validated<UsageInput> {
  const errors = bodyObject(body);
  if (errors.length > 0) return { ok: false, errors };
  const b = body as Record<string, unknown>;
  const meterId = requiredString(b, 'meter_id', errors);
  const customerId = requiredString(b, 'customer_id', errors);
  const rest = eventFields(b, errors, now);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: { meterId, customerId, ...rest } };
}

/** `metadata.user_id` is what UNIQUE_COUNT counts, so those meters require it. */
export function uniqueCountError(metadata: Record<string, unknown>): FieldError | null {
  const id = metadata.user_id;
  if (id === undefined || id === null || id === '') {
    return { field: 'metadata.user_id', message: 'metadata.user_id is required for UNIQUE_COUNT meters' };
  }
  if (typeof id !== 'string' && typeof id !== 'number') {
    return { field: 'metadata.user_id', message: 'metadata.user_id must be a string or a number' };
  }
  return null;
}

/** Decimal string without exponent, as Fluxrate returns quantities: 100 -> "100", 1e21 -> "1000000000000000000000". */
export function formatQuantity(n: number): string {
  const s = String(n);
  const m = /^(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, int = '', frac = '', expStr = '0'] = m;
  const exp = Number(expStr);
  const digits = int + frac;
  const point = int.length + exp;
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`.replace(/\.?0+$/, '') || '0';
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}
