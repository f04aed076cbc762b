import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTracker } from '@fluxrate/core';
import type { LocalServer } from '@fluxrate/local';
import { startFluxrate } from '@fluxrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../packages/core/dist/replay-cli.js', import.meta.url));
const skipReason = existsSync(BIN)
  ? undefined
  : 'packages/core/dist/replay-cli.js missing: run `pnpm build` first';
if (skipReason) console.warn(`[dead-letter] skipped: ${skipReason}`);
const WRONG_TOKEN = '00000000-0000-4000-8000-000000000404';

describe.skipIf(skipReason)('dead letters and fluxrate-replay', () => {
  let fx: LocalServer;
  const file = join(mkdtempSync(join(tmpdir(), 'fluxrate-dlq-')), 'dead-letters.ndjson');
  const sent: { customerId: string; quantity: number; idempotencyKey: string }[] = [];
  const replay = (...args: string[]) =>
    run(process.execPath, [BIN, file, '--base-url', fx.url, '--api-key', fx.apiKey, ...args]);

  beforeAll(async () => {
    fx = await startFluxrate();
  });
  afterAll(() => fx.close());

  it('writes every event that fails on a wrong meter token (404) to the file, with payload, key, status and detail', async () => {
    const tracker = createTracker({
      apiKey: fx.apiKey,
      baseUrl: fx.url,
      meters: { api_calls: WRONG_TOKEN },
      retry: { minTimeout: 5, maxTimeout: 20 },
      deadLetter: { file },
    });
    for (let i = 0; i < 20; i++) {
      const event = { customerId: `dl-${i % 3}`, quantity: i + 0.5, idempotencyKey: `order-${i}` };
      sent.push(event);
      tracker.track({ meter: 'api_calls', ...event, metadata: { i } });
    }
    await tracker.shutdown();
    expect(tracker.stats()).toMatchObject({ tracked: 20, failed: 20, delivered: 0 });
    expect(fx.stats().events).toBe(0);

    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(fx.apiKey);
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(20);
    // Failures settle in delivery order: match each line to its event by its index in the metadata.
    lines.sort((a, b) => a.event.metadata.i - b.event.metadata.i);
    for (const [i, line] of lines.entries()) {
      expect(line).toMatchObject({
        reason: 'rejected',
        status: 404,
        detail: 'Meter not found',
        event: { meter: 'api_calls', meterToken: WRONG_TOKEN, ...sent[i], metadata: { i } },
      });
    }
  });

  it('--dry-run shows the plan with the corrected token and sends nothing', async () => {
    const requests = fx.stats().requests;
    const { stdout } = await replay('--dry-run', '--meter', `api_calls=${fx.meters.api_calls!.token}`);
    expect(stdout).toContain('20 event(s) would be sent');
    expect(stdout).toContain(fx.meters.api_calls!.token);
    expect(fx.stats().requests).toBe(requests);
  });

  it('replays each event exactly once with the fixed token; a second replay adds nothing', async () => {
    const fixed = ['--meter', `api_calls=${fx.meters.api_calls!.token}`];
    const first = await replay(...fixed);
    expect(first.stdout).toContain('20 delivered, 0 failed');
    const stored = fx.events();
    expect(stored.map((e) => [e.customer, e.quantity, e.idempotencyKey]).sort()).toEqual(
      sent.map((e) => [e.customerId, e.quantity, e.idempotencyKey]).sort(),
    );

    const second = await replay(...fixed);
    expect(second.stdout).toContain('20 delivered, 0 failed');
    expect(fx.stats().events).toBe(20);
    expect(fx.stats().deduplicated).toBe(20);
    const total = (customer: string) => fx.usage().find((u) => u.customer === customer)?.total;
    expect(total('dl-0')).toBe(
      sent.filter((e) => e.customerId === 'dl-0').reduce((s, e) => s + e.quantity, 0),
    );
  });
});
