import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { onCleanup, record, sleep, tracker } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';

const MB = 1024 * 1024;

interface BodyServer {
  url: string;
  /** Bytes of body written per response, once each response closed. */
  written: number[];
}

/**
 * A real HTTP server answering every request with `status` and a body of `total` bytes (Infinity:
 * endless), written with backpressure, `chunkBytes` at a time, `everyMs` apart (0: as fast as the
 * socket drains). It records how much of each body it managed to write before the client went away.
 */
async function bodyServer(
  status: number,
  total: number,
  chunkBytes = 64 * 1024,
  everyMs = 0,
): Promise<BodyServer> {
  const written: number[] = [];
  const sockets = new Set<Socket>();
  const chunk = Buffer.alloc(chunkBytes, 'x');
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => stream(res));
  });
  function stream(res: ServerResponse): void {
    let sent = 0;
    let closed = false;
    res.on('error', () => undefined);
    res.on('close', () => {
      closed = true;
      written.push(sent);
    });
    res.writeHead(status, { 'content-type': 'application/json' });
    res.write('{"detail":"upstream overloaded ');
    const write = (): void => {
      while (!closed && sent < total) {
        sent += chunk.length;
        const more = res.write(chunk);
        if (everyMs > 0) {
          setTimeout(write, everyMs);
          return;
        }
        if (!more) {
          res.once('drain', write);
          return;
        }
      }
      if (!closed) res.end('"}');
    };
    write();
  }
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, written };
}

/** Samples RSS every 10 ms while `run` runs; returns the peak growth over the baseline, in MB. */
async function peakRssGrowth(run: () => Promise<void>): Promise<number> {
  globalThis.gc?.();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  try {
    await run();
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, process.memoryUsage.rss());
  return (peak - baseline) / MB;
}

describe('error bodies are bounded', () => {
  // Fails on the main of 2026-12-01: each 50 MB body was read whole into a string (RSS +500 MB).
  it('reads only a prefix of a 50 MB 503 body with 8 events in flight (RSS growth < 50 MB)', async () => {
    const server = await bodyServer(503, 50 * MB);
    const t = tracker({ baseUrl: server.url, concurrency: 8, retry: { retries: 0 } });
    const events = record(t);
    const growth = await peakRssGrowth(async () => {
      for (let i = 0; i < 8; i++) t.track({ meter: 'api_calls', customerId: 'acme' });
      expect((await t.flush({ timeoutMs: 20_000 })).settled).toBe(true);
    });
    console.log(`50 MB 503 bodies x 8: peak RSS growth ${growth.toFixed(1)} MB`);
    expect(events.failed).toHaveLength(8);
    for (const failed of events.failed) {
      expect(failed.status).toBe(503);
      expect(failed.reason).toBe('retries-exhausted');
      expect(failed.detail).toMatch(/^upstream overloaded x+$/);
      expect(failed.detail!.length).toBeLessThanOrEqual(1_000);
    }
    expect(growth).toBeLessThan(50);
    // The request was abandoned after the prefix: no server got to write its whole body.
    await sleep(50);
    expect(Math.max(...server.written)).toBeLessThan(50 * MB);
  });

  // Fails on the main of 2026-12-01: an endless body was buffered until the timeout (+1.6 GB).
  it('ends an attempt on an endless 502 body after its prefix, long before the timeout', async () => {
    const server = await bodyServer(502, Number.POSITIVE_INFINITY);
    const t = tracker({ baseUrl: server.url, timeoutMs: 2_000, retry: { retries: 0 } });
    const events = record(t);
    const started = Date.now();
    const growth = await peakRssGrowth(async () => {
      t.track({ meter: 'api_calls', customerId: 'acme' });
      expect((await t.flush({ timeoutMs: 10_000 })).settled).toBe(true);
    });
    const elapsed = Date.now() - started;
    console.log(`endless 502 body: ended after ${elapsed} ms, peak RSS growth ${growth.toFixed(1)} MB`);
    expect(events.failed.map((f) => f.status)).toEqual([502]);
    expect(elapsed).toBeLessThan(1_500);
    expect(growth).toBeLessThan(50);
  });

  it('ends an attempt on a 502 body that trickles forever by the per-attempt timeout', async () => {
    // 100 bytes every 50 ms never reaches the prefix: only the timeout, which covers the body, ends it.
    const server = await bodyServer(502, Number.POSITIVE_INFINITY, 100, 50);
    const t = tracker({ baseUrl: server.url, timeoutMs: 400, retry: { retries: 0 } });
    const events = record(t);
    const started = Date.now();
    t.track({ meter: 'api_calls', customerId: 'acme' });
    expect((await t.flush({ timeoutMs: 5_000 })).settled).toBe(true);
    const elapsed = Date.now() - started;
    expect(events.failed).toHaveLength(1);
    expect(events.failed[0]!.status).toBe(502);
    expect(elapsed).toBeGreaterThanOrEqual(380);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('discards a large 2xx body and counts the event delivered', async () => {
    const server = await bodyServer(201, 20 * MB);
    const t = tracker({ baseUrl: server.url });
    const events = record(t);
    const growth = await peakRssGrowth(async () => {
      t.track({ meter: 'api_calls', customerId: 'acme' });
      expect((await t.flush({ timeoutMs: 10_000 })).settled).toBe(true);
    });
    expect(events.delivered).toHaveLength(1);
    expect(growth).toBeLessThan(50);
  });
});
