import { Pool } from 'undici';
import { AttemptHandler, type AttemptHost } from './attempt-handler.js';
import { DeadlineWheel } from './deadline-wheel.js';
import type { QueuedEvent } from './event.js';
import type { ResolvedOptions } from './options.js';
import { USER_AGENT } from './version.js';

/** What a transport needs from the options. */
export type TransportConfig = Pick<
  ResolvedOptions,
  'origin' | 'pathPrefix' | 'transport' | 'apiKey' | 'accessToken' | 'concurrency' | 'timeoutMs'
>;

/** Errors retrying cannot fix by itself: they are reported once per kind (see persistent-faults.ts). */
export type PersistentFault = 'tls' | 'header' | 'dns';

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

export type AttemptOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; status?: number; error?: string; retryAfterMs?: number; persistent?: PersistentFault }
  | { kind: 'failed'; status: number; detail: string };

/** Builds the JSON body for the configured transport. Built once per event, reused on every retry. */
export function buildBody(event: QueuedEvent, transport: 'sdk' | 'rest'): string {
  const timestamp = JSON.stringify(new Date(event.timestamp).toISOString());
  const key = JSON.stringify(event.idempotencyKey);
  const metadata = event.metadataJson === undefined ? '' : `,"metadata":${event.metadataJson}`;
  if (transport === 'rest') {
    // REST takes Fluxrate's internal ids; the key is sent too so servers that honour it dedupe retries.
    return `{"meter_id":${JSON.stringify(event.meter.id ?? event.meter.token)},"customer_id":${JSON.stringify(event.customerId)},"quantity":${event.quantity},"timestamp":${timestamp},"idempotency_key":${key}${metadata}}`;
  }
  return `{"meter_token":${JSON.stringify(event.meter.token)},"customer_external_id":${JSON.stringify(event.customerId)},"quantity":${event.quantity},"timestamp":${timestamp},"idempotency_key":${key}${metadata}}`;
}

/**
 * One undici Pool per origin with keep-alive. Each attempt is a `Pool.dispatch()` with a plain handler
 * object: no promise, no AbortController and no timer per attempt. One shared timer (the deadline
 * wheel) ends attempts whose timeout passed, headers and body alike. A 2xx body is discarded as it
 * arrives; a non-2xx body is read only up to a small prefix (enough for `detail`), then the request is
 * aborted, so a hostile or broken server cannot make us buffer megabytes.
 */
export class Transport implements EventTransport {
  readonly #pool: Pool;
  readonly #path: string;
  readonly #headers: Record<string, string>;
  readonly #wheel: DeadlineWheel<AttemptHandler>;
  readonly #host: AttemptHost;
  readonly #observe: ((outcome: AttemptOutcome) => void) | undefined;

  /** `observe` sees every outcome before its `done` (the tracker's persistent-fault check). */
  constructor(
    options: TransportConfig,
    redact: (text: string) => string,
    observe?: (outcome: AttemptOutcome) => void,
  ) {
    this.#observe = observe;
    this.#pool = new Pool(options.origin, {
      connections: options.concurrency,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      // Our own deadline covers connect, headers and body; undici's are only a backstop.
      connect: { timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs * 2,
      bodyTimeout: options.timeoutMs * 2,
    });
    this.#path = `${options.pathPrefix}${options.transport === 'rest' ? '/api/v1/usage' : '/api/v1/sdk/track'}`;
    this.#headers = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      accept: 'application/json',
    };
    if (options.transport === 'rest') this.#headers.cookie = `access_token=${options.accessToken}`;
    else this.#headers['x-api-key'] = options.apiKey as string;
    const timeoutMs = options.timeoutMs;
    this.#wheel = new DeadlineWheel<AttemptHandler>(timeoutMs, (attempt) =>
      attempt.abort(`timeout after ${timeoutMs} ms`),
    );
    this.#host = { redact, finished: (attempt) => this.#wheel.remove(attempt) };
  }

  send(body: string, done: (outcome: AttemptOutcome) => void): void {
    const observe = this.#observe;
    const end = observe
      ? (outcome: AttemptOutcome) => {
          observe(outcome);
          done(outcome);
        }
      : done;
    const attempt = new AttemptHandler(this.#host, end);
    this.#wheel.add(attempt);
    try {
      this.#pool.dispatch({ method: 'POST', path: this.#path, headers: this.#headers, body }, attempt);
    } catch (error) {
      attempt.onResponseError(undefined, error as Error);
    }
    attempt.started();
  }

  abortAll(reason: string): void {
    for (const attempt of this.#wheel.all()) attempt.abort(reason);
  }

  async close(force: boolean): Promise<void> {
    if (force) this.abortAll('tracker shut down');
    await (force ? this.#pool.destroy() : this.#pool.close()).catch(() => undefined);
    this.#wheel.stop();
  }
}
