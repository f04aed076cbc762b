import { isIP } from 'node:net';
import { type ConnectionHost, type Endpoint, type Exchange, Http1Connection } from './http1-connection.js';

/** Where an origin (`http:` or `https:` URL) connects. */
export function endpointOf(origin: URL): Endpoint {
  const tls = origin.protocol === 'https:';
  const host = origin.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = origin.port === '' ? (tls ? 443 : 80) : Number(origin.port);
  return { host, port, tls, servername: tls && isIP(host) === 0 ? host : undefined };
}

/**
 * Up to `connections` keep-alive connections to one origin, the most recently used reused first (the
 * others idle out); exchanges beyond that wait in order. The cost per request is a write and a parse:
 * measured at about 60% of undici's CPU per request for this one kind of call (`bench/micro/http-client.mjs`).
 */
export class Http1Pool implements ConnectionHost {
  readonly #endpoint: Endpoint;
  readonly #max: number;
  readonly #all = new Set<Http1Connection>();
  readonly #idle: Http1Connection[] = [];
  /** Rarely used: the dispatcher keeps at most `connections` attempts in flight. */
  readonly #waiting: Exchange[] = [];
  #closing: (() => void) | undefined;
  #closed = false;

  constructor(origin: URL, connections: number) {
    this.#endpoint = endpointOf(origin);
    this.#max = connections;
  }

  request(exchange: Exchange): void {
    if (this.#closed) {
      exchange.onResponseError(new Error('the HTTP pool is closed'));
      return;
    }
    const connection = this.#idle.pop() ?? this.#open();
    if (connection === undefined) this.#waiting.push(exchange);
    else connection.send(exchange);
  }

  /** Ends an exchange early: out of the queue, or its connection closed (a request cannot be recalled). */
  cancel(exchange: Exchange): void {
    const at = this.#waiting.indexOf(exchange);
    if (at >= 0) return void this.#waiting.splice(at, 1);
    for (const connection of this.#all) {
      if (connection.carries(exchange)) return connection.destroy();
    }
  }

  released(connection: Http1Connection): void {
    if (this.#closed) return connection.end();
    const next = this.#waiting.shift();
    if (next !== undefined) connection.send(next);
    else this.#idle.push(connection);
    this.#checkClosed();
  }

  removed(connection: Http1Connection): void {
    this.#all.delete(connection);
    const at = this.#idle.indexOf(connection);
    if (at >= 0) this.#idle.splice(at, 1);
    // A waiting exchange takes the freed slot on a new connection.
    const next = this.#closed ? undefined : this.#waiting.shift();
    if (next !== undefined) this.request(next);
    this.#checkClosed();
  }

  /** Graceful: exchanges in flight finish, then every connection closes. Forced: all close now. */
  close(force: boolean): Promise<void> {
    this.#closed = true;
    for (let next = this.#waiting.shift(); next !== undefined; next = this.#waiting.shift()) {
      next.onResponseError(new Error('the HTTP pool is closed'));
    }
    for (const connection of [...this.#all]) {
      if (force) connection.destroy();
      else connection.end();
    }
    if (this.#all.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#closing = resolve;
    });
  }

  #open(): Http1Connection | undefined {
    if (this.#all.size >= this.#max) return undefined;
    const connection = new Http1Connection(this, this.#endpoint);
    this.#all.add(connection);
    return connection;
  }

  #checkClosed(): void {
    if (this.#closing !== undefined && this.#all.size === 0) {
      this.#closing();
      this.#closing = undefined;
    }
  }
}
