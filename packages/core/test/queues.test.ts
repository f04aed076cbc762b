import { describe, expect, it } from 'vitest';
import { MemoryOutbox } from '../src/outbox/outbox-memory.js';
import { AggregationStage } from '../src/pipeline/aggregation.js';
import { Fifo } from '../src/support/fifo.js';
import { MinHeap } from '../src/support/min-heap.js';
import { queuedEvent } from './support/queued-event.js';

const event = queuedEvent;

describe('Fifo', () => {
  it('keeps order across growth and wrap-around', () => {
    const q = new Fifo<number>();
    for (let i = 0; i < 1_000; i++) q.push(i);
    for (let i = 0; i < 600; i++) expect(q.shift()).toBe(i);
    for (let i = 1_000; i < 3_000; i++) q.push(i); // wraps, then grows past 1024
    expect(q.size).toBe(2_400);
    expect(q.drain()).toEqual(Array.from({ length: 2_400 }, (_, i) => i + 600));
    expect(q.shift()).toBeUndefined();
    expect(q.size).toBe(0);
  });
});

describe('MinHeap', () => {
  it('pops in key order whatever the push order, with duplicates', () => {
    const heap = new MinHeap<number>((n) => n);
    const values = Array.from({ length: 500 }, (_, i) => (i * 7919) % 101);
    for (const v of values) heap.push(v);
    const out: number[] = [];
    for (let v = heap.pop(); v !== undefined; v = heap.pop()) out.push(v);
    expect(out).toEqual([...values].sort((a, b) => a - b));
    expect(heap.peek()).toBeUndefined();
  });
});

describe('MemoryOutbox', () => {
  it('leases due retries before fresh events, and holds back retries not yet due', () => {
    const box = new MemoryOutbox();
    box.append(event('fresh1'));
    box.append(event('fresh2'));
    box.append(event('later', 2_000));
    box.append(event('due', 500));
    expect(box.size).toBe(4);
    expect(box.lease(10, 1_000).map((e) => e.idempotencyKey)).toEqual(['due', 'fresh1', 'fresh2']);
    expect(box.nextDueAt()).toBe(2_000);
    expect(box.size).toBe(4); // leased events still count against the bound
  });

  it('makes a retried event due again at its time and forgets settled ones', () => {
    const box = new MemoryOutbox();
    box.append(event('a'));
    box.append(event('b'));
    const [a, b] = box.lease(2, 0);
    box.settle(a!, { kind: 'retry', at: 300 });
    box.settle(b!, { kind: 'delivered' });
    expect(box.size).toBe(1);
    expect(box.lease(1, 299)).toEqual([]);
    expect(box.lease(1, 300).map((e) => e.idempotencyKey)).toEqual(['a']);
  });

  it('brings far retries forward on hasten and hands back everything unleased on evict', () => {
    const box = new MemoryOutbox();
    box.append(event('soon', 100));
    box.append(event('far', 30_000));
    box.append(event('fresh'));
    box.hasten(200);
    expect(box.nextDueAt()).toBe(100);
    expect(box.lease(5, 200).map((e) => e.idempotencyKey)).toEqual(['soon', 'far', 'fresh']);
    const box2 = new MemoryOutbox();
    box2.append(event('x'));
    box2.append(event('y', 5));
    expect(
      box2
        .evict()
        .map((e) => e.idempotencyKey)
        .sort(),
    ).toEqual(['x', 'y']);
    expect(box2.size).toBe(0);
  });
});

describe('AggregationStage', () => {
  // Found by the SIGKILL test on Node 24: inputs recovered from the spool arrive with their bodies built,
  // and the aggregate copied the first input's body (its key, quantity 1) instead of getting its own.
  it("never sends an input's body as the aggregate's (recovered inputs arrive with one)", () => {
    const outbox = new MemoryOutbox();
    const stage = new AggregationStage(60_000, outbox, () => undefined);
    for (const key of ['in1', 'in2', 'in3']) stage.add(event(key), true);
    stage.closeAll();
    const [aggregate] = outbox.lease(5, Date.now());
    expect(aggregate).toMatchObject({ quantity: 3, body: '' });
    expect(aggregate!.idempotencyKey).toMatch(/^agg_/);
  });
});
