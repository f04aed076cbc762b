import type { RequestOutcome, Tracker, TrackerEvents } from '@fluxrate/core';
import type { LocalServer } from '@fluxrate/local';
import type { Meter } from '@fluxrate/testkit';
import type { LogCapture } from './logs.js';

/** What a scenario's billing functions see, whatever the framework: request headers and the outcome. */
export interface View {
  header(name: string): string | undefined;
  outcome: RequestOutcome;
}

/** A route spec written once; each driver turns its functions into the framework's signature. */
export interface NeutralSpec {
  meter: Meter | string;
  quantity?: number | ((view: View) => unknown);
  customer?: string | ((view: View) => unknown);
  metadata?: Record<string, unknown> | ((view: View) => unknown);
  when?: (view: View) => boolean;
  idempotencyKey?: string | ((view: View) => unknown);
}
export type NeutralBillable = Meter | NeutralSpec | NeutralSpec[] | false;

/** Usage the handler reports through `req.fluxrate` before answering. */
export type UsageOp = ['add' | 'set', string, number];

/** What a route's handler does, written as data; each driver implements it the framework's way. */
export type Behaviour =
  | { kind: 'json'; status?: number; usage?: UsageOp[]; skip?: boolean }
  | { kind: 'empty'; status: 204 | 304 }
  | { kind: 'redirect'; status: 301 | 302 }
  /** Throws before anything was sent (sync), or rejects after an await. */
  | { kind: 'throw'; async?: boolean }
  /** Answers after `ms`. */
  | { kind: 'slow'; ms: number }
  /** Streams `chunks` chunks `everyMs` apart, adding `usagePerChunk` tokens per chunk. */
  | { kind: 'stream'; chunks: number; everyMs: number; usagePerChunk?: number }
  /** Writes headers and a chunk, then fails: a throwing handler, or a stream / Observable that errors. */
  | { kind: 'failAfterHeaders'; via: 'throw' | 'stream' }
  /** Answers, then reports `n` tokens `afterMs` later; with `hold`, billing waits (until `release`d). */
  | { kind: 'lateUsage'; n: number; afterMs: number; hold: boolean; release: boolean }
  /** Answers 400 unless the query has an integer `n` (the framework's own validation where it has one). */
  | { kind: 'validated' }
  /** Answers 403 when the `x-deny` header is set (a guard / preHandler / route middleware). */
  | { kind: 'guarded' };

export interface RouteDef {
  method: 'GET' | 'POST';
  path: string;
  billable?: NeutralBillable;
  do: Behaviour;
}

export interface NeutralOptions {
  /** Module-level customer. Default: the `x-customer` header. */
  customer?: (view: View) => unknown;
  /** Module-level request id (a function that may misbehave); see also `requestIdHeader`. */
  requestId?: () => unknown;
  when?: (view: View) => boolean;
  routes?: Record<string, NeutralBillable>;
  onMissingCustomer?: 'skip' | 'reject';
  idempotency?: 'request' | 'client-key';
  /** The app's request id: this header's value. */
  requestIdHeader?: string;
  holdTimeoutMs?: number;
  shutdownTimeoutMs?: number;
}

export interface AppDef {
  routes: RouteDef[];
  options?: NeutralOptions;
  /** Apply the middleware / plugin / interceptor twice (nested app, child context, global + local, two imports). */
  twice?: boolean;
  /** Let the adapter create (and own) its tracker from tracker options. */
  ownTracker?: boolean;
  /** Record the app's loggers: the tracker's `logger` (with `ownTracker`) and the framework's own. */
  logs?: LogCapture;
}

export interface Running {
  url: string;
  tracker: Tracker<string>;
  errors: TrackerEvents['error'][];
  skipped: TrackerEvents['skipped'][];
  /** Waits until `n` responses have ended (and were billed), then flushes the tracker. */
  settled(n: number): Promise<void>;
  /** Closes the server, then the adapter (middleware.close(), app.close()); the test's tracker stays open. */
  close(): Promise<void>;
}

export interface Driver {
  name: string;
  /** Where a route spec naming an unknown meter fails: at startup, or on its first request. */
  unknownMeter: 'startup' | 'first-request';
  start(fx: LocalServer, def: AppDef): Promise<Running>;
}

/** The customer the scenario apps bill: the `x-customer` header. */
export const CUSTOMER_HEADER = 'x-customer';
