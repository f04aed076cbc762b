import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureLogger, expectWarnings, record, sleep, tracker } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';

const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('shutdown with events left', () => {
  // Issue #13 item 8: main logged one warning line per event left (49 977 lines for 50 000).
  it('logs one summary line, not one per event, and still dead-letters every event', async () => {
    const logger = captureLogger();
    const file = join(mkdtempSync(join(tmpdir(), 'fluxrate-dl-')), 'dead.ndjson');
    const t = tracker({ logger, deadLetter: { file }, baseUrl: 'http://127.0.0.1:9' });
    const seen = record(t);
    for (let i = 0; i < 5_000; i++) t.track({ meter: 'api_calls', customerId: 'acme' });
    const report = await t.shutdown({ timeoutMs: 50 });
    expect(report.pending).toHaveLength(5_000);
    expect(seen.dropped).toHaveLength(5_000);
    const warnLines = logger.calls.filter((c) => c.level === 'warn');
    expect(warnLines.length).toBeLessThan(5);
    expect(warnLines.some((c) => /5000 usage events/.test(c.msg ?? ''))).toBe(true);
    expect(lines(file)).toHaveLength(5_000);
  });

  // Issue #13 item 14: main counted and emitted it as dropped but left it out of the dead-letter file.
  it('writes an event tracked after shutdown to the dead-letter file', async () => {
    expectWarnings('FLUXRATE_EVENT_DROPPED');
    const file = join(mkdtempSync(join(tmpdir(), 'fluxrate-dl-')), 'dead.ndjson');
    const t = tracker({ deadLetter: { file } });
    await t.shutdown({ timeoutMs: 50 });
    t.track({ meter: 'api_calls', customerId: 'late', idempotencyKey: 'late_1' });
    expect(t.stats().dropped).toBe(1);
    await sleep(50);
    expect(lines(file)).toMatchObject([{ reason: 'after-shutdown', event: { idempotencyKey: 'late_1' } }]);
  });
});
