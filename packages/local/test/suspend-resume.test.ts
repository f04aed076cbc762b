import { sleep, startLocal } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { event, track } from './helpers.js';

function causeCode(error: unknown): string | undefined {
  return (error as { cause?: { code?: string } }).cause?.code;
}

describe('outage switch', () => {
  it('suspend refuses connections and resume serves again on the same port, keeping the data', async () => {
    const s = await startLocal();
    expect((await track(s, event(s, { idempotency_key: 'a' }))).status).toBe(201);
    await s.suspend();
    expect(s.stats().suspended).toBe(true);
    const error = await track(s, event(s)).catch((e: unknown) => e);
    expect(causeCode(error)).toBe('ECONNREFUSED');

    await s.resume();
    expect(s.stats().suspended).toBe(false);
    const again = await track(s, event(s, { idempotency_key: 'a' }));
    expect(again.status).toBe(201);
    expect(s.events()).toHaveLength(1);
    expect(s.stats().deduplicated).toBe(1);
  });

  it('suspend drops connections that are in flight', async () => {
    const s = await startLocal({ faults: { slow: { rate: 1, ms: 500 } } });
    const pending = track(s, event(s)).catch((e: unknown) => e);
    await sleep(100);
    await s.suspend();
    expect(await pending).toBeInstanceOf(Error);
    await s.resume();
  });

  it('suspend and resume are idempotent, and close works while suspended', async () => {
    const s = await startLocal();
    expect((await track(s, event(s, { idempotency_key: 'a' }))).status).toBe(201);

    await s.suspend();
    await s.suspend();
    expect(s.stats().suspended).toBe(true);
    expect(causeCode(await track(s, event(s)).catch((e: unknown) => e))).toBe('ECONNREFUSED');

    await s.resume();
    await s.resume();
    expect(s.stats().suspended).toBe(false);
    expect((await track(s, event(s, { idempotency_key: 'b' }))).status).toBe(201);
    expect(s.events().map((e) => e.idempotencyKey)).toEqual(['a', 'b']);

    await s.suspend();
    await s.close();
    await s.resume(); // a no-op once closed: the port stays shut
    expect(causeCode(await track(s, event(s)).catch((e: unknown) => e))).toBe('ECONNREFUSED');
  });

  it('close does not wait for a slow fault to finish', async () => {
    const s = await startLocal({ faults: { slow: { rate: 1, ms: 60_000 } } });
    const pending = track(s, event(s)).catch((e: unknown) => e);
    await sleep(100);
    const t0 = Date.now();
    await s.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    await pending;
  });
});
