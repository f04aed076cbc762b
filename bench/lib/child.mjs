import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * A child process speaking one JSON object per stdout line: the first line says it is ready,
 * the last one (after SIGTERM) carries its report. Stderr is kept for error messages.
 */
export function startChild(script, args = [], { env = {}, nodeArgs = [], timeoutMs = 20_000 } = {}) {
  const proc = spawn(process.execPath, [...nodeArgs, script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const lines = [];
  let waiter;
  createInterface({ input: proc.stdout }).on('line', (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return; // not ours (a library printing)
    }
    lines.push(msg);
    waiter?.();
  });
  const exited = new Promise((resolve) => proc.on('close', (code, signal) => resolve({ code, signal })));

  const next = (ms) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${script} ${args.join(' ')}: no answer in ${ms} ms\n${stderr}`)),
        ms,
      );
      const check = () => {
        if (lines.length > 0) {
          clearTimeout(timer);
          waiter = undefined;
          resolve(lines.shift());
        }
      };
      waiter = check;
      exited.then(({ code }) => {
        if (lines.length === 0) {
          clearTimeout(timer);
          reject(new Error(`${script} ${args.join(' ')} exited (${code}) without answering\n${stderr}`));
        }
      });
      check();
    });

  return {
    proc,
    pid: proc.pid,
    ready: () => next(timeoutMs),
    /** SIGTERM, then the report line and the exit. */
    async stop(ms = 60_000) {
      proc.kill('SIGTERM');
      const report = await next(ms);
      await exited;
      return report;
    },
    kill: () => proc.kill('SIGKILL'),
    stderr: () => stderr,
  };
}
