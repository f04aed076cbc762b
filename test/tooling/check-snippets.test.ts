import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module without types
import { extractBlocks } from '../snippets/extract.mjs';
// @ts-expect-error: a plain .mjs module without types
import { runShellBlock } from '../snippets/run-shell.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixture = 'test/tooling/fixtures/snippets/README.md';
const built = ['core', 'express'].every((p) => existsSync(`${root}packages/${p}/dist/index.d.ts`));

describe('README snippet extraction (issue #17.1)', () => {
  it('finds ts blocks with their first code line, directives and list indentation', () => {
    const md = [
      '<!-- snippet: id a -->',
      '```ts',
      'const a = 1;',
      '```',
      '```sh',
      'echo not ts',
      '```',
      '- item:',
      '',
      '  <!-- snippet: uses a; skip (why; because) -->',
      '  ```typescript',
      '  a;',
      '  ```',
      '<!-- snippet: continues -->',
      '',
      '```ts',
      'b;',
      '```',
    ].join('\n');
    expect(extractBlocks('R.md', md)).toEqual([
      { file: 'R.md', line: 3, code: 'const a = 1;', uses: [], id: 'a' },
      { file: 'R.md', line: 12, code: 'a;', uses: ['a'], skip: 'why; because' },
      { file: 'R.md', line: 17, code: 'b;', uses: ['a'] },
    ]);
  });
});

describe.skipIf(!built)('pnpm check:snippets on a README with broken blocks', () => {
  it('fails, naming each error at the README file and line, and refuses a skip without a reason', () => {
    const run = spawnSync(process.execPath, ['test/snippets/check.mjs', fixture], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, SNIPPETS_OUT: 'checker-test' },
    });
    expect(run.status).toBe(1);
    const errors = run.stderr.split('\n').filter(Boolean);
    expect(errors).toEqual([
      expect.stringMatching(new RegExp(`^${fixture}:11:\\d+ - error TS2339: Property 'user' does not exist`)),
      expect.stringMatching(new RegExp(`^${fixture}:17:\\d+ - error TS2820: Type '"api_cals"'`)),
      `${fixture}:21: snippet: skip needs a reason in parentheses, e.g. <!-- snippet: skip (pseudo-code) -->`,
      expect.stringMatching(new RegExp(`^${fixture}:34:\\d+ - error TS2322`)),
      expect.stringMatching(
        new RegExp(`^${fixture}:34:\\d+ - error TS2322: Type 'string' is not assignable to type 'number'`),
      ),
    ]);
    expect(run.stdout).toContain(`skipped ${fixture}:26: pseudo-code`);
  }, 150_000);
});

// Issue #25: check:snippets also runs the shell lines READMEs mark `<!-- snippet: run -->`, offline.
describe('pnpm check:snippets runs the marked sh blocks', () => {
  it('extracts only the sh blocks marked run, and refuses other directives on them', () => {
    const md = [
      '<!-- snippet: run -->',
      '```sh',
      'npx @fluxrate/local --help',
      '```',
      '```sh',
      'npm i x',
      '```',
    ];
    expect(extractBlocks('R.md', md.join('\n'))).toEqual([
      { file: 'R.md', line: 3, code: 'npx @fluxrate/local --help', uses: [], kind: 'sh' },
    ]);
    expect(
      extractBlocks('R.md', ['<!-- snippet: run; id x -->', ...md.slice(1, 4)].join('\n'))[0].error,
    ).toMatch(/takes only `run`/);
  });

  it.skipIf(!built)(
    'runs our bins from the workspace, and reports a command that fails or is not ours (skipped when packages are not built: run `pnpm build` first)',
    () => {
      const block = (code: string) => ({ file: 'R.md', line: 3, code, uses: [], kind: 'sh' });
      const ok =
        'npx @fluxrate/local --help   # a comment\nnpx -p @fluxrate/core fluxrate-replay \\\n  --help';
      expect(runShellBlock(block(ok), root)).toEqual([]);
      expect(runShellBlock(block('npx @fluxrate/local --no-such-flag'), root)).toEqual([
        expect.stringMatching(/^R\.md:2: `npx @fluxrate\/local --no-such-flag` exited [1-9]/),
      ]);
      expect(runShellBlock(block('npm install @fluxrate/core'), root)).toEqual([
        expect.stringMatching(/^R\.md:2: not runnable offline: `npm install @fluxrate\/core`/),
      ]);
    },
  );
});
