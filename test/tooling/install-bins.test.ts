import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });

/** Files a fresh clone of the working tree would have (tracked, plus new files not ignored). */
const treeFiles = () => git('ls-files', '-co', '--exclude-standard').split('\n').filter(Boolean);

const manifests = () =>
  treeFiles()
    .filter((f) => f.startsWith('packages/') && f.endsWith('/package.json') && f.split('/').length === 3)
    .map((f) => ({
      file: f,
      dir: f.slice(0, -'/package.json'.length),
      json: JSON.parse(readFileSync(join(root, f), 'utf8')),
    }));

describe('a fresh install is clean (issue #17.4)', () => {
  let clone = '';
  afterAll(() => {
    if (clone) rmSync(clone, { recursive: true, force: true });
  });

  it('every package bin points at a file in the git tree, not at build output', () => {
    const files = new Set(treeFiles());
    const bins = manifests().flatMap(({ dir, json }) =>
      Object.entries<string>(typeof json.bin === 'string' ? { [json.name]: json.bin } : (json.bin ?? {})).map(
        ([name, target]) => ({ name, path: join(dir, target).replaceAll('\\', '/') }),
      ),
    );
    expect(bins.length).toBeGreaterThan(0);
    for (const bin of bins) {
      expect(files.has(bin.path), `${bin.name} -> ${bin.path} is not in the git tree`).toBe(true);
      expect(statSync(join(root, bin.path)).mode & 0o111, `${bin.path} is not executable`).not.toBe(0);
    }
  });

  it('pnpm install in a copy of the tree, before any build, prints no "Failed to create bin" warning', () => {
    // A copy of the tree without node_modules or dist, as a clone would be; offline from the store the
    // workspace install filled, scripts off so the `prepare` build cannot create dist/ first.
    clone = mkdtempSync(join(tmpdir(), 'fluxrate-install-'));
    const list = treeFiles().filter((f) => !f.startsWith('bench/results/'));
    execFileSync('tar', ['-cf', join(clone, 'tree.tar'), '-T', '-'], { cwd: root, input: list.join('\n') });
    execFileSync('tar', ['-xf', 'tree.tar'], { cwd: clone });
    const run = spawnSync(
      'pnpm',
      ['install', '--frozen-lockfile', '--offline', '--ignore-scripts', '--reporter=append-only'],
      { cwd: clone, encoding: 'utf8', timeout: 60_000, env: { ...process.env, CI: 'true' } },
    );
    const out = `${run.stdout}${run.stderr}`;
    expect(run.status, out).toBe(0);
    expect(out.split('\n').filter((l) => /WARN.*Failed to create bin/.test(l))).toEqual([]);
  }, 90_000);
});
