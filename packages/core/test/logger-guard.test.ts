import { describe, expect, it } from 'vitest';
import { type Logger } from '../src/index.js';
import { onCleanup, record, scripted, tracker } from './support/helpers.js';

/** A logger whose every method throws, as a misconfigured transport or a closed stream would. */
function throwingLogger(): Logger & { calls: number } {
  const logger = {
    calls: 0,
    debug() {
      logger.calls++;
      throw new Error('logger stream closed');
    },
    info() {
      logger.calls++;
      throw new Error('logger stream closed');
    },
    warn() {
      logger.calls++;
      throw new Error('logger stream closed');
    },
    error() {
      logger.calls++;
      throw new Error('logger stream closed');
    },
  };
  return logger;
}

function captureWarnings(): Error[] {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  onCleanup(async () => void process.off('warning', onWarning));
  return warnings;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('a throwing logger never breaks billing', () => {
  // Fails on the main of 2026-12-01: the overflow warning threw out of track() into the caller.
  it('track() does not throw on overflow when the logger throws', async () => {
    const warnings = captureWarnings();
    const logger = throwingLogger();
    const t = tracker({ logger, maxQueueSize: 1 });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    expect(() => t.track({ meter: 'api_calls', customerId: 'acme' })).not.toThrow();
    expect(logger.calls).toBeGreaterThan(0);
    expect(events.dropped).toHaveLength(1);
    expect(t.stats().dropped).toBe(1);
    await settle();
    expect(warnings.filter((w) => (w as { code?: string }).code === 'FLUXRATE_LOGGER_THREW')).toHaveLength(1);
  });

  // Fails on the main of 2026-12-01: the throw escaped the attempt's settlement (an unhandled
  // rejection, which exits the process), `failed` was never emitted and flush() never settled.
  it('a rejected (422) delivery is counted, emitted and settles flush() when the logger throws', async () => {
    const warnings = captureWarnings();
    const server = await scripted([{ status: 422, body: { detail: 'quantity must be > 0' } }]);
    const logger = throwingLogger();
    const t = tracker({ baseUrl: server.url, logger });
    const events = record(t);
    for (let i = 0; i < 3; i++) t.track({ meter: 'api_calls', customerId: 'acme' });
    const result = await t.flush({ timeoutMs: 3_000 });
    expect(result.settled).toBe(true);
    expect(events.failed.map((e) => e.status)).toEqual([422, 422, 422]);
    expect(t.stats().failed).toBe(3);
    await settle();
    const mine = warnings.filter((w) => (w as { code?: string }).code === 'FLUXRATE_LOGGER_THREW');
    expect(mine).toHaveLength(1);
    expect(mine[0]!.message).toContain('logger stream closed');
  });

  it('keeps `this` for logger methods defined on a prototype (pino-style)', async () => {
    class ProtoLogger {
      readonly lines: string[] = [];
      warn(_obj: unknown, msg?: string) {
        this.lines.push(msg ?? '');
      }
    }
    const logger = new ProtoLogger();
    const t = tracker({ logger, maxQueueSize: 1 });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    expect(logger.lines).toEqual(['fluxrate: usage event dropped']);
  });
});
