import { outboxEvent, type RedisServer, redisSkipReason, startRedis } from '@fluxrate/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEntry, encodeEvent } from '../src/codec.js';
import { scriptRunner } from '../src/script-runner.js';
import { AGGREGATE_SCRIPT } from '../src/scripts.js';

const skip = redisSkipReason();
const runAggregate = scriptRunner(AGGREGATE_SCRIPT);
const GROUP = 'g';

describe('the stream entry carries the aggregation flag', () => {
  it('marks events with keys unique by construction with their meter aggregation, and nothing else', () => {
    const generated = outboxEvent();
    expect(decodeEntry(['e', encodeEvent(generated)])!.aggregation).toBe('SUM');
    const callerKey = { ...outboxEvent(), unique: false };
    expect(decodeEntry(['e', encodeEvent(callerKey)])!.aggregation).toBeUndefined();
    const appAggregate = { ...outboxEvent(), idempotencyKey: 'agg_0123456789abc_1700000000000_0_x' };
    expect(decodeEntry(['e', encodeEvent(appAggregate)])!.aggregation).toBeUndefined();
    // The forwarder's own aggregates are written with the flag off.
    expect(decodeEntry(['e', encodeEvent(outboxEvent(), false)])!.aggregation).toBeUndefined();
    const max = outboxEvent();
    max.meter = { ...max.meter, aggregation: 'MAX' };
    expect(decodeEntry(['e', encodeEvent(max)])!.aggregation).toBe('MAX');
  });

  it('reads entries written before the flag (8 values) as not aggregatable', () => {
    const e = outboxEvent('acme', 3);
    const old = JSON.stringify([
      e.meter.name,
      e.meter.token,
      e.customerId,
      e.quantity,
      e.timestamp,
      e.idempotencyKey,
      null,
      e.body,
    ]);
    const decoded = decodeEntry(['e', old])!;
    expect(decoded.stored).toMatchObject({
      customerId: 'acme',
      quantity: 3,
      idempotencyKey: e.idempotencyKey,
    });
    expect(decoded.body).toBe(e.body);
    expect(decoded.aggregation).toBeUndefined();
    // An unknown flag (a later version) is not merged either.
    const later = JSON.stringify([...JSON.parse(old), 'MEDIAN']);
    expect(decodeEntry(['e', later])!.aggregation).toBeUndefined();
  });
});

describe.skipIf(skip)('AGGREGATE_SCRIPT against a real redis-server', () => {
  let server: RedisServer;
  let admin: Redis;
  let n = 0;

  beforeAll(async () => {
    server = await startRedis();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.close();
  });

  /** A stream with `count` entries, all read (pending) by consumer `c1`. */
  const pendingInputs = async (count: number) => {
    const stream = `agg:${++n}`;
    await admin.call('XGROUP', 'CREATE', stream, GROUP, '0', 'MKSTREAM');
    const ids: string[] = [];
    for (let i = 0; i < count; i += 500) {
      const pipe = admin.pipeline();
      for (let j = i; j < Math.min(count, i + 500); j++)
        pipe.xadd(stream, '*', 'e', encodeEvent(outboxEvent()));
      for (const [, id] of (await pipe.exec())!) ids.push(id as string);
    }
    await admin.call('XREADGROUP', 'GROUP', GROUP, 'c1', 'COUNT', String(count), 'STREAMS', stream, '>');
    return { stream, ids };
  };
  const args = (consumer: string, aggregates: string[], ids: string[]) => [
    GROUP,
    consumer,
    '1000000000',
    String(aggregates.length),
    ...aggregates,
    ...ids,
  ];
  const aggregates = () => [
    encodeEvent(outboxEvent('acme', 7), false),
    encodeEvent(outboxEvent('beta', 2), false),
  ];
  const pendingOf = async (stream: string, consumer: string) =>
    ((await admin.call('XPENDING', stream, GROUP, '-', '+', '100000', consumer)) as unknown[]).length;
  /** The invariant: the inputs are gone iff the aggregates are present. */
  const state = async (stream: string, ids: string[]) => {
    const entries = await admin.xrange(stream, '-', '+');
    const present = new Set(entries.map(([id]) => id));
    const inputs = ids.filter((id) => present.has(id)).length;
    const written = entries.filter(([, fields]) => decodeEntry(fields)!.aggregation === undefined);
    return { inputs, aggregates: written.length, length: entries.length };
  };

  it('writes the aggregates and acks+deletes every input in one step', async () => {
    const { stream, ids } = await pendingInputs(5);
    const reply = (await runAggregate(admin, stream, args('c1', aggregates(), ids))) as unknown[];
    expect(reply[0]).toBe(1);
    expect(reply.slice(1)).toHaveLength(2);
    expect(await state(stream, ids)).toEqual({ inputs: 0, aggregates: 2, length: 2 });
    expect(await pendingOf(stream, 'c1')).toBe(0);
    // The aggregates are new, unread entries: any consumer of the group delivers them.
    const read = (await admin.call('XREADGROUP', 'GROUP', GROUP, 'c9', 'STREAMS', stream, '>')) as unknown[];
    expect(JSON.stringify(read)).toContain(String(reply[1]));
  });

  it('is idempotent: a retried call (its reply lost) writes nothing more', async () => {
    const { stream, ids } = await pendingInputs(5);
    const same = args('c1', aggregates(), ids);
    await runAggregate(admin, stream, same);
    const again = (await runAggregate(admin, stream, same)) as unknown[];
    expect(again).toEqual([0, 5, 0]);
    expect(await state(stream, ids)).toEqual({ inputs: 0, aggregates: 2, length: 2 });
  });

  it('writes nothing when an input was taken over, and hands the rest back for anyone to aggregate again', async () => {
    const { stream, ids } = await pendingInputs(6);
    await admin.call('XCLAIM', stream, GROUP, 'c2', '0', ids[2]!, 'JUSTID');
    const reply = (await runAggregate(admin, stream, args('c1', aggregates(), ids))) as unknown[];
    expect(reply).toEqual([0, 1, 5]);
    expect(await state(stream, ids)).toEqual({ inputs: 6, aggregates: 0, length: 6 });
    // Handed back: idle far beyond any claimIdleMs, so the next XAUTOCLAIM of any consumer takes them.
    const claim = (await admin.call('XAUTOCLAIM', stream, GROUP, 'c3', '60000', '0-0', 'COUNT', '100')) as [
      string,
      [string, string[]][],
    ];
    expect(claim[1].map(([id]) => id).sort()).toEqual(ids.filter((_, i) => i !== 2).sort());
  });

  it('writes nothing when an input was already settled elsewhere (acked and deleted)', async () => {
    const { stream, ids } = await pendingInputs(4);
    await admin.call('XACK', stream, GROUP, ids[0]!);
    await admin.call('XDEL', stream, ids[0]!);
    const reply = (await runAggregate(admin, stream, args('c1', aggregates(), ids))) as unknown[];
    expect(reply).toEqual([0, 1, 3]);
    expect(await state(stream, ids)).toEqual({ inputs: 3, aggregates: 0, length: 3 });
  });

  it('closes a window of 3 000 inputs (past Lua unpack limits) in one call', async () => {
    const { stream, ids } = await pendingInputs(3_000);
    const reply = (await runAggregate(admin, stream, args('c1', aggregates(), ids))) as unknown[];
    expect(reply[0]).toBe(1);
    expect(await state(stream, ids)).toEqual({ inputs: 0, aggregates: 2, length: 2 });
    expect(await pendingOf(stream, 'c1')).toBe(0);
  });
});
