import { FluxrateConfigError } from '@fluxrate/core';
import {
  outboxEvent,
  RecordingHost,
  redisSkipReason,
  sleep,
  startRedis,
  useRedis,
  waitFor,
} from '@fluxrate/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisOutbox, redisOutbox } from '../src/index.js';

const skip = redisSkipReason();

describe.skipIf(skip)('redisOutbox against a real redis-server, beyond the contract', () => {
  const redis = useRedis();
  let admin: Redis;
  const open: RedisOutbox[] = [];
  let n = 0;
  const stream = () => `test:${++n}`;

  beforeAll(() => {
    admin = new Redis(redis.server.url);
  });
  afterEach(async () => {
    for (const outbox of open.splice(0)) await outbox.close().catch(() => undefined);
  });
  afterAll(async () => {
    admin?.disconnect();
  });

  const make = (options: Partial<Parameters<typeof redisOutbox>[0]> & { stream: string }) => {
    const outbox = redisOutbox({ redis: redis.server.url, claimIdleMs: 60_000, ...options });
    open.push(outbox);
    const host = new RecordingHost();
    outbox.open(host);
    return { outbox, host };
  };
  const evalCalls = async () => {
    const info = await admin.info('commandstats');
    const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
    return calls('evalsha') + calls('eval');
  };

  it('appends the events of one turn as one batch, counting them in size until Redis confirms', async () => {
    const key = stream();
    const { outbox, host } = make({ stream: key, consume: false });
    await waitFor(async () => (await admin.exists(key)) >= 0, 10_000);
    const before = await evalCalls();
    const events = Array.from({ length: 200 }, () => outboxEvent());
    for (const e of events) outbox.append(e);
    // Synchronous: nothing written yet, everything counted.
    expect(outbox.size).toBe(200);
    expect(host.handed).toHaveLength(0);
    await waitFor(() => host.handed.length === 200, 10_000);
    expect(outbox.size).toBe(0);
    expect(await admin.xlen(key)).toBe(200);
    // One script call for the whole turn (the first may be an EVALSHA miss then EVAL: at most 2).
    const calls = (await evalCalls()) - before;
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThanOrEqual(2);
    // Stored with the key fixed at admission.
    const [first] = await admin.xrange(key, '-', '+', 'COUNT', 1);
    const stored = JSON.parse(first![1][1]!);
    expect(stored).toContain(events[0]!.idempotencyKey);
    expect(stored).toContain(events[0]!.body);
  });

  it('delivers entries another process appended: revived as not own, acked and deleted on delivered', async () => {
    const key = stream();
    const producer = make({ stream: key, consume: false });
    const consumer = make({ stream: key });
    for (let i = 0; i < 20; i++) producer.outbox.append(outboxEvent('acme', i + 1));
    await waitFor(() => consumer.outbox.size === 20, 10_000);
    expect(consumer.host.wakes).toBeGreaterThan(0);
    expect(consumer.host.revived.every((r) => r.own === false)).toBe(true);
    const leased = consumer.outbox.lease(100, Date.now());
    expect(leased).toHaveLength(20);
    // Leased events are not handed out again.
    expect(consumer.outbox.lease(100, Date.now())).toHaveLength(0);
    expect(leased.map((e) => e.quantity).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    for (const e of leased) consumer.outbox.settle(e, { kind: 'delivered' });
    expect(consumer.outbox.size).toBe(0);
    await waitFor(async () => (await admin.xlen(key)) === 0, 10_000);
    const stats = await consumer.outbox.stats();
    expect(stats).toMatchObject({ streamLength: 0, pending: 0, acked: 20, read: 20 });
  });

  // Due times and leases of a retry are the contract's (outbox-contract.test.ts); this is where it waits.
  it('keeps a retried entry pending in the stream until it is settled', async () => {
    const key = stream();
    const { outbox } = make({ stream: key });
    outbox.append(outboxEvent());
    await waitFor(async () => (await outbox.stats()).held === 1, 10_000);
    const [e] = outbox.lease(1, Date.now());
    const at = Date.now() + 300;
    outbox.settle(e!, { kind: 'retry', at });
    expect((await outbox.stats()).pending).toBe(1);
    expect(outbox.lease(10, at)).toEqual([e]);
    outbox.settle(e!, { kind: 'failed' });
    await waitFor(async () => (await admin.xlen(key)) === 0, 10_000);
  });

  it('takes over entries left pending on a dead consumer after claimIdleMs, and never live ones', async () => {
    const key = stream();
    const producer = make({ stream: key, consume: false });
    for (let i = 0; i < 10; i++) producer.outbox.append(outboxEvent());
    await waitFor(() => producer.host.handed.length === 10, 10_000);
    // A consumer that reads five entries and dies without acking.
    await admin.xgroup('CREATE', key, 'fluxrate', '0', 'MKSTREAM').catch(() => undefined);
    await admin.call('XREADGROUP', 'GROUP', 'fluxrate', 'dead-one', 'COUNT', '5', 'STREAMS', key, '>');
    // A live consumer holding the other five while they wait to retry (longer than claimIdleMs).
    const live = make({ stream: key, claimIdleMs: 400 });
    await waitFor(() => live.outbox.size >= 5, 10_000);
    const retried = live.outbox.lease(5, Date.now());
    for (const e of retried) live.outbox.settle(e, { kind: 'retry', at: Date.now() + 60_000 });
    const taker = make({ stream: key, claimIdleMs: 400 });
    // The dead consumer's five are taken over (by the live consumer or the taker)...
    await waitFor(async () => {
      const dead = (await admin.call('XPENDING', key, 'fluxrate', '-', '+', '10', 'dead-one')) as unknown[];
      return dead.length === 0 && live.outbox.size + taker.outbox.size === 10;
    }, 10_000);
    await sleep(1_000); // several more claim rounds
    // ...and the live consumer's retried five are never taken from it.
    expect(live.outbox.size + taker.outbox.size).toBe(10);
    expect(live.outbox.lease(10, Date.now() + 60_000)).toEqual(expect.arrayContaining(retried));
    const claimed = (await live.outbox.stats()).claimed + (await taker.outbox.stats()).claimed;
    expect(claimed).toBe(5);
  });

  it('keeps accepting while Redis is unreachable and appends when it returns, reporting the fault', async () => {
    const down = await startRedis();
    await down.stop();
    const outbox = redisOutbox({ redis: down.url, stream: 'down', consume: false });
    open.push(outbox);
    const host = new RecordingHost();
    outbox.open(host);
    try {
      for (let i = 0; i < 50; i++) outbox.append(outboxEvent());
      await waitFor(() => host.faultKinds().includes('redis-append'), 10_000);
      for (let i = 0; i < 50; i++) outbox.append(outboxEvent());
      expect(outbox.size).toBe(100);
      expect(host.handed).toHaveLength(0);
      expect(host.faultKinds()).toContain('redis-append');
      await down.start();
      await waitFor(() => host.handed.length === 100, 15_000);
      expect(outbox.size).toBe(0);
      const check = new Redis(down.url);
      expect(await check.xlen('down')).toBe(100);
      check.disconnect();
    } finally {
      await outbox.close();
      await down.close();
    }
  });

  it('refuses appends beyond maxLen as overflow, counted and handed to host.dropped', async () => {
    const key = stream();
    const { outbox, host } = make({ stream: key, consume: false, maxLen: 10 });
    for (let i = 0; i < 15; i++) outbox.append(outboxEvent());
    await waitFor(() => host.handed.length + host.droppedEvents.length === 15, 10_000);
    expect(host.handed).toHaveLength(10);
    expect(host.droppedEvents).toHaveLength(5);
    expect(host.faultKinds()).toEqual(['redis-overflow']);
    expect(await admin.xlen(key)).toBe(10);
    expect((await outbox.stats()).overflow).toBe(5);
  });

  it('loses nothing confirmed when Redis is killed and restarted (AOF, appendfsync always)', async () => {
    const key = stream();
    const { outbox, host } = make({ stream: key, consume: false });
    for (let i = 0; i < 500; i++) outbox.append(outboxEvent());
    await waitFor(() => host.handed.length === 500, 10_000);
    await redis.server.stop(true); // SIGKILL: no shutdown save
    for (let i = 0; i < 100; i++) outbox.append(outboxEvent()); // accepted while Redis is down
    await redis.server.start();
    await waitFor(() => host.handed.length === 600, 15_000);
    const check = new Redis(redis.server.url);
    expect(await check.xlen(key)).toBe(600);
    check.disconnect();
  });

  it('hands back held entries on close, so another consumer takes them at once', async () => {
    const key = stream();
    const producer = make({ stream: key, consume: false });
    for (let i = 0; i < 8; i++) producer.outbox.append(outboxEvent());
    const first = make({ stream: key, claimIdleMs: 60_000 });
    await waitFor(() => first.outbox.size === 8, 10_000);
    await first.outbox.close();
    const second = make({ stream: key, claimIdleMs: 60_000 });
    await waitFor(() => second.outbox.size === 8, 5_000);
    expect((await second.outbox.stats()).claimed).toBe(8);
  });

  it('dead-letters an entry that is not a Fluxrate event through host.corrupt and removes it', async () => {
    const key = stream();
    await admin.xadd(key, '*', 'something', 'else');
    const { outbox, host } = make({ stream: key });
    await waitFor(() => host.corrupted.length === 1, 10_000);
    expect(JSON.parse(host.corrupted[0]!)).toMatchObject({ stream: key, fields: ['something', 'else'] });
    expect(outbox.size).toBe(0);
    await waitFor(async () => (await admin.xlen(key)) === 0, 10_000);
  });

  it('names the option at fault', () => {
    expect(() => redisOutbox({ redis: 'http://x' })).toThrow(FluxrateConfigError);
    expect(() => redisOutbox({ redis: redis.server.url, maxLen: 0 })).toThrow(/redisOutbox\.maxLen/);
    expect(() => redisOutbox({ redis: redis.server.url, consume: 'no' as never })).toThrow(
      /redisOutbox\.consume/,
    );
    expect(() => redisOutbox({} as never)).toThrow(/redisOutbox\.redis/);
  });
});

describe.skipIf(skip)('redisOutbox with an ioredis 5 client (RESP2 replies)', () => {
  it('appends, reads, retries and settles through a caller-owned ioredis 5 connection', async () => {
    const { Redis: Redis5 } = await import('ioredis5');
    const server = await startRedis();
    const client = new Redis5(server.url);
    const producer = redisOutbox({ redis: client as never, stream: 'v5', consume: false });
    const consumer = redisOutbox({ redis: client as never, stream: 'v5', claimIdleMs: 60_000 });
    const [ph, ch] = [new RecordingHost(), new RecordingHost()];
    try {
      producer.open(ph);
      consumer.open(ch);
      for (let i = 0; i < 30; i++) producer.append(outboxEvent('v5', i + 1));
      await waitFor(() => ph.handed.length === 30 && consumer.size === 30, 10_000);
      const leased = consumer.lease(30, Date.now());
      expect(leased.map((e) => e.quantity).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 30 }, (_, i) => i + 1),
      );
      for (const e of leased) consumer.settle(e, { kind: 'delivered' });
      await waitFor(async () => (await consumer.stats()).streamLength === 0, 10_000);
      expect(await consumer.stats()).toMatchObject({ pending: 0, acked: 30 });
    } finally {
      await producer.close();
      await consumer.close();
      // The caller's client stays open (the outbox only closes what it created): the caller quits it.
      expect(client.status).toBe('ready');
      client.disconnect();
      await server.close();
    }
  });
});
