import type { QueuedEvent } from '../contracts/event.js';

// The JSON body of one event on the wire, for either transport kind. The dispatcher builds it on the
// event's first attempt (a backlog of unsent events holds no bodies: 100 000 held events ~55 MB instead
// of ~110 MB) and sends the same string on every retry.

/** A string JSON can carry as it is between quotes (printable ASCII, no `"` or `\\`). */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const quote = (text: string): string => (PLAIN.test(text) ? `"${text}"` : JSON.stringify(text));

/**
 * Quoted meter refs per resolved meter object (fixed at construction), one map per transport kind.
 * This and the one-entry caches below are pure memos: a second copy of core only builds its own.
 */
const quotedRefs = { sdk: new WeakMap<object, string>(), rest: new WeakMap<object, string>() };
function quotedRef(meter: QueuedEvent['meter'], transport: 'sdk' | 'rest'): string {
  const cache = quotedRefs[transport];
  let quoted = cache.get(meter);
  if (quoted === undefined) {
    quoted = JSON.stringify(transport === 'rest' ? (meter.id ?? meter.token) : meter.token);
    cache.set(meter, quoted);
  }
  return quoted;
}

// One-entry caches: events built back to back usually share the customer and the second.
let lastCustomer = '';
let lastCustomerQuoted = '""';
let isoSecond = Number.NaN;
let isoPrefix = '';

/** `toISOString()` of a ms timestamp, re-formatting the date only when the second changes. */
export function isoTimestamp(ms: number): string {
  const second = ms - (((ms % 1000) + 1000) % 1000);
  if (second !== isoSecond) {
    const iso = new Date(second).toISOString();
    // Years outside 0000-9999 have a longer, signed form: no cache for them.
    if (iso.length !== 24) return new Date(ms).toISOString();
    isoSecond = second;
    isoPrefix = iso.slice(0, 20);
  }
  const rest = ms - second;
  return `${isoPrefix}${rest < 10 ? '00' : rest < 100 ? '0' : ''}${rest}Z`;
}

/** The JSON body of `event` for the configured transport kind. */
export function buildBody(event: QueuedEvent, transport: 'sdk' | 'rest'): string {
  const timestamp = isoTimestamp(event.timestamp);
  const key = quote(event.idempotencyKey);
  if (event.customerId !== lastCustomer) {
    lastCustomer = event.customerId;
    lastCustomerQuoted = quote(event.customerId);
  }
  const customer = lastCustomerQuoted;
  const metadata = event.metadataJson === undefined ? '' : `,"metadata":${event.metadataJson}`;
  if (transport === 'rest') {
    // REST takes Fluxrate's internal ids; the key is sent too so servers that honour it dedupe retries.
    return `{"meter_id":${quotedRef(event.meter, transport)},"customer_id":${customer},"quantity":${event.quantity},"timestamp":"${timestamp}","idempotency_key":${key}${metadata}}`;
  }
  return `{"meter_token":${quotedRef(event.meter, transport)},"customer_external_id":${customer},"quantity":${event.quantity},"timestamp":"${timestamp}","idempotency_key":${key}${metadata}}`;
}
