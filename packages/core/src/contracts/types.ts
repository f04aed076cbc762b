import type { Aggregation } from './meter.js';
import type { NetworkOptions } from './network.js';
import type { MeterProviderLike } from './otel.js';
import type { Outbox } from './outbox.js';

/** A meter token is a UUID; typing it this way lets raw tokens through while misspelt names fail to compile. */
export type MeterToken = `${string}-${string}-${string}-${string}-${string}`;

/** A configured meter: its token, or the token with its aggregation (and Fluxrate's internal id for REST). */
export type MeterConfig = string | { token: string; aggregation?: Aggregation; id?: string };

/**
 * Register your meter names once to type every standalone `billable()` / `@Billable()` call:
 * `declare module '@fluxrate/core' { interface Register { meters: 'api_calls' | 'tokens' } }`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by declaration merging
export interface Register {}

/** Registered meter names (see `Register`), else any string. */
export type MeterName = Register extends { meters: infer M extends string } ? M : string;

/** A meter reference in `track()` and route specs: a configured name, or a raw meter token. */
export type MeterRef<M extends string = string> = M | MeterToken;

/** Anything pino-like. All methods optional; missing ones are silent. */
export interface Logger {
  debug?(obj: unknown, msg?: string): void;
  info?(obj: unknown, msg?: string): void;
  warn?(obj: unknown, msg?: string): void;
  error?(obj: unknown, msg?: string): void;
}

export interface RetryOptions {
  /** Maximum retries per event after the first attempt. Default: Infinity (bounded by `maxRetryTime`). */
  retries?: number;
  /** First backoff delay in ms. Default: 200. */
  minTimeout?: number;
  /** Largest backoff delay in ms. Default: 30 000. */
  maxTimeout?: number;
  /** Give up on an event this many ms after its first attempt (reason `retries-exhausted`). Default: 3 600 000 (1 h). */
  maxRetryTime?: number;
  /** Largest `Retry-After` honoured, in ms. Default: 60 000. */
  maxRetryAfter?: number;
}

export interface TrackerOptions<M extends string = string> extends NetworkOptions {
  /** Fluxrate API key (`org_live_…`, scope `usage.write`). Default: env `FLUXRATE_API_KEY`. */
  apiKey?: string;
  /** Fluxrate base URL. Default: env `FLUXRATE_BASE_URL`, else `https://api.fluxrate.co`. */
  baseUrl?: string;
  /** Meter name -> meter token, or `{ token, aggregation, id }`. Default: none (raw tokens only). */
  meters?: Record<M, MeterConfig>;
  /** `sdk` (POST /api/v1/sdk/track with X-API-Key) or `rest` (POST /api/v1/usage with a JWT cookie). Default: `sdk`. */
  transport?: 'sdk' | 'rest';
  /** JWT sent as the `access_token` cookie by the REST transport. Default: env `FLUXRATE_ACCESS_TOKEN`. */
  accessToken?: string;
  /** Events held in memory (queued, in flight and waiting to retry). Overflow drops the newest. Default: 100 000. */
  maxQueueSize?: number;
  /**
   * An event whose timestamp is older than this (ms) when it is due to be sent (retries, spool and
   * `fluxrate-replay` included) is not sent: it fails with reason `too-old`. Billing APIs refuse events past
   * their backdating window (Stripe 35 days, Metronome 34 days). Default: off.
   */
  maxEventAgeMs?: number;
  /**
   * OpenTelemetry metrics (core README, "Metrics"): recorded through this MeterProvider. Default: the global
   * one when `@opentelemetry/api` is installed, else none (nothing is loaded). `false`: none.
   */
  meterProvider?: MeterProviderLike | false;
  /** Requests in flight at once (also the HTTP pool's connections; over HTTP/2, its concurrent streams). Default: 8. */
  concurrency?: number;
  /** Per-attempt timeout in ms. Default: 10 000. */
  timeoutMs?: number;
  /** Retry policy. Defaults listed on each field. */
  retry?: RetryOptions;
  /** A pino-compatible logger. Default: silent. Secrets are never logged. */
  logger?: Logger;
  /** Validate and count events but send nothing. Default: false. */
  disabled?: boolean;
  /** Only these customers are tracked; others are skipped (counted, reason `not-allowed`). Default: all. */
  customerAllowList?: Iterable<string> | ((customerId: string) => boolean);
  /** Allow plain `http://` to a non-loopback host. Default: false. */
  allowInsecureHttp?: boolean;
  /**
   * Durable spool: accepted events are written to SQLite (`{dir}/fluxrate-spool.db`, through the optional
   * peer `better-sqlite3`, or Node's built-in `node:sqlite` on Node >= 22.13) and deleted once delivered or failed; a new tracker on the same dir replays
   * what is left with the same idempotency keys. Default: off (in-memory only).
   */
  spool?: {
    dir: string;
    /** Force one SQLite driver (no fallback). Default: better-sqlite3 when it loads, else node:sqlite. */
    driver?: SpoolDriver;
  };
  /**
   * Dead letters: every failed or dropped event is appended to this NDJSON file (exact event, key,
   * reason, status, `detail`; never the API key) for reconciliation and `fluxrate-replay`. Default: off.
   */
  deadLetter?: { file: string };
  /**
   * Exact pre-aggregation: combine events per wall-clock window of `windowMs` and group (meter,
   * customer, metadata) into one event each, preserving SUM/MAX/LAST/UNIQUE_COUNT. `meters` limits it
   * to some meters. Default: off (one event per `track()`).
   */
  aggregate?: { windowMs: number; meters?: string[] };
  /**
   * Where accepted events wait until they are delivered: any `Outbox` (e.g. `redisOutbox()` from
   * `@fluxrate/redis`). Default: in memory, or SQLite when `spool` is set. Not combinable with `spool`.
   */
  outbox?: Outbox;
  /**
   * Exact coalescing under sustained load: once `highWater` events are held, new events whose keys are
   * unique by construction (not caller keys) are merged per `windowMs` window, meter, customer and metadata
   * with the aggregation rules, instead of queueing one by one; only a backlog that still reaches
   * `maxQueueSize` drops. Counted as `coalesced`. `false` turns it off.
   * Default: `{ highWater: maxQueueSize / 10, windowMs: 1000 }`.
   */
  coalesce?: false | { highWater?: number; windowMs?: number };
  /**
   * Limits Fluxrate's documented API does not state, off by default so no event Fluxrate accepts is
   * refused: `idLength` (characters of `customerId` / `idempotencyKey`), `metadataBytes` (serialised
   * `metadata`). Default: none.
   */
  limits?: { idLength?: number; metadataBytes?: number };
}

/** What `track()` accepts. */
export interface TrackEvent<M extends string = string> {
  /** A configured meter name, or a raw meter token (UUID). */
  meter: MeterRef<M>;
  /** Your customer id (Fluxrate's `customer_external_id`); for the REST transport, Fluxrate's internal customer id. */
  customerId: string;
  /** Finite number > 0. Default: 1. */
  quantity?: number;
  /** When the usage happened. Default: the moment `track()` was called. */
  timestamp?: Date | string;
  /** Up to 255 characters. Default: `evt_{uuid}`, generated at `track()`. */
  idempotencyKey?: string;
  /** Plain JSON object; `user_id` is required for `UNIQUE_COUNT` meters. */
  metadata?: Record<string, unknown>;
}

/** An accepted event as reported in emitted events (never carries secrets). */
export interface UsageEvent {
  meter: string;
  meterToken: string;
  customerId: string;
  quantity: number;
  timestamp: string;
  idempotencyKey: string;
  metadata?: Record<string, unknown>;
}

export type DropReason = 'overflow' | 'shutdown-deadline' | 'after-shutdown';
/** `too-old`: older than `maxEventAgeMs` when it was due to be sent, so never sent. */
export type FailReason = 'rejected' | 'retries-exhausted' | 'too-old';
export type SkipReason = 'not-allowed' | 'disabled' | 'missing-customer' | 'zero-quantity' | 'opted-out';

export interface TrackerEvents {
  delivered: { event: UsageEvent; status: number; attempts: number; latencyMs: number };
  retry: { event: UsageEvent; attempt: number; delayMs: number; status?: number; error?: string };
  failed: { event: UsageEvent; reason: FailReason; status?: number; detail?: string; attempts: number };
  dropped: { event: UsageEvent; reason: DropReason };
  skipped: { reason: SkipReason; meter?: string; customerId?: string; route?: string };
  /** A route-meter problem: a user function threw or returned garbage, an event was invalid. Never thrown into a request. */
  error: { route?: string; meter?: string; reason: string; error?: unknown };
  /** Everything that was outstanding has settled. */
  drained: TrackerStats;
  /** A coalescing window closed under load: `events` tracked events went out as `into` events. */
  coalesced: { events: number; into: number };
}

export type TrackerEventName = keyof TrackerEvents;

/**
 * How an adapter-reported problem is said once when the app has no logger: `topic` names the problem
 * (default: its reason, so a function returning a new garbage value each time is still one problem when
 * the topic is the function), `code` (default `FLUXRATE_NOT_BILLED`), `message` (default: built from the
 * problem), `loud` (a process warning even when the app listens for `error`, once per `topic` in the
 * process: the reporter puts its own scope in the topic).
 */
export interface ErrorWarning {
  topic?: string;
  code?: WarningCode;
  message?: string;
  loud?: boolean;
}

import type { TrackerStats } from './tracker-stats.js';
import type { WarningCode } from './warning-codes.js';

export type { TrackerStats };

export interface FlushOptions {
  /** Stop waiting after this many ms (events keep being delivered). Default: no limit. */
  timeoutMs?: number;
}

export interface FlushResult {
  /** True when everything tracked before the call settled. */
  settled: boolean;
  /** Events tracked before the call still outstanding. */
  pending: number;
}

export interface ShutdownOptions {
  /** Deadline for draining, in ms. Default: 10 000. */
  timeoutMs?: number;
}

export interface ShutdownReport {
  delivered: number;
  failed: number;
  dropped: number;
  /** Events that did not make it by the deadline (also emitted as `dropped`, reason `shutdown-deadline`). */
  pending: UsageEvent[];
  /**
   * Requests whose `hold()` was still open when shutdown began: each was billed with the usage added
   * so far (and reported in an `error` event naming its route); their events are counted above.
   */
  openHolds: number;
}

export type Listener<E extends TrackerEventName> = (payload: TrackerEvents[E]) => void;

export interface Tracker<M extends string = string> {
  /** Validates and enqueues one event. Synchronous, no I/O; throws only `FluxrateValidationError`. */
  track(event: TrackEvent<M>): void;
  /** Resolves when everything tracked before the call has settled. Concurrent calls share one promise. */
  flush(options?: FlushOptions): Promise<FlushResult>;
  /** Stops accepting, drains until the deadline, then reports what was left. Idempotent. */
  shutdown(options?: ShutdownOptions): Promise<ShutdownReport>;
  stats(): TrackerStats;
  on<E extends TrackerEventName>(event: E, listener: Listener<E>): this;
  off<E extends TrackerEventName>(event: E, listener: Listener<E>): this;
  once<E extends TrackerEventName>(event: E, listener: Listener<E>): this;
  /** True when `ref` is a configured meter name or a raw token. */
  hasMeter(ref: string): boolean;
  readonly closed: boolean;
}

/** The SQLite driver behind the spool. */
export type SpoolDriver = 'better-sqlite3' | 'node:sqlite';
