import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { onCleanup, record, sleep, tracker } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';

interface RawServer {
  url: string;
  connections: number;
  requests: string[];
  closedByClient: number[];
}

/**
 * A raw TCP server that reads each request whole (by Content-Length) and answers it with `answer`,
 * so a test can send what no well-behaved HTTP server would.
 */
async function rawServer(answer: (socket: Socket, n: number, server: RawServer) => void): Promise<RawServer> {
  const state: RawServer = { url: '', connections: 0, requests: [], closedByClient: [] };
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    const opened = Date.now();
    socket.on('end', () => state.closedByClient.push(Date.now() - opened));
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.toString('latin1', 0, end);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        state.requests.push(`${head}\r\n\r\n${buf.toString('utf8', end + 4, end + 4 + length)}`);
        buf = buf.subarray(end + 4 + length);
        answer(socket, state.requests.length, state);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  onCleanup(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return state;
}

const CREATED = 'HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}';

describe('the HTTP/1.1 transport', () => {
  it('writes one well-formed request per attempt and reuses one keep-alive connection', async () => {
    const server = await rawServer((socket) => socket.write(CREATED));
    const t = tracker({ baseUrl: `${server.url}/prefix`, concurrency: 1 });
    for (let i = 0; i < 20; i++) t.track({ meter: 'api_calls', customerId: `kunde-ünï-客户-${i}` });
    await t.flush({ timeoutMs: 5_000 });
    expect(t.stats()).toMatchObject({ delivered: 20, failed: 0 });
    expect(server.connections).toBe(1);
    const [first] = server.requests;
    expect(first).toMatch(/^POST \/prefix\/api\/v1\/sdk\/track HTTP\/1\.1\r\n/);
    expect(first).toContain(`\r\nhost: ${new URL(server.url).host}\r\n`);
    // The length is in bytes of UTF-8: the body parses whole, multi-byte customer and all.
    const body = JSON.parse(first!.slice(first!.indexOf('\r\n\r\n') + 4));
    expect(body.customer_external_id).toBe('kunde-ünï-客户-0');
  });

  it('closes idle connections before the server does, as its Keep-Alive: timeout says', async () => {
    const server = await rawServer((socket) =>
      socket.write(
        'HTTP/1.1 201 Created\r\nkeep-alive: timeout=2\r\nconnection: keep-alive\r\ncontent-length: 0\r\n\r\n',
      ),
    );
    const t = tracker({ baseUrl: server.url });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush({ timeoutMs: 5_000 });
    await sleep(1_600);
    expect(server.closedByClient).toHaveLength(1);
    // timeout=2 minus a 1 s margin: our side closed after about a second idle.
    expect(server.closedByClient[0]).toBeGreaterThanOrEqual(900);
    expect(server.closedByClient[0]).toBeLessThan(1_600);
  });

  it('delivers through a server that closes after every answer without saying so', async () => {
    const server = await rawServer((socket) => socket.end(CREATED));
    const t = tracker({ baseUrl: server.url, concurrency: 2 });
    for (let i = 0; i < 10; i++) t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush({ timeoutMs: 10_000 });
    expect(t.stats()).toMatchObject({ delivered: 10, failed: 0, dropped: 0 });
  });

  it('retries an answer that breaks HTTP on a fresh connection, and drops bytes nobody asked for', async () => {
    const server = await rawServer((socket, n) => {
      if (n === 1) socket.write('HTTP/9 banana\r\n\r\n');
      else if (n === 2) socket.write(`${CREATED}HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n`);
      else socket.write(CREATED);
    });
    const t = tracker({ baseUrl: server.url, concurrency: 1 });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush({ timeoutMs: 10_000 });
    expect(t.stats()).toMatchObject({ delivered: 2, failed: 0 });
    expect(events.retry).toHaveLength(1);
    // The client's own words for it (undici's llhttp: "Response does not match the HTTP/1.1 protocol").
    expect(JSON.stringify(events.retry[0])).toMatch(
      /malformed status line|does not match the HTTP\/1\.1 protocol/,
    );
    // The garbage and the unasked-for answer each cost their connection.
    expect(server.connections).toBe(3);
  });

  it('ends an attempt whose answer never completes at its timeout, then delivers on a new connection', async () => {
    const server = await rawServer((socket, n) => {
      if (n === 1) socket.write('HTTP/1.1 201 Created\r\ncontent-length: 100\r\n\r\n{"par');
      else socket.write(CREATED);
    });
    const t = tracker({ baseUrl: server.url, concurrency: 1, timeoutMs: 300 });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush({ timeoutMs: 10_000 });
    // A 2xx status had arrived: the event counts as delivered (Fluxrate stored it), the connection is dropped.
    expect(t.stats()).toMatchObject({ delivered: 1, failed: 0 });
    expect(events.retry).toHaveLength(0);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush({ timeoutMs: 10_000 });
    expect(t.stats().delivered).toBe(2);
    expect(server.connections).toBe(2);
  });

  it('never writes a header value it cannot carry: refused at construction, nothing is sent', async () => {
    let hits = 0;
    const server = createHttpServer((_req, res) => {
      hits++;
      res.writeHead(201).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const create = () =>
      tracker({
        baseUrl: url,
        transport: 'rest',
        accessToken: 'jwt.токен',
        retry: { retries: 1, minTimeout: 5, maxTimeout: 5 },
      });
    expect(create).toThrow(/accessToken/);
    expect(hits).toBe(0);
  });
});
