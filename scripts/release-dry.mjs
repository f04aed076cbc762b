#!/usr/bin/env node
// `pnpm release:dry`: everything a release does except publishing (issue #17.8). Builds, packs every
// public workspace package with `pnpm pack` (workspace:^ becomes the real version range), then checks
// each tarball: publint --strict, are-the-types-wrong (node16 profile), and an import of every package
// from ESM and from CJS in a temp project where the tarballs are installed with npm, as a user would.
// Nothing is published and nothing in the repository changes. `--no-build` reuses the current dist/.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { npmInstall, packPackages, publicPackages, repoRoot as root } from './pack-install.mjs';

const bin = (name) => join(root, 'node_modules', '.bin', name);
const args = new Set(process.argv.slice(2));
const keep = args.has('--keep');
const failures = [];

function run(cmd, argv, opts = {}) {
  return execFileSync(cmd, argv, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}
function check(label, fn) {
  try {
    fn();
    console.log(`  ok    ${label}`);
  } catch (error) {
    const out = [error.stdout, error.stderr].filter(Boolean).join('\n').trim() || error.message;
    console.log(`  FAIL  ${label}\n${out.replace(/^/gm, '        ')}`);
    failures.push(label);
  }
}

const packages = publicPackages(root);

if (!args.has('--no-build')) {
  console.log('build');
  run('pnpm', ['build'], { stdio: 'inherit' });
}

const work = mkdtempSync(join(tmpdir(), 'fluxrate-release-dry-'));
const packs = join(work, 'packs');
mkdirSync(packs);
console.log(`pack (${packages.length} public packages) into ${packs}`);
const tarballs = packPackages(packages, packs, { log: console.log });

console.log('tarballs: publint --strict, attw --profile node16');
for (const [name, tarball] of tarballs) {
  check(`${name}: publint`, () => run(bin('publint'), ['run', tarball, '--strict']));
  check(`${name}: attw`, () =>
    run(bin('attw'), [tarball, '--profile', 'node16', '--format', 'table-flipped']),
  );
}

console.log('install the tarballs with npm into a temp project; import each from ESM and CJS');
const app = join(work, 'app');
mkdirSync(app);
writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'release-dry-app', private: true }));
check('npm install the tarballs (peers included)', () => npmInstall(app, [...tarballs.values()]));
// Every entry point a package exports (`@fluxrate/core`, and subpaths such as `@fluxrate/core/adapter`).
const names = packages.flatMap((p) =>
  Object.keys(p.json.exports ?? { '.': null })
    .filter((key) => key !== './package.json' && !key.includes('*'))
    .map((key) => p.json.name + key.slice(1)),
);
// Nest's decorators need the reflect-metadata polyfill loaded first, as in any Nest app.
const esm = `import 'reflect-metadata';\n${names
  .map(
    (n, i) =>
      `import * as m${i} from '${n}';\nif (Object.keys(m${i}).length === 0) throw new Error('${n}: no exports');`,
  )
  .join('\n')}\nconsole.log('esm ok');\n`;
const cjs = `require('reflect-metadata');\n${names
  .map((n) => `if (Object.keys(require('${n}')).length === 0) throw new Error('${n}: no exports');`)
  .join('\n')}\nconsole.log('cjs ok');\n`;
writeFileSync(join(app, 'check.mjs'), esm);
writeFileSync(join(app, 'check.cjs'), cjs);
check(`import from ESM (${names.join(', ')})`, () => run(process.execPath, ['check.mjs'], { cwd: app }));
check(`require from CJS (${names.join(', ')})`, () => run(process.execPath, ['check.cjs'], { cwd: app }));
for (const p of packages) {
  for (const command of Object.keys(p.json.bin ?? {})) {
    check(`${p.json.name}: bin ${command} --help`, () =>
      run(join(app, 'node_modules', '.bin', command), ['--help'], { cwd: app }),
    );
  }
}

if (!keep) rmSync(work, { recursive: true, force: true });
console.log(
  failures.length === 0
    ? `release:dry: ${tarballs.size} packages packed and checked, nothing published`
    : `release:dry: ${failures.length} check(s) failed: ${failures.join('; ')}`,
);
process.exit(failures.length === 0 ? 0 : 1);
