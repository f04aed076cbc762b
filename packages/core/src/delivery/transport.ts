import type { ResolvedOptions } from '../config/options.js';
import { USER_AGENT } from '../support/version.js';
import { AttemptHandler, type AttemptHost } from './attempt-handler.js';
import type { AttemptOutcome } from './attempt-outcome.js';
import { DeadlineWheel } from './deadline-wheel.js';
import type { HttpClient } from './http-client.js';
import { type RequestShape, UndiciClient } from './undici-client.js';
import { createDispatcher } from './undici-dispatcher.js';

/** What a transport needs from the options. */
export type TransportConfig = Pick<
  ResolvedOptions,
  | 'origin'
  | 'pathPrefix'
  | 'query'
  | 'transport'
  | 'apiKey'
  | 'accessToken'
  | 'concurrency'
  | 'timeoutMs'
  | 'network'
>;

/** Sends attempts of prebuilt bodies; the dispatcher's only view of HTTP. */
export interface EventTransport {
  /** Sends one attempt of a prebuilt JSON body; calls `done` exactly once, never throws. */
  send(body: string, done: (outcome: AttemptOutcome) => void): void;
  /**
   * Ends every attempt in flight now; each calls its `done` with a retry outcome whose error is `reason`
   * (an attempt whose status already arrived ends with that answer: a 2xx is delivered).
   */
  abortAll(reason: string): void;
  close(force: boolean): Promise<void>;
}

/** Header values we write: visible ASCII, space and tab (anything else could split or corrupt the head). */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/** The tracker's HTTP client: the user's `dispatcher`, else our own undici dispatcher for the origin. */
export function clientFor(options: TransportConfig, shape: RequestShape): HttpClient {
  const { dispatcher, proxy } = options.network;
  return new UndiciClient(shape, dispatcher ?? (() => createDispatcher(options)), options.timeoutMs, proxy);
}

/**
 * Attempts of prebuilt bodies through one HTTP client (`http-client.ts`; undici by default). No
 * promise, no AbortController and no timer per attempt: one shared timer (the deadline wheel) ends
 * attempts whose timeout passed, connect, head and body alike. A 2xx body is discarded as it
 * arrives; a non-2xx body is read only up to a small prefix (enough for `detail`), then the request
 * is dropped, so a hostile or broken server cannot make us buffer megabytes.
 */
export class Transport implements EventTransport {
  readonly #client: HttpClient;
  /** Why every attempt fails without being sent (a header value that cannot be written). */
  readonly #invalid: Error | undefined;
  readonly #wheel: DeadlineWheel<AttemptHandler>;
  readonly #host: AttemptHost;

  /**
   * `client` defaults to `clientFor(options)`; `observe` sees every outcome before its `done` (the
   * tracker's persistent-fault check).
   */
  constructor(
    options: TransportConfig,
    redact: (text: string) => string,
    observe?: (outcome: AttemptOutcome) => void,
    client?: HttpClient,
  ) {
    const path = `${options.pathPrefix}${options.transport === 'rest' ? '/api/v1/usage' : '/api/v1/sdk/track'}${options.query}`;
    const auth =
      options.transport === 'rest'
        ? ['cookie', `access_token=${options.accessToken}`]
        : ['x-api-key', options.apiKey as string];
    const headers = [
      'content-type',
      'application/json',
      'user-agent',
      USER_AGENT,
      'accept',
      'application/json',
      ...auth,
    ];
    const bad = auth[1] !== undefined && !HEADER_VALUE.test(auth[1]) ? auth[0] : undefined;
    this.#invalid = bad
      ? Object.assign(new Error(`invalid ${bad} header value`), { code: 'ERR_HTTP_INVALID_HEADER_VALUE' })
      : undefined;
    this.#client = client ?? clientFor(options, { origin: options.origin, path, headers });
    const timeoutMs = options.timeoutMs;
    this.#wheel = new DeadlineWheel<AttemptHandler>(timeoutMs, (attempt) =>
      attempt.abort(`timeout after ${timeoutMs} ms`, true),
    );
    this.#host = {
      redact,
      observe,
      finished: (attempt) => this.#wheel.remove(attempt),
      cancel: (attempt, heardNothing) => this.#client.cancel(attempt, heardNothing),
    };
  }

  send(body: string, done: (outcome: AttemptOutcome) => void): void {
    const attempt = new AttemptHandler(this.#host, body, done);
    this.#wheel.add(attempt);
    if (this.#invalid === undefined) this.#client.request(attempt);
    else attempt.onResponseError(this.#invalid);
    attempt.started();
  }

  abortAll(reason: string): void {
    for (const attempt of this.#wheel.all()) attempt.abort(reason);
  }

  async close(force: boolean): Promise<void> {
    if (force) this.abortAll('tracker shut down');
    await this.#client.close(force);
    this.#wheel.stop();
  }
}
