import { mulberry32 } from '@fluxrate/local';
import type { Meter } from '@fluxrate/testkit';
import { Pool } from 'undici';

export type Kind = 'search' | 'chat' | 'seen' | 'free' | 'fail' | 'hang';

export interface PlannedRequest {
  kind: Kind;
  customer: string;
  tokens: number;
  user: string;
}

const BILLABLE: Record<Kind, Meter | undefined> = {
  search: 'api_calls',
  chat: 'tokens',
  seen: 'active_users',
  free: undefined,
  fail: undefined,
  hang: undefined,
};

/** Request mix: 85% billable (three meters), 6% free, 5% failing 4xx, 4% aborted by the client. */
const MIX: [Kind, number][] = [
  ['search', 0.4],
  ['chat', 0.25],
  ['seen', 0.2],
  ['free', 0.06],
  ['fail', 0.05],
  ['hang', 0.04],
];

/** A deterministic request plan with exactly `billable` billable requests across customers and users. */
export function plan(billable: number, label: string, seed = 7, customers = 5): PlannedRequest[] {
  return planOf(billable, label, seed, customers, MIX);
}

/** Only billable requests (search, chat, seen). */
export function billablePlan(billable: number, label: string, seed = 7): PlannedRequest[] {
  return planOf(
    billable,
    label,
    seed,
    5,
    MIX.slice(0, 3).map(([k, share]) => [k, share / 0.85]),
  );
}

function planOf(
  billable: number,
  label: string,
  seed: number,
  customers: number,
  mix: [Kind, number][],
): PlannedRequest[] {
  const random = mulberry32(seed);
  const out: PlannedRequest[] = [];
  let count = 0;
  while (count < billable) {
    const u = random();
    let edge = 0;
    let kind: Kind = 'search';
    for (const [k, share] of mix) {
      edge += share;
      if (u < edge) {
        kind = k;
        break;
      }
    }
    if (BILLABLE[kind]) count++;
    out.push({
      kind,
      customer: `${label}-cust-${Math.floor(random() * customers)}`,
      tokens: 1 + Math.floor(random() * 500),
      user: `user-${Math.floor(random() * 40)}`,
    });
  }
  return out;
}

/** What the successful billable requests should bill, per meter and customer, and the exact keys. */
export class Expected {
  readonly keys = new Set<string>();
  readonly totals = new Map<
    string,
    { meter: Meter; customer: string; events: number; sum: number; users: Set<string> }
  >();

  add(meter: Meter, customer: string, requestId: string, quantity: number, user?: string): void {
    this.keys.add(`req_${requestId}_${meter}`);
    const id = `${meter}|${customer}`;
    let t = this.totals.get(id);
    if (!t) {
      t = { meter, customer, events: 0, sum: 0, users: new Set() };
      this.totals.set(id, t);
    }
    t.events++;
    t.sum += quantity;
    if (user) t.users.add(user);
  }

  /** Expected `usage()` rows: SUM meters total the quantities, UNIQUE_COUNT counts distinct users. */
  usage(): { meter: string; customer: string; total: number; eventCount: number }[] {
    return [...this.totals.values()]
      .map((t) => ({
        meter: t.meter,
        customer: t.customer,
        total: t.meter === 'active_users' ? t.users.size : t.sum,
        eventCount: t.events,
      }))
      .sort((a, b) => a.meter.localeCompare(b.meter) || a.customer.localeCompare(b.customer));
  }
}

export interface LoadResult {
  requests: number;
  /** 2xx answers to billable routes. */
  billed: number;
  statuses: Record<number, number>;
  aborted: number;
  /** Errors other than the planned aborts. */
  errors: string[];
  latencies: number[];
}

export interface LoadOptions {
  concurrency?: number;
  /** Stop issuing new requests once this returns true. */
  stop?: () => boolean;
  /** Each worker waits this many ms between requests (a steady load rather than a flood). Default: 0. */
  pace?: number;
  /** Called with each finished request's start time and latency. */
  onLatency?: (startedAt: number, ms: number) => void;
}

/** Drives the plan against an app with `concurrency` workers over a keep-alive pool. */
export async function drive(
  url: string,
  requests: PlannedRequest[],
  expected: Expected,
  options: LoadOptions = {},
): Promise<LoadResult> {
  const concurrency = options.concurrency ?? 16;
  const pool = new Pool(url, { connections: concurrency });
  const result: LoadResult = { requests: 0, billed: 0, statuses: {}, aborted: 0, errors: [], latencies: [] };
  let next = 0;
  const worker = async () => {
    while (next < requests.length && !options.stop?.()) {
      const r = requests[next++]!;
      result.requests++;
      const started = performance.now();
      const controller = new AbortController();
      const timer = r.kind === 'hang' ? setTimeout(() => controller.abort(), 20) : undefined;
      try {
        const response = await pool.request({
          method: r.kind === 'chat' ? 'POST' : 'GET',
          path: `/v1/${r.kind}`,
          headers: { 'x-customer': r.customer, 'x-tokens': String(r.tokens), 'x-user': r.user },
          signal: controller.signal,
        });
        const body = (await response.body.json()) as { requestId?: string };
        const ms = performance.now() - started;
        result.latencies.push(ms);
        options.onLatency?.(started, ms);
        result.statuses[response.statusCode] = (result.statuses[response.statusCode] ?? 0) + 1;
        const meter = BILLABLE[r.kind];
        if (meter && response.statusCode < 300 && body.requestId) {
          result.billed++;
          expected.add(meter, r.customer, body.requestId, meter === 'tokens' ? r.tokens : 1, r.user);
        }
      } catch (error) {
        if (controller.signal.aborted) result.aborted++;
        else result.errors.push(String(error));
      } finally {
        clearTimeout(timer);
      }
      if (options.pace) await new Promise((resolve) => setTimeout(resolve, options.pace));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await pool.close();
  return result;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Compares stored events with the expected keys: events missing (lost) and events beyond them (doubled). */
export function reconcile(expected: Expected, stored: { idempotencyKey: string | null }[]) {
  const seen = new Map<string, number>();
  for (const e of stored) seen.set(e.idempotencyKey ?? '', (seen.get(e.idempotencyKey ?? '') ?? 0) + 1);
  let lost = 0;
  for (const key of expected.keys) if (!seen.has(key)) lost++;
  let doubled = 0;
  for (const [key, n] of seen) doubled += expected.keys.has(key) ? n - 1 : n;
  return { lost, doubled };
}
