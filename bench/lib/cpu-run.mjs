// One CPU-per-request measurement: an app in its own process at a fixed offered rate, its own CPU
// time over the measured window divided by the requests it served in that window.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { startChild } from './child.mjs';
import { load } from './load.mjs';
import { resetSink, sinkUsage } from './variants.mjs';

const APPS = new URL('../apps/', import.meta.url);
/** Quiet time before each mark, after the sink holds everything billed so far. */
const SETTLE_MS = 250;
/** How long a backlog may take to reach the sink before the mark is taken anyway (and noted). */
const DRAIN_LIMIT_MS = 60_000;

/**
 * Waits until the sink holds `expected` usage (every 2xx so far billed and delivered), so the
 * warm-up's delivery stays out of the window and the measured run's delivery, however late, is in
 * it. Bare apps bill nothing: only the settle time. Returns the wait in ms, or -1 at the limit.
 */
async function drained(sink, variant, expected) {
  const started = Date.now();
  if (variant !== 'bare') {
    while ((await sinkUsage(sink)).total < expected) {
      if (Date.now() - started > DRAIN_LIMIT_MS) return -1;
      await sleep(100);
    }
  }
  await sleep(SETTLE_MS); // the app reads the sink's last replies
  return Date.now() - started;
}

const USER_HZ = 100; // clock ticks per second in /proc, on every Linux build Node supports
/** utime + stime of `pid` in µs from /proc (Linux only; undefined elsewhere): a cross-check. */
function procCpuUs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is the first, utime and stime the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / USER_HZ;
  } catch {
    return undefined;
  }
}

/** Sends SIGUSR2 (the app records a mark) and reads /proc at the same moment. */
function mark(app) {
  const proc = procCpuUs(app.pid);
  app.proc.kill('SIGUSR2');
  return proc;
}

/**
 * Runs `framework`'s app with `variant` against the sink: warm-up, drain, mark, measured run,
 * drain, mark, SIGTERM (the app drains and reports its marks), then reads what the sink stored.
 * `nodeArgs` go to the app (the profile mode passes `--cpu-prof`).
 */
export async function runCpuVariant(
  framework,
  variant,
  sink,
  opts,
  { nodeArgs = [], run = 1, loader = 'esm' } = {},
) {
  await resetSink(sink);
  const app = startChild(new URL(`${framework}.mjs`, APPS).pathname, [variant], {
    env: { BENCH_SINK: JSON.stringify(sink), BENCH_LOADER: loader },
    nodeArgs,
  });
  try {
    const { port } = await app.ready();
    const url = `http://127.0.0.1:${port}/v1/search`;
    const shape = { connections: opts.connections, rate: opts.rate };
    const warm = opts.warmup > 0 ? await load(url, { ...shape, duration: opts.warmup }) : { ok: 0 };
    const drainBeforeMs = await drained(sink, variant, warm.ok);
    const load1 = os.loadavg()[0];
    const procStart = mark(app);
    await sleep(20); // the app handles the signal on its next loop turn
    const result = await load(url, { ...shape, duration: opts.duration });
    const drainAfterMs = await drained(sink, variant, warm.ok + result.ok);
    const procEnd = mark(app);
    await sleep(20);
    const report = await app.stop();
    const stored = await sinkUsage(sink);
    const [a, b] = report.marks ?? [];
    if (!a || !b)
      throw new Error(`${framework} ${variant}: the app recorded ${report.marks?.length} marks, not 2`);
    const cpuUs = b.cpu.user - a.cpu.user + (b.cpu.system - a.cpu.system);
    const served = b.served - a.served;
    return {
      framework,
      loader,
      variant,
      run,
      usPerRequest: cpuUs / served,
      cpuUs,
      userUs: b.cpu.user - a.cpu.user,
      systemUs: b.cpu.system - a.cpu.system,
      procCpuUs: procStart === undefined || procEnd === undefined ? undefined : procEnd - procStart,
      served,
      windowMs: b.atMs - a.atMs,
      monoUs: [a.monoUs, b.monoUs],
      queuedAtEnd: b.stats?.queued,
      drainMs: [drainBeforeMs, drainAfterMs],
      load: result,
      loadAverage1m: [load1, os.loadavg()[0]],
      app: {
        billed: report.billed,
        maxRssKb: report.maxRssKb,
        drained: report.drained,
        shutdownMs: report.shutdownMs,
      },
      stored,
    };
  } catch (error) {
    app.kill();
    throw error;
  }
}
