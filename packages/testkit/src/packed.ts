import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

export interface PackedInstallOptions {
  /** Flags for `npm install` besides the tarball (e.g. `-D`, `--offline`). */
  npmFlags: string[];
  /** Without a registry: the workspace dependencies linked next to the extracted package. */
  links: string[];
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface PackedInstall {
  /** The temp project (the caller removes it). */
  project: string;
  /** How it was installed, for the test's log line. */
  installedWith: string;
}

/**
 * Packs the workspace package in `pkgDir` and installs the tarball in a new temp project as a user would
 * (`npm install <tarball>`); without a registry, extracts it into node_modules, links `links` from the
 * workspace and its `bin` entries into node_modules/.bin.
 */
export function installPacked(pkgDir: string, options: PackedInstallOptions): PackedInstall {
  const project = mkdtempSync(join(tmpdir(), 'fluxrate-packed-'));
  const packs = join(project, 'packs');
  mkdirSync(packs);
  execFileSync('pnpm', ['pack', '--pack-destination', packs], { cwd: pkgDir, stdio: 'pipe' });
  const tarball = join(packs, readdirSync(packs).find((f) => f.endsWith('.tgz'))!);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'packed-test', private: true }));
  try {
    execFileSync('npm', ['install', '--no-audit', '--no-fund', ...options.npmFlags, tarball], {
      cwd: project,
      stdio: 'pipe',
      timeout: options.timeoutMs ?? 20_000,
      ...(options.env ? { env: options.env } : {}),
    });
    return { project, installedWith: `npm install ${options.npmFlags.join(' ')}` };
  } catch {
    const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    const target = join(project, 'node_modules', manifest.name);
    mkdirSync(target, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
    for (const dep of options.links) {
      symlinkSync(realpathSync(join(pkgDir, 'node_modules', dep)), join(project, 'node_modules', dep));
    }
    const bins = Object.entries((manifest.bin ?? {}) as Record<string, string>);
    if (bins.length > 0) mkdirSync(join(project, 'node_modules', '.bin'));
    for (const [name, file] of bins) {
      const link = join(project, 'node_modules', '.bin', name);
      symlinkSync(relative(dirname(link), join(target, file)), link);
    }
    return { project, installedWith: `extracted tarball, ${options.links.join(', ')} linked (no registry)` };
  }
}
