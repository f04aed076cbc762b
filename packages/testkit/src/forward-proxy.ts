import { createServer, request } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { onCleanup } from './cleanup.js';

/**
 * What the proxy does: forward (`ok`), answer 407 to everything, or accept the connection and close
 * it without an answer (`drop`). `drop-after-connect` answers a CONNECT with 200 and then closes.
 */
export type ProxyMode = 'ok' | '407' | 'drop' | 'drop-after-connect';

export interface ForwardProxy {
  url: string;
  mode: ProxyMode;
  /** `host:port` of every CONNECT (https: through a tunnel). */
  tunnels: string[];
  /** The absolute-form target of every forwarded plain request (http:). */
  forwarded: string[];
  /** `proxy-authorization` headers seen (CONNECT and plain). */
  auth: (string | undefined)[];
}

const REFUSED =
  'HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic realm="test"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n';

/**
 * A forward proxy on 127.0.0.1, as corporate egress proxies work: CONNECT opens a TCP tunnel (https:),
 * an absolute-form request (`POST http://host:port/path`) is forwarded (http:). Closed after the test.
 */
export async function startForwardProxy(mode: ProxyMode = 'ok'): Promise<ForwardProxy> {
  const state: ForwardProxy = { url: '', mode, tunnels: [], forwarded: [], auth: [] };
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    state.auth.push(req.headers['proxy-authorization']);
    if (state.mode === '407')
      return void res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end();
    if (state.mode !== 'ok') return void req.socket.destroy();
    state.forwarded.push(req.url ?? '');
    const target = new URL(req.url ?? '');
    const { 'proxy-authorization': _auth, 'proxy-connection': _pc, ...headers } = req.headers;
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: `${target.pathname}${target.search}`,
        headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('connect', (req, socket: Socket, head: Buffer) => {
    state.tunnels.push(req.url ?? '');
    state.auth.push(req.headers['proxy-authorization']);
    socket.on('error', () => undefined);
    if (state.mode === '407') return void socket.end(REFUSED);
    if (state.mode === 'drop') return void socket.destroy();
    if (state.mode === 'drop-after-connect')
      return void socket.end('HTTP/1.1 200 Connection Established\r\n\r\n');
    const [host, port] = (req.url ?? '').split(/:(?=\d+$)/);
    const upstream = connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  onCleanup(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return state;
}

/** Sets proxy variables for the current test (both spellings cleared first), restored after it. */
export function proxyEnv(vars: Record<string, string>): void {
  const names = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY'];
  const saved = names.map((name) => [name, process.env[name]] as const);
  for (const name of names) delete process.env[name];
  Object.assign(process.env, vars);
  onCleanup(async () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}
