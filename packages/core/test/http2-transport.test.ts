import {
  constants,
  createSecureServer,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { localhostCert, onCleanup, record, tracker } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';

const cert = localhostCert();

interface H2Server {
  url: string;
  server: Http2SecureServer;
  sessions: number;
  /** Idempotency keys of the requests answered 201, in order. */
  stored: string[];
  /** The most streams open at once on one session. */
  maxOpenStreams: number;
  versions: Set<string>;
}

type Answer = (
  req: Http2ServerRequest,
  res: Http2ServerResponse,
  n: number,
  session: ServerHttp2Session,
) => boolean;

/**
 * An HTTP/2-only TLS server (ALPN h2, no HTTP/1.1 fallback). `answer` may take a request over (return
 * true); otherwise it is read whole and answered 201, its key recorded as stored.
 */
async function h2Server(answer: Answer = () => false, settings: object = {}): Promise<H2Server> {
  const state: H2Server = {
    url: '',
    server: undefined as never,
    sessions: 0,
    stored: [],
    maxOpenStreams: 0,
    versions: new Set(),
  };
  let n = 0;
  const open = new WeakMap<object, number>();
  const server = createSecureServer({ ...cert, settings }, (req, res) => {
    state.versions.add(req.httpVersion);
    // Open streams per session (one session's limit is what SETTINGS_MAX_CONCURRENT_STREAMS bounds).
    const session = req.stream.session as ServerHttp2Session;
    const now = (open.get(session) ?? 0) + 1;
    open.set(session, now);
    state.maxOpenStreams = Math.max(state.maxOpenStreams, now);
    req.stream.on('close', () => open.set(session, (open.get(session) ?? 1) - 1));
    if (answer(req, res, ++n, req.stream.session as ServerHttp2Session)) return;
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      state.stored.push(JSON.parse(body).idempotency_key);
      res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.on('session', (session) => {
    state.sessions++;
    onCleanup(async () => void session.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `https://localhost:${(server.address() as AddressInfo).port}`;
  state.server = server;
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return state;
}

const h2Tracker = (url: string, options: Record<string, unknown> = {}) =>
  tracker({ baseUrl: url, tls: { ca: cert.cert }, allowH2: true, ...options });

/** Each tracked event stored once: the tracker delivered n, the server stored n distinct keys. */
function expectEachOnce(server: H2Server, n: number): void {
  expect(new Set(server.stored).size).toBe(n);
}

describe('the transport over HTTP/2 (TLS, ALPN h2)', () => {
  it('multiplexes attempts on one HTTP/2 connection once it is up', async () => {
    const server = await h2Server();
    const t = h2Tracker(server.url);
    // Before the first connection has negotiated h2, a burst would open one connection per attempt.
    t.track({ meter: 'api_calls', customerId: 'warm-up' });
    await t.flush({ timeoutMs: 5_000 });
    for (let i = 1; i < 30; i++) t.track({ meter: 'api_calls', customerId: `kunde-客户-${i}` });
    await t.flush({ timeoutMs: 5_000 });
    expect(t.stats()).toMatchObject({ delivered: 30, failed: 0 });
    expect(server.versions).toEqual(new Set(['2.0']));
    // undici's pool opens a second connection while dispatches are still pending on the first (seen:
    // 1 or 2); before the h2-aware clients it was one connection per attempt in flight (8).
    expect(server.sessions).toBeLessThanOrEqual(2);
    // Several streams were open at once on that one session.
    expect(server.maxOpenStreams).toBeGreaterThan(1);
    expectEachOnce(server, 30);
  });

  it('retries streams cut by a GOAWAY mid-stream on a new connection, each event stored once', async () => {
    const server = await h2Server((req, res, n, session) => {
      if (n !== 3) return false;
      // Headers out, body half sent, then GOAWAY for every stream from this one on and the session closed.
      req.resume();
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"par');
      session.goaway(constants.NGHTTP2_INTERNAL_ERROR, req.stream.id! - 2);
      setTimeout(() => session.destroy(), 20);
      return true;
    });
    const t = h2Tracker(server.url, { concurrency: 4 });
    for (let i = 0; i < 12; i++) t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush({ timeoutMs: 10_000 });
    expect(t.stats()).toMatchObject({ delivered: 12, failed: 0, dropped: 0 });
    expect(server.sessions).toBeGreaterThanOrEqual(2);
    expectEachOnce(server, server.stored.length);
    expect(server.stored.length).toBeGreaterThanOrEqual(11);
  });

  it('retries a stream reset by the server (RST_STREAM) and delivers', async () => {
    const server = await h2Server((req, _res, n) => {
      if (n > 2) return false;
      req.stream.close(n === 1 ? constants.NGHTTP2_REFUSED_STREAM : constants.NGHTTP2_INTERNAL_ERROR);
      return true;
    });
    const t = h2Tracker(server.url, { concurrency: 1 });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush({ timeoutMs: 10_000 });
    expect(t.stats()).toMatchObject({ delivered: 1, failed: 0 });
    expect(events.retry).toHaveLength(2);
    expect(server.stored).toHaveLength(1);
  });

  it('keeps to a server stream limit of 1 and still delivers everything', async () => {
    const server = await h2Server(() => false, { maxConcurrentStreams: 1 });
    const t = h2Tracker(server.url, { concurrency: 8 });
    for (let i = 0; i < 20; i++) t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush({ timeoutMs: 10_000 });
    expect(t.stats()).toMatchObject({ delivered: 20, failed: 0 });
    expect(server.maxOpenStreams).toBe(1);
    expectEachOnce(server, 20);
  });

  it('ends attempts on a connection that never sends SETTINGS at their timeout, then delivers on a fresh one', async () => {
    const h2 = await h2Server();
    const hung: TLSSocket[] = [];
    // In front of the HTTP/2 server: the first connection negotiates h2 and then says nothing at all.
    const front = createTlsServer({ ...cert, ALPNProtocols: ['h2'] }, (socket) => {
      if (hung.length === 0) hung.push(socket.on('error', () => undefined));
      else h2.server.emit('secureConnection', socket);
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    onCleanup(async () => {
      for (const s of hung) s.destroy();
      await new Promise((resolve) => front.close(resolve));
    });
    const t = h2Tracker(`https://localhost:${(front.address() as AddressInfo).port}`, { timeoutMs: 300 });
    const events = record(t);
    t.track({ meter: 'api_calls', customerId: 'acme' });
    await t.flush({ timeoutMs: 10_000 });
    expect(t.stats()).toMatchObject({ delivered: 1, failed: 0 });
    expect(JSON.stringify(events.retry[0])).toContain('timeout after 300 ms');
    expect(hung).toHaveLength(1);
    expect(h2.stored).toHaveLength(1);
  });
});
