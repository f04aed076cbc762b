// The move of packages/core/src from flat to folders by stage (issue 27), as data, and a rewriter of
// relative imports: `node scripts/core-layout.mjs` rewrites every relative import in the repo that
// points at an old flat path of core's src to the file's new place (idempotent), so a branch written
// against the flat layout can be brought over after a merge. `--move` also does the `git mv`s.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'packages/core/src');

/**
 * Folder of each file that left src/ (same file name in its folder). Symbols that later moved between
 * files (AttemptOutcome, describe, ResolvedMeter, ...) are not rewritten here: `pnpm typecheck` names them.
 */
export const FOLDERS = {
  contracts: [
    'warning-codes',
    'types',
    'event',
    'outbox',
    'errors',
    'tracker-stats',
    'route-types',
    'adapter-tracker',
    'open-holds',
    'unique-key',
    'default-slot',
  ],
  config: ['options', 'option-parsers', 'network-options', 'proxy-env', 'env-meters', 'event-limits'],
  request: [
    'idempotency-key',
    'metered-request',
    'path-matching',
    'request-accessor',
    'request-billing',
    'request-id',
    'request-lifecycle',
    'response-end',
    'route-meter-options',
    'route-meter',
    'route-outcome',
    'route-spec',
    'routes-table',
    'shared-shape',
    'spec-quantity',
    'user-function',
  ],
  'zero-config': ['default-tracker', 'signal-shutdown'],
  pipeline: [
    'ledger-warnings',
    'shutdown-report',
    'admission',
    'validate-event',
    'aggregation',
    'ledger',
    'dead-letter',
    'flush-generations',
    'skip-notice',
  ],
  outbox: ['oldest-held', 'outbox-memory', 'outbox-sqlite', 'sqlite-driver', 'outbox-host'],
  delivery: [
    'rate-limit-share',
    'dispatcher',
    'delivery-throttle',
    'retry-policy',
    'attempt-handler',
    'transport',
    'event-body',
    'network-error',
    'persistent-faults',
    'http-client',
    'undici-client',
    'undici-dispatcher',
    'error-body-text',
    'error-detail',
    'deadline-wheel',
  ],
  replay: ['replay'],
  integrations: ['otel-metrics', 'serverless'],
  support: [
    'warning-codes',
    'fifo',
    'min-heap',
    'emitter',
    'redact',
    'version',
    'keep-alive',
    'warn-once',
    'guard-logger',
  ],
};
const moved = new Map(
  Object.entries(FOLDERS).flatMap(([folder, names]) =>
    names.map((n) => [join(src, `${n}.ts`), join(src, folder, `${n}.ts`)]),
  ),
);

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    if (d.name === 'node_modules' || d.name === 'dist' || d.name.startsWith('.')) return [];
    const p = join(dir, d.name);
    return d.isDirectory() ? walk(p) : /\.(c|m)?[jt]sx?$/.test(d.name) ? [p] : [];
  });
}

const SPEC = /(from\s+|import\s*\(\s*|vi\.mock\(\s*|import\s+)(['"])(\.{1,2}\/[^'"]+)\2/g;

/** Rewrites one file's relative imports of moved files; returns whether it changed. */
function rewrite(file) {
  const text = readFileSync(file, 'utf8');
  const next = text.replace(SPEC, (all, lead, q, spec) => {
    const ts = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    const target = moved.get(ts) ?? (existsSync(ts) ? ts : undefined);
    if (!target?.startsWith(src)) return all;
    let rel = relative(dirname(file), target).replace(/\.ts$/, spec.endsWith('.js') ? '.js' : '');
    if (!rel.startsWith('.')) rel = `./${rel}`;
    return `${lead}${q}${rel}${q}`;
  });
  if (next !== text) writeFileSync(file, next);
  return next !== text;
}

if (process.argv.includes('--move')) {
  for (const [from, to] of moved) {
    if (!existsSync(from)) continue;
    execFileSync('mkdir', ['-p', dirname(to)]);
    execFileSync('git', ['mv', from, to], { cwd: root });
  }
}
// Moved files first see themselves at their new place, so their own imports resolve from there.
const files = walk(root);
const fromOld = new Map([...moved].map(([o, n]) => [n, o]));
let changed = 0;
for (const file of files) {
  const old = fromOld.get(file);
  if (old && !existsSync(old)) {
    // A moved file: resolve its specifiers against its old folder, then write them from the new one.
    const text = readFileSync(file, 'utf8');
    const next = text.replace(SPEC, (all, lead, q, spec) => {
      const ts = resolve(dirname(old), spec).replace(/\.js$/, '.ts');
      const target = moved.get(ts) ?? ts;
      if (!target.startsWith(src) || (!existsSync(target) && !moved.has(ts))) return all;
      let rel = relative(dirname(file), target).replace(/\.ts$/, spec.endsWith('.js') ? '.js' : '');
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return `${lead}${q}${rel}${q}`;
    });
    if (next !== text) {
      writeFileSync(file, next);
      changed++;
    }
  } else if (rewrite(file)) changed++;
}
console.log(`rewrote imports in ${changed} files`);
