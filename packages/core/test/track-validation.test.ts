import { record, scripted, TOKEN, thrown, tracker } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { FluxrateError, FluxrateValidationError } from '../src/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Tracks `patch` over a valid event; returns the validation error and proves nothing was enqueued. */
function rejected(patch: Record<string, unknown>): FluxrateValidationError {
  const t = tracker();
  const events = record(t);
  const error = thrown(() => t.track({ meter: 'api_calls', customerId: 'acme', ...patch } as never));
  expect(error).toBeInstanceOf(FluxrateValidationError);
  expect(error).toBeInstanceOf(FluxrateError);
  expect(error).toBeInstanceOf(Error);
  expect(error.code).toBe('FLUXRATE_INVALID_EVENT');
  expect(error.message).toContain(`\`${error.field}\``);
  const stats = t.stats();
  expect(stats.tracked).toBe(0);
  expect(stats.queued).toBe(0);
  expect(stats.dropped).toBe(0);
  expect(events.dropped).toHaveLength(0);
  return error;
}

const deep = (levels: number): Record<string, unknown> => {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < levels; i++) value = { child: value };
  return value;
};

describe('track() validation', () => {
  it('refuses a non-object event, naming event', () => {
    const t = tracker();
    expect(thrown(() => t.track(null as never)).field).toBe('event');
    expect(thrown(() => t.track('api_calls' as never)).field).toBe('event');
  });

  it('refuses an unknown meter, naming meter', () => {
    const error = rejected({ meter: 'api_cals' });
    expect(error.field).toBe('meter');
    expect(error.message).toContain('api_calls');
  });

  it('refuses a missing meter, naming meter', () => {
    expect(rejected({ meter: undefined }).field).toBe('meter');
  });

  it('accepts a raw meter token as the meter', () => {
    const t = tracker();
    t.track({ meter: '99999999-2222-4333-8444-555555555555', customerId: 'acme' });
    expect(t.stats().tracked).toBe(1);
  });

  it.each([
    ['empty', ''],
    ['a number', 42],
    ['undefined', undefined],
    ['an object', { id: 'acme' }],
  ])('refuses customerId %s, naming customerId', (_label, customerId) => {
    expect(rejected({ customerId }).field).toBe('customerId');
  });

  it('accepts a 255-character customerId', () => {
    const t = tracker();
    t.track({ meter: 'api_calls', customerId: 'c'.repeat(255) });
    expect(t.stats().tracked).toBe(1);
  });

  // Fails on the main of 2026-12-01: ids over 255 characters or with control characters were refused,
  // limits Fluxrate does not document, so the request went unbilled.
  it('accepts long ids and ids with control characters, which Fluxrate does not refuse', () => {
    const t = tracker();
    t.track({ meter: 'api_calls', customerId: 'c'.repeat(1_000), idempotencyKey: 'k'.repeat(300) });
    t.track({ meter: 'api_calls', customerId: 'ac\nme', idempotencyKey: 'key\u001b[31m' });
    expect(t.stats().tracked).toBe(2);
  });

  it('refuses ids longer than limits.idLength when it is set, naming the field', () => {
    const t = tracker({ limits: { idLength: 255 } });
    const error = thrown(() => t.track({ meter: 'api_calls', customerId: 'c'.repeat(256) }));
    expect(error.field).toBe('customerId');
    expect(error.message).toContain('limits.idLength');
    expect(
      thrown(() => t.track({ meter: 'api_calls', customerId: 'acme', idempotencyKey: 'k'.repeat(256) }))
        .field,
    ).toBe('idempotencyKey');
  });

  it.each([
    ['a string', '1'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['negative', -1],
    ['zero', 0],
    ['negative zero', -0],
    ['null', null],
    ['a bigint', 1n],
  ])('refuses quantity %s, naming quantity', (_label, quantity) => {
    expect(rejected({ quantity }).field).toBe('quantity');
  });

  it('reports -0 as -0 in the message', () => {
    expect(rejected({ quantity: -0 }).message).toContain('-0');
  });

  it.each([
    ['not a date', 'yesterday'],
    ['date only', '2025-01-15'],
    ['no time zone', '2025-01-15T10:30:00'],
    ['impossible month', '2025-13-01T00:00:00Z'],
    ['epoch number', 1736937000000],
  ])('refuses timestamp %s, naming timestamp', (_label, timestamp) => {
    expect(rejected({ timestamp }).field).toBe('timestamp');
  });

  // Regression (fixed in src): src/validate-event.ts:44-46: the ISO regex passes and Date.parse rolls 2025-02-30 over to 2025-03-02.
  it('refuses an impossible calendar day instead of rolling it into the next month', () => {
    // Date.parse('2025-02-30T00:00:00Z') is 2025-03-02 in V8: the event would be billed on another day.
    expect(rejected({ timestamp: '2025-02-30T00:00:00Z' }).field).toBe('timestamp');
  });

  it('refuses an invalid Date, naming timestamp', () => {
    expect(rejected({ timestamp: new Date('nope') }).field).toBe('timestamp');
  });

  it('refuses an empty or non-string idempotencyKey, naming idempotencyKey', () => {
    expect(rejected({ idempotencyKey: '' }).field).toBe('idempotencyKey');
    expect(rejected({ idempotencyKey: 7 }).field).toBe('idempotencyKey');
  });

  it.each([
    ['an array', [1]],
    ['a Date', new Date()],
    ['a string', 'region=eu'],
    ['null', null],
  ])('refuses metadata that is %s, naming metadata', (_label, metadata) => {
    expect(rejected({ metadata }).field).toBe('metadata');
  });

  it('refuses circular metadata, naming a metadata path', () => {
    const metadata: Record<string, unknown> = { a: 1 };
    metadata.self = metadata;
    expect(rejected({ metadata }).field).toMatch(/^metadata\.self/);
  });

  it('refuses a BigInt inside metadata, naming its path', () => {
    expect(rejected({ metadata: { n: 10n } }).field).toBe('metadata.n');
  });

  it('refuses metadata nested too deeply to serialise, naming metadata', () => {
    expect(rejected({ metadata: deep(100_000) }).field).toBe('metadata');
  });

  // Fails on the main of 2026-12-01: depth 6, 500 values and 16 KiB were guessed limits, not Fluxrate's.
  it('accepts deep, wide and large metadata, which Fluxrate does not refuse', () => {
    const t = tracker();
    const wide = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`k${i}`, i]));
    t.track({ meter: 'api_calls', customerId: 'acme', metadata: deep(10) });
    t.track({ meter: 'api_calls', customerId: 'acme', metadata: wide });
    t.track({ meter: 'api_calls', customerId: 'acme', metadata: { blob: 'x'.repeat(20_000) } });
    expect(t.stats().tracked).toBe(3);
  });

  it('refuses metadata over limits.metadataBytes when it is set, naming metadata', () => {
    const t = tracker({ limits: { metadataBytes: 16_384 } });
    const error = thrown(() =>
      t.track({ meter: 'api_calls', customerId: 'acme', metadata: { blob: 'x'.repeat(20_000) } }),
    );
    expect(error.field).toBe('metadata');
    expect(error.message).toContain('limits.metadataBytes');
  });

  // Fails on the main of 2026-12-01: a Date, a function or NaN inside metadata made track() throw.
  it('serialises metadata as JSON does: a Date as ISO 8601, toJSON() honoured, functions left out', async () => {
    const server = await scripted();
    const t = tracker({ baseUrl: server.url });
    const at = new Date('2025-01-15T10:30:00.000Z');
    t.track({
      meter: 'api_calls',
      customerId: 'acme',
      metadata: { at, nested: { when: [at] }, fn: () => 1, gone: undefined, n: Number.NaN, m: new Map() },
    });
    t.track({
      meter: 'api_calls',
      customerId: 'acme',
      metadata: new (class Meta {
        region = 'eu';
      })() as never,
    });
    await t.flush();
    expect(server.requests.map((r) => r.json.metadata)).toEqual([
      { at: '2025-01-15T10:30:00.000Z', nested: { when: ['2025-01-15T10:30:00.000Z'] }, n: null, m: {} },
      { region: 'eu' },
    ]);
  });

  it('refuses a UNIQUE_COUNT event without metadata.user_id, naming metadata.user_id', () => {
    expect(rejected({ meter: 'users' }).field).toBe('metadata.user_id');
    expect(rejected({ meter: 'users', metadata: { region: 'eu' } }).field).toBe('metadata.user_id');
    expect(rejected({ meter: 'users', metadata: { user_id: '' } }).field).toBe('metadata.user_id');
  });

  it('accepts a UNIQUE_COUNT event with metadata.user_id', () => {
    const t = tracker();
    t.track({ meter: 'users', customerId: 'acme', metadata: { user_id: 'u1' } });
    expect(t.stats().tracked).toBe(1);
  });

  it('FluxrateValidationError instanceof works for a structurally branded copy (duplicate packages)', () => {
    const foreign = Object.assign(new Error('x'), { code: 'FLUXRATE_INVALID_EVENT', field: 'quantity' });
    Object.defineProperty(foreign, Symbol.for('fluxrate.error'), { value: true });
    expect(foreign).toBeInstanceOf(FluxrateValidationError);
    expect(new Error('x')).not.toBeInstanceOf(FluxrateValidationError);
  });
});

describe('track() defaults', () => {
  it('sends quantity 1, the time of track() and an evt_<uuid> key when omitted', async () => {
    const server = await scripted();
    const t = tracker({ baseUrl: server.url });
    const before = Date.now();
    t.track({ meter: 'api_calls', customerId: 'acme' });
    const after = Date.now();
    await t.flush();
    const body = server.requests[0]!.json;
    expect(body.quantity).toBe(1);
    const at = Date.parse(body.timestamp);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
    expect(body.idempotency_key).toMatch(/^evt_/);
    expect(body.idempotency_key.slice(4)).toMatch(UUID);
    expect(body).not.toHaveProperty('metadata');
  });

  it('gives every event its own default key', async () => {
    const server = await scripted();
    const t = tracker({ baseUrl: server.url });
    for (let i = 0; i < 5; i++) t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush();
    expect(new Set(server.requests.map((r) => r.json.idempotency_key)).size).toBe(5);
  });

  it('snapshots metadata at track() so later mutation does not change the event', async () => {
    const server = await scripted();
    const t = tracker({ baseUrl: server.url });
    const metadata = { region: 'eu' };
    t.track({ meter: 'api_calls', customerId: 'acme', metadata });
    metadata.region = 'us';
    await t.flush();
    expect(server.requests[0]!.json.metadata).toEqual({ region: 'eu' });
  });

  it('uses the raw token when the meter is given as a token', async () => {
    const server = await scripted();
    const t = tracker({ baseUrl: server.url, meters: {} });
    t.track({ meter: TOKEN, customerId: 'acme' });
    await t.flush();
    expect(server.requests[0]!.json.meter_token).toBe(TOKEN);
  });
});
