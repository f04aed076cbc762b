// The fresh project the packaged suite runs in: every public package packed, the tarballs installed with
// npm (plus what the apps need) into a folder under the OS temp dir, outside the repository, so nothing
// there can resolve a package from the workspace. Built once per set of tarballs: a mkdir lock serialises
// the test files, and a marker under .tmp/ keyed by the tarballs' hash lets later files reuse the install
// (it also records a fingerprint of the packages' dist/, so a later file that finds it skips packing).
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { sleep } from '@fluxrate/testkit';
import { npmInstall, packPackages, publicPackages, repoRoot } from '../../../scripts/pack-install.mjs';

/** What the apps import besides @fluxrate/*: the frameworks, Nest's peers, ioredis, and Node's types for tsc. */
const APP_DEPENDENCIES = [
  'express@^5.3.0',
  'fastify@^5.12.8',
  '@nestjs/core@^11.2.10',
  '@nestjs/common@^11.2.10',
  '@nestjs/platform-express@^11.2.10',
  'reflect-metadata@~0.2.2',
  'rxjs@^7.8.2',
  'ioredis@^6.0.0',
  '@types/node@^20.19.43',
];
const TMP = join(repoRoot, '.tmp');
const LOCK = join(TMP, 'packaged.lock');
const READY = 'fluxrate-packaged-ready';
/** A pack + npm install takes about a minute here; a lock held far longer than that was left behind. */
const LOCK_WAIT_MS = 8 * 60_000;

export const INSTALL_TIMEOUT_MS = LOCK_WAIT_MS + 60_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function lockHolder(): number {
  try {
    return Number(readFileSync(join(LOCK, 'pid'), 'utf8')) || 0;
  } catch {
    return 0;
  }
}

async function withLock<T>(fn: () => T): Promise<T> {
  mkdirSync(TMP, { recursive: true });
  const until = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = lockHolder();
      // A holder that died (a killed run) leaves its lock: take it over. A pid not written yet reads 0.
      if (holder > 0 && !alive(holder)) rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() > until) throw new Error(`packaged suite: ${LOCK} still held by pid ${holder}`);
      else await sleep(250);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function hashOf(tarballs: Map<string, string>): string {
  const hash = createHash('sha256');
  for (const [name, file] of [...tarballs].sort(([a], [b]) => a.localeCompare(b)))
    hash.update(name).update(readFileSync(file));
  return hash.update(APP_DEPENDENCIES.join(' ')).digest('hex').slice(0, 16);
}

/** Removes the installs of earlier tarballs (their markers and folders), so the temp dir stays bounded. */
function removeStale(keep: string): void {
  for (const file of readdirSync(TMP).filter((f) => /^packaged-[0-9a-f]+\.json$/.test(f) && f !== keep)) {
    try {
      rmSync(JSON.parse(readFileSync(join(TMP, file), 'utf8')).dir, { recursive: true, force: true });
    } catch {
      // an unreadable marker: its folder is left to the OS temp cleaner
    }
    rmSync(join(TMP, file), { force: true });
  }
}

/**
 * What the tarballs are made of, cheaply: path, size and mtime of every file in each package's dist/ and
 * its package.json. When it matches the last install's, the tarballs are not packed again (about 10 s).
 */
function fingerprint(): string {
  const hash = createHash('sha256');
  const add = (file: string) => {
    const s = statSync(file);
    hash.update(`${file} ${s.size} ${s.mtimeMs}\n`);
  };
  for (const p of publicPackages()) {
    add(join(p.dir, 'package.json'));
    for (const f of readdirSync(join(p.dir, 'dist'), { recursive: true, encoding: 'utf8' }).sort())
      if (statSync(join(p.dir, 'dist', f)).isFile()) add(join(p.dir, 'dist', f));
  }
  return hash.digest('hex');
}

/** The install the last run left for these sources, if it is still there. */
function reusable(sources: string): string | undefined {
  for (const file of readdirSync(TMP).filter((f) => /^packaged-[0-9a-f]+\.json$/.test(f))) {
    try {
      const marker = JSON.parse(readFileSync(join(TMP, file), 'utf8'));
      if (marker.sources === sources && existsSync(join(marker.dir, READY))) return marker.dir;
    } catch {
      // an unreadable marker: pack and install again
    }
  }
  return undefined;
}

function build(): string {
  const sources = fingerprint();
  const known = reusable(sources);
  if (known) return known;
  const packs = mkdtempSync(join(tmpdir(), 'fluxrate-packs-'));
  try {
    const tarballs = packPackages(publicPackages(), packs);
    const hash = hashOf(tarballs);
    const marker = `packaged-${hash}.json`;
    // Named for this checkout too: worktrees side by side must not install into (or remove) one folder.
    const checkout = createHash('sha256').update(repoRoot).digest('hex').slice(0, 8);
    const dir = join(tmpdir(), `fluxrate-packaged-${checkout}-${hash}`);
    if (existsSync(join(TMP, marker)) && existsSync(join(dir, READY))) {
      writeFileSync(join(TMP, marker), JSON.stringify({ dir, sources }));
      return dir;
    }
    removeStale(marker);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'tarballs'), { recursive: true });
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'fluxrate-packaged-app', version: '1.0.0', private: true }),
    );
    const specs = [...tarballs.values()].map((file) => {
      writeFileSync(join(dir, 'tarballs', basename(file)), readFileSync(file));
      return `./tarballs/${basename(file)}`;
    });
    npmInstall(dir, [...specs, ...APP_DEPENDENCIES], { timeout: 5 * 60_000 });
    writeFileSync(join(dir, READY), new Date().toISOString());
    writeFileSync(join(TMP, marker), JSON.stringify({ dir, sources }));
    return dir;
  } finally {
    rmSync(packs, { recursive: true, force: true });
  }
}

let project: Promise<string> | undefined;

/**
 * The project folder with every @fluxrate package installed from its tarball. Packs the current dist/
 * (the suite needs `pnpm build`); installs only when the tarballs changed since the last install.
 */
export function packagedProject(): Promise<string> {
  project ??= withLock(build);
  return project;
}

/** Whether the packages are built (the suite packs dist/); the reason it cannot run, or undefined. */
export function packagedSkipReason(): string | undefined {
  const missing = publicPackages().filter((p) => !existsSync(join(p.dir, 'dist')));
  if (missing.length === 0) return undefined;
  const reason = `packaged suite: run \`pnpm build\` first (no dist/ in ${missing.map((p) => p.json.name).join(', ')})`;
  if (process.env.CI === 'true') throw new Error(reason);
  console.warn(`[packaged] skipped: ${reason}`);
  return reason;
}
