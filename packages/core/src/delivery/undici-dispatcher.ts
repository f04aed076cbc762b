import { type buildConnector, Client, type Dispatcher, Pool, ProxyAgent } from 'undici';
import type { NetworkConfig } from '../config/network-options.js';
import { proxyFailure } from './network-error.js';

/**
 * The connection to the proxy, through which ProxyAgent opens each tunnel (`connect()`, promise
 * form). A tunnel that fails is named as the proxy's failure, and no longer looks like a socket
 * error undici recovers from by itself: with UND_ERR_SOCKET (a proxy that closes the CONNECT
 * unanswered) undici would reconnect in a loop and hold the attempt until its timeout.
 */
class ProxyConnection extends Pool {
  override connect(options: Dispatcher.ConnectOptions): Promise<Dispatcher.ConnectData>;
  override connect(
    options: Dispatcher.ConnectOptions,
    callback: (err: Error | null, data: Dispatcher.ConnectData) => void,
  ): void;
  override connect(
    options: Dispatcher.ConnectOptions,
    callback?: (err: Error | null, data: Dispatcher.ConnectData) => void,
  ): Promise<Dispatcher.ConnectData> | undefined {
    if (callback) {
      super.connect(options, callback);
      return undefined;
    }
    return super.connect(options).catch((error: unknown) => {
      throw proxyFailure(error, new URL(String(options.origin)).origin);
    });
  }
}

export interface DispatcherConfig {
  origin: string;
  concurrency: number;
  timeoutMs: number;
  network: NetworkConfig;
}

/**
 * Clients that pipeline only over HTTP/2: undici counts a stream as a pipelined request, and with its
 * default of 1 an HTTP/2 connection would carry one attempt at a time. Once ALPN has chosen the
 * protocol, an h2 connection takes up to `streams` attempts at once (the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS still bounds it); HTTP/1.1 keeps one exchange per connection.
 */
function h2AwareClients(streams: number) {
  return (origin: URL | string, options: object): Dispatcher => {
    const connect = (options as { connect: buildConnector.connector }).connect;
    const client: Client = new Client(origin, {
      ...options,
      connect: (opts, callback) =>
        connect(opts, (error, socket) => {
          if (socket)
            client.pipelining = (socket as { alpnProtocol?: unknown }).alpnProtocol === 'h2' ? streams : 1;
          (callback as (e: Error | null, s: typeof socket) => void)(error, socket);
        }),
    } as Client.Options);
    return client;
  };
}

/** Idle keep-alive before we close our side; a server's `Keep-Alive: timeout` wins, minus this margin. */
const KEEP_ALIVE_MS = 10_000;
const KEEP_ALIVE_MARGIN_MS = 1_000;

/**
 * The tracker's own dispatcher for its one origin: a `Pool` of `concurrency` connections, or a
 * `ProxyAgent` when a proxy applies (CONNECT tunnel for https:, absolute-form requests for http:).
 * With `allowH2` (opt-in), ALPN offers h2 and http/1.1 over TLS: HTTP/2 where the server offers it,
 * attempts multiplexed, else HTTP/1.1 keep-alive. Our deadline (the transport's)
 * covers connect, headers and body; undici's own timeouts are only a backstop at twice that.
 * Never installed as undici's global dispatcher.
 */
export function createDispatcher({ origin, concurrency, timeoutMs, network }: DispatcherConfig): Dispatcher {
  const https = origin.startsWith('https:');
  const allowH2 = https && network.allowH2;
  const pool = {
    connections: concurrency,
    factory: h2AwareClients(concurrency),
    allowH2,
    keepAliveTimeout: KEEP_ALIVE_MS,
    keepAliveTimeoutThreshold: KEEP_ALIVE_MARGIN_MS,
    headersTimeout: timeoutMs * 2,
    bodyTimeout: timeoutMs * 2,
  };
  const tls = network.tls ?? {};
  if (network.proxy === undefined)
    return new Pool(origin, { ...pool, connect: { ...tls, timeout: timeoutMs } });
  return new ProxyAgent({
    ...pool,
    uri: network.proxy,
    // http: through an http proxy as absolute-form requests (what HTTP_PROXY means to curl and most clients).
    proxyTunnel: https,
    requestTls: { ...tls, allowH2, timeout: timeoutMs } as ProxyAgent.Options['requestTls'],
    proxyTls: { timeout: timeoutMs },
    clientFactory: (url, options) => new ProxyConnection(url, options),
    factory: (target, options) => new Pool(target, { ...options, ...pool }),
  });
}
