// Issue 27: one warning mechanism. Core, every adapter and the Express-only misuse warnings all say a
// problem through `warnOnce`: to the logger when there is one, else a process warning with its code,
// once per key (per process by default, shared by every copy of core loaded side by side).
import { createRequire } from 'node:module';
import { captureWarnings, needsBuild } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { type Warning, warnOnce } from '../src/support/warn-once.js';

const require = createRequire(import.meta.url);
const cjsBuild = 'packages/core/dist/adapter.cjs';
let keys = 0;
/** A warning with a key no other test used (the process-wide set outlives each test). */
const fresh = (extra: Partial<Warning> = {}): Warning => ({
  code: 'FLUXRATE_NOT_BILLED',
  key: `warn-once-test:${++keys}`,
  message: 'fluxrate: a problem',
  ...extra,
});

describe('warnOnce', () => {
  it('raises a process warning with the code when there is no logger, once per key', () => {
    const warnings = captureWarnings();
    const warning = fresh();
    expect(warnOnce(warning)).toBe(true);
    expect(warnOnce({ ...warning, message: 'fluxrate: the same problem again' })).toBe(false);
    expect(warnings.all).toEqual([{ code: 'FLUXRATE_NOT_BILLED', message: 'fluxrate: a problem' }]);
  });

  it('logs to the logger at the warning level instead, with its fields, and raises nothing', () => {
    const warnings = captureWarnings();
    const lines: unknown[] = [];
    const logger = {
      warn: (fields: unknown, message?: string) => lines.push(['warn', fields, message]),
      error: (fields: unknown, message?: string) => lines.push(['error', fields, message]),
    };
    warnOnce(fresh({ fields: { route: 'GET /x' } }), logger);
    warnOnce(fresh({ level: 'error' }), logger);
    expect(lines).toEqual([
      ['warn', { route: 'GET /x' }, 'fluxrate: a problem'],
      ['error', {}, 'fluxrate: a problem'],
    ]);
    expect(warnings.all).toEqual([]);
  });

  it('falls back to a process warning when the logger lacks the level', () => {
    const warnings = captureWarnings();
    warnOnce(fresh({ code: 'FLUXRATE_AUTH', level: 'error' }), { warn: () => undefined });
    expect(warnings.all.map((w) => w.code)).toEqual(['FLUXRATE_AUTH']);
  });

  it('says a key once per scope when given one (e.g. a tracker), apart from the process', () => {
    const warnings = captureWarnings();
    const warning = fresh();
    const [one, two] = [new Set<string>(), new Set<string>()];
    expect([warnOnce(warning, undefined, one), warnOnce(warning, undefined, one)]).toEqual([true, false]);
    expect(warnOnce(warning, undefined, two)).toBe(true);
    expect(warnOnce(warning)).toBe(true);
    expect(warnings.all).toHaveLength(3);
  });

  it.skipIf(needsBuild('warn-once CJS copy', cjsBuild))(
    'says a key once per process across the ESM source and the CJS build of core',
    () => {
      const warnings = captureWarnings();
      const cjs = require(`../dist/adapter.cjs`) as { warnOnce: typeof warnOnce };
      expect(cjs.warnOnce).not.toBe(warnOnce);
      const warning = fresh();
      expect(warnOnce(warning)).toBe(true);
      expect(cjs.warnOnce(warning)).toBe(false);
      expect(warnings.all).toHaveLength(1);
    },
  );
});
