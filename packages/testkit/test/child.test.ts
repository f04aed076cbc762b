import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startChild } from '../src/index.js';

const fixture = fileURLToPath(new URL('./fixtures/lines.mjs', import.meta.url));

describe('startChild (the shared child-process helper)', () => {
  it('reads JSON lines in order, by event, and by condition; stop() returns the report after SIGTERM', async () => {
    const child = startChild(fixture);
    const ready = await child.ready();
    expect(ready).toMatchObject({ event: 'ready', pid: child.pid });
    expect(await child.take()).toMatchObject({ event: 'tick', n: 1 }); // the non-JSON line is skipped
    expect(await child.next('ready')).toBe(ready); // lines seen before the call count
    const third = await child.until('tick', (l) => l.n >= 3);
    expect(third.n).toBeGreaterThanOrEqual(3);
    const report = await child.stop(5_000);
    // stop() takes the next unread line: a tick or the report, whichever came first after take().
    expect(['tick', 'report']).toContain(report.event);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.lines.at(-1)).toMatchObject({ event: 'report' });
    expect(child.stderr()).toContain('child stderr line');
  });

  it('rejects a wait when the child exits first, with its stderr, and when the wait times out', async () => {
    const early = startChild(fixture, ['exit-early']);
    await expect(early.next('report', 5_000)).rejects.toThrow(
      /exited \(3\) before 'report' line[\s\S]*child stderr/,
    );
    const slow = startChild(fixture);
    await expect(slow.next('never', 100)).rejects.toThrow(/no 'never' line in 100 ms/);
    slow.kill();
    expect(await slow.exited).toMatchObject({ signal: 'SIGKILL' });
  });
});
