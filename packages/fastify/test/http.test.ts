import { type AddressInfo, connect } from 'node:net';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fluxrate } from '../src/index.js';
import { collect, customerHeader, newApp, sleep, startFluxrate, trackerFor } from './support.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('over real HTTP on 127.0.0.1', () => {
  it('does not bill a request whose client destroyed the socket before the reply was sent', async () => {
    const fx = await startFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(fluxrate, { tracker, customer: customerHeader });
    const entered = deferred();
    const gate = deferred();
    const aborted = deferred();
    const replied = deferred();
    app.addHook('onRequestAbort', async (_request) => aborted.resolve());
    app.get('/v1/slow', { config: { billable: { meter: 'api_calls' } } }, async (request, reply) => {
      if (request.headers['x-wait']) {
        entered.resolve();
        await gate.promise;
      }
      setImmediate(() => replied.resolve());
      return reply.send('ok');
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;

    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`GET /v1/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nx-customer: acme\r\nx-wait: 1\r\n\r\n`);
    await entered.promise;
    socket.destroy();
    await aborted.promise;
    gate.resolve();
    await replied.promise;
    await sleep(20);

    // A control request on a fresh connection is billed, so the pipeline itself works.
    const ok = await fetch(`http://127.0.0.1:${port}/v1/slow`, { headers: { 'x-customer': 'globex' } });
    expect(await ok.text()).toBe('ok');
    await tracker.flush();
    expect(fx.events().map((e) => e.customer)).toEqual(['globex']);
  });

  it('does not bill a streamed reply the client disconnected from midway', async () => {
    const fx = await startFluxrate();
    const tracker = trackerFor(fx);
    const app = newApp();
    await app.register(fluxrate, { tracker, customer: customerHeader });
    const aborted = deferred();
    app.addHook('onRequestAbort', async (_request) => aborted.resolve());
    app.get('/v1/stream', { config: { billable: { meter: 'tokens' } } }, async (request, reply) => {
      let n = 0;
      const chunks = Number(request.headers['x-chunks']);
      const body = new Readable({
        read() {
          n++;
          if (n > chunks) this.push(null);
          else setTimeout(() => this.push(`token ${n}\n`), 2);
        },
      });
      request.fluxrate.addUsage('tokens', chunks);
      return reply.type('text/plain').send(body);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;

    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nx-customer: acme\r\nx-chunks: 500\r\n\r\n`);
    await new Promise((resolve) => socket.once('data', resolve));
    socket.destroy();
    await aborted.promise;
    await sleep(50);

    const ok = await fetch(`http://127.0.0.1:${port}/v1/stream`, {
      headers: { 'x-customer': 'globex', 'x-chunks': '3' },
    });
    expect(await ok.text()).toBe('token 1\ntoken 2\ntoken 3\n');
    await tracker.flush();
    expect(fx.events().map((e) => [e.customer, e.quantity])).toEqual([['globex', 3]]);
  });

  it('keeps replies intact during a Fluxrate outage and delivers every event after it ends', async () => {
    const fx = await startFluxrate();
    const tracker = trackerFor(fx);
    const retries = collect(tracker, 'retry');
    const app = newApp();
    await app.register(fluxrate, { tracker, customer: customerHeader });
    app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async () => ({ hits: 3 }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;

    await fx.suspend();
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      const res = await fetch(`http://127.0.0.1:${port}/v1/search`, { headers: { 'x-customer': 'acme' } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ hits: 3 });
      expect(Date.now() - started).toBeLessThan(500);
    }
    await sleep(50);
    expect(fx.events()).toHaveLength(0);
    expect(retries.length).toBeGreaterThan(0);

    await fx.resume();
    await tracker.flush();
    const events = fx.events();
    expect(events).toHaveLength(5);
    expect(new Set(events.map((e) => e.idempotencyKey)).size).toBe(5);
    expect(tracker.stats()).toMatchObject({ delivered: 5, failed: 0, dropped: 0 });
  });
});
