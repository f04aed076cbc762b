import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LocalServer, startLocalServer } from '@fluxrate/local';
import { needsBuild, onCleanup, startChild } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { createTracker, FluxrateConfigError, type SpoolDriver } from '../src/index.js';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);

/** Why `driver` cannot run on this Node, or undefined. */
function unavailable(driver: SpoolDriver): string | undefined {
  if (driver === 'node:sqlite')
    return major > 22 || (major === 22 && minor >= 13)
      ? undefined
      : `node:sqlite needs Node >= 22.13, this is ${process.versions.node}`;
  try {
    const Database = createRequire(import.meta.url)('better-sqlite3');
    new Database(':memory:').close();
    return undefined;
  } catch (error) {
    return `better-sqlite3 does not load on Node ${process.versions.node}: ${(error as Error).message.split('\n')[0]}`;
  }
}

const unbuilt = needsBuild('spool drivers', 'core');
const BATCH = 40;
const fixture = fileURLToPath(new URL('./fixtures/spool-child.mjs', import.meta.url));

describe('spool.driver option', () => {
  it('refuses an unknown driver, naming the option', () => {
    const make = () =>
      createTracker({
        apiKey: 'org_live_x',
        baseUrl: 'http://127.0.0.1:9',
        meters: {},
        spool: { dir: tmpdir(), driver: 'sqlite3' as SpoolDriver },
      });
    expect(make).toThrow(FluxrateConfigError);
    expect(make).toThrow(/spool\.driver/);
  });

  // Node 22/24 in CI run a better-sqlite3 built for Node 20: it requires fine, but its binding fails to load
  // at the first `new Database()`; the default must fall back then, not only when the package is missing.
  const only = (['better-sqlite3', 'node:sqlite'] as const).filter((d) => !unavailable(d));
  const fallbackSkip =
    only.length === 1 ? undefined : `needs exactly one driver loadable; here: ${only.join(', ') || 'none'}`;
  if (fallbackSkip) console.warn(`[spool drivers] default-driver fallback skipped: ${fallbackSkip}`);
  it.skipIf(fallbackSkip)(
    `without a driver, the spool opens on the one that loads (${only[0] ?? '-'}${fallbackSkip ? `; skipped: ${fallbackSkip}` : ''})`,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'fluxrate-spool-driver-'));
      onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
      const t = createTracker({
        apiKey: 'org_live_x',
        baseUrl: 'http://127.0.0.1:9',
        meters: {},
        spool: { dir },
      });
      await t.shutdown({ timeoutMs: 10 });
    },
  );

  const missing = (['better-sqlite3', 'node:sqlite'] as const).find((d) => unavailable(d));
  if (!missing) console.warn('[spool drivers] forced-driver failure skipped: both drivers load on this Node');
  it.skipIf(!missing)(
    `a forced driver that cannot load fails at construction, with no fallback (${missing ?? 'skipped: both load here'})`,
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'fluxrate-spool-driver-'));
      onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
      const make = () =>
        createTracker({
          apiKey: 'org_live_x',
          baseUrl: 'http://127.0.0.1:9',
          meters: {},
          spool: { dir, driver: missing },
        });
      expect(make).toThrow(FluxrateConfigError);
      expect(make).toThrow(/spool\.driver/);
    },
  );
});

for (const driver of ['better-sqlite3', 'node:sqlite'] as const) {
  const reason = unbuilt ?? unavailable(driver);
  if (reason) console.warn(`[spool ${driver}] skipped: ${reason}`);

  describe.skipIf(reason)(`spool on ${driver}${reason ? ` (skipped: ${reason})` : ''}`, () => {
    it('a new tracker on the dir of a SIGKILLed one delivers exactly what it left, once', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'fluxrate-spool-driver-'));
      const fx: LocalServer = await startLocalServer({ meters: { api_calls: { aggregation: 'SUM' } } });
      onCleanup(async () => {
        await fx.close();
        rmSync(dir, { recursive: true, force: true });
      });
      const child = startChild(fixture, [], {
        env: {
          BASE_URL: fx.url,
          API_KEY: fx.apiKey,
          METER_TOKEN: fx.meters.api_calls!.token,
          SPOOL_DIR: dir,
          SPOOL_DRIVER: driver,
          BATCH: String(BATCH),
        },
      });
      onCleanup(async () => child.kill());

      const delivered = await child.next('delivered');
      expect(delivered.stats).toMatchObject({ delivered: BATCH, queued: 0, inFlight: 0 });
      await child.next('armed');
      await fx.suspend();
      child.kill('SIGUSR2');
      const spooled = await child.next('spooled');
      expect(spooled.stats.queued + spooled.stats.inFlight).toBe(BATCH);
      child.kill('SIGKILL');
      expect(await child.exited).toMatchObject({ signal: 'SIGKILL' });
      expect(fx.events()).toHaveLength(BATCH);

      await fx.resume();
      const restarted = createTracker({
        apiKey: fx.apiKey,
        baseUrl: fx.url,
        meters: { api_calls: fx.meters.api_calls!.token },
        retry: { minTimeout: 5, maxTimeout: 20 },
        spool: { dir, driver },
      });
      expect(restarted.stats().replayed).toBe(BATCH);
      const report = await restarted.shutdown({ timeoutMs: 10_000 });
      expect(report).toMatchObject({ failed: 0, dropped: 0, pending: [] });
      expect(restarted.stats().delivered).toBe(BATCH);

      const keys = fx.events().map((e) => e.idempotencyKey ?? '');
      const expected = ['up', 'down'].flatMap((phase) =>
        Array.from({ length: BATCH }, (_, i) => `${phase}-${i}`),
      );
      // Caller keys may be scoped by the tracker; each stored key ends with exactly one of ours.
      expect(keys).toHaveLength(2 * BATCH);
      expect(new Set(keys).size).toBe(2 * BATCH);
      for (const key of expected)
        expect(
          keys.filter((k) => k.endsWith(key)),
          key,
        ).toHaveLength(1);
      expect(fx.usage()).toMatchObject([{ meter: 'api_calls', customer: 'sigkill', total: 2 * BATCH }]);
    });
  });
}
