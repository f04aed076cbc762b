import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Why the process-level tests cannot run (the fixtures import the built packages), or undefined. */
export function missingDist(...packages: string[]): string | undefined {
  const missing = packages.filter((p) => !existsSync(`${root}packages/${p}/dist/index.js`));
  return missing.length === 0
    ? undefined
    : `packages/{${missing.join(',')}}/dist missing: run \`pnpm build\` first (the fixture imports the built packages)`;
}

export interface Child {
  process: ChildProcess;
  /** Resolves with the first JSON line whose `event` matches. */
  next(event: string, timeoutMs?: number): Promise<Record<string, any>>;
  /** Resolves with the first line of `event` (seen from now on or before) that satisfies `test`. */
  until(
    event: string,
    test: (line: Record<string, any>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, any>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** Runs a fixture script with env, reading its JSON lines. */
export function runFixture(name: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, [fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, any>[] = [];
  const waiters: { event: string; resolve: (line: Record<string, any>) => void }[] = [];
  let err = '';
  child.stderr!.on('data', (chunk) => {
    err += chunk;
  });
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, any>;
    try {
      line = JSON.parse(text);
    } catch {
      return;
    }
    lines.push(line);
    for (const w of waiters.filter((w) => w.event === line.event)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    process: child,
    exited,
    stderr: () => err,
    async until(event, test, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = lines.findLast((l) => l.event === event);
        if (line && test(line)) return line;
        if (Date.now() > deadline)
          throw new Error(`fixture ${name}: no matching '${event}' line; stderr: ${err}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    next(event, timeoutMs = 20_000) {
      const seen = lines.find((l) => l.event === event);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`fixture ${name}: no '${event}' line in ${timeoutMs} ms; stderr: ${err}`)),
          timeoutMs,
        );
        waiters.push({
          event,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        exited.then(() => setTimeout(() => reject(new Error(`fixture ${name} exited; stderr: ${err}`)), 50));
      });
    },
  };
}

export interface Answer {
  status?: number;
  requestId?: string;
  error?: string;
  startedAt: number;
  endedAt: number;
}

/** One GET on a fresh connection (no keep-alive), so a closed server refuses it. */
export function get(port: number, path: string, headers: Record<string, string>): Promise<Answer> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => {
        let requestId: string | undefined;
        try {
          requestId = JSON.parse(body).requestId;
        } catch {}
        resolve({ status: res.statusCode, requestId, startedAt, endedAt: Date.now() });
      });
      res.on('error', (error) => resolve({ error: String(error), startedAt, endedAt: Date.now() }));
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ error: error.code ?? String(error), startedAt, endedAt: Date.now() }),
    );
    req.end();
  });
}
