// `pnpm bench [cpu|saturation|profile] [flags]`; every app, and the sink, in its own child process,
// autocannon here.
//   pnpm bench                        CPU per request (all frameworks), then the saturation view and
//                                     micro-benchmarks: results/latest.md + .json (--quick: quick.*)
//   pnpm bench cpu [--framework fastify --variants bare,agg --rate 3000 --duration 8 …]
//   pnpm bench profile --framework express --variants event   (top self time under --cpu-prof)
//   pnpm bench saturation [--only fastify --duration 10 --connections 50 …]   (flags: lib/args.mjs)
//   pnpm bench degraded [--events 4000 --only per-event|redis --quick]   (drain under transient errors)
// Flags of cpu/profile: lib/cpu-args.mjs. Subcommands print markdown and write results/<mode>.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs as parseCliArgs } from 'node:util';
import { cpuBench } from './cpu.mjs';
import { degradedBench, parseDegradedArgs } from './degraded.mjs';
import { parseArgs as parseSaturationArgs } from './lib/args.mjs';
import { startChild } from './lib/child.mjs';
import { parseCpuArgs } from './lib/cpu-args.mjs';
import { cpuMethod, cpuTargets } from './lib/cpu-report.mjs';
import { machine } from './lib/machine.mjs';
import { markdownTable } from './lib/table.mjs';
import { profileBench } from './profile.mjs';
import { saturationBench } from './saturation.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const log = (msg) => process.stderr.write(`${msg}\n`);
const MODES = ['cpu', 'saturation', 'profile', 'degraded'];
const argv = process.argv.slice(2);
const mode = MODES.includes(argv[0]) ? argv.shift() : 'all';
const started = Date.now();
const loadBefore = os.loadavg();

/** `all` takes the flags both views share; each subcommand takes its own. */
function options() {
  if (mode === 'cpu' || mode === 'profile') return { cpu: parseCpuArgs(argv) };
  if (mode === 'saturation') return { saturation: parseSaturationArgs(argv) };
  if (mode === 'degraded') return { degraded: parseDegradedArgs(argv) };
  const { values } = parseCliArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      framework: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const quick = values.quick ? ['--quick'] : [];
  const only = values.only ?? values.framework;
  const frameworks = only ? ['--only', only] : [];
  return {
    out: values.out,
    quick: values.quick,
    cpu: parseCpuArgs([...quick, ...(only ? ['--framework', only] : [])]),
    // A smoke run keeps the saturation view short (1 s per variant, no fixed-rate pass: the CPU
    // table is one): it checks that the suite works.
    saturation: parseSaturationArgs([
      ...quick,
      ...frameworks,
      ...(values.quick ? ['--duration', '1', '--no-fixed'] : []),
    ]),
  };
}

const opts = options();
const sub = opts.cpu ?? opts.saturation ?? opts.degraded;
const quick = opts.quick ?? sub.quick;
const base = mode === 'all' ? 'latest' : mode;
const out = (mode === 'all' ? opts.out : sub.out) ?? here(`results/${quick ? `quick-${base}` : base}.md`);

const sink = startChild(here('sink.mjs'));
const sinkInfo = await sink.ready();
let cpu;
let saturation;
let profile;
let degraded;
try {
  if (mode === 'degraded') degraded = await degradedBench(opts.degraded, sinkInfo);
  if (mode === 'profile') profile = await profileBench(opts.cpu, sinkInfo);
  if (mode === 'all' || mode === 'cpu') cpu = await cpuBench(opts.cpu, sinkInfo);
  if (mode === 'all' || mode === 'saturation') saturation = await saturationBench(opts.saturation, sinkInfo);
} finally {
  await sink.stop();
}

const targets = [
  ...(cpu ? cpuTargets(cpu.rows) : []),
  ...(saturation?.targets ?? []),
  ...(degraded?.targets ?? []),
];
const m = machine();
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
} catch {
  // not a git checkout
}
const loadavg = (l) => l.map((x) => x.toFixed(1)).join(' ');
const report = `# Fluxrate benchmark results

${new Date().toISOString()}${quick ? ' (quick run)' : ''}; ${((Date.now() - started) / 1000).toFixed(0)} s in all; commit ${commit}.

Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, Node ${m.node}, ${m.platform}; load average ${loadavg(loadBefore)} at start, ${loadavg(os.loadavg())} at end.
Packages: ${Object.entries(m.packages)
  .map(([k, v]) => `${k} ${v}`)
  .join(', ')}.
${profile ? `\nProfiled at ${cpuMethod({ ...opts.cpu, runs: 1 })}.\n\n${profile.markdown}` : ''}${cpu ? `\n${cpu.markdown}` : ''}${saturation ? `\n${saturation.markdown}` : ''}${degraded ? `\n${degraded.markdown}` : ''}${targets.length > 0 ? `\n## Targets\n\n${markdownTable(['target', 'status', 'measured'], targets)}\n` : ''}`;

mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, report);
// Raw numbers (autocannon summaries, app reports and marks, sink usage) next to the report.
writeFileSync(
  out.endsWith('.md') ? out.replace(/\.md$/, '.json') : `${out}.json`,
  `${JSON.stringify({ machine: m, commit, mode, opts, loadAverage: [loadBefore, os.loadavg()], cpu: cpu && { runs: cpu.runs, summary: cpu.rows }, saturation: saturation?.raw, profile: profile?.raw, degraded: degraded?.raw }, null, 2)}\n`,
);
process.stdout.write(report);
log(`written to ${out}`);
