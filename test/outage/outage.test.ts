import type { DropReason, UsageEvent } from '@fluxrate/core';
import type { LocalServer } from '@fluxrate/local';
import { captureLogger, sleep, startFluxrate, trackerFor } from '@fluxrate/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp } from '../support/apps.js';
import { billablePlan, drive, Expected, percentile, reconcile } from '../support/load.js';

/** `SOAK_FULL=1` runs the full mode: Fluxrate down for 20 s (else 3 s) in the middle of the load. */
const FULL = process.env.SOAK_FULL === '1';
const DOWN_MS = FULL ? 20_000 : 3_000;
const AROUND_MS = FULL ? 5_000 : 1_000;

interface Phases {
  downAt: number;
  upAt: number;
}

/** Runs a paced billable load, taking Fluxrate down from `AROUND_MS` for `downMs`. */
async function loadThroughOutage(
  fx: LocalServer,
  url: string,
  label: string,
  downMs: number,
  onSample: () => void,
  backlog: () => number,
) {
  const phases: Phases = { downAt: Number.POSITIVE_INFINITY, upAt: Number.POSITIVE_INFINITY };
  const expected = new Expected();
  const latencies: { before: number[]; down: number[]; after: number[] } = {
    before: [],
    down: [],
    after: [],
  };
  let stop = false;
  let backlogAtResume = 0;
  const sampler = setInterval(onSample, 20);
  const driver = drive(url, billablePlan(1_000_000, label), expected, {
    concurrency: 8,
    pace: 5,
    stop: () => stop,
    onLatency: (startedAt, ms) => {
      const at = performance.timeOrigin + startedAt;
      const phase = at < phases.downAt ? 'before' : at < phases.upAt ? 'down' : 'after';
      latencies[phase].push(ms);
    },
  });
  await sleep(AROUND_MS);
  phases.downAt = Date.now();
  await fx.suspend();
  await sleep(downMs);
  backlogAtResume = backlog();
  await fx.resume();
  phases.upAt = Date.now();
  await sleep(AROUND_MS);
  stop = true;
  const load = await driver;
  clearInterval(sampler);
  return { load, expected, latencies, backlogAtResume };
}

describe('Fluxrate outage in the middle of load', () => {
  let fx: LocalServer | undefined;
  afterEach(() => fx?.close());

  it(`serves every request unaffected while Fluxrate is down for ${DOWN_MS / 1000} s, then delivers every event`, {
    timeout: DOWN_MS + 2 * AROUND_MS + 60_000,
  }, async () => {
    fx = await startFluxrate();
    const maxQueueSize = 50_000;
    const tracker = trackerFor(fx, { maxQueueSize, timeoutMs: 1_000 });
    const app = await startApp('express', { tracker });
    let maxOutstanding = 0;
    const outstanding = () => tracker.stats().queued + tracker.stats().inFlight;
    const { load, expected, latencies, backlogAtResume } = await loadThroughOutage(
      fx,
      app.url,
      'outage',
      DOWN_MS,
      () => {
        maxOutstanding = Math.max(maxOutstanding, outstanding());
      },
      outstanding,
    );
    await app.close();
    const flushed = await tracker.flush({ timeoutMs: 60_000 });
    const stats = tracker.stats();
    const { lost, doubled } = reconcile(expected, fx.events());
    const p = (xs: number[]) =>
      `p50=${percentile(xs, 50).toFixed(1)}ms p99=${percentile(xs, 99).toFixed(1)}ms`;
    console.log(
      `[outage] down=${DOWN_MS}ms requests=${load.requests} billable=${load.billed} ` +
        `backlog-at-resume=${backlogAtResume} max-outstanding=${maxOutstanding}/${maxQueueSize} ` +
        `retries=${stats.retried} delivered=${stats.delivered} lost=${lost} doubled=${doubled} ` +
        `latency before: ${p(latencies.before)}, down: ${p(latencies.down)}, after: ${p(latencies.after)}`,
    );

    // Responses unaffected: every request answered 2xx, including the ones served during the outage.
    expect(load.errors).toEqual([]);
    expect(Object.keys(load.statuses)).toEqual(['200']);
    expect(latencies.down.length).toBeGreaterThan(50);
    // Latency not blown up: no request waits on Fluxrate (its connect attempts fail in the background).
    expect(percentile(latencies.down, 50)).toBeLessThan(3 * percentile(latencies.before, 50) + 50);
    // A backlog built up while down, within the queue bound, and every event arrived after: exactly once.
    expect(backlogAtResume).toBeGreaterThan(0);
    expect(maxOutstanding).toBeLessThanOrEqual(maxQueueSize);
    expect(flushed.settled).toBe(true);
    expect(stats).toMatchObject({ tracked: load.billed, delivered: load.billed, failed: 0, dropped: 0 });
    expect({ lost, doubled }).toEqual({ lost: 0, doubled: 0 });
    await tracker.shutdown();
  });

  it('counts and reports every overflow drop when a small queue fills during the outage', {
    timeout: DOWN_MS + 2 * AROUND_MS + 60_000,
  }, async () => {
    fx = await startFluxrate();
    const maxQueueSize = 100;
    const logger = captureLogger();
    // coalesce: false, to prove the drop path itself (with the default, these events are coalesced, not dropped).
    const tracker = trackerFor(fx, { maxQueueSize, logger, timeoutMs: 1_000, coalesce: false });
    const dropped: { event: UsageEvent; reason: DropReason }[] = [];
    tracker.on('dropped', (e) => dropped.push(e));
    const app = await startApp('express', { tracker });
    let maxOutstanding = 0;
    const downMs = Math.min(DOWN_MS, 2_000);
    const outstanding = () => tracker.stats().queued + tracker.stats().inFlight;
    const { load, expected } = await loadThroughOutage(
      fx,
      app.url,
      'overflow',
      downMs,
      () => {
        maxOutstanding = Math.max(maxOutstanding, outstanding());
      },
      outstanding,
    );
    await app.close();
    await tracker.shutdown({ timeoutMs: 60_000 });
    const stats = tracker.stats();
    const stored = fx.events();
    const overflow = dropped.filter((d) => d.reason === 'overflow');
    console.log(
      `[overflow] maxQueueSize=${maxQueueSize} down=${downMs}ms billable=${load.billed} tracked=${stats.tracked} ` +
        `stored=${stored.length} dropped=${stats.dropped} (overflow events=${overflow.length}) max-outstanding=${maxOutstanding}`,
    );

    expect(Object.keys(load.statuses)).toEqual(['200']);
    expect(maxOutstanding).toBeLessThanOrEqual(maxQueueSize);
    expect(overflow.length).toBeGreaterThan(0);
    // Exact accounting: every billable response is either stored or dropped with reason overflow.
    expect(dropped).toHaveLength(overflow.length);
    expect(stats.dropped).toBe(overflow.length);
    expect(stats.dropped).toBe(load.billed - stored.length);
    expect(stats.tracked).toBe(stored.length);
    const keys = new Set([
      ...stored.map((e) => e.idempotencyKey),
      ...overflow.map((d) => d.event.idempotencyKey),
    ]);
    expect(keys).toEqual(expected.keys);
    // Never silent: the drop is logged (rate-limited), naming the reason.
    const warns = logger.calls.filter(
      (l) => l.level === 'warn' && (l.obj as { reason?: string }).reason === 'overflow',
    );
    expect(warns.length).toBeGreaterThan(0);
  });
});
