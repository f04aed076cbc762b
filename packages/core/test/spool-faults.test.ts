import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalServer, startLocalServer } from '@fluxrate/local';
import { expectWarnings, FAST_RETRY, onCleanup, record, thrown, tracker } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { FluxrateConfigError } from '../src/index.js';
import { readDeadLetters } from '../src/replay/replay.js';

const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

/** Mounts a tmpfs (a real small or read-only filesystem); needs root, as on the CI machine. */
function mountTmpfs(options: string): string | undefined {
  const dir = tempDir('fluxrate-mnt-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  onCleanup(async () => execFileSync('umount', ['-l', dir], { stdio: 'ignore' }));
  return dir;
}
const canMount = process.getuid?.() === 0;
if (!canMount)
  console.warn('[spool-faults] full-disk and read-only cases skipped: mounting a tmpfs needs root');

/** better-sqlite3 where it loads (Node 20), else node:sqlite (Node 22/24 run against a Node 20 build). */
function openSqlite(file: string): { prepare(sql: string): { run(): unknown }; close(): void } {
  const require = createRequire(import.meta.url);
  try {
    const Driver = require('better-sqlite3');
    return new Driver(file);
  } catch {
    const { DatabaseSync } = require('node:sqlite');
    return new DatabaseSync(file);
  }
}

async function local(): Promise<LocalServer> {
  const fx = await startLocalServer({ seed: 1 });
  onCleanup(() => fx.close());
  return fx;
}

// Issue #13 item 13: on main a garbage file surfaced as a raw SQLITE_NOTADB, a read-only directory as
// "npm i better-sqlite3", a corrupt row stopped the start with a bare SyntaxError, and a full disk crashed
// the app with an uncaught SqliteError.
describe('spool faults', () => {
  it('names the spool file and the cause when the file is not a database', () => {
    const dir = tempDir('fluxrate-spool-');
    writeFileSync(join(dir, 'fluxrate-spool.db'), 'this is not sqlite at all, just some text '.repeat(100));
    const error = thrown(() => tracker({ spool: { dir } }));
    expect(error).toBeInstanceOf(FluxrateConfigError);
    expect(error.message).toContain(join(dir, 'fluxrate-spool.db'));
    expect(error.message).toMatch(/not a SQLite database/);
  });

  it.skipIf(!canMount)('says the directory is not writable instead of asking to install a driver', () => {
    const dir = mountTmpfs('ro,size=1m');
    if (!dir) throw new Error('mount failed although running as root');
    const error = thrown(() => tracker({ spool: { dir } }));
    expect(error).toBeInstanceOf(FluxrateConfigError);
    expect(error.message).toContain(dir);
    expect(error.message).toMatch(/not writable/);
    expect(error.message).not.toMatch(/npm i/);
  });

  it('moves a corrupt row to the dead-letter file and replays the rest', async () => {
    expectWarnings('FLUXRATE_EVENT_DROPPED', 'FLUXRATE_SHUTDOWN_LEFT', 'FLUXRATE_STORAGE');
    const fx = await local();
    const dir = tempDir('fluxrate-spool-');
    const file = join(tempDir('fluxrate-dl-'), 'dead.ndjson');
    const options = {
      apiKey: fx.apiKey,
      meters: { api_calls: fx.meters.api_calls!.token },
      retry: FAST_RETRY,
    };
    // A first tracker leaves two events behind (Fluxrate unreachable, shutdown at once).
    const first = tracker({ ...options, baseUrl: 'http://127.0.0.1:9', spool: { dir } });
    first.track({ meter: 'api_calls', customerId: 'acme', idempotencyKey: 'good_1' });
    first.track({ meter: 'api_calls', customerId: 'acme', idempotencyKey: 'bad_1' });
    await first.shutdown({ timeoutMs: 30 });
    // Corrupt one row in place, as a torn write or a bad disk would.
    const db = openSqlite(join(dir, 'fluxrate-spool.db'));
    db.prepare('UPDATE events SET row = \'{"meter": "api_calls", trunc\' WHERE key = \'bad_1\'').run();
    db.close();

    const second = tracker({ ...options, baseUrl: fx.url, spool: { dir }, deadLetter: { file } });
    await second.flush();
    expect(fx.events().map((e) => e.idempotencyKey)).toEqual(['good_1']);
    expect(second.stats()).toMatchObject({ replayed: 1, delivered: 1 });
    // Reported while the tracker was being built: counted, and logged/warned once.
    expect(second.stats().errors).toBe(1);
    await second.shutdown();
    const dead = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(dead).toMatchObject([{ reason: 'corrupt' }]);
    expect(dead[0].raw).toContain('trunc');
    // fluxrate-replay reads past it: nothing to replay, no crash.
    expect(readDeadLetters(file)).toEqual([]);
  });

  it.skipIf(!canMount)(
    'keeps billing in memory when the disk under the spool fills up, and says so once',
    async () => {
      const fx = await local();
      const dir = mountTmpfs('size=256k');
      if (!dir) throw new Error('mount failed although running as root');
      mkdirSync(join(dir, 'spool'));
      const errors: string[] = [];
      const t = tracker({
        apiKey: fx.apiKey,
        baseUrl: fx.url,
        meters: { api_calls: fx.meters.api_calls!.token },
        retry: FAST_RETRY,
        spool: { dir: join(dir, 'spool') },
        logger: { error: (_o: unknown, msg?: string) => errors.push(String(msg)) },
      });
      const seen = record(t);
      const padding = 'x'.repeat(2_000);
      for (let turn = 0; turn < 20; turn++) {
        for (let i = 0; i < 50; i++)
          t.track({ meter: 'api_calls', customerId: 'acme', metadata: { padding } });
        await new Promise((resolve) => setImmediate(resolve));
      }
      await t.flush();
      expect(t.stats()).toMatchObject({ tracked: 1_000, delivered: 1_000, dropped: 0 });
      expect(fx.events()).toHaveLength(1_000);
      expect(seen.error.some((e) => /spool write .* failed.*disk is full/.test(e.reason))).toBe(true);
      expect(errors.filter((m) => /spool write/.test(m))).toHaveLength(1);
    },
  );
});
