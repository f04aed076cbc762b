import { parseArgs as parseNodeArgs } from 'node:util';

const FRAMEWORKS = ['fastify', 'express', 'nestjs'];

/**
 * `--duration S` (default 10, `--quick` 3), `--connections N` (50), `--only fastify,express`,
 * `--rate R` fixed-rate req/s (2000), `--no-fixed`, `--no-micro`, `--out FILE`.
 */
export function parseArgs(argv) {
  // `--no-fixed` / `--no-micro` are flags of their own: parseArgs' allowNegative needs Node >= 22.4.
  const { values } = parseNodeArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      connections: { type: 'string' },
      rate: { type: 'string' },
      only: { type: 'string' },
      'no-fixed': { type: 'boolean', default: false },
      'no-micro': { type: 'boolean', default: false },
      out: { type: 'string' },
    },
  });
  const opts = {
    quick: values.quick,
    duration: values.duration === undefined ? undefined : positive('--duration', values.duration),
    connections: values.connections === undefined ? 50 : positive('--connections', values.connections),
    only: values.only === undefined ? FRAMEWORKS : frameworks(values.only),
    rate: values.rate === undefined ? 2000 : positive('--rate', values.rate),
    fixed: !values['no-fixed'],
    micro: !values['no-micro'],
    out: values.out,
  };
  opts.duration ??= opts.quick ? 3 : 10;
  // A smoke run skips the warm-up: it checks that the suite works, not how fast.
  opts.warmup = opts.quick ? 0 : 1;
  return opts;
}

function frameworks(raw) {
  const only = raw
    .split(',')
    .map((f) => (f.trim() === 'nest' ? 'nestjs' : f.trim()))
    .filter(Boolean);
  const unknown = only.filter((f) => !FRAMEWORKS.includes(f));
  if (unknown.length > 0)
    throw new Error(`--only: unknown framework ${unknown.join(', ')} (use ${FRAMEWORKS.join(',')})`);
  return only;
}

function positive(flag, raw) {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number, got ${raw}`);
  return n;
}
