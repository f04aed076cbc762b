// Pack the public workspace packages and install the tarballs into a project with npm, as a user
// would. Shared by `scripts/release-dry.mjs` and the packaged test suite (test/packaged/). Types:
// pack-install.d.mts.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

function readPackage(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every public package under packages/: `{ dir, json }`, in folder order. */
export function publicPackages(root = repoRoot) {
  return readdirSync(join(root, 'packages'))
    .map((dir) => ({ dir: join(root, 'packages', dir), json: readPackage(join(root, 'packages', dir)) }))
    .filter((p) => p.json && !p.json.private);
}

/**
 * `pnpm pack` of each package into `dest` (workspace:^ becomes the real version range); returns
 * name -> tarball path. Packs the current dist/: build first.
 */
export function packPackages(packages, dest, { log = () => {} } = {}) {
  const tarballs = new Map();
  for (const p of packages) {
    const before = new Set(readdirSync(dest));
    execFileSync('pnpm', ['pack', '--pack-destination', dest], { cwd: p.dir, stdio: 'pipe' });
    const file = readdirSync(dest).find((f) => !before.has(f));
    if (!file) throw new Error(`pnpm pack of ${p.json.name} wrote no tarball into ${dest}`);
    tarballs.set(p.json.name, join(dest, file));
    log(`  ${p.json.name}@${p.json.version} -> ${file}`);
  }
  return tarballs;
}

/** The environment of a user's shell: none of the npm_* variables pnpm sets for its scripts. */
export function userEnv(env = process.env) {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
}

/** `npm install` of `specs` (tarball paths, `name@range`) in `dir`, peers included, from the cache first. */
export function npmInstall(dir, specs, { timeout = 300_000 } = {}) {
  return execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...specs], {
    cwd: dir,
    env: userEnv(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout,
  });
}
