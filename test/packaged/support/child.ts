// A `node` child process run inside the packaged project: JSON commands on stdin, JSON lines on stdout.
// Its environment is a user's shell (no npm_* variables, no NODE_PATH), so every import resolves from the
// project's node_modules. Every child started is killed by `killChildren()` (each file's afterAll).
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { userEnv } from '../../../scripts/pack-install.mjs';

export type Line = Record<string, any>;

export interface Script {
  proc: ChildProcess;
  lines: Line[];
  /** Sends one command (`{ do: 'flush' }`); the app answers with a line whose `event` is the command. */
  send(command: Line): void;
  /** The first line of `event` not taken yet; rejects on timeout or exit, with the child's stderr. */
  next(event: string, timeoutMs?: number): Promise<Line>;
  /** Sends a command and waits for its answer. */
  ask(command: Line & { do: string }, timeoutMs?: number): Promise<Line>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

const started = new Set<ChildProcess>();

export function runScript(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
  command = process.execPath,
): Script {
  const base = userEnv();
  delete base.NODE_PATH;
  delete base.NODE_OPTIONS;
  const proc = spawn(command, args, { cwd, env: { ...base, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  started.add(proc);
  let stderr = '';
  proc.stderr!.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-16_000);
  });
  const lines: Line[] = [];
  const taken = new Set<Line>();
  const wakers = new Set<() => void>();
  const wake = () => {
    for (const w of wakers) w();
  };
  createInterface({ input: proc.stdout! }).on('line', (text) => {
    try {
      const line = JSON.parse(text);
      if (line && typeof line === 'object') lines.push(line);
    } catch {
      return; // a library printing
    }
    wake();
  });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('close', (code, signal) => {
      started.delete(proc);
      exit = { code, signal };
      resolve(exit);
      wake();
    }),
  );
  const label = args.join(' ');
  const next = async (event: string, timeoutMs = 20_000): Promise<Line> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const line = lines.find((l) => l.event === event && !taken.has(l));
      if (line) {
        taken.add(line);
        return line;
      }
      if (exit) throw new Error(`${label} exited (${exit.code ?? exit.signal}) before '${event}'\n${stderr}`);
      if (Date.now() > until) throw new Error(`${label}: no '${event}' line in ${timeoutMs} ms\n${stderr}`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          wakers.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(200, Math.max(1, until - Date.now())));
        wakers.add(done);
      });
    }
  };
  const send = (command: Line) => void proc.stdin!.write(`${JSON.stringify(command)}\n`);
  return {
    proc,
    lines,
    send,
    next,
    ask(command, timeoutMs) {
      send(command);
      return next(command.do, timeoutMs);
    },
    exited,
    stderr: () => stderr,
  };
}

/** Kills every child still running (SIGKILL) and waits for them to go. */
export async function killChildren(): Promise<void> {
  const running = [...started];
  await Promise.all(
    running.map(
      (proc) =>
        new Promise<void>((resolve) => {
          if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
          proc.once('close', () => resolve());
          proc.kill('SIGKILL');
        }),
    ),
  );
}
