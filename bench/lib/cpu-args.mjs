// Flags of the CPU-per-request and profile modes (`pnpm bench cpu …`, `pnpm bench profile …`).
// The saturation suite keeps its own flags (`args.mjs`).
import { parseArgs } from 'node:util';

export const FRAMEWORKS = ['fastify', 'express', 'nestjs'];
/** How the apps load our packages (apps/loader.mjs): both by default, so each figure names its loader. */
export const LOADERS = ['esm', 'cjs'];

/** Variant names on the command line -> the apps' names (`apps/*.mjs <variant>`). */
const VARIANTS = {
  bare: 'bare',
  event: 'metered',
  'per-event': 'metered',
  metered: 'metered',
  agg: 'aggregate',
  aggregate: 'aggregate',
  aggregated: 'aggregate',
  redis: 'redis', // Fastify only: apps/fastify.mjs
};

/** The issue's method: autocannon -R 3000 -c 20, 2 s warm-up, 8 s measured, two runs per variant. */
const DEFAULTS = { rate: 3000, connections: 20, warmup: 2, duration: 8, runs: 2 };
/** A smoke run: checks that the harness works, not how fast anything is. */
const QUICK = { rate: 1000, connections: 10, warmup: 0.3, duration: 1, runs: 1 };

const NUMBERS = ['rate', 'connections', 'warmup', 'duration', 'runs', 'top'];

function positive(flag, raw, { allowZero = false } = {}) {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !allowZero))
    throw new Error(`--${flag} needs a positive number, got ${raw}`);
  return n;
}

function list(flag, raw, known) {
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => (s === 'nest' ? 'nestjs' : s));
  const unknown = names.filter((n) => !(n in known));
  if (unknown.length > 0 || names.length === 0)
    throw new Error(
      `--${flag}: unknown ${unknown.join(', ') || '(empty)'} (use ${Object.keys(known).join(',')})`,
    );
  return [...new Set(names.map((n) => known[n]))];
}

/**
 * `--framework fastify,express` (alias `--only`; default all three), `--variants bare,event,agg`
 * (default those three), `--rate R` (3000 req/s), `--connections N` (20),
 * `--loaders esm,cjs` (how the apps load our packages: `import` or `require()`; default both),
 * `--warmup S` (2), `--duration S` (8), `--runs N` (2), `--quick`, `--out FILE.md` (the raw JSON goes beside it);
 * profile mode: `--variant event` (one), `--top N` (25).
 */
export function parseCpuArgs(argv) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      framework: { type: 'string' },
      only: { type: 'string' },
      variants: { type: 'string' },
      loaders: { type: 'string' },
      loader: { type: 'string' },
      variant: { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      ...Object.fromEntries(NUMBERS.map((n) => [n, { type: 'string' }])),
    },
  });
  const opts = { ...(values.quick ? QUICK : DEFAULTS), top: 25, quick: values.quick, out: values.out };
  for (const n of NUMBERS) {
    if (values[n] !== undefined) opts[n] = positive(n, values[n], { allowZero: n === 'warmup' });
  }
  opts.runs = Math.round(opts.runs);
  const frameworks = values.framework ?? values.only;
  opts.frameworks = frameworks
    ? list('framework', frameworks, Object.fromEntries(FRAMEWORKS.map((f) => [f, f])))
    : FRAMEWORKS;
  const loaders = values.loaders ?? values.loader;
  opts.loaders = loaders
    ? list('loaders', loaders, { esm: 'esm', cjs: 'cjs', import: 'esm', require: 'cjs' })
    : LOADERS;
  opts.variants = list('variants', values.variants ?? values.variant ?? 'bare,event,agg', VARIANTS);
  return opts;
}
