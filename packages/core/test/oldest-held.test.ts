import { describe, expect, it } from 'vitest';
import type { QueuedEvent } from '../src/event.js';
import { OldestHeld } from '../src/oldest-held.js';

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
