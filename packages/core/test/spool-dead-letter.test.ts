import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startLocalServer } from '@fluxrate/local';
import { expectWarnings } from '@fluxrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTracker } from '../src/index.js';
import { readDeadLetters, replayDeadLetters } from '../src/replay/replay.js';

type Local = Awaited<ReturnType<typeof startLocalServer>>;
let local: Local;
const tmp = () => mkdtempSync(join(tmpdir(), 'fluxrate-'));
const WRONG_TOKEN = '00000000-0000-4000-8000-000000000000';

beforeAll(async () => {
  local = await startLocalServer({ meters: { api_calls: { aggregation: 'SUM' } } });
});
afterAll(() => local.close());

describe('durable spool', () => {
  it('replays events a previous tracker left behind, with the same keys, exactly once', async () => {
    expectWarnings('FLUXRATE_EVENT_DROPPED', 'FLUXRATE_SHUTDOWN_LEFT');
    local.reset();
    const dir = tmp();
    const keys = Array.from({ length: 20 }, (_, i) => `req_${i}_api_calls`);
    await local.suspend();
    try {
      const first = createTracker({
        apiKey: local.apiKey,
        baseUrl: local.url,
        meters: { api_calls: local.meters.api_calls!.token },
        spool: { dir },
        retry: { minTimeout: 5, maxTimeout: 20 },
      });
      for (const key of keys)
        first.track({ meter: 'api_calls', customerId: 'acme', quantity: 2, idempotencyKey: key });
      const report = await first.shutdown({ timeoutMs: 200 });
      expect(report.pending).toHaveLength(20);
    } finally {
      // A failing spool must not leave the shared server down for the other tests.
      await local.resume();
    }

    const second = createTracker({
      apiKey: local.apiKey,
      baseUrl: local.url,
      meters: { api_calls: local.meters.api_calls!.token },
      spool: { dir },
    });
    expect(second.stats().replayed).toBe(20);
    await second.shutdown();
    expect(local.usage()).toEqual([expect.objectContaining({ customer: 'acme', total: 40, eventCount: 20 })]);
    expect(
      local
        .events()
        .map((e) => e.idempotencyKey)
        .sort(),
    ).toEqual([...keys].sort());

    const third = createTracker({ apiKey: local.apiKey, baseUrl: local.url, spool: { dir } });
    expect(third.stats().replayed).toBe(0);
    await third.shutdown();
  });
});

/** A tracker whose meter token Fluxrate does not know (404: each event fails), dead-lettering to `file`. */
const deadLetterTracker = (file: string) =>
  createTracker({
    apiKey: local.apiKey,
    baseUrl: local.url,
    meters: { api_calls: WRONG_TOKEN },
    deadLetter: { file },
  });

describe('dead letters and fluxrate-replay', () => {
  it('writes failed events with status and detail, and a fixed replay delivers each once', async () => {
    expectWarnings('FLUXRATE_EVENT_FAILED');
    local.reset();
    const file = join(tmp(), 'dead.ndjson');
    const t = deadLetterTracker(file);
    for (let i = 0; i < 5; i++)
      t.track({ meter: 'api_calls', customerId: 'acme', quantity: 3, idempotencyKey: `order_${i}` });
    await t.shutdown();
    expect(t.stats().failed).toBe(5);
    const records = readDeadLetters(file);
    expect(records).toHaveLength(5);
    expect(records[0]).toMatchObject({
      reason: 'rejected',
      status: 404,
      event: { meter: 'api_calls', meterToken: WRONG_TOKEN },
    });
    expect(readFileSync(file, 'utf8')).not.toContain(local.apiKey);

    const fixed = { api_calls: local.meters.api_calls!.token };
    const dry = await replayDeadLetters({
      file,
      meters: fixed,
      dryRun: true,
      apiKey: local.apiKey,
      baseUrl: local.url,
    });
    expect(dry.plan.every((p) => p.meterToken === fixed.api_calls)).toBe(true);
    expect(local.events()).toHaveLength(0);

    const once = await replayDeadLetters({ file, meters: fixed, apiKey: local.apiKey, baseUrl: local.url });
    expect(once).toMatchObject({ events: 5, delivered: 5, failed: [] });
    const twice = await replayDeadLetters({ file, meters: fixed, apiKey: local.apiKey, baseUrl: local.url });
    expect(twice.delivered).toBe(5);
    expect(local.usage()).toEqual([expect.objectContaining({ customer: 'acme', total: 15, eventCount: 5 })]);
    expect(local.stats().deduplicated).toBe(5);
  });

  it('records dropped events too (overflow)', async () => {
    expectWarnings('FLUXRATE_EVENT_DROPPED');
    const file = join(tmp(), 'dead.ndjson');
    const t = createTracker({
      apiKey: local.apiKey,
      baseUrl: local.url,
      maxQueueSize: 2,
      coalesce: false,
      deadLetter: { file },
    });
    for (let i = 0; i < 5; i++)
      t.track({
        meter: local.meters.api_calls!.token as `${string}-${string}-${string}-${string}-${string}`,
        customerId: 'acme',
      });
    await t.shutdown();
    expect(readDeadLetters(file).map((r) => r.reason)).toEqual(['overflow', 'overflow', 'overflow']);
  });

  const cli = join(import.meta.dirname, '../dist/replay-cli.js');
  it.skipIf(!existsSync(cli))('fluxrate-replay CLI dry-runs and replays (needs the build)', async () => {
    local.reset();
    const file = join(tmp(), 'dead.ndjson');
    const t = deadLetterTracker(file);
    t.track({ meter: 'api_calls', customerId: 'acme', idempotencyKey: 'cli_1' });
    await t.shutdown();
    const args = [
      cli,
      file,
      '--meter',
      `api_calls=${local.meters.api_calls!.token}`,
      '--base-url',
      local.url,
      '--api-key',
      local.apiKey,
    ];
    // Async: the local server runs in this process, so a sync spawn would starve it.
    const run = promisify(execFile);
    expect((await run('node', [...args, '--dry-run'])).stdout).toContain('1 event(s) would be sent');
    expect((await run('node', args)).stdout).toContain('1 delivered, 0 failed');
    expect(local.usage()[0]).toMatchObject({ total: 1 });
  });
});
