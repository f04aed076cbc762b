import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalServer, startLocalServer } from '@fluxrate/local';
import { deadLetter, deadLetterFile, type ProcessResult, runNode } from '@fluxrate/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DeadLetterRecord } from '../src/pipeline/dead-letter.js';

const CLI = join(import.meta.dirname, '../dist/replay-cli.js');
const WRONG_TOKEN = '00000000-0000-4000-8000-000000000000';

let local: LocalServer;
let dir: string;
beforeAll(async () => {
  local = await startLocalServer({ meters: { api_calls: { aggregation: 'SUM' } } });
  dir = mkdtempSync(join(tmpdir(), 'fluxrate-replay-'));
});
afterAll(async () => {
  await local.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  local.reset();
  local.setFaults({});
});

/** A dead-letter file of `count` events as a tracker writes it after a 503 outage. */
function deadLetters(count: number, token: string): string {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.ndjson`);
  writeFileSync(
    file,
    deadLetterFile(Array.from({ length: count }, (_, i) => deadLetter(token, `replay_${i}`))),
  );
  return file;
}

/** Runs fluxrate-replay as its own process (async: the local server lives in this one). */
function replay(...args: string[]): Promise<ProcessResult> {
  return runNode([CLI, ...args, '--base-url', local.url, '--api-key', local.apiKey]);
}

describe('fluxrate-replay exits non-zero unless every event was delivered or refused, and prints the counts', () => {
  beforeAll(() => {
    // The CLI is a real process running the built package: without the build this test must fail, not skip.
    expect(existsSync(CLI), `${CLI} missing: run \`pnpm build\` first`).toBe(true);
  });

  // Fails on the main of 2026-12-01: the retry timers were unref'd, so the process exited 0 after storing 0.
  it('exits 3 with "5 unsettled" when every attempt gets a 503 until the replay gives up', async () => {
    local.setFaults({ 503: 1 });
    const file = deadLetters(5, local.meters.api_calls!.token);
    const run = await replay(file, '--timeout-ms', '400');
    expect(run.stdout).toContain('replayed 5 event(s): 0 delivered, 0 failed, 5 unsettled');
    expect(run.code).toBe(3);
    expect(local.events()).toHaveLength(0);
    expect(local.stats().faults['503']).toBeGreaterThanOrEqual(5);
  });

  it('exits 0 once every event is delivered through 30% of 503s, each stored once', async () => {
    local.setFaults({ 503: 0.3, seed: 7 });
    const file = deadLetters(5, local.meters.api_calls!.token);
    const run = await replay(file);
    expect(run.stdout).toContain('replayed 5 event(s): 5 delivered, 0 failed, 0 unsettled');
    expect(run.code).toBe(0);
    expect(local.events()).toHaveLength(5);
    expect(local.stats().faults['503']).toBeGreaterThan(0);
  });

  it('exits 1 when Fluxrate refuses the events (unknown meter token), naming each', async () => {
    const file = deadLetters(5, WRONG_TOKEN);
    const run = await replay(file);
    expect(run.stdout).toContain('replayed 5 event(s): 0 delivered, 5 failed, 0 unsettled');
    expect(run.stdout).toMatch(/failed replay_0: rejected 404/);
    expect(run.code).toBe(1);
  });

  it('with --max-event-age-days, skips older dead letters unsent and says how many', async () => {
    const file = deadLetters(3, local.meters.api_calls!.token);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as DeadLetterRecord);
    lines[0]!.event.timestamp = new Date(Date.now() - 40 * 86_400_000).toISOString();
    writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const run = await replay(file, '--max-event-age-days', '35');
    expect(run.stdout).toContain(
      'replayed 3 event(s): 2 delivered, 1 failed, 0 unsettled; 1 of the failed skipped as too old',
    );
    expect(run.stdout).toMatch(/failed replay_0: too-old/);
    expect(run.code).toBe(1);
    expect(
      local
        .events()
        .map((e) => e.idempotencyKey)
        .sort(),
    ).toEqual(['replay_1', 'replay_2']);
  });
});
