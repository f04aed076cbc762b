import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  API_KEY,
  captureWarnings,
  record,
  runNode,
  scripted,
  sleep,
  TOKEN,
  tracker,
} from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { type Logger } from '../src/index.js';

const DIST = join(import.meta.dirname, '../dist/index.js');

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

/** The FLUXRATE_ warnings raised during the current test (captured, not printed). */
const capturedWarnings = () => captureWarnings().all;

const settle = () => sleep(20);

describe('a throwing logger never breaks billing', () => {
  // Fails on the main of 2026-12-01: the overflow warning threw out of track() into the caller.
  it('track() does not throw on overflow when the logger throws', async () => {
    const warnings = capturedWarnings();
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
    const warnings = capturedWarnings();
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

  // Fails on the main of 2026-12-01: the logger's throw became an unhandled rejection and the process exited 1.
  it('a process whose logger throws survives a 422 and exits 0 after flush() (the built package)', async () => {
    expect(existsSync(DIST), `${DIST} missing: run \`pnpm build\` first`).toBe(true);
    const server = await scripted([{ status: 422, body: { detail: 'quantity must be > 0' } }]);
    const script = `
      const { createTracker } = await import(${JSON.stringify(pathToFileURL(DIST).href)});
      const boom = () => { throw new Error('logger stream closed'); };
      const t = createTracker({ apiKey: ${JSON.stringify(API_KEY)}, baseUrl: ${JSON.stringify(server.url)},
        meters: { api_calls: ${JSON.stringify(TOKEN)} }, logger: { debug: boom, info: boom, warn: boom, error: boom } });
      for (let i = 0; i < 3; i++) t.track({ meter: 'api_calls', customerId: 'acme' });
      const flushed = await t.flush({ timeoutMs: 5000 });
      await t.shutdown();
      console.log(JSON.stringify({ settled: flushed.settled, failed: t.stats().failed }));
    `;
    const { code, stdout, stderr } = await runNode(['--input-type=module', '-e', script]);
    expect({ code, stderr: stderr.includes('FLUXRATE_LOGGER_THREW') }).toEqual({ code: 0, stderr: true });
    expect(JSON.parse(stdout)).toEqual({ settled: true, failed: 3 });
  });
});
