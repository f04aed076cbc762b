// The Redis outbox from the installed packages, through require() and import (issue 28): a Redis that
// refuses connections at start, or restarts mid-run, loses nothing: every tracked event is stored.

import {
  type Child,
  killChildren,
  type RedisServer,
  redisSkipReason,
  sleep,
  startRedis,
} from '@fluxrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScript } from './support/child.js';
import { type Fluxrate, packagedFluxrate } from './support/local.js';
import { INSTALL_TIMEOUT_MS, packagedSkipReason } from './support/project.js';
import { redisApp } from './support/redis-app.js';
import { LOADERS, type Loader, writeApp } from './support/render.js';

const skip = packagedSkipReason() ?? redisSkipReason();
/** How the outbox gets its connection: from a redis:// URL, or the app's own ioredis client. */
type Client = 'url' | 'ioredis';
const CLIENTS: Client[] = ['url', 'ioredis'];
describe.skipIf(skip)('packaged: the Redis outbox when Redis goes away', () => {
  let project = '';
  let fx: Fluxrate;
  const servers: RedisServer[] = [];
  beforeAll(async () => ({ project, fx } = await packagedFluxrate()), INSTALL_TIMEOUT_MS);
  afterAll(async () => {
    await killChildren();
    for (const redis of servers) await redis.close();
  });

  async function start(loader: Loader, client: Client, redis: RedisServer, name: string): Promise<Child> {
    const file = writeApp(project, 'redis-outbox', loader, redisApp(loader));
    const env = { ...fx.env, REDIS_URL: redis.url, STREAM: `packaged:${name}`, CLIENT: client };
    const app = runScript(project, [file], env);
    await app.next('listening');
    return app;
  }
  async function redisServer(): Promise<RedisServer> {
    const redis = await startRedis();
    servers.push(redis);
    return redis;
  }

  describe.each(LOADERS.flatMap((loader) => CLIENTS.map((client) => [loader, client] as const)))(
    'through %s, %s',
    (loader, client) => {
      it('Redis refusing connections at start, up 2.5 s later: flush() settles and all 100 events are stored', {
        timeout: 60_000,
      }, async () => {
        const redis = await redisServer();
        await redis.stop(); // its port now refuses connections
        const customer = `redis-late-${loader}-${client}`;
        const app = await start(loader, client, redis, customer);
        await app.ask({ do: 'track', n: 100, customer });
        app.send({ do: 'flush' });
        await sleep(2_500);
        await redis.start();
        const flushed = await app.next('flush', 20_000);
        const stored = await fx.storedWhen(
          customer,
          (s) => s.events >= 100,
          flushed.settled ? 10_000 : 1_000,
        );
        expect({ settled: flushed.settled, stored }).toEqual({
          settled: true,
          stored: { events: 100, total: 100 },
        });
        expect(flushed.stats).toMatchObject({ failed: 0, dropped: 0 });
        await app.ask({ do: 'exit' });
      });

      it('Redis restarted mid-run (down 2 s, 20 events tracked meanwhile): every event is stored', {
        timeout: 60_000,
      }, async () => {
        const redis = await redisServer();
        const customer = `redis-restart-${loader}-${client}`;
        const app = await start(loader, client, redis, customer);
        await app.ask({ do: 'track', n: 10, customer });
        expect((await app.ask({ do: 'flush' })).settled).toBe(true);
        expect(await fx.storedWhen(customer, (s) => s.events >= 10)).toEqual({ events: 10, total: 10 });
        await redis.stop();
        await app.ask({ do: 'track', n: 20, customer });
        await sleep(2_000);
        await redis.start();
        const flushed = await app.ask({ do: 'flush' }, 20_000);
        const stored = await fx.storedWhen(customer, (s) => s.events >= 30, flushed.settled ? 10_000 : 1_000);
        expect({ settled: flushed.settled, stored }).toEqual({
          settled: true,
          stored: { events: 30, total: 30 },
        });
        expect(flushed.stats).toMatchObject({ failed: 0, dropped: 0 });
        await app.ask({ do: 'exit' });
      });
    },
  );
});
