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
