const FRAMEWORKS = ['fastify', 'express', 'nestjs'];

/**
 * `--duration S` (default 10, `--quick` 3), `--connections N` (50), `--only fastify,express`,
 * `--rate R` fixed-rate req/s (2000), `--no-fixed`, `--no-micro`, `--out FILE`.
 */
export function parseArgs(argv) {
  const opts = {
    quick: false,
    duration: undefined,
    connections: 50,
    only: FRAMEWORKS,
    rate: 2000,
    fixed: true,
    micro: true,
    out: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--quick') opts.quick = true;
    else if (flag === '--duration') opts.duration = positive(flag, value());
    else if (flag === '--connections') opts.connections = positive(flag, value());
    else if (flag === '--rate') opts.rate = positive(flag, value());
    else if (flag === '--no-fixed') opts.fixed = false;
    else if (flag === '--no-micro') opts.micro = false;
    else if (flag === '--out') opts.out = value();
    else if (flag === '--only') {
      opts.only = value()
        .split(',')
        .map((f) => (f.trim() === 'nest' ? 'nestjs' : f.trim()))
        .filter(Boolean);
      const unknown = opts.only.filter((f) => !FRAMEWORKS.includes(f));
      if (unknown.length > 0)
        throw new Error(`--only: unknown framework ${unknown.join(', ')} (use ${FRAMEWORKS.join(',')})`);
    } else throw new Error(`unknown flag ${arg}`);
  }
  opts.duration ??= opts.quick ? 3 : 10;
  // A smoke run skips the warm-up: it checks that the suite works, not how fast.
  opts.warmup = opts.quick ? 0 : 1;
  return opts;
}

function positive(flag, raw) {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number, got ${raw}`);
  return n;
}
