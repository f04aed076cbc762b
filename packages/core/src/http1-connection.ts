import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ProtocolError, type ResponseHead, ResponseParser } from './http1-response-parser.js';

/** One request on the wire and the receiver of its response. */
export interface Exchange {
  /** The whole request: an ASCII head and a UTF-8 body. */
  readonly request: string;
  onResponseStart(status: number, retryAfter: string | undefined, contentEncoding?: string): void;
  /** A body chunk; `false` stops reading here (the connection is then closed). */
  onResponseData(chunk: Buffer): boolean;
  onResponseEnd(): void;
  onResponseError(error: Error): void;
}

export interface Endpoint {
  /** For `net.connect` (an IPv6 literal without brackets). */
  host: string;
  port: number;
  tls: boolean;
  /** SNI name: the host when it is not an IP literal. */
  servername: string | undefined;
}

export interface ConnectionHost {
  /** The connection answered its exchange and can take another. */
  released(connection: Http1Connection): void;
  /** The connection is closed and must not be used again. */
  removed(connection: Http1Connection): void;
}

/** Idle keep-alive before we close our side; a server's shorter `Keep-Alive: timeout` wins (minus 1 s). */
const KEEP_ALIVE_MS = 10_000;
const KEEP_ALIVE_MARGIN_MS = 1_000;

/**
 * One keep-alive HTTP/1.1 connection with one exchange at a time (no pipelining: a slow answer never
 * holds up another event). Idle, its socket is unref'd and closes after the keep-alive time; busy, it
 * keeps the process alive. Any error, protocol violation or early close ends the exchange in flight
 * with an error and retires the connection.
 */
export class Http1Connection {
  readonly #host: ConnectionHost;
  readonly #socket: Socket;
  readonly #parser: ResponseParser;
  #exchange: Exchange | undefined;
  #reusable = true;
  #closed = false;

  constructor(host: ConnectionHost, endpoint: Endpoint) {
    this.#host = host;
    const socket = endpoint.tls
      ? tlsConnect({
          host: endpoint.host,
          port: endpoint.port,
          servername: endpoint.servername,
          ALPNProtocols: ['http/1.1'],
        })
      : netConnect({ host: endpoint.host, port: endpoint.port });
    socket.setNoDelay(true);
    socket.setTimeout(KEEP_ALIVE_MS);
    this.#socket = socket;
    this.#parser = new ResponseParser({
      head: (head) => this.#onHead(head),
      data: (chunk) => this.#onData(chunk),
      end: () => this.#onEnd(),
    });
    socket.on('data', (chunk: Buffer) => this.#onBytes(chunk));
    socket.on('end', () => this.#onClose(undefined));
    socket.on('close', () => this.#onClose(undefined));
    socket.on('error', (error) => this.#onClose(error));
    // Inactivity: an idle connection closes; a busy one is left to the attempt's own deadline.
    socket.on('timeout', () => {
      if (this.#exchange === undefined) this.destroy();
    });
  }

  get busy(): boolean {
    return this.#exchange !== undefined;
  }

  /** Writes the exchange's request; bytes written before the socket connects are queued by `net`. */
  send(exchange: Exchange): void {
    this.#exchange = exchange;
    this.#socket.ref();
    this.#parser.expect();
    this.#socket.write(exchange.request);
  }

  /** Holds `exchange` in flight (a cancel looks it up). */
  carries(exchange: Exchange): boolean {
    return this.#exchange === exchange;
  }

  /** Closes now; an exchange in flight is ended with an error (unless it has already settled itself). */
  destroy(error?: Error): void {
    this.#socket.destroy();
    this.#onClose(error);
  }

  /** Closes once idle (now, if it is). */
  end(): void {
    this.#reusable = false;
    if (this.#exchange === undefined) this.destroy();
  }

  #onBytes(chunk: Buffer): void {
    try {
      this.#parser.feed(chunk);
    } catch (error) {
      this.destroy(error instanceof ProtocolError ? error : new ProtocolError(String(error)));
    }
  }

  #onHead(head: ResponseHead): void {
    if (head.close) this.#reusable = false;
    if (head.keepAliveMs !== undefined) {
      const idleMs = head.keepAliveMs - KEEP_ALIVE_MARGIN_MS;
      if (idleMs <= 0) this.#reusable = false;
      else if (idleMs < KEEP_ALIVE_MS) this.#socket.setTimeout(idleMs);
    }
    this.#exchange?.onResponseStart(head.status, head.retryAfter, head.contentEncoding);
  }

  #onData(chunk: Buffer): void {
    const exchange = this.#exchange;
    if (exchange !== undefined && !exchange.onResponseData(chunk)) {
      // The exchange has its answer and wants no more of this body: drop the connection with it.
      this.#exchange = undefined;
      this.destroy();
    }
  }

  #onEnd(): void {
    const exchange = this.#exchange;
    this.#exchange = undefined;
    if (this.#reusable) {
      this.#socket.unref();
      this.#host.released(this);
    } else this.destroy();
    exchange?.onResponseEnd();
  }

  #onClose(error: Error | undefined): void {
    // A body delimited by the close is complete when the close comes.
    if (error === undefined && this.#exchange !== undefined && this.#parser.finish()) return;
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    const exchange = this.#exchange;
    this.#exchange = undefined;
    this.#host.removed(this);
    exchange?.onResponseError(error ?? Object.assign(new Error('other side closed'), { code: 'ECONNRESET' }));
  }
}
