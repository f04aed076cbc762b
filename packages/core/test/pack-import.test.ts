import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installPacked } from '@fluxrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const hasDist = existsSync(join(pkgDir, 'dist', 'index.js')) && existsSync(join(pkgDir, 'dist', 'index.cjs'));

const ESM = `
import { createRequire } from 'node:module';
import { createTracker, FluxrateValidationError, FluxrateConfigError, VERSION } from '@fluxrate/core';
const cjs = createRequire(import.meta.url)('@fluxrate/core');
const out = { esm: typeof createTracker, error: typeof FluxrateValidationError, version: VERSION, cjsLoaded: cjs !== undefined };
const t = createTracker({ apiKey: 'org_live_pack', baseUrl: 'http://127.0.0.1:9', meters: { api_calls: '11111111-2222-4333-8444-555555555555' } });
try { t.track({ meter: 'api_calls', customerId: '' }); } catch (e) {
  out.esmErrorIsEsm = e instanceof FluxrateValidationError;
  out.esmErrorIsCjs = e instanceof cjs.FluxrateValidationError;
  out.field = e.field;
}
try { cjs.createTracker({ apiKey: 'org_live_pack', bogus: 1 }); } catch (e) {
  out.cjsErrorIsEsm = e instanceof FluxrateConfigError;
  out.cjsErrorIsEsmValidation = e instanceof FluxrateValidationError;
}
out.distinctCopies = cjs.FluxrateValidationError !== FluxrateValidationError;
await t.shutdown({ timeoutMs: 10 });
console.log(JSON.stringify(out));
`;

const CJS = `
const { createTracker, FluxrateValidationError } = require('@fluxrate/core');
const out = { cjs: typeof createTracker, error: typeof FluxrateValidationError };
const t = createTracker({ apiKey: 'org_live_pack', baseUrl: 'http://127.0.0.1:9', meters: { api_calls: '11111111-2222-4333-8444-555555555555' } });
try { t.track({ meter: 'api_calls', customerId: 'acme', quantity: -1 }); } catch (e) {
  out.instanceOf = e instanceof FluxrateValidationError;
  out.field = e.field;
}
t.shutdown({ timeoutMs: 10 }).then(() => console.log(JSON.stringify(out)));
`;

let project = '';
let installNote = '';

/** Packs core and installs the tarball into a temp project (npm offline, else extract it and link undici). */
function install(): void {
  ({ project, installedWith: installNote } = installPacked(pkgDir, {
    npmFlags: ['--offline', '--ignore-scripts'],
    links: ['undici'],
  }));
}

function run(file: string, source: string): any {
  writeFileSync(join(project, file), source);
  return JSON.parse(
    execFileSync(process.execPath, [file], { cwd: project, encoding: 'utf8', timeout: 10_000 }),
  );
}

if (!hasDist)
  console.warn(
    '[packed tarball] skipped: needs packages/core/dist (run `pnpm build`; CI builds before testing)',
  );

describe.skipIf(!hasDist)('packed tarball', () => {
  beforeAll(() => install(), 60_000);
  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('ships only dist and docs, with the ESM and CJS builds', () => {
    const files = readdirSync(join(project, 'node_modules', '@fluxrate', 'core', 'dist'));
    expect(files).toEqual(expect.arrayContaining(['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']));
    expect(existsSync(join(project, 'node_modules', '@fluxrate', 'core', 'src'))).toBe(false);
    expect(installNote).not.toBe('');
  });

  it('imports from ESM, and instanceof works across the ESM and CJS copies', () => {
    const out = run('check.mjs', ESM);
    expect(out).toMatchObject({ esm: 'function', error: 'function', cjsLoaded: true, field: 'customerId' });
    expect(out.distinctCopies).toBe(true);
    expect(out.esmErrorIsEsm).toBe(true);
    expect(out.esmErrorIsCjs).toBe(true);
    expect(out.cjsErrorIsEsm).toBe(true);
    expect(out.cjsErrorIsEsmValidation).toBe(false);
  });

  it('requires from CJS', () => {
    expect(run('check.cjs', CJS)).toEqual({
      cjs: 'function',
      error: 'function',
      instanceOf: true,
      field: 'quantity',
    });
  });
});
