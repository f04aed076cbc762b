// The CPU-per-request table: medians of the runs per variant, deltas against bare in µs and in %.
import { fmt, markdownTable } from './table.mjs';
import { LABELS, OURS } from './variants.mjs';

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const LOADER_LABELS = { esm: 'import', cjs: 'require()' };
const us = (n) => (n === undefined ? 'n/a' : n.toFixed(1));
const signed = (n, digits = 1) => (n === undefined ? 'n/a' : `${n >= 0 ? '+' : ''}${n.toFixed(digits)}`);

/** What makes a run doubtful: load errors, a rate not reached, a backlog, billed != stored. */
function runNotes(r, opts) {
  const notes = [];
  const errors = r.load.errors + r.load.timeouts + r.load.non2xx;
  if (errors > 0) notes.push(`run ${r.run}: ${errors} load errors`);
  const rate = r.served / opts.duration;
  if (rate < opts.rate * 0.95) notes.push(`run ${r.run}: rate not reached (${fmt.int(rate)} req/s)`);
  // The window ends once the sink holds everything billed: a backlog left means part of delivery's
  // CPU fell outside it (an open aggregation group or two is normal).
  if (r.drainMs?.includes(-1)) notes.push(`run ${r.run}: backlog not delivered within the drain limit`);
  if (r.queuedAtEnd > 10)
    notes.push(`run ${r.run}: ${fmt.int(r.queuedAtEnd)} queued at the end of the window`);
  const lateMs = r.drainMs?.[1] ?? 0;
  if (lateMs > 2000) notes.push(`run ${r.run}: delivery finished ${fmt.int(lateMs / 1000)} s after the load`);
  if (OURS.has(r.variant) && r.stored.total !== r.app.billed)
    notes.push(`run ${r.run}: billed ${fmt.int(r.app.billed)}, stored ${fmt.int(r.stored.total)}`);
  const fwd = r.app.drained?.forwarder; // the redis variant: its forwarder process, same window
  if (fwd)
    notes.push(
      `run ${r.run}: forwarder ${us(fwd.usPerEvent)} µs CPU/event (redis-server ${us(fwd.redisUsPerEvent)}), ${fmt.int(fwd.events)} events, ${us(fwd.eventsPerAppend)} per app append`,
    );
  if (r.procCpuUs !== undefined && Math.abs(r.procCpuUs - r.cpuUs) > Math.max(30_000, r.cpuUs * 0.1))
    notes.push(
      `run ${r.run}: /proc says ${fmt.int(r.procCpuUs / 1000)} ms CPU, process.cpuUsage() ${fmt.int(r.cpuUs / 1000)} ms`,
    );
  return notes;
}

/** One summary row per framework, loader and variant, in the order measured; deltas against the same loader's bare. */
export function summarise(runs, opts) {
  const rows = [];
  for (const framework of opts.frameworks) {
    for (const loader of opts.loaders ?? ['esm']) summariseOne(rows, runs, opts, framework, loader);
  }
  return rows;
}

function summariseOne(rows, allRuns, opts, framework, loader) {
  const runs = allRuns.filter((r) => (r.loader ?? 'esm') === loader);
  const bare = median(
    runs.filter((r) => r.framework === framework && r.variant === 'bare').map((r) => r.usPerRequest),
  );
  for (const variant of opts.variants) {
    const mine = runs.filter((r) => r.framework === framework && r.variant === variant);
    if (mine.length === 0) continue;
    const values = mine.map((r) => r.usPerRequest);
    const med = median(values);
    const delta = variant === 'bare' || Number.isNaN(bare) ? undefined : med - bare;
    rows.push({
      framework,
      loader,
      variant,
      runs: values,
      median: med,
      spread: values.length > 1 ? (Math.max(...values) - Math.min(...values)) / med : undefined,
      deltaUs: delta,
      deltaPct: delta === undefined ? undefined : (delta / bare) * 100,
      servedPerSec: median(mine.map((r) => r.served / opts.duration)),
      billed: mine.reduce((s, r) => s + r.app.billed, 0),
      stored: mine.reduce((s, r) => s + r.stored.total, 0),
      storedEvents: mine.reduce((s, r) => s + r.stored.events, 0),
      notes: mine.flatMap((r) => runNotes(r, opts)),
    });
  }
}

/** The summary as a markdown table. */
export function cpuTable(rows) {
  return markdownTable(
    [
      'framework',
      'loader',
      'variant',
      'runs µs/request',
      'median µs',
      'vs bare µs',
      'vs bare %',
      'run spread',
      'served req/s',
      'billed / stored',
      'notes',
    ],
    rows.map((r) => [
      r.framework,
      LOADER_LABELS[r.loader] ?? r.loader,
      LABELS[r.variant],
      r.runs.map(us).join(', '),
      us(r.median),
      r.deltaUs === undefined ? '-' : signed(r.deltaUs),
      r.deltaPct === undefined ? '-' : `${signed(r.deltaPct, 0)}%`,
      r.spread === undefined ? '-' : `${(r.spread * 100).toFixed(0)}%`,
      fmt.int(r.servedPerSec),
      r.variant === 'bare'
        ? '-'
        : `${fmt.int(r.billed)} / ${fmt.int(r.stored)}${r.storedEvents === r.stored ? '' : ` in ${fmt.int(r.storedEvents)} events`}`,
      r.notes.join('; '),
    ]),
  );
}

/** The heading line that says how the numbers were taken. */
export function cpuMethod(opts) {
  const runs = opts.runs > 1 ? `, ${opts.runs} runs per variant interleaved` : ', one run per variant';
  return `fixed ${fmt.int(opts.rate)} req/s offered, ${opts.connections} connections, ${opts.warmup} s warm-up + ${opts.duration} s measured${runs}${opts.quick ? ' (quick run: not for reading numbers)' : ''}`;
}

/** The issue's CPU targets as `[target, status, measured]` rows. */
export function cpuTargets(rows) {
  const out = [];
  for (const r of rows) {
    if (r.deltaUs === undefined) continue;
    const bare = r.median - r.deltaUs;
    const measured = `${signed(r.deltaUs)} µs (${signed(r.deltaPct, 0)}% of bare ${us(bare)} µs)`;
    if (r.variant === 'aggregate') {
      const limit = Math.max(3, bare * 0.05);
      out.push([
        `${r.framework} (${LOADER_LABELS[r.loader] ?? 'import'}): aggregated adds <= max(3 µs, 5% of bare) CPU per request`,
        r.deltaUs <= limit ? 'met' : 'missed',
        `${measured}; limit ${us(limit)} µs`,
      ]);
    }
    if (r.variant === 'metered')
      out.push([
        `${r.framework} (${LOADER_LABELS[r.loader] ?? 'import'}): per event adds <= 50 µs CPU per request`,
        r.deltaUs <= 50 ? 'met' : 'missed',
        measured,
      ]);
  }
  return out;
}
