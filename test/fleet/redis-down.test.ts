import { Agent, request } from 'node:http';
import { type LocalServer, startLocalServer } from '@fluxrate/local';
import { redisOutbox } from '@fluxrate/redis';
import { type RedisServer, sleep, startRedis } from '@fluxrate/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import {
  APP_FIXTURE,
  FAST_RETRY,
  fleetEnv,
  fleetSkipReason,
  forwarderArgs,
  type Proc,
  run,
  stopFleet,
} from './processes.js';

const skip = fleetSkipReason('fleet:down');

/** The mid-run outage: the 20 s (the test takes ~33 s in all); FLEET_DOWN_SECONDS for another. */
const DOWN_MS = Number(process.env.FLEET_DOWN_SECONDS ?? 20) * 1_000;
const MAX_QUEUE = 400;

const agent = new Agent({ keepAlive: true, maxSockets: 4 });
function get(port: number): Promise<{ status?: number; key?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/work', agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode, key: JSON.parse(body).key }));
    });
    req.on('error', (error) => resolve({ error: String(error) }));
    req.end();
  });
}

describe.skipIf(skip)('fleet: Redis down at app start and for a stretch mid-run', () => {
  let fx: LocalServer | undefined;
  let redis: RedisServer | undefined;
  const procs: Proc[] = [];
  afterAll(async () => {
    agent.destroy();
    await stopFleet(procs, fx, redis);
  });

  it('answers every request, loses nothing within the bound and counts the overflow beyond it', async () => {
    fx = await startLocalServer({ meters: { api_calls: {} }, faults: { 503: 0.1 }, seed: 5 });
    redis = await startRedis();
    await redis.stop(); // down before any app starts
    const stream = 'fleet:down';
    const env = {
      ...fleetEnv(fx, redis, stream),
      MODE: 'http',
      MAX_QUEUE: String(MAX_QUEUE),
    };
    const apps = ['d1', 'd2'].map((app) => run(app, [APP_FIXTURE], { ...env, APP: app }));
    procs.push(...apps);
    const ports = (await Promise.all(apps.map((a) => a.until('listening')))).map((l) => l.port as number);
    const forwarder = run(
      'fwd',
      forwarderArgs(redis, stream, '--claim-idle', '2000', ...FAST_RETRY, '--stats-interval', '1000'),
      env,
    );
    procs.push(forwarder);

    const answers: { status?: number; key?: string; error?: string }[] = [];
    let stop = false;
    const load = async (port: number) => {
      while (!stop) {
        answers.push(await get(port));
        await sleep(2);
      }
    };
    const workers = ports.flatMap((port) => [load(port), load(port)]);
    const timeline: string[] = [];
    const mark = (what: string) => timeline.push(`${what}@${answers.length}`);
    await sleep(3_000);
    mark('redis up');
    await redis.start();
    await sleep(4_000);
    mark('redis down');
    await redis.stop(true);
    await sleep(DOWN_MS);
    mark('redis up');
    await redis.start();
    await sleep(3_000);
    stop = true;
    await Promise.all(workers);
    for (const app of apps) app.child.kill('SIGTERM');
    // Each app appends its outage backlog before it exits (its own deadline is 15 s); under CI's load that took over 30 s once.
    const shutdowns = await Promise.all(apps.map((a) => a.until('shutdown', undefined, 60_000)));

    const probe = redisOutbox({ redis: redis.url, stream, consume: false });
    try {
      const deadline = Date.now() + 30_000;
      // Drained means XLEN 0 and nothing pending: settles missed while Redis was down were re-sent.
      for (let s = await probe.stats(); s.streamLength > 0 || s.pending > 0; s = await probe.stats()) {
        if (Date.now() > deadline) throw new Error(`stream not drained: ${JSON.stringify(s)}`);
        await sleep(200);
      }
    } finally {
      await probe.close();
    }
    forwarder.child.kill('SIGTERM');
    await forwarder.until('stopped', undefined, 20_000);

    const dropped = new Set<string>(shutdowns.flatMap((s) => s.dropped as string[]));
    const answered = answers.filter((a) => a.status === 200).map((a) => a.key!);
    const stored = fx.events().map((e) => e.idempotencyKey);
    const expected = answered.filter((key) => !dropped.has(key));
    console.log(
      `[fleet:down] requests=${answers.length} answered=${answered.length} stored=${stored.length} ` +
        `overflow=${dropped.size} (bound ${MAX_QUEUE} per app, Redis down 3 s at start and ${DOWN_MS / 1000} s mid-run; ${timeline.join(' ')}) ` +
        `app faults=${JSON.stringify(apps.map((a) => a.last('stats')?.faults))}`,
    );
    // Every request answered, whatever Redis does.
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    // Overflow beyond the bound, each one counted and emitted, never silent.
    expect(dropped.size).toBeGreaterThan(0);
    expect(shutdowns.reduce((sum, s) => sum + s.report.dropped, 0)).toBe(dropped.size);
    // Nothing lost within the bound, nothing twice.
    expect(new Set(stored).size).toBe(stored.length);
    expect(new Set(stored)).toEqual(new Set(expected));
    expect(shutdowns.every((s) => s.report.pending === 0)).toBe(true);
  }, 150_000);
});
