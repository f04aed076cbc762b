import { Pool } from 'undici';
import type { QueuedEvent } from './event.js';
import type { ResolvedOptions } from './options.js';
import { parseRetryAfter, RETRY_AFTER_STATUS, RETRYABLE_STATUS } from './retry-policy.js';
import { USER_AGENT } from './version.js';

/** What a transport needs from the options. */
export type TransportConfig = Pick<
  ResolvedOptions,
  'origin' | 'pathPrefix' | 'transport' | 'apiKey' | 'accessToken' | 'concurrency' | 'timeoutMs'
>;

/** Sends attempts of prebuilt bodies; the dispatcher's only view of HTTP. */
export interface EventTransport {
  /** Sends one attempt of a prebuilt JSON body; calls `done` exactly once, never throws. */
  send(body: string, done: (outcome: AttemptOutcome) => void): void;
  /** Ends every attempt in flight now; each calls its `done` with a retry outcome whose error is `reason`. */
  abortAll(reason: string): void;
  close(force: boolean): Promise<void>;
}

export type AttemptOutcome =
  | { kind: 'delivered'; status: number }
  | { kind: 'retry'; status?: number; error?: string; retryAfterMs?: number }
  | { kind: 'failed'; status: number; detail: string };

const MAX_DETAIL = 1_000;

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

function readDetail(raw: string, redact: (text: string) => string): string {
  // Redact before truncating, so a cut can never leave part of a secret behind.
  const text = redact(raw);
  try {
    const parsed = JSON.parse(text) as { detail?: unknown };
    if (parsed && parsed.detail !== undefined) {
      const detail = typeof parsed.detail === 'string' ? parsed.detail : JSON.stringify(parsed.detail);
      return detail.slice(0, MAX_DETAIL);
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, MAX_DETAIL);
}

/** One undici Pool per origin with keep-alive; sends one event per request and always consumes the body. */
export class Transport implements EventTransport {
  readonly #pool: Pool;
  readonly #path: string;
  readonly #headers: Record<string, string>;

  readonly #redact: (text: string) => string;

  constructor(options: TransportConfig, redact: (text: string) => string) {
    this.#redact = redact;
    this.#timeoutMs = options.timeoutMs;
    this.#pool = new Pool(options.origin, {
      connections: options.concurrency,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      connect: { timeout: options.timeoutMs },
    });
    this.#path = `${options.pathPrefix}${options.transport === 'rest' ? '/api/v1/usage' : '/api/v1/sdk/track'}`;
    this.#headers = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      accept: 'application/json',
    };
    if (options.transport === 'rest') this.#headers.cookie = `access_token=${options.accessToken}`;
    else this.#headers['x-api-key'] = options.apiKey as string;
  }

  readonly #controllers = new Set<AbortController>();
  readonly #timeoutMs: number;

  send(body: string, done: (outcome: AttemptOutcome) => void): void {
    const controller = new AbortController();
    this.#controllers.add(controller);
    const timer = setTimeout(
      () => controller.abort(new Error(`timeout after ${this.#timeoutMs} ms`)),
      this.#timeoutMs,
    );
    timer.unref();
    const end = (outcome: AttemptOutcome) => {
      clearTimeout(timer);
      this.#controllers.delete(controller);
      done(outcome);
    };
    this.#attempt(body, controller.signal).then(end, (error) => end({ kind: 'retry', error: String(error) }));
  }

  abortAll(reason: string): void {
    for (const controller of this.#controllers) controller.abort(new Error(reason));
  }

  async #attempt(body: string, signal: AbortSignal): Promise<AttemptOutcome> {
    let response: Awaited<ReturnType<Pool['request']>>;
    try {
      response = await this.#pool.request({
        method: 'POST',
        path: this.#path,
        headers: this.#headers,
        body,
        signal,
      });
    } catch (error) {
      return { kind: 'retry', error: describeNetworkError(error, signal) };
    }
    const status = response.statusCode;
    if (status >= 200 && status < 300) {
      await response.body.dump().catch(() => undefined);
      return { kind: 'delivered', status };
    }
    const text = await response.body.text().catch(() => '');
    if (RETRYABLE_STATUS.has(status)) {
      const retryAfterMs = RETRY_AFTER_STATUS.has(status)
        ? parseRetryAfter(response.headers['retry-after'], Date.now())
        : undefined;
      return {
        kind: 'retry',
        status,
        error: readDetail(text, this.#redact) || `HTTP ${status}`,
        retryAfterMs,
      };
    }
    return { kind: 'failed', status, detail: readDetail(text, this.#redact) || `HTTP ${status}` };
  }

  async close(force: boolean): Promise<void> {
    await (force ? this.#pool.destroy() : this.#pool.close()).catch(() => undefined);
  }
}

function describeNetworkError(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) {
    const reason = signal.reason as { message?: string } | undefined;
    return reason?.message ?? 'aborted';
  }
  const err = error as { code?: string; message?: string };
  return err.code ? `${err.code}: ${err.message ?? ''}`.trim() : String(err.message ?? error);
}
