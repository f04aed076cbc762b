import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { requestKey } from '../../packages/core/src/request/idempotency-key.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tree = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter(Boolean);
const docs = tree
  .filter((f) => /\.(md|mdx)$/.test(f) && !f.startsWith('bench/results/'))
  .map((file) => ({ file, text: readFileSync(join(root, file), 'utf8') }));
const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;

describe('docs name only commands we own (issue #17.3)', () => {
  const bins = tree
    .filter((f) => /^packages\/[^/]+\/package\.json$/.test(f))
    .flatMap((f) => Object.keys(JSON.parse(readFileSync(join(root, f), 'utf8')).bin ?? {}));

  it('never `npx <bin>` unscoped: our bins run as `npx @fluxrate/<pkg>` or `npx -p @fluxrate/<pkg> <bin>`', () => {
    expect(bins).toEqual(expect.arrayContaining(['fluxrate-local', 'fluxrate-replay']));
    const bad: string[] = [];
    for (const { file, text } of docs) {
      // npx, its flags (a `-p`/`--package` value included), then the command it runs.
      for (const m of text.matchAll(/\bnpx((?:\s+-[\w-]+(?:[=\s]+@?[\w./@^~-]+)?)*)\s+([^\s`'")]+)/g)) {
        const [, flags = '', command = ''] = m;
        const unscopedOurs = bins.includes(command) || /^fluxrate-/.test(command);
        if (unscopedOurs && !/@fluxrate\//.test(flags))
          bad.push(`${file}:${lineOf(text, m.index)}: ${m[0].trim()}`);
      }
    }
    expect(bad).toEqual([]);
  });
});

describe('docs describe idempotency keys as the code builds them (issue #17.6)', () => {
  const second = requestKey('U', 'tokens', 1); // the second spec for meter `tokens` on request U
  const separator = second.slice('req_U_tokens'.length, -1);

  it('every "second spec for the same meter" sentence names the suffix the code appends', () => {
    expect(second).toBe(`req_U_tokens${separator}1`);
    const claims = docs.flatMap(({ file, text }) =>
      [...text.matchAll(/second spec for the same meter[^`]*`([^`]*?)1`/gi)].map((m) => ({
        where: `${file}:${lineOf(text, m.index)}`,
        separator: m[1]!.replace(/^.*\{meter\}/, ''),
      })),
    );
    expect(claims.length).toBeGreaterThanOrEqual(2); // the root and Express READMEs both explain it
    for (const claim of claims) expect(claim, claim.where).toEqual({ where: claim.where, separator });
  });

  it('every key template with an ordinal uses the same separator', () => {
    const templates = docs.flatMap(({ file, text }) =>
      [...text.matchAll(/\{meter\}([^\s`}]?)1\b/g)].map((m) => ({
        where: `${file}:${lineOf(text, m.index)}`,
        separator: m[1],
      })),
    );
    for (const t of templates) expect(t, t.where).toEqual({ where: t.where, separator });
  });
});
