// `pnpm bench cpu` of two checkouts side by side, rounds alternated (A, B, A, B, …) so a drift of the
// machine hits both alike: `node bench/trees.mjs --rounds 2 ../before . -- --framework fastify`.
// Each checkout runs its own bench/run.mjs (its own apps and built packages) with `--runs 1` per round;
// prints one markdown table: per framework, loader and variant, each tree's runs and median, B - A.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from './lib/cpu-report.mjs';
import { markdownTable } from './lib/table.mjs';

const split = process.argv.indexOf('--');
const own = split === -1 ? process.argv.slice(2) : process.argv.slice(2, split);
const passed = split === -1 ? [] : process.argv.slice(split + 1);
const { values, positionals } = parseArgs({
  args: own,
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '2' } },
});
if (positionals.length !== 2)
  throw new Error('usage: node bench/trees.mjs [--rounds N] <treeA> <treeB> [-- cpu flags]');
const trees = positionals.map((p) => resolve(p));
const rounds = Number(values.rounds);
const tmp = mkdtempSync(join(os.tmpdir(), 'bench-trees-'));
const log = (msg) => process.stderr.write(`${msg}\n`);

/** usPerRequest per `framework|loader|variant`, per tree. */
const results = trees.map(() => new Map());
const commits = trees.map((t) =>
  execFileSync('git', ['-C', t, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
);
const loads = [];
for (let round = 1; round <= rounds; round++) {
  for (const [i, tree] of trees.entries()) {
    const out = join(tmp, `${i}-${round}.md`);
    log(`round ${round}: ${tree} (${commits[i]}), load ${os.loadavg()[0].toFixed(1)}`);
    loads.push(os.loadavg()[0]);
    execFileSync(
      process.execPath,
      [join(tree, 'bench/run.mjs'), 'cpu', '--runs', '1', '--out', out, ...passed],
      {
        cwd: tree,
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    const raw = JSON.parse(readFileSync(out.replace(/\.md$/, '.json'), 'utf8'));
    for (const r of raw.cpu.runs) {
      const key = `${r.framework}|${r.loader ?? 'esm'}|${r.variant}`;
      const list = results[i].get(key) ?? [];
      list.push(r.usPerRequest);
      results[i].set(key, list);
    }
  }
}
loads.push(os.loadavg()[0]);

const fmt = (x) => x.toFixed(1);
const rows = [];
for (const [key, a] of results[0]) {
  const b = results[1].get(key);
  if (!b) continue;
  const [framework, loader, variant] = key.split('|');
  const [ma, mb] = [median(a), median(b)];
  const spread = (xs) => `${Math.round(((Math.max(...xs) - Math.min(...xs)) / median(xs)) * 100)}%`;
  rows.push([
    framework,
    loader === 'cjs' ? 'require()' : 'import',
    variant,
    a.map(fmt).join(', '),
    fmt(ma),
    spread(a),
    b.map(fmt).join(', '),
    fmt(mb),
    spread(b),
    `${mb - ma >= 0 ? '+' : ''}${fmt(mb - ma)}`,
  ]);
}
process.stdout.write(
  `A = ${commits[0]} (${trees[0]}), B = ${commits[1]} (${trees[1]}); ${rounds} rounds of \`bench/run.mjs cpu --runs 1 ${passed.join(' ')}\`, A and B alternated; load average (1 min) before each: ${loads.map((l) => l.toFixed(1)).join(', ')}. µs of app CPU per request.\n\n${markdownTable(['framework', 'loader', 'variant', 'A runs', 'A median', 'A spread', 'B runs', 'B median', 'B spread', 'B - A'], rows)}\n`,
);
