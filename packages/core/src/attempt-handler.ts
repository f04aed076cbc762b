import type { Dispatcher } from 'undici';
import { errorDetail } from './error-detail.js';
import { classifyNetworkError } from './network-error.js';
import { parseRetryAfter, RETRY_AFTER_STATUS, RETRYABLE_STATUS } from './retry-policy.js';
import type { AttemptOutcome } from './transport.js';

/** How much of a non-2xx body is read: enough for Fluxrate's `detail`, bounded whatever the server sends. */
export const MAX_ERROR_BODY = 8 * 1024;

export interface AttemptHost {
  redact(text: string): string;
  /** The attempt has its outcome: stop watching its deadline. */
  finished(attempt: AttemptHandler): void;
}

type Controller = Dispatcher.DispatchController;

/**
 * One attempt as a plain undici dispatch handler: it holds the status, the `Retry-After` header and at
 * most MAX_ERROR_BODY bytes of a non-2xx body, and calls `done` exactly once. Ending it (timeout,
 * abortAll, a full error prefix) aborts the request, which discards the rest of the body.
 */
export class AttemptHandler implements Dispatcher.DispatchHandler {
  readonly #host: AttemptHost;
  #done: ((outcome: AttemptOutcome) => void) | undefined;
  #controller: Controller | undefined;
  #reason = 'aborted';
  #status = 0;
  #retryAfter: string | string[] | undefined;
  #chunks: Buffer[] = [];
  #bytes = 0;
  /** True while Transport.send() runs: an outcome known that early is handed over on a microtask. */
  #sync = true;

  constructor(host: AttemptHost, done: (outcome: AttemptOutcome) => void) {
    this.#host = host;
    this.#done = done;
  }

  started(): void {
    this.#sync = false;
  }

  /** Ends the attempt now (its deadline passed, or the transport is shutting down). */
  abort(reason: string): void {
    this.#reason = reason;
    if (this.#status >= 200 && this.#status < 300) this.#settle({ kind: 'delivered', status: this.#status });
    else if (this.#status >= 300) this.#settle(this.#statusOutcome(reason));
    else this.#settle({ kind: 'retry', error: reason });
    this.#controller?.abort(new Error(reason));
  }

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    // Ended before undici started it (timed out while queued for a connection): never send it.
    if (this.#done === undefined) controller.abort(new Error(this.#reason));
  }

  onResponseStart(_controller: Controller, status: number, headers: Record<string, unknown>): void {
    if (status < 200) return; // 1xx informational
    this.#status = status;
    if (status >= 300) this.#retryAfter = headers['retry-after'] as string | string[] | undefined;
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    // A 2xx body is discarded as it arrives; an error body is kept only up to its prefix.
    if (this.#status < 300 || this.#done === undefined) return;
    const room = MAX_ERROR_BODY - this.#bytes;
    // A copy, so a kept slice never pins the (possibly much larger) chunk it came from.
    this.#chunks.push(Buffer.from(chunk.subarray(0, room)));
    this.#bytes += Math.min(room, chunk.length);
    if (this.#bytes >= MAX_ERROR_BODY) {
      this.#settle(this.#statusOutcome());
      controller.abort(new Error('error body read up to its prefix'));
    }
  }

  onResponseEnd(): void {
    if (this.#status < 300) this.#settle({ kind: 'delivered', status: this.#status });
    else this.#settle(this.#statusOutcome());
  }

  onResponseError(_controller: Controller | undefined, error: Error): void {
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
    const text = this.#chunks.length === 0 ? '' : Buffer.concat(this.#chunks).toString('utf8');
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
    this.#chunks = [];
    this.#host.finished(this);
    if (this.#sync) queueMicrotask(() => done(outcome));
    else done(outcome);
  }
}
