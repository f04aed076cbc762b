// Issue #26: billing APIs refuse events older than a backdating window (Stripe 35 days, Metronome 34);
// `maxEventAgeMs` keeps such an event from being sent: it fails `too-old`, dead-lettered, counted, warned once.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalServer } from '@fluxrate/local';
import { deadLetter, deadLetterFile, expectWarnings } from '@fluxrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTracker, FluxrateConfigError } from '../src/index.js';
import type { DeadLetterRecord } from '../src/pipeline/dead-letter.js';
import { replayDeadLetters } from '../src/replay/replay.js';

type Local = Awaited<ReturnType<typeof startLocalServer>>;
let local: Local;
const tmp = () => mkdtempSync(join(tmpdir(), 'fluxrate-age-'));
const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY);

beforeAll(async () => {
  local = await startLocalServer({ meters: { api_calls: { aggregation: 'SUM' } } });
});
afterAll(() => local.close());

const base = () => ({
  apiKey: local.apiKey,
  baseUrl: local.url,
  meters: { api_calls: local.meters.api_calls!.token },
});

describe('maxEventAgeMs', () => {
  it('is refused at construction unless a positive integer', async () => {
    await createTracker({ ...base(), maxEventAgeMs: 35 * DAY }).shutdown();
    for (const bad of [0, -1, 1.5, '35d', Number.NaN]) {
      expect(() => createTracker({ ...base(), maxEventAgeMs: bad as number })).toThrow(FluxrateConfigError);
      try {
        createTracker({ ...base(), maxEventAgeMs: bad as number });
      } catch (error) {
        expect((error as FluxrateConfigError).option).toBe('maxEventAgeMs');
      }
    }
  });

  it('does not send an event older than it: failed too-old, dead-lettered, counted, warned once', async () => {
    const warnings = expectWarnings('FLUXRATE_EVENT_TOO_OLD');
    local.reset();
    const file = join(tmp(), 'dead.ndjson');
    const t = createTracker({ ...base(), maxEventAgeMs: 35 * DAY, deadLetter: { file } });
    const failed: { key: string; reason: string }[] = [];
    t.on('failed', ({ event, reason }) => failed.push({ key: event.idempotencyKey, reason }));
    t.track({
      meter: 'api_calls',
      customerId: 'acme',
      quantity: 1,
      idempotencyKey: 'old_1',
      timestamp: daysAgo(40),
    });
    t.track({
      meter: 'api_calls',
      customerId: 'acme',
      quantity: 1,
      idempotencyKey: 'old_2',
      timestamp: daysAgo(36),
    });
    t.track({
      meter: 'api_calls',
      customerId: 'acme',
      quantity: 1,
      idempotencyKey: 'new_1',
      timestamp: daysAgo(34),
    });
    await t.shutdown();
    expect(local.events().map((e) => e.idempotencyKey)).toEqual(['new_1']);
    expect(failed.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: 'old_1', reason: 'too-old' },
      { key: 'old_2', reason: 'too-old' },
    ]);
    expect(t.stats()).toMatchObject({ delivered: 1, failed: 2, tooOld: 2 });
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as DeadLetterRecord);
    expect(lines.map((l) => [l.event.idempotencyKey, l.reason, l.attempts]).sort()).toEqual([
      ['old_1', 'too-old', 0],
      ['old_2', 'too-old', 0],
    ]);
    expect(warnings.of('FLUXRATE_EVENT_TOO_OLD')).toHaveLength(1);
  });

  it('applies at send time to events a previous process left in the spool', async () => {
    expectWarnings('FLUXRATE_EVENT_DROPPED', 'FLUXRATE_SHUTDOWN_LEFT', 'FLUXRATE_EVENT_TOO_OLD');
    local.reset();
    const dir = tmp();
    await local.suspend();
    try {
      const first = createTracker({ ...base(), spool: { dir }, retry: { minTimeout: 5, maxTimeout: 20 } });
      first.track({
        meter: 'api_calls',
        customerId: 'acme',
        quantity: 1,
        idempotencyKey: 'spooled_old',
        timestamp: new Date(Date.now() - 2 * 3_600_000),
      });
      first.track({ meter: 'api_calls', customerId: 'acme', quantity: 1, idempotencyKey: 'spooled_new' });
      expect((await first.shutdown({ timeoutMs: 200 })).pending).toHaveLength(2);
    } finally {
      await local.resume();
    }
    const second = createTracker({ ...base(), spool: { dir }, maxEventAgeMs: 3_600_000 });
    const reasons: string[] = [];
    second.on('failed', ({ event, reason }) => reasons.push(`${event.idempotencyKey}:${reason}`));
    await second.shutdown();
    expect(reasons).toEqual(['spooled_old:too-old']);
    expect(local.events().map((e) => e.idempotencyKey)).toEqual(['spooled_new']);
  });

  it('fluxrate-replay skips dead letters older than it and reports how many', async () => {
    expectWarnings('FLUXRATE_EVENT_TOO_OLD');
    local.reset();
    const file = join(tmp(), 'dead.ndjson');
    const token = local.meters.api_calls!.token;
    writeFileSync(
      file,
      deadLetterFile([deadLetter(token, 'r_old', daysAgo(40)), deadLetter(token, 'r_new', daysAgo(1))]),
    );
    const result = await replayDeadLetters({
      file,
      apiKey: local.apiKey,
      baseUrl: local.url,
      maxEventAgeMs: 35 * DAY,
    });
    expect(result).toMatchObject({ events: 2, delivered: 1, tooOld: 1, unsettled: [] });
    expect(result.failed.map((f) => [f.event.idempotencyKey, f.reason])).toEqual([['r_old', 'too-old']]);
    expect(local.events().map((e) => e.idempotencyKey)).toEqual(['r_new']);
  });
});
