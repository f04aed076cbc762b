import { createHash } from 'node:crypto';

const MAX_KEY = 255;

/** 128-bit digest of the parts, NUL-separated so ('a','bc') and ('ab','c') differ. */
function digest(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 22);
}

// `~` cannot occur in meter names (options.ts restricts them), so `tokens~1` never collides with a meter.
const suffix = (meter: string, ordinal: number): string => (ordinal > 0 ? `${meter}~${ordinal}` : meter);

function fit(key: string, meter: string, ordinal: number, ...parts: string[]): string {
  // Meter names are the app's own and usually short; a very long one falls back to a digest.
  return key.length <= MAX_KEY ? key : `req_${digest(...parts, meter, String(ordinal))}`;
}

/** Default key: `req_{requestId}_{meter}`, where the request id is a server-generated UUID. */
export function requestKey(requestId: string, meter: string, ordinal: number): string {
  return fit(`req_${requestId}_${suffix(meter, ordinal)}`, meter, ordinal, requestId);
}

/** An id the app or a client chose: scoped to customer and meter, so it can never suppress another customer's event. */
export function scopedKey(
  kind: 'app' | 'idem' | 'key',
  customerId: string,
  value: string,
  meter: string,
  ordinal: number,
): string {
  return fit(
    `${kind}_${digest(customerId, value)}_${suffix(meter, ordinal)}`,
    meter,
    ordinal,
    kind,
    customerId,
    value,
  );
}

/** Where a request's event key comes from, most specific first. */
export interface KeySources {
  /** The route spec's `idempotencyKey` result. */
  appKey: string | undefined;
  /** The client's `Idempotency-Key` (only in `client-key` mode). */
  clientKey: string | undefined;
  requestId: string;
  /** The request id came from the app's `requestId` option rather than a generated UUID. */
  appRequestId: boolean;
}

/**
 * The event key for one spec of a request. `unique` is true only for the server-generated request UUID:
 * the one key that cannot repeat, and so the only one aggregation and coalescing may merge.
 */
export function eventKey(
  from: KeySources,
  customerId: string,
  meter: string,
  ordinal: number,
): { key: string; unique: boolean } {
  if (from.appKey !== undefined)
    return { key: scopedKey('key', customerId, from.appKey, meter, ordinal), unique: false };
  if (from.clientKey !== undefined) {
    return { key: scopedKey('idem', customerId, from.clientKey, meter, ordinal), unique: false };
  }
  if (from.appRequestId)
    return { key: scopedKey('app', customerId, from.requestId, meter, ordinal), unique: false };
  return { key: requestKey(from.requestId, meter, ordinal), unique: true };
}
