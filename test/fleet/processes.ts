import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { LocalServer } from '@fluxrate/local';
import { needsBuild, type RedisServer, redisSkipReason, sleep } from '@fluxrate/testkit';

export { sleep } from '@fluxrate/testkit';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const APP_FIXTURE = `${root}test/fleet/fixtures/fleet-app.mjs`;
export const FORWARDER_BIN = `${root}packages/redis/bin/fluxrate-forwarder.mjs`;

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

/** After a fleet file: every process it started killed, then its Fluxrate and Redis stopped. */
export async function stopFleet(procs: Iterable<Proc>, fx?: LocalServer, redis?: RedisServer): Promise<void> {
  for (const p of procs) p.child.kill('SIGKILL');
  await fx?.close();
  await redis?.close();
}
