import type { Dispatcher } from 'undici';
import type { Exchange, HttpClient } from './http-client.js';
import { classifyNetworkError, proxyFailure } from './network-error.js';

/** What a request is sent with: fixed per transport, shared by every attempt. */
export interface RequestShape {
  origin: string;
  path: string;
  /** Flat `[name, value, …]` pairs (lower-case names). */
  headers: string[];
}

/** A header's value from undici's raw header list (Buffers or strings, name/value pairs). */
function headerOf(
  raw: ReadonlyArray<Buffer | string> | null | undefined,
  lowerName: string,
): string | undefined {
  if (!raw) return undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === lowerName.length && name.toString().toLowerCase() === lowerName)
      return raw[i + 1]!.toString();
  }
  return undefined;
}

/**
 * One exchange as an undici dispatch handler. It uses the handler interface undici runs on
 * internally (`onConnect` / `onHeaders` / `onData` / `onComplete` / `onError`), so undici wraps it in
 * nothing and turns no header list into an object: only a non-2xx answer's headers are looked at.
 */
class UndiciExchange {
  readonly #exchange: Exchange;
  /** The proxy's origin (no credentials) when attempts go through one. */
  readonly #proxy: string | undefined;
  #abort: ((error?: Error) => void) | undefined;
  #cancelled = false;

  constructor(exchange: Exchange, proxy: string | undefined) {
    this.#exchange = exchange;
    this.#proxy = proxy;
  }

  cancel(): void {
    this.#cancelled = true;
    this.#abort?.(new Error('attempt ended'));
  }

  onConnect(abort: (error?: Error) => void): void {
    this.#abort = abort;
    // Ended while it waited for a connection (timed out, shut down): never write it.
    if (this.#cancelled) abort(new Error('attempt ended'));
  }

  onHeaders(status: number, raw: Buffer[] | string[] | null): boolean {
    if (status < 200) return true; // 1xx informational
    if (status < 300) this.#exchange.onResponseStart(status, undefined);
    else
      this.#exchange.onResponseStart(status, headerOf(raw, 'retry-after'), headerOf(raw, 'content-encoding'));
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#exchange.onResponseData(chunk)) return true;
    // The exchange has its answer (an error body's prefix): undici drops the connection or stream.
    this.cancel();
    return false;
  }

  onComplete(): void {
    this.#exchange.link = undefined;
    this.#exchange.onResponseEnd();
  }

  onError(error: Error): void {
    this.#exchange.link = undefined;
    this.#exchange.onResponseError(this.#proxy === undefined ? error : this.#throughProxy(error));
  }

  /**
   * Behind a proxy, a failure before the request was written (no `onConnect` yet) is the proxy's:
   * refused, dropped, or answered the CONNECT with something else than 200 (407 included). A TLS
   * verification fault stays what it is; a 407 to an absolute-form request is the proxy's too.
   */
  #throughProxy(error: Error): Error {
    const { message, persistent } = classifyNetworkError(error);
    const before = this.#abort === undefined && persistent === undefined;
    if (!before && !/Proxy Authentication Required/.test(message)) return error;
    return proxyFailure(error, this.#proxy as string);
  }

  onUpgrade(): void {
    this.onError(new Error('unexpected protocol upgrade'));
  }
}

/**
 * Attempts on an undici Dispatcher (our default per origin, or the user's own): one `dispatch` per
 * attempt with the prebuilt body and fixed headers, no promise, no AbortController, no stream.
 */
export class UndiciClient implements HttpClient {
  #dispatcher: Dispatcher;
  readonly #shape: RequestShape;
  /** Builds our own dispatcher (we close and may replace it); undefined for a user's own, never closed here. */
  readonly #build: (() => Dispatcher) | undefined;
  readonly #proxy: string | undefined;
  readonly #retireAfterMs: number;
  #retiredAt = 0;
  #closed = false;

  /**
   * `dispatcher`: a user's own, or a factory for ours. `proxy`: the proxy URL attempts go through, if
   * any (only its origin is ever shown). `retireAfterMs`: the attempt timeout (see `cancel`).
   */
  constructor(
    shape: RequestShape,
    dispatcher: Dispatcher | (() => Dispatcher),
    retireAfterMs: number,
    proxy?: string,
  ) {
    this.#shape = shape;
    this.#build = typeof dispatcher === 'function' ? dispatcher : undefined;
    this.#dispatcher = typeof dispatcher === 'function' ? dispatcher() : dispatcher;
    this.#retireAfterMs = retireAfterMs;
    this.#proxy = proxy === undefined ? undefined : new URL(proxy).origin;
  }

  request(exchange: Exchange): void {
    const handler = new UndiciExchange(exchange, this.#proxy);
    exchange.link = handler;
    const { origin, path, headers } = this.#shape;
    try {
      // Idempotent by construction (every body carries its idempotency key): over HTTP/2 undici then
      // multiplexes our POSTs instead of sending one at a time per connection.
      this.#dispatcher.dispatch(
        { origin, path, method: 'POST', headers, body: exchange.body, idempotent: true },
        handler as unknown as Dispatcher.DispatchHandler,
      );
    } catch (error) {
      // A user's dispatcher may throw where undici's own report through the handler.
      handler.onError(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * An attempt that heard nothing before its deadline may sit on a connection that will never answer
   * (an HTTP/2 session whose server never sent SETTINGS, a half-open socket): ending the request
   * resets only its stream, so our own dispatcher is replaced, at most once per timeout. Attempts
   * still in flight on the old one get a timeout to finish before it is destroyed.
   */
  cancel(exchange: Exchange, heardNothing = false): void {
    (exchange.link as UndiciExchange | undefined)?.cancel();
    exchange.link = undefined;
    const now = Date.now();
    if (!heardNothing || this.#build === undefined || this.#closed) return;
    if (now - this.#retiredAt < this.#retireAfterMs) return;
    this.#retiredAt = now;
    const old = this.#dispatcher;
    this.#dispatcher = this.#build();
    old.close().catch(() => undefined);
    setTimeout(() => old.destroy().catch(() => undefined), this.#retireAfterMs).unref();
  }

  async close(force: boolean): Promise<void> {
    this.#closed = true;
    if (this.#build === undefined) return;
    await (force ? this.#dispatcher.destroy() : this.#dispatcher.close()).catch(() => undefined);
  }
}
