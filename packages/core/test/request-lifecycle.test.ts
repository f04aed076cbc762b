// The request lifecycle on raw Node servers, without a framework: the response-end cases
// jshttp/on-finished handles (keep-alive socket reuse, pipelining), HTTP/2 compat responses,
// a response that already ended, and the metered-once guard.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect as connectH2, createServer as createH2Server } from 'node:http2';
import { type AddressInfo, connect } from 'node:net';
import { onCleanup, sleep, tracker, waitFor } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { RequestLifecycle } from '../src/adapter.js';
import type { RequestOutcome } from '../src/index.js';

type Args = [IncomingMessage];

function lifecycle(options: Record<string, unknown> = {}) {
  const seen: RequestOutcome[] = [];
  const lc = new RequestLifecycle<Args>(
    {
      tracker: tracker(),
      customer: () => 'acme',
      when: (_req: IncomingMessage, outcome: RequestOutcome) => {
        seen.push(outcome);
        return false; // record only; delivery is proven elsewhere
      },
      ...options,
    },
    'test()',
  );
  return { lc, seen };
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}

describe('request lifecycle on raw Node responses', () => {
  it('reports each request once on a reused keep-alive socket and with pipelined requests', async () => {
    const { lc, seen } = lifecycle();
    const port = await listen((req, res) => {
      const metered = lc.begin(req, res, [req], { method: req.method ?? 'GET' });
      metered?.routed(req.url, lc.compile('api_calls', 'GET /x'));
      // The second pipelined response waits for the first; the first is slower on purpose.
      setTimeout(() => res.end('ok'), req.url === '/first' ? 30 : 1);
    });
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk;
    });
    const request = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
    socket.write(request('/first') + request('/second')); // pipelined
    await waitFor(() => seen.length === 2, 5_000, 'two pipelined requests');
    socket.write(request('/third')); // the same socket, reused
    await waitFor(() => seen.length === 3, 5_000, 'the reused socket');
    // `finish` means handed to the OS, not read by the client: wait for the bytes before closing.
    await waitFor(() => (received.match(/HTTP\/1.1 200/g) ?? []).length === 3, 5_000, 'the third response');
    socket.destroy();
    await sleep(20);
    expect(seen.map((o) => [o.route, o.finished, o.aborted])).toEqual([
      ['/first', true, false],
      ['/second', true, false],
      ['/third', true, false],
    ]);
    expect(received.match(/HTTP\/1.1 200/g)).toHaveLength(3);
  });

  it('reports a pipelined response the client abandoned as aborted', async () => {
    const { lc, seen } = lifecycle();
    const port = await listen((req, res) => {
      lc.begin(req, res, [req], { method: 'GET' })?.routed(req.url, lc.compile('api_calls', 'GET /x'));
      setTimeout(() => res.end('ok'), 40);
    });
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(10);
    socket.destroy();
    await waitFor(() => seen.length >= 1, 5_000, 'the aborted requests');
    await sleep(60);
    expect(seen.every((o) => o.aborted && !o.finished)).toBe(true);
  });

  it('detects finish and abort on HTTP/2 compat responses', async () => {
    const { lc, seen } = lifecycle();
    const server = createH2Server((req, res) => {
      lc.begin(req, res as never, [req as never], { method: 'GET' })?.routed(
        req.url,
        lc.compile('api_calls', 'GET /x'),
      );
      if (req.url === '/ok') res.end('ok');
      else res.write('partial'); // never ends: the client cancels the stream
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = connectH2(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    onCleanup(async () => {
      client.close();
      await new Promise((resolve) => server.close(resolve));
    });
    const ok = client.request({ ':path': '/ok' });
    ok.resume();
    await new Promise((resolve) => ok.on('end', resolve));
    const cut = client.request({ ':path': '/cut' });
    await new Promise((resolve) => cut.once('data', resolve));
    cut.close(0x8); // CANCEL
    await waitFor(() => seen.length === 2, 5_000, 'both streams');
    expect(seen.map((o) => [o.route, o.finished, o.aborted])).toEqual([
      ['/ok', true, false],
      ['/cut', false, true],
    ]);
  });

  it('meters a raw request once however many times begin() is called, and reports a response that already ended', async () => {
    const { lc, seen } = lifecycle();
    const port = await listen((req, res) => {
      res.end('done');
      res.on('finish', () => {
        const first = lc.begin(req, res, [req], { method: 'GET' });
        first?.routed('/late', lc.compile('api_calls', 'GET /late'));
        expect(lc.begin(req, res, [req], { method: 'GET' })).toBeUndefined();
        expect(RequestLifecycle.current(req)).toBe(first);
      });
    });
    await (await fetch(`http://127.0.0.1:${port}/late`)).text();
    await waitFor(() => seen.length === 1, 5_000, 'the already-finished response');
    expect(seen[0]).toMatchObject({ route: '/late', finished: true, aborted: false });
  });

  it('refuses bad holdTimeoutMs and shutdownTimeoutMs before creating a tracker', () => {
    for (const name of ['holdTimeoutMs', 'shutdownTimeoutMs']) {
      expect(() => new RequestLifecycle({ [name]: -1, apiKey: 'x', meters: {} }, 'test()')).toThrow(
        new RegExp(`\`${name}\`: must be a finite number of ms >= 0, got -1`),
      );
    }
  });
});
