import { setTimeout as sleep } from 'node:timers/promises';
import { mulberry32 } from '@fluxrate/local';
import { Pool } from 'undici';

/** The API keys the example apps know (see examples/<framework>/src/domain.ts). */
export const ACCOUNTS = [
  { key: 'sk_acme_alice', customer: 'acme', user: 'alice' },
  { key: 'sk_acme_bob', customer: 'acme', user: 'bob' },
  { key: 'sk_acme_carol', customer: 'acme', user: 'carol' },
  { key: 'sk_globex_dave', customer: 'globex', user: 'dave' },
  { key: 'sk_globex_erin', customer: 'globex', user: 'erin' },
  { key: 'sk_initech_frank', customer: 'initech', user: 'frank' },
];
export const CUSTOMERS = [...new Set(ACCOUNTS.map((a) => a.customer))];
export const METERS = ['active_users', 'api_calls', 'tokens'];

const WORDS = 'usage meter invoice customer quota tokens billing search answer model request latency'.split(
  ' ',
);

/**
 * Each action is one request, what it should answer, and what it should bill. `bill` gets the parsed
 * body of a successful answer and returns [meter, quantity] (or nothing for free routes).
 */
const ACTIONS = [
  {
    name: 'search',
    weight: 30,
    status: 200,
    build: (r) => ({ path: `/v1/search?q=${pick(r, WORDS)}` }),
    bill: () => ['api_calls', 1],
  },
  {
    name: 'chat',
    weight: 18,
    status: 200,
    build: (r) => ({
      method: 'POST',
      path: '/v1/chat',
      body: { prompt: prompt(r, 3 + Math.floor(r() * 40)) },
    }),
    bill: (body) => ['tokens', body.usage.total_tokens],
  },
  { name: 'me', weight: 14, status: 200, build: () => ({ path: '/v1/me' }), bill: () => ['active_users', 1] },
  { name: 'health', weight: 8, status: 200, build: () => ({ path: '/health' }) },
  { name: 'fail', weight: 8, status: 422, build: () => ({ method: 'POST', path: '/v1/fail', body: {} }) },
  {
    name: 'unknown-key',
    weight: 6,
    status: 401,
    build: () => ({ path: '/v1/search?q=free', key: 'sk_stolen' }),
  },
  {
    // A client replaying the same X-Request-Id / Idempotency-Key must not make distinct calls free.
    name: 'forged-request-id',
    weight: 10,
    status: 200,
    build: (r) => {
      const id = `forged-${Math.floor(r() * 3)}`;
      return { path: '/v1/search?q=forged', headers: { 'x-request-id': id, 'idempotency-key': id } };
    },
    bill: () => ['api_calls', 1],
  },
  {
    // The client gives up while the model is still "thinking" (a long prompt takes ~3 s): never billed.
    name: 'client-abort',
    weight: 6,
    status: 'aborted',
    build: (r) => ({
      method: 'POST',
      path: '/v1/chat',
      body: { prompt: prompt(r, 1500) },
      abortAfterMs: 20 + r() * 60,
    }),
  },
];
const TOTAL_WEIGHT = ACTIONS.reduce((sum, a) => sum + a.weight, 0);

function pick(rng, list) {
  return list[Math.floor(rng() * list.length)];
}

function prompt(rng, words) {
  return Array.from({ length: words }, () => pick(rng, WORDS)).join(' ');
}

function chooseAction(rng) {
  let roll = rng() * TOTAL_WEIGHT;
  for (const action of ACTIONS) {
    roll -= action.weight;
    if (roll < 0) return action;
  }
  return ACTIONS[0];
}

/** Drives every app with the same mix: steady workers plus periodic concurrent bursts. */
export class Traffic {
  constructor(apps, ledger, { seed, workers = 4, burstEveryMs = 2_000, burstSize = 20 }) {
    this.ledger = ledger;
    this.rng = mulberry32(seed);
    this.workers = workers;
    this.burstEveryMs = burstEveryMs;
    this.burstSize = burstSize;
    this.targets = apps.map((app) => ({
      framework: app.framework,
      pool: new Pool(app.url, { connections: 16, keepAliveTimeout: 10_000 }),
      counts: { requests: 0, billable: 0, aborted: 0, unbilled: 0 },
    }));
    this.totals = { requests: 0, billable: 0, aborted: 0, unbilled: 0 };
    /** Answers that were not what the route promises: the middleware got in the request's way. */
    this.unexpected = [];
    /** Requests whose billing cannot be known (a network error before a complete answer). */
    this.indeterminate = [];
  }

  async run(durationMs) {
    const deadline = Date.now() + durationMs;
    const loops = [];
    for (const target of this.targets) {
      for (let i = 0; i < this.workers; i++) loops.push(this.#worker(target, deadline));
      loops.push(this.#bursts(target, deadline));
    }
    await Promise.all(loops);
  }

  async close() {
    await Promise.all(this.targets.map((t) => t.pool.close()));
  }

  async #worker(target, deadline) {
    while (Date.now() < deadline) {
      await this.#request(target, chooseAction(this.rng));
      await sleep(this.rng() * 10);
    }
  }

  async #bursts(target, deadline) {
    while (Date.now() + this.burstEveryMs < deadline) {
      await sleep(this.burstEveryMs);
      const burst = ACTIONS.filter((a) => ['search', 'me', 'chat'].includes(a.name));
      await Promise.all(
        Array.from({ length: this.burstSize }, () => this.#request(target, pick(this.rng, burst))),
      );
    }
  }

  async #request(target, action) {
    const account = pick(this.rng, ACCOUNTS);
    const {
      method = 'GET',
      path,
      body,
      headers = {},
      key = account.key,
      abortAfterMs,
    } = action.build(this.rng);
    const controller = abortAfterMs === undefined ? undefined : new AbortController();
    const timer = controller && setTimeout(() => controller.abort(), abortAfterMs);
    this.#count(target, 'requests');
    let status;
    try {
      const res = await target.pool.request({
        method,
        path,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: controller?.signal,
      });
      status = res.statusCode;
      const text = await res.body.text();
      if (status !== action.status) {
        this.unexpected.push(
          `${target.framework} ${method} ${path.slice(0, 40)} -> ${status} (expected ${action.status})`,
        );
        return;
      }
      if (!action.bill) return this.#count(target, 'unbilled');
      const [meter, quantity] = action.bill(JSON.parse(text));
      this.ledger.record(target.framework, meter, account.customer, quantity, account.user);
      this.#count(target, 'billable');
    } catch (error) {
      if (controller?.signal.aborted && status === undefined) return this.#count(target, 'aborted');
      this.indeterminate.push(
        `${target.framework} ${method} ${path.slice(0, 40)}: ${error.code ?? error.message}`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  #count(target, what) {
    target.counts[what] += 1;
    this.totals[what] += 1;
  }
}
