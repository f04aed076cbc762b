import { record, scripted, TOKEN, tracker, USERS_TOKEN } from '@fluxrate/testkit';
import { type CompiledSpec, type RequestBillingState } from '../../src/adapter.js';
import type { RequestOutcome } from '../../src/index.js';
import { createRouteMeter, type RouteMeter } from '../../src/request/route-meter.js';

/** The framework-neutral request the route meter sees in these tests: a plain object. */
export interface FakeRequest {
  headers: Record<string, string>;
  user?: string;
}
export type Args = [FakeRequest];

export const TOKENS_TOKEN = 'bbbbbbbb-2222-4333-8444-555555555555';
export const TOKENS_1_TOKEN = 'cccccccc-2222-4333-8444-555555555555';

export interface RunOptions {
  req?: FakeRequest;
  status?: number;
  aborted?: boolean;
  finished?: boolean;
  method?: string;
  route?: string | undefined;
  clientKey?: unknown;
  /** Runs while the "handler" runs: setQuantity / addUsage / skip. */
  handler?: (state: RequestBillingState) => void;
}

/** A route meter over a real tracker sending to a scripted server, plus helpers to run fake requests. */
export async function routeHarness(options: Record<string, unknown> = {}) {
  const server = await scripted();
  const t = tracker({
    baseUrl: server.url,
    meters: {
      api_calls: TOKEN,
      tokens: TOKENS_TOKEN,
      tokens_1: TOKENS_1_TOKEN,
      users: { token: USERS_TOKEN, aggregation: 'UNIQUE_COUNT' },
    },
  });
  const events = record(t);
  const meter: RouteMeter<Args> = createRouteMeter<Args>(
    { tracker: t, customer: (req: FakeRequest) => req.user, ...options },
    'test()',
  );

  function outcomeFor(state: RequestBillingState, o: RunOptions): RequestOutcome {
    return {
      requestId: state.requestId,
      method: o.method ?? 'GET',
      route: 'route' in o ? o.route : '/v1/search',
      status: o.status ?? 200,
      aborted: o.aborted ?? false,
      finished: o.finished ?? true,
      durationMs: 1,
    };
  }

  /** Runs one request through begin -> handler -> finish; returns its state. */
  function run(specs: CompiledSpec[] | unknown, o: RunOptions = {}): RequestBillingState {
    const compiled = Array.isArray(specs) && specs.every((s) => 'ordinal' in (s as object)) ? specs : null;
    const list = (compiled ?? meter.compile(specs, `${o.method ?? 'GET'} /v1/search`)) as CompiledSpec[];
    const req = o.req ?? { headers: {}, user: 'acme' };
    const state = meter.begin([req], o.clientKey);
    o.handler?.(state);
    const result = meter.finish(state, list, [req], outcomeFor(state, o));
    if (result !== undefined) throw new Error('finish() must return nothing');
    return state;
  }

  /** Flushes and returns the bodies the server received. */
  async function sent(): Promise<any[]> {
    await t.flush();
    return server.requests.map((r) => r.json);
  }

  return { server, tracker: t, events, meter, run, sent, outcomeFor };
}
