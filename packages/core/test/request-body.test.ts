import { describe, expect, it } from 'vitest';
import type { QueuedEvent } from '../src/contracts/event.js';
import { buildBody, isoTimestamp } from '../src/delivery/event-body.js';
import { reviveEvent } from '../src/outbox/outbox-host.js';

const meter = {
  name: 'api_calls',
  token: '550e8400-e29b-41d4-a716-446655440000',
  aggregation: 'SUM',
  id: 'm"1',
};

function event(over: Partial<QueuedEvent>): QueuedEvent {
  const stored = {
    meter: 'api_calls',
    token: meter.token,
    customerId: 'acme',
    quantity: 1,
    timestamp: 1_700_000_000_123,
    idempotencyKey: 'req_x_api_calls',
    metadataJson: undefined,
  };
  return {
    ...reviveEvent(stored, new Map([['api_calls', meter as QueuedEvent['meter']]])),
    generation: 0,
    ...over,
  };
}

describe('request bodies (built once per event, with cached pieces)', () => {
  it('formats timestamps exactly as toISOString across seconds, ms padding and odd years', () => {
    const samples = [0, 1, 9, 10, 99, 100, 999, 1000, -1, -999, -1000, -1001, 253_402_300_799_999];
    for (let ms = 1_700_000_000_000; ms < 1_700_000_003_000; ms += 7) samples.push(ms);
    // Back and forth between seconds: the one-entry cache must not serve a stale second.
    samples.push(1_700_000_000_500, 1_700_000_002_500, 1_700_000_000_501);
    for (const ms of samples) expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
    expect(isoTimestamp(253_402_300_800_000)).toBe(new Date(253_402_300_800_000).toISOString());
  });

  it('quotes customers and keys as JSON does, whatever they contain', () => {
    const strings = ['acme', 'ac"me', 'a\\b', 'é', 'line\nbreak', '\u2028', '\u0007', 'acme'];
    for (const customerId of strings) {
      for (const idempotencyKey of strings) {
        for (const transport of ['sdk', 'rest'] as const) {
          const body = JSON.parse(buildBody(event({ customerId, idempotencyKey }), transport));
          expect(body[transport === 'sdk' ? 'customer_external_id' : 'customer_id']).toBe(customerId);
          expect(body.idempotency_key).toBe(idempotencyKey);
        }
      }
    }
  });

  it('carries the meter ref, quantity, timestamp and metadata of each transport', () => {
    const e = event({ quantity: 2.5, metadataJson: '{"user_id":"u1"}' });
    expect(JSON.parse(buildBody(e, 'sdk'))).toEqual({
      meter_token: meter.token,
      customer_external_id: 'acme',
      quantity: 2.5,
      timestamp: '2023-11-14T22:13:20.123Z',
      idempotency_key: 'req_x_api_calls',
      metadata: { user_id: 'u1' },
    });
    expect(JSON.parse(buildBody(e, 'rest'))).toMatchObject({ meter_id: 'm"1', customer_id: 'acme' });
    // The sdk body of the same meter object after a rest one still names the token.
    expect(JSON.parse(buildBody(e, 'sdk')).meter_token).toBe(meter.token);
  });
});
