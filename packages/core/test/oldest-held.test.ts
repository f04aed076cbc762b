import { describe, expect, it } from 'vitest';
import type { QueuedEvent } from '../src/contracts/event.js';
import { OldestHeld } from '../src/outbox/oldest-held.js';

const at = (timestamp: number) => ({ timestamp }) as QueuedEvent;

describe('OldestHeld', () => {
  it('answers the oldest held timestamp as events come and go in any order', () => {
    const index = new OldestHeld();
    const held = new Set<QueuedEvent>();
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    expect(index.oldest()).toBeUndefined();
    for (let round = 0; round < 20_000; round++) {
      if (random() < 0.55 || held.size === 0) {
        const event = at(Math.floor(random() * 1e6));
        held.add(event);
        index.add(event);
      } else {
        const victim = [...held][Math.floor(random() * held.size)]!;
        held.delete(victim);
        index.remove(victim);
      }
      if (round % 97 === 0) {
        const min = held.size ? Math.min(...[...held].map((e) => e.timestamp)) : undefined;
        expect(index.oldest()).toBe(min);
      }
    }
  });

  it('stays bounded while the oldest event is stuck (waiting to retry) and the ones after it come and go', () => {
    const index = new OldestHeld();
    const stuck = at(1);
    index.add(stuck);
    for (let i = 0; i < 100_000; i++) {
      const event = at(1_000 + i);
      index.add(event);
      index.remove(event); // delivered: never at the top, so only a rebuild drops it
      expect(index.indexed).toBeLessThanOrEqual(2 * 1 + 1024 + 1);
    }
    expect(index.oldest()).toBe(1);
    index.remove(stuck);
    expect(index.oldest()).toBeUndefined();
  });

  it('an event added again while held (a retry going back to wait) counts once', () => {
    const index = new OldestHeld();
    const old = at(1);
    index.add(old);
    index.add(old);
    index.add(at(5));
    index.remove(old);
    expect(index.oldest()).toBe(5);
  });
});
