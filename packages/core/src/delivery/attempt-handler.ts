import type { AttemptOutcome } from './attempt-outcome.js';
import { errorBodyText } from './error-body-text.js';
import { errorDetail } from './error-detail.js';
import type { Exchange } from './http-client.js';
import { classifyNetworkError } from './network-error.js';
import { parseRetryAfter, RETRY_AFTER_STATUS, RETRYABLE_STATUS } from './retry-policy.js';

/** How much of a non-2xx body is read: enough for Fluxrate's `detail`, bounded whatever the server sends. */
export const MAX_ERROR_BODY = 8 * 1024;

export interface AttemptHost {
  redact(text: string): string;
  /** The attempt has its outcome: stop watching its deadline. */
  finished(attempt: AttemptHandler): void;
  /** Stops an attempt that is queued or on the wire (its outcome is already settled). */
  cancel(attempt: AttemptHandler, heardNothing: boolean): void;
  /** Sees every outcome before its `done` (the tracker's persistent-fault check). */
  observe?: ((outcome: AttemptOutcome) => void) | undefined;
}

/**
 * One attempt as an exchange of the HTTP client: it holds the status, the `Retry-After` header and at
 * most MAX_ERROR_BODY bytes of a non-2xx body, and calls `done` exactly once. Ending it (timeout,
 * abortAll, a full error prefix) drops its request, which discards the rest of the body.
 */
export class AttemptHandler implements Exchange {
  readonly body: string;
  link: unknown = undefined;
  readonly #host: AttemptHost;
  #done: ((outcome: AttemptOutcome) => void) | undefined;
  #status = 0;
  #retryAfter: string | undefined;
  #contentEncoding: string | undefined;
  /** The kept prefix of a non-2xx body (allocated only for one). */
  #chunks: Buffer[] | undefined;
  #bytes = 0;
  /** True while Transport.send() runs: an outcome known that early is handed over on a microtask. */
  #sync = true;

  constructor(host: AttemptHost, body: string, done: (outcome: AttemptOutcome) => void) {
    this.body = body;
    this.#host = host;
    this.#done = done;
  }

  started(): void {
    this.#sync = false;
  }

  /** Ends the attempt now (its deadline passed, or the transport is shutting down). */
  abort(reason: string, timedOut = false): void {
    if (this.#done === undefined) return;
    const heardNothing = timedOut && this.#status === 0;
    if (this.#status >= 200 && this.#status < 300) this.#settle({ kind: 'delivered', status: this.#status });
    else if (this.#status >= 300) this.#settle(this.#statusOutcome(reason));
    else this.#settle({ kind: 'retry', error: reason });
    this.#host.cancel(this, heardNothing);
  }

  onResponseStart(status: number, retryAfter: string | undefined, contentEncoding?: string): void {
    this.#status = status;
    if (status >= 300) {
      this.#retryAfter = retryAfter;
      this.#contentEncoding = contentEncoding;
    }
  }

  onResponseData(chunk: Buffer): boolean {
    // A 2xx body is discarded as it arrives; an error body is kept only up to its prefix.
    if (this.#done === undefined) return false;
    if (this.#status < 300) return true;
    const room = MAX_ERROR_BODY - this.#bytes;
    // A copy, so a kept slice never pins the (possibly much larger) chunk it came from.
    this.#chunks ??= [];
    this.#chunks.push(Buffer.from(chunk.subarray(0, room)));
    this.#bytes += Math.min(room, chunk.length);
    if (this.#bytes >= MAX_ERROR_BODY) {
      this.#settle(this.#statusOutcome());
      return false;
    }
    return true;
  }

  onResponseEnd(): void {
    if (this.#status < 300) this.#settle({ kind: 'delivered', status: this.#status });
    else this.#settle(this.#statusOutcome());
  }

  onResponseError(error: Error): void {
    if (this.#done === undefined) return;
    // A status already received is the answer; a broken body does not change it.
    if (this.#status >= 200 && this.#status < 300) this.#settle({ kind: 'delivered', status: this.#status });
    else if (this.#status >= 300) this.#settle(this.#statusOutcome());
    else {
      const { message, persistent } = classifyNetworkError(error);
      const outcome: AttemptOutcome = { kind: 'retry', error: this.#host.redact(message) };
      if (persistent) outcome.persistent = persistent;
      this.#settle(outcome);
    }
  }

  #statusOutcome(fallback?: string): AttemptOutcome {
    const status = this.#status;
    const text =
      this.#chunks === undefined ? '' : errorBodyText(this.#contentEncoding, Buffer.concat(this.#chunks));
    const detail = errorDetail(text, (t) => this.#host.redact(t)) || fallback || `HTTP ${status}`;
    if (RETRYABLE_STATUS.has(status)) {
      const retryAfterMs = RETRY_AFTER_STATUS.has(status)
        ? parseRetryAfter(this.#retryAfter, Date.now())
        : undefined;
      return { kind: 'retry', status, error: detail, retryAfterMs };
    }
    return { kind: 'failed', status, detail };
  }

  #settle(outcome: AttemptOutcome): void {
    const done = this.#done;
    if (done === undefined) return;
    this.#done = undefined;
    this.#chunks = undefined;
    this.#host.finished(this);
    const observe = this.#host.observe;
    if (this.#sync) {
      queueMicrotask(() => {
        observe?.(outcome);
        done(outcome);
      });
    } else {
      observe?.(outcome);
      done(outcome);
    }
  }
}
