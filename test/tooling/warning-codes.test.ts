// One warning mechanism with stable codes (issue 27): every code the sources raise is listed once in
// WARNING_CODES and documented once in the core README's "Warnings" table, and the three agree both
// ways, so a new warning cannot ship undocumented and the table cannot keep a code nothing raises.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WARNING_CODES } from '../../packages/core/src/contracts/warning-codes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGES = ['core', 'express', 'fastify', 'nestjs', 'redis', 'local'];

/** `FLUXRATE_…` names in the sources that are not warning codes. */
const NOT_WARNINGS = new Set([
  // environment variables
  'FLUXRATE_API_KEY',
  'FLUXRATE_BASE_URL',
  'FLUXRATE_ACCESS_TOKEN',
  'FLUXRATE_METERS',
  // error codes (`FluxrateError.code`; FLUXRATE_INVALID_ROUTE is both, listed as a warning)
  'FLUXRATE_INVALID_OPTION',
  'FLUXRATE_INVALID_EVENT',
  // the proxy's network error code, classified as the FLUXRATE_PROXY_FAULT warning
  'FLUXRATE_PROXY_FAILED',
]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts)$/.test(entry.name) ? [path] : [];
  });
}

const sources = PACKAGES.flatMap((pkg) => sourceFiles(join(ROOT, 'packages', pkg, 'src'))).map((path) => ({
  path: path.slice(ROOT.length),
  text: readFileSync(path, 'utf8'),
}));

/** The quoted `FLUXRATE_…` names of `text` ('…', "…" or `…`). */
const quotedNames = (text: string) =>
  [...text.matchAll(/['"`](FLUXRATE_[A-Z0-9_]*[A-Z0-9])['"`]/g)].map((m) => m[1]!);

/** The first-column codes of the table under the core README's "## Warnings". */
function tableCodes(): string[] {
  const lines = readFileSync(join(ROOT, 'packages/core/README.md'), 'utf8').split('\n');
  const start = lines.indexOf('## Warnings');
  expect(start, 'packages/core/README.md has a "## Warnings" section').toBeGreaterThan(-1);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines
    .slice(start, end)
    .map((l) => /^\|\s*`(FLUXRATE_[A-Z0-9_]+)`\s*\|/.exec(l)?.[1])
    .filter((code): code is string => code !== undefined);
}

const sorted = (codes: Iterable<string>) => [...new Set(codes)].sort();

describe('warning codes', () => {
  it('the README table lists each code of WARNING_CODES once, and no other', () => {
    const table = tableCodes();
    expect(table.length, 'one row per code').toBe(new Set(table).size);
    expect(sorted(table)).toEqual(sorted(WARNING_CODES));
  });

  it('every FLUXRATE_ code in the sources is in WARNING_CODES (or a known non-warning name)', () => {
    const unlisted = sources.flatMap(({ path, text }) =>
      quotedNames(text)
        .filter((name) => !NOT_WARNINGS.has(name) && !(WARNING_CODES as readonly string[]).includes(name))
        .map((name) => `${path}: ${name}`),
    );
    expect(unlisted).toEqual([]);
    const built = sources.filter(({ text }) => text.includes('FLUXRATE_${')).map(({ path }) => path);
    expect(built, 'codes are written out, never built from a template').toEqual([]);
  });

  it('every code of WARNING_CODES is raised somewhere in the sources', () => {
    const used = new Set(
      sources
        .filter(({ path }) => !path.endsWith('warning-codes.ts'))
        .flatMap(({ text }) => quotedNames(text)),
    );
    expect(WARNING_CODES.filter((code) => !used.has(code))).toEqual([]);
  });

  it('process.emitWarning is called in one place: the one warning mechanism', () => {
    const callers = sources.filter(({ text }) => /process\.emitWarning\(/.test(text)).map(({ path }) => path);
    expect(callers).toEqual(['packages/core/src/support/warn-once.ts']);
  });
});
