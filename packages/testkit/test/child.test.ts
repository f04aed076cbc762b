import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { killChildren, startChild } from '../src/index.js';

const fixture = fileURLToPath(new URL('./fixtures/lines.mjs', import.meta.url));
const commands = fileURLToPath(new URL('./fixtures/commands.mjs', import.meta.url));

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

  it('ask() answers each command with the line printed after it, not an earlier answer of the same name', async () => {
    const child = startChild(commands, [], { stdin: true });
    await child.ready();
    expect(await child.ask({ do: 'echo' })).toMatchObject({ event: 'echo', n: 1 });
    expect(await child.ask({ do: 'echo' })).toMatchObject({ event: 'echo', n: 2 });
    child.send({ do: 'other' });
    expect(await child.next('other')).toMatchObject({ n: 3 });
    child.kill();
    await child.exited;
  });

  it('baseEnv replaces the parent environment, env is added to it', async () => {
    const child = startChild(commands, [], { stdin: true, baseEnv: { FROM_BASE: 'b' }, env: { ADDED: 'a' } });
    const answer = await child.ask({ do: 'env', names: ['FROM_BASE', 'ADDED', 'PATH'] });
    expect(answer.env).toEqual({ FROM_BASE: 'b', ADDED: 'a', PATH: null });
    child.kill();
    await child.exited;
  });

  it('send() without stdin: true throws naming the option; killChildren() kills every child still running', async () => {
    const quiet = startChild(fixture);
    await quiet.ready();
    expect(() => quiet.send({ do: 'x' })).toThrow(/needs startChild\(…, \{ stdin: true \}\)/);
    const listening = startChild(commands, [], { stdin: true });
    await listening.ready();
    await killChildren();
    expect(await quiet.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(await listening.exited).toMatchObject({ signal: 'SIGKILL' });
  });
});
