/** How a meter turns events into a usage number. */
export type Aggregation = 'SUM' | 'MAX' | 'UNIQUE_COUNT' | 'LAST';

export interface MeterSpec {
  /** The `meter_token` clients send to `/api/v1/sdk/track`. Default: a generated UUID. */
  token?: string;
  /** Internal meter id used by `/api/v1/usage` and `/api/v1/meters/:meter_id/usage`. Default: a generated UUID. */
  id?: string;
  /** Default `SUM`. */
  aggregation?: Aggregation;
}

export interface MeterInfo {
  token: string;
  id: string;
  aggregation: Aggregation;
}

export interface ApiKeySpec {
  key: string;
  scopes: string[];
}

export interface SlowFault {
  /** Share of requests (0..1) that are delayed. */
  rate: number;
  /** Delay before the request is processed (it is still stored and answered, even if the client left). */
  ms: number;
}

/**
 * Fault injection for the ingestion routes (`POST /api/v1/sdk/track`, `POST /api/v1/usage`).
 * Every rate is a share of requests in 0..1. The status and reset faults are mutually exclusive
 * (their rates must add up to at most 1); `slow` is drawn independently and can combine with them.
 */
export interface FaultOptions {
  '500'?: number;
  '502'?: number;
  '503'?: number;
  /** Answered with a `Retry-After` header of `retryAfter` seconds. */
  '429'?: number;
  /** Seconds sent in `Retry-After` with injected 429s. Default 1. */
  retryAfter?: number;
  /** Destroy the connection before anything is stored. */
  resetBefore?: number;
  /** Store the event, then destroy the connection without answering. */
  resetAfter?: number;
  slow?: SlowFault;
  /** When given to `setFaults`, restarts the fault PRNG from this seed. */
  seed?: number;
}

export type FaultKind = '500' | '502' | '503' | '429' | 'resetBefore' | 'resetAfter' | 'slow';

export interface LocalServerOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  /** A string value is a token for a `SUM` meter. Default: `api_calls` SUM, `tokens` SUM, `active_users` UNIQUE_COUNT. */
  meters?: Record<string, string | MeterSpec>;
  /** A string is a key with scope `usage.write`. Default: one generated `org_live_local_<random>` key. */
  apiKeys?: Array<string | ApiKeySpec>;
  /** Accepted `access_token` cookie values for the REST routes. Default: one generated token. */
  accessTokens?: string[];
  faults?: FaultOptions;
  /** Seed of the fault PRNG; the same seed and faults give the same fault sequence. Default: random. */
  seed?: number;
  /** Stored events cap; when reached, ingestion answers 507. Default 1_000_000. */
  maxEvents?: number;
  /** Largest accepted request body in bytes (413 above). Default 1 MiB. */
  bodyLimit?: number;
  /**
   * Shape of `detail` in 422 answers: `'string'` (default, as Fluxrate's docs describe errors) or
   * `'fastapi'` (`[{loc, msg, type}]`, what a FastAPI validation error looks like), to test clients against both.
   */
  validationDetail?: 'string' | 'fastapi';
  /** Fastify request logging. Default false. */
  logger?: boolean;
  /** Serve HTTPS with this PEM key and certificate (the URL is then `https://`). Default: plain HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /**
   * Serve HTTP/2: with `tls`, offered by ALPN next to HTTP/1.1 (as a public API host does); without,
   * h2c (HTTP/2 with prior knowledge, no HTTP/1.1). Default false.
   */
  http2?: boolean;
}

/** The record Fluxrate answers with (snake_case, `quantity` as a decimal string). */
export interface UsageRecord {
  id: string;
  customer_id: string;
  meter_id: string;
  quantity: string;
  timestamp: string;
  created_at: string;
  meta_data: Record<string, unknown>;
}

/** A stored event as seen through the inspection API. */
export interface LocalEvent {
  id: string;
  meter: string;
  meterId: string;
  meterToken: string;
  /** The customer's external id. */
  customer: string;
  customerId: string;
  quantity: number;
  timestamp: string;
  createdAt: string;
  metadata: Record<string, unknown>;
  idempotencyKey: string | null;
  /** Which ingestion route stored it. */
  source: 'track' | 'usage';
  /** The exact record the server answered with. */
  record: UsageRecord;
}

export interface EventFilter {
  /** Meter name, token or id. */
  meter?: string;
  /** Customer external id or internal id. */
  customer?: string;
}

export interface UsageTotal {
  meter: string;
  meterToken: string;
  customer: string;
  total: number;
  eventCount: number;
}

export interface RejectedRequest {
  at: string;
  route: string;
  status: number;
  detail: string;
  /** The start of the request body, for context. */
  body: string;
}

export interface LocalStats {
  /** Requests that reached an ingestion route. */
  requests: number;
  stored: number;
  deduplicated: number;
  /** Non-2xx answers that were not injected faults, by status. */
  rejected: Record<string, number>;
  faults: Record<FaultKind, number>;
  events: number;
  customers: number;
  maxEvents: number;
  seed: number;
  suspended: boolean;
}

export interface Customer {
  id: string;
  externalId: string;
}

export interface LocalServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`: use it as `FLUXRATE_BASE_URL`. */
  url: string;
  /** The first configured API key. */
  apiKey: string;
  /** The first configured access token (cookie `access_token`). */
  accessToken: string;
  meters: Record<string, MeterInfo>;
  close(): Promise<void>;
  /** Stops listening and drops open connections: clients see ECONNREFUSED until `resume()`. */
  suspend(): Promise<void>;
  /** Listens again on the same host and port; stored data is kept. */
  resume(): Promise<void>;
  events(filter?: EventFilter): LocalEvent[];
  usage(): UsageTotal[];
  stats(): LocalStats;
  /** Replaces the fault configuration (`{}` turns faults off). */
  setFaults(faults: FaultOptions): void;
  faults(): FaultOptions;
  rejected(): RejectedRequest[];
  /** Clears events, customers, idempotency keys, counters and the rejected log. */
  reset(): void;
  createCustomer(externalId: string): Customer;
  addMeter(name: string, spec?: string | MeterSpec): MeterInfo;
}
