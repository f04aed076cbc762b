import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type LocalServer, startLocalServer } from '@fluxrate/local';
import { needsBuild, type RedisServer, redisSkipReason, sleep, startRedis } from '@fluxrate/testkit';
import { afterAll } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const APP_FIXTURE = `${root}test/fleet/fixtures/fleet-app.mjs`;
export const FORWARDER_BIN = `${root}packages/redis/bin/fluxrate-forwarder.mjs`;

/** Forwarder flags for the fault runs: retries from 20 ms, capped at 500 ms. */
export const FAST_RETRY = ['--retry-min', '20', '--retry-max', '500'];

/** `fluxrate-forwarder` on `stream` of `redis`, printing JSON lines, then `flags`. */
export const forwarderArgs = (redis: RedisServer, stream: string, ...flags: string[]): string[] => [
  FORWARDER_BIN,
  '--redis',
  redis.url,
  '--stream',
  stream,
  '--json',
  ...flags,
];

/** A child process printing JSON lines: every line kept, the last per event at hand. */
export interface Proc {
  name: string;
  child: ChildProcess;
  lines: Record<string, any>[];
  last(event: string): Record<string, any> | undefined;
  until(
    event: string,
    test?: (line: Record<string, any>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, any>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

export function run(name: string, args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, any>[] = [];
  const lastByEvent = new Map<string, Record<string, any>>();
  let err = '';
  child.stderr!.on('data', (chunk) => {
    err = (err + chunk).slice(-4_000);
  });
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, any>;
    try {
      line = JSON.parse(text);
    } catch {
      return;
    }
    if (line.event !== 'tick' && line.event !== 'stats') lines.push(line);
    lastByEvent.set(line.event, line);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    name,
    child,
    lines,
    exited,
    stderr: () => err,
    last: (event) => lastByEvent.get(event),
    async until(event, test = () => true, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = lastByEvent.get(event);
        if (line && test(line)) return line;
        if (Date.now() > deadline) throw new Error(`${name}: no matching '${event}' line; stderr: ${err}`);
        await sleep(20);
      }
    },
  };
}

/** Why a fleet suite cannot run here (no redis-server, or core/redis not built), printed once; else undefined. */
export const fleetSkipReason = (label: string): string | undefined =>
  redisSkipReason() ?? needsBuild(label, 'core', 'redis');

/** The environment every fleet process reads: where Redis, the stream and Fluxrate are. */
export const fleetEnv = (fx: LocalServer, redis: RedisServer, stream: string): Record<string, string> => ({
  REDIS_URL: redis.url,
  STREAM: stream,
  FLUXRATE_BASE_URL: fx.url,
  FLUXRATE_API_KEY: fx.apiKey,
  METER_TOKEN: fx.meters.api_calls!.token,
});

/** A fleet file's processes and servers: every process killed, then Fluxrate and Redis stopped, after its tests. */
export interface Fleet {
  procs: Set<Proc>;
  fx?: LocalServer;
  redis?: RedisServer;
  /** `run`, the process killed after the file. */
  run(name: string, args: string[], env: Record<string, string>): Proc;
  /** The fleet app fixture (`APP_FIXTURE`) as a process of the fleet. */
  app(name: string, env: Record<string, string>): Proc;
}
export function useFleet(): Fleet {
  const procs = new Set<Proc>();
  const fleet: Fleet = {
    procs,
    run(name, args, env) {
      const proc = run(name, args, env);
      procs.add(proc);
      return proc;
    },
    app: (name, env) => fleet.run(name, [APP_FIXTURE], env),
  };
  afterAll(() => stopFleet(procs, fleet.fx, fleet.redis));
  return fleet;
}

/**
 * The chaos runs' Fluxrate (20% 503s, 10% connections reset after answering) and Redis (AOF, fsync always),
 * stopped with the fleet, and the environment of the processes on `stream`.
 */
export async function startChaos(fleet: Fleet, seed: number, stream: string) {
  const fx = await startLocalServer({
    meters: { api_calls: {} },
    faults: { 503: 0.2, resetAfter: 0.1 },
    seed,
  });
  fleet.fx = fx;
  const redis = await startRedis({ appendfsync: 'always' });
  fleet.redis = redis;
  return { fx, redis, env: fleetEnv(fx, redis, stream) };
}

/** After a fleet file: every process it started killed, then its Fluxrate and Redis stopped. */
export async function stopFleet(procs: Iterable<Proc>, fx?: LocalServer, redis?: RedisServer): Promise<void> {
  for (const p of procs) p.child.kill('SIGKILL');
  await fx?.close();
  await redis?.close();
}
