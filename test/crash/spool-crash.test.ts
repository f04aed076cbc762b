import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalServer } from '@fluxrate/local';
import { type Answer, type Child, get, needsBuild, sleep, startFluxrate } from '@fluxrate/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixtures.js';

const skipReason = needsBuild('crash', 'core', 'express');

describe.skipIf(skipReason)('crash with a durable spool (SIGKILL, restart on the same spool dir)', () => {
  let fx: LocalServer | undefined;
  const children: Child[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'fluxrate-spool-'));
  afterEach(async () => {
    for (const c of children) c.process.kill('SIGKILL');
    await fx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing and bills nothing twice when killed while Fluxrate is down', async () => {
    fx = await startFluxrate();
    const env = {
      FLUXRATE_BASE_URL: fx.url,
      FLUXRATE_API_KEY: fx.apiKey,
      METER_TOKEN: fx.meters.api_calls!.token,
      SPOOL_DIR: dir,
    };
    const first = runFixture('serve-app.mjs', env);
    children.push(first);
    const { port } = await first.next('listening');
    const answers: Answer[] = [];
    let stop = false;
    const load = async () => {
      while (!stop) answers.push(await get(port, '/v1/work?ms=10', { 'x-customer': 'crash' }));
    };
    const workers = Array.from({ length: 6 }, load);
    await sleep(800); // delivered while up
    await fx.suspend();
    await sleep(800); // pending in the spool while down
    stop = true;
    await Promise.all(workers);
    // Requests still in flight when the process dies: never completed, so never billed.
    const cut = Array.from({ length: 3 }, () => get(port, '/v1/work?ms=60000', { 'x-customer': 'crash' }));
    await sleep(300); // a stats line printed after the load stopped (they come every 100 ms)
    const beforeKill = await first.until(
      'stats',
      (l) => l.inFlight >= 3 && l.stats.queued + l.stats.inFlight > 0,
    );
    first.process.kill('SIGKILL');
    expect(await first.exited).toMatchObject({ signal: 'SIGKILL' });
    const cutAnswers = await Promise.all(cut);
    const storedBeforeRestart = fx.stats().events;
    await fx.resume();

    const second = runFixture('serve-app.mjs', env);
    children.push(second);
    const restarted = await second.next('listening');
    await second.until('stats', (l) => l.stats.queued + l.stats.inFlight === 0 && l.stats.delivered > 0);
    second.process.kill('SIGTERM');
    const shutdown = await second.next('shutdown');

    const ok = answers.filter((a) => a.status === 200);
    const expected = new Set(ok.map((a) => `req_${a.requestId}_api_calls`));
    const stored = fx.events().map((e) => e.idempotencyKey);
    console.log(
      `[crash] completed=${ok.length} pending-at-kill=${beforeKill.stats.queued + beforeKill.stats.inFlight} ` +
        `stored-before-restart=${storedBeforeRestart} replayed-after-restart=${restarted.stats.replayed} ` +
        `stored=${stored.length} dedupes=${fx.stats().deduplicated}`,
    );

    expect(cutAnswers.every((a) => a.error !== undefined)).toBe(true);
    // The restarted tracker replays exactly what the killed one still held (Fluxrate was down: nothing settled).
    expect(restarted.stats.replayed).toBeGreaterThan(0);
    expect(restarted.stats.replayed).toBe(beforeKill.stats.queued + beforeKill.stats.inFlight);
    expect(storedBeforeRestart).toBeLessThan(ok.length);
    expect(shutdown.report).toMatchObject({ failed: 0, dropped: 0, pending: [] });
    // Exact: every completed billable response stored once; the killed in-flight requests not at all.
    expect(new Set(stored).size).toBe(stored.length);
    expect(new Set(stored)).toEqual(expected);
    expect(fx.usage()).toMatchObject([{ meter: 'api_calls', customer: 'crash', total: ok.length }]);
  });
});
