import type { ChildProcess } from 'node:child_process';

export type JsonLine = Record<string, any>;

export interface StartChildOptions {
  /** Added to `baseEnv`. */
  env?: Record<string, string>;
  /** The environment `env` is added to. Default: the parent's (`process.env`). */
  baseEnv?: Record<string, string | undefined>;
  /** Flags for `node` itself, before the script. */
  nodeArgs?: string[];
  /** Default wait for a line, in ms. Default: 20 000. */
  timeoutMs?: number;
  cwd?: string;
  /** Pipe the child's stdin, for `send` and `ask`. Default: false (stdin ignored). */
  stdin?: boolean;
}

export interface Child {
  proc: ChildProcess;
  /** The same as `proc`. */
  process: ChildProcess;
  pid: number | undefined;
  /** Every JSON line so far, in order. */
  lines: JsonLine[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  /** The next line not read yet by `take` / `ready` / `stop`. */
  take(timeoutMs?: number): Promise<JsonLine>;
  /** The first line (the child says it is ready). */
  ready(): Promise<JsonLine>;
  /** The first line whose `event` matches, printed before or after the call. */
  next(event: string, timeoutMs?: number): Promise<JsonLine>;
  /** The latest line of `event` that satisfies `test`, waiting for one. */
  until(event: string, test: (line: JsonLine) => boolean, timeoutMs?: number): Promise<JsonLine>;
  /** SIGTERM, then the next line (the report) and the exit. Default wait: 60 000 ms. */
  stop(timeoutMs?: number): Promise<JsonLine>;
  /** Writes one JSON command line to the child's stdin (needs `stdin: true`). */
  send(command: JsonLine): void;
  /** Sends a command; resolves with the first line after it whose `event` is the command's `do`. */
  ask(command: JsonLine & { do: string }, timeoutMs?: number): Promise<JsonLine>;
  /** Sends a signal. Default: SIGKILL. */
  kill(signal?: NodeJS.Signals): boolean;
}

export function startChild(script: string, args?: string[], options?: StartChildOptions): Child;

/** SIGKILLs every child still running and waits until each has closed. */
export function killChildren(): Promise<void>;
