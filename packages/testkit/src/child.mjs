import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const STDERR_KEPT = 16_000;
/** Children started and not closed yet (`killChildren`). */
const running = new Set();

/**
 * A child `node` process speaking one JSON object per stdout line (other lines are ignored: a library
 * printing). Lines can be read in order (`take`, `ready`, `stop`: the bench's protocol, where the first
 * line says ready and the last, after SIGTERM, is the report) or looked up by their `event` field
 * (`next`, `until`: the fixtures' milestones). With `stdin: true` it also takes one JSON command per
 * stdin line (`send`, and `ask`: a command and the line answering it). Stderr is kept (the last 16 kB)
 * for error messages. Every child is registered until it closes, for `killChildren()`.
 * Types: child.d.mts.
 */
export function startChild(
  script,
  args = [],
  { env = {}, baseEnv = process.env, nodeArgs = [], timeoutMs = 20_000, cwd, stdin = false } = {},
) {
  const proc = spawn(process.execPath, [...nodeArgs, script, ...args], {
    env: { ...baseEnv, ...env },
    stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    ...(cwd ? { cwd } : {}),
  });
  running.add(proc);
  const label = [script, ...args].join(' ');
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-STDERR_KEPT);
  });
  const lines = [];
  let read = 0;
  let exit;
  const checks = new Set();
  const recheck = () => {
    for (const check of [...checks]) check();
  };
  createInterface({ input: proc.stdout }).on('line', (text) => {
    let line;
    try {
      line = JSON.parse(text);
    } catch {
      return;
    }
    if (line === null || typeof line !== 'object') return;
    lines.push(line);
    recheck();
  });
  // 'close' (not 'exit'): every stdout line has been read by then.
  const exited = new Promise((resolve) =>
    proc.once('close', (code, signal) => {
      running.delete(proc);
      exit = { code, signal };
      resolve(exit);
      recheck();
    }),
  );

  /** Resolves with `find()`'s first non-undefined answer, re-asked on every line; rejects on timeout or exit. */
  const waitFor = (find, what, ms) =>
    new Promise((resolve, reject) => {
      const done = (fn) => {
        clearTimeout(timer);
        checks.delete(check);
        fn();
      };
      const check = () => {
        const found = find();
        if (found !== undefined) done(() => resolve(found));
        else if (exit)
          done(() =>
            reject(new Error(`${label} exited (${exit.code ?? exit.signal}) before ${what}\n${stderr}`)),
          );
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`${label}: no ${what} in ${ms} ms\n${stderr}`))),
        ms,
      );
      checks.add(check);
      check();
    });

  const take = (ms = timeoutMs) =>
    waitFor(() => (read < lines.length ? lines[read++] : undefined), 'answer', ms);
  const send = (command) => {
    if (!proc.stdin) throw new Error(`${label}: send() needs startChild(…, { stdin: true })`);
    proc.stdin.write(`${JSON.stringify(command)}\n`);
  };

  return {
    proc,
    process: proc,
    pid: proc.pid,
    lines,
    exited,
    stderr: () => stderr,
    take,
    /** The first line: the child says it is ready. */
    ready: () => take(timeoutMs),
    next: (event, ms = timeoutMs) =>
      waitFor(() => lines.find((l) => l.event === event), `'${event}' line`, ms),
    until: (event, test, ms = timeoutMs) =>
      waitFor(
        () => {
          const line = lines.findLast((l) => l.event === event);
          return line && test(line) ? line : undefined;
        },
        `matching '${event}' line`,
        ms,
      ),
    /** SIGTERM, then the report line and the exit. */
    async stop(ms = 60_000) {
      proc.kill('SIGTERM');
      const report = await take(ms);
      await exited;
      return report;
    },
    send,
    /** Sends a command; resolves with the first line after it whose `event` is the command's `do`. */
    ask(command, ms = timeoutMs) {
      const from = lines.length;
      send(command);
      return waitFor(
        () => lines.find((l, i) => i >= from && l.event === command.do),
        `'${command.do}' answer`,
        ms,
      );
    },
    kill: (signal = 'SIGKILL') => proc.kill(signal),
  };
}

/** SIGKILLs every child still running and waits until each has closed. */
export async function killChildren() {
  await Promise.all(
    [...running].map(
      (proc) =>
        new Promise((resolve) => {
          if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
          proc.once('close', () => resolve());
          proc.kill('SIGKILL');
        }),
    ),
  );
}
