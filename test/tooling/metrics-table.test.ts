// Issue #26: core's README has one table of every metric. It is checked here against the instruments the
// code creates (tracker and Redis outbox), with their kind and unit, recorded through a MeterProvider that
// only notes each create call.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { MeterProviderLike } from '../../packages/core/src/contracts/otel.js';
import { createTracker } from '../../packages/core/src/tracker.js';
import { instrumentRedisOutbox } from '../../packages/redis/src/otel-redis.js';
import type { RedisOutbox } from '../../packages/redis/src/redis-outbox.js';

const KIND: Record<string, string> = {
  createCounter: 'counter',
  createObservableCounter: 'counter (observable)',
  createHistogram: 'histogram',
  createObservableGauge: 'gauge (observable)',
};

function recorder(): { provider: MeterProviderLike; created: string[] } {
  const created: string[] = [];
  const instrument = { add() {}, record() {}, addCallback() {} };
  const meter = Object.fromEntries(
    Object.entries(KIND).map(([method, kind]) => [
      method,
      (name: string, options?: { unit?: string }) => {
        created.push(`${name} | ${kind} | ${options?.unit ?? ''}`);
        return instrument;
      },
    ]),
  );
  const full = {
    ...meter,
    addBatchObservableCallback() {},
    removeBatchObservableCallback() {},
  } as unknown as ReturnType<MeterProviderLike['getMeter']>;
  return { provider: { getMeter: () => full }, created };
}

/** `name | kind | unit` of every row of the table under "## Metrics (OpenTelemetry)". */
function documented(): string[] {
  const file = fileURLToPath(new URL('../../packages/core/README.md', import.meta.url));
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = lines.indexOf('## Metrics (OpenTelemetry)');
  const header = lines.findIndex((l, i) => i > start && l.startsWith('| metric | kind | unit |'));
  const rows: string[] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    const [name, kind, unit] = line
      .split('|')
      .slice(1, 4)
      .map((cell) => cell.trim().replace(/`/g, ''));
    rows.push(`${name} | ${kind} | ${unit}`);
  }
  return rows;
}

describe("core README's metrics table", () => {
  it('lists exactly the instruments the tracker and the Redis outbox create, with kind and unit', () => {
    const { provider, created } = recorder();
    createTracker({ apiKey: 'org_live_x', meterProvider: provider });
    const fakeOutbox = { options: { stream: 's' } } as unknown as RedisOutbox;
    instrumentRedisOutbox(fakeOutbox, provider);
    expect(created.length).toBeGreaterThan(20);
    expect(documented().sort()).toEqual([...created].sort());
  });
});
