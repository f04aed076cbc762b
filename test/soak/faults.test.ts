import type { FaultOptions, LocalServer } from '@fluxrate/local';
import { sleep, startFluxrate, trackerFor } from '@fluxrate/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS, startApp } from '../support/apps.js';
import { drive, Expected, plan, reconcile } from '../support/load.js';

/** `SOAK_FULL=1 npx vitest run test/soak` runs the full mode (20 000 billable requests per framework). */
const FULL = process.env.SOAK_FULL === '1';
const BILLABLE = FULL ? 20_000 : 1_500;

/**
 * 10% 5xx split across 500/502/503, 5% 429 with Retry-After: 1, 5% reset before storing, 5% reset
 * after storing, and 2% answered after 600 ms against a 300 ms client timeout (the slow attempt is
 * stored late, after its retry: the server must dedupe it).
 */
const FAULTS: FaultOptions = {
  '500': 0.034,
  '502': 0.033,
  '503': 0.033,
  '429': 0.05,
  retryAfter: 1,
  resetBefore: 0.05,
  resetAfter: 0.05,
  slow: { rate: 0.02, ms: 600 },
};

describe.each(FRAMEWORKS)('soak under faults: %s', (framework) => {
  let fx: LocalServer | undefined;
  afterAll(() => fx?.close());

  it(`bills exactly what succeeded: ${BILLABLE} billable requests, 0 lost, 0 double-counted`, {
    timeout: FULL ? 900_000 : 120_000,
  }, async () => {
    fx = await startFluxrate(FAULTS, 1234);
    const tracker = trackerFor(fx, { timeoutMs: 300 });
    const app = await startApp(framework, { tracker });
    const expected = new Expected();
    const t0 = performance.now();
    const load = await drive(app.url, plan(BILLABLE, framework), expected, { concurrency: 16 });

    const t1 = performance.now();
    await app.close();
    const report = await tracker.shutdown({ timeoutMs: 60_000 });
    const t2 = performance.now();
    // A slow attempt the tracker gave up on is stored late; let it land so it shows as a dedupe.
    await sleep(650);

    const stats = tracker.stats();
    const server = fx.stats();
    const { lost, doubled } = reconcile(expected, fx.events());
    console.log(
      `[soak ${framework}] requests=${load.requests} billable=${load.billed} aborted=${load.aborted} ` +
        `events=${server.events} retries=${stats.retried} dedupes=${server.deduplicated} ` +
        `lost=${lost} doubled=${doubled} load=${Math.round(t1 - t0)}ms drain=${Math.round(t2 - t1)}ms ` +
        `faults=${JSON.stringify(server.faults)}`,
    );

    expect(load.errors).toEqual([]);
    expect(load.billed).toBe(BILLABLE);
    expect(load.aborted).toBeGreaterThan(0);
    expect(load.statuses[400]).toBeGreaterThan(0);
    expect(report.pending).toEqual([]);
    expect(stats).toMatchObject({ tracked: BILLABLE, delivered: BILLABLE, failed: 0, dropped: 0 });
    // The faults really happened: retries and server-side dedupes of stored-but-unanswered attempts.
    expect(stats.retried).toBeGreaterThan(0);
    expect(server.faults.resetAfter).toBeGreaterThan(0);
    expect(server.deduplicated).toBeGreaterThan(0);
    expect({ lost, doubled }).toEqual({ lost: 0, doubled: 0 });
    const usage = fx
      .usage()
      .map(({ meter, customer, total, eventCount }) => ({ meter, customer, total, eventCount }));
    expect(usage).toEqual(expected.usage());
  });
});
