import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * Why the Redis suites cannot run here, or undefined. Without `redis-server` they are skipped with one
 * printed line (once per test run, however many suites ask); under `CI=true` a missing server is an error.
 */
export function redisSkipReason(): string | undefined {
  const found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  if (!found.error && found.status === 0) return undefined;
  if (process.env.CI === 'true') {
    throw new Error(
      'redis-server is not on PATH but CI=true: run .ci/install-redis (the Redis suites must run in CI)',
    );
  }
  const reason =
    'redis-server not found: Redis suites skipped (install it, e.g. `sudo .ci/install-redis`, to run them)';
  try {
    // One line per test run: the first suite of this vitest process prints it.
    closeSync(openSync(join(tmpdir(), `fluxrate-redis-skip-${process.ppid}`), 'wx'));
    console.warn(`[redis] ${reason}`);
  } catch {
    // already printed by another suite of this run
  }
  return reason;
}

/** A TCP port free on 127.0.0.1 right now (for a server a test starts as a child process). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  port: number;
  url: string;
  dir: string;
  /** Stops with SIGTERM (or SIGKILL: `hard`) and waits for the exit. */
  stop(hard?: boolean): Promise<void>;
  /** Starts again on the same port and dir (AOF replayed). */
  start(): Promise<void>;
  /** Stops and removes the temp dir. */
  close(): Promise<void>;
}

export interface RedisServerOptions {
  /** `always` (default) or `everysec`. */
  appendfsync?: 'always' | 'everysec';
}

/** A real `redis-server` on a free loopback port with a temp dir, AOF on, RDB snapshots off. */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'fluxrate-redis-'));
  let child: ChildProcess | undefined;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    options.appendfsync ?? 'always',
    '--save',
    '',
    '--daemonize',
    'no',
    '--loglevel',
    'notice',
  ];
  const start = async () => {
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
      const onData = (chunk: Buffer) => {
        output += chunk;
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}): ${output}`));
      });
    });
    proc.stdout!.resume();
    proc.stderr!.resume();
  };
  const stop = async (hard = false) => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    stop,
    start,
    async close() {
      await stop(true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A redis-server for the enclosing suite (`redis.server`): started before its first test, closed after its last. */
export function useRedis(options: RedisServerOptions = {}): { readonly server: RedisServer } {
  const redis = {} as { server: RedisServer };
  beforeAll(async () => {
    redis.server = await startRedis(options);
  });
  afterAll(async () => {
    await redis.server?.close();
  });
  return redis;
}
