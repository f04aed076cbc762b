import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));
const PACKAGES = ['core', 'local', 'express', 'fastify', 'nestjs'];
const unbuilt = PACKAGES.filter((p) => !existsSync(`${root}packages/${p}/dist/index.js`));
const FRAMEWORKS = ['express', 'fastify', 'nestjs'];
const METERS = ['active_users', 'api_calls', 'tokens'];

// The demo runs the examples against the built packages (dist), as users do; CI builds first.
describe.skipIf(unbuilt.length > 0)(
  `pnpm demo --quick${unbuilt.length > 0 ? ` (skipped: packages/{${unbuilt.join(',')}}/dist missing, run pnpm build)` : ''}`,
  () => {
    it('bills every successful request exactly once across Express, Fastify and NestJS, faults included', () => {
      const run = spawnSync(process.execPath, ['examples/demo/demo.mjs', '--quick'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 85_000,
        env: { ...process.env, FLUXRATE_API_KEY: '', FLUXRATE_BASE_URL: '' },
      });
      const output = `${run.stdout}\n${run.stderr}`;
      expect(run.status, output).toBe(0);

      const rows = run.stdout
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter((cells) => cells.length === 8 && FRAMEWORKS.includes(cells[0] as string));
      for (const framework of FRAMEWORKS) {
        for (const meter of METERS) {
          const mine = rows.filter(([f, m]) => f === framework && m === meter);
          expect(mine.length, `${framework} x ${meter} rows\n${output}`).toBeGreaterThan(0);
          for (const [, , customer, expected, recorded, events, stored, check] of mine) {
            expect({ customer, recorded, stored, check }).toEqual({
              customer,
              recorded: expected,
              stored: events,
              check: 'ok',
            });
          }
        }
      }
      // Billable traffic really happened: each framework billed api_calls.
      for (const framework of FRAMEWORKS) {
        const billed = rows
          .filter(([f, m]) => f === framework && m === 'api_calls')
          .reduce((n, r) => n + Number(r[3]), 0);
        expect(billed, framework).toBeGreaterThan(0);
      }
      expect(run.stdout).toMatch(/OK: 27 rows, 0 mismatches/);
    }, 90_000);
  },
);
