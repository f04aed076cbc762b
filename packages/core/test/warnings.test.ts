import { captureLogger, captureWarnings, tracker as newTracker } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import type { AdapterTracker } from '../src/contracts/adapter-tracker.js';
import { createRouteMeter } from '../src/request/route-meter.js';

/** Adapters report problems through the tracker's adapter-only hooks. */
const tracker = (options: Parameters<typeof newTracker>[0] = {}) => newTracker(options) as AdapterTracker;

// Issue #17 item 2: with no logger and no `error` listener, main surfaced billing problems nowhere.
describe('problems nobody listens to become process warnings, once each', () => {
  it('raises an unheard billing error once as a FLUXRATE_NOT_BILLED warning', () => {
    const warnings = captureWarnings();
    const t = tracker();
    const problem = { route: 'GET /v1/search', meter: 'api_cals', reason: "unknown meter 'api_cals'" };
    t.reportError(problem);
    t.reportError(problem);
    const ours = warnings.of('FLUXRATE_NOT_BILLED');
    expect(ours).toHaveLength(1);
    expect(ours[0]).toContain('GET /v1/search');
  });

  it('raises a problem once per process, however many trackers see it', () => {
    const warnings = captureWarnings();
    const problem = { route: 'POST /v1/chat', meter: 'tokens', reason: 'quantity returned undefined' };
    tracker().reportError(problem);
    tracker().reportError(problem);
    expect(warnings.all.filter((w) => w.message.includes('POST /v1/chat'))).toHaveLength(1);
  });

  it('stays quiet when the app listens for errors or passes a logger', () => {
    const warnings = captureWarnings();
    const listened = tracker();
    listened.on('error', () => undefined);
    listened.reportError({ reason: 'quantity returned NaN' });
    const logged = tracker({ logger: { warn: () => undefined } });
    logged.reportError({ reason: 'quantity returned NaN' });
    expect(warnings.all).toHaveLength(0);
  });

  it('raises overflow drops once, not per event', () => {
    const warnings = captureWarnings();
    const t = tracker({ maxQueueSize: 1 });
    for (let i = 0; i < 100; i++) t.track({ meter: 'api_calls', customerId: 'acme' });
    expect(warnings.of('FLUXRATE_EVENT_DROPPED')).toHaveLength(1);
  });
});

/** Runs one finished 200 request through a route meter, as an adapter would. */
function request(meter: ReturnType<typeof createRouteMeter<[object]>>, spec: unknown, route: string): void {
  const specs = meter.compile(spec, `GET ${route}`);
  const state = meter.begin([{}]);
  const outcome = {
    requestId: state.requestId,
    method: 'GET',
    route,
    status: 200,
    aborted: false,
    finished: true,
    durationMs: 1,
  };
  meter.finish(state, specs, [{}], outcome);
}

const HINT = 'Set req.customer in test auth.';

// Issue #25: a forgotten customer id was completely silent (logger.debug and the `skipped` event only).
describe('usage the app configuration kept from being billed is said once per route (FLUXRATE_SKIPPED)', () => {
  it('raises one warning per route for a missing customer, naming the route and how to set the customer', () => {
    const warnings = captureWarnings();
    const meter = createRouteMeter<[object]>({ tracker: tracker() }, 'test()', { customerHint: HINT });
    request(meter, { meter: 'api_calls' }, '/v1/search');
    request(meter, { meter: 'api_calls' }, '/v1/search');
    request(meter, { meter: 'users' }, '/v1/search');
    request(meter, { meter: 'api_calls' }, '/v1/other');
    expect(warnings.of('FLUXRATE_SKIPPED')).toEqual([
      expect.stringMatching(
        /^fluxrate: usage not billed on GET \/v1\/search \(meter api_calls\): no customer/,
      ),
      expect.stringMatching(/^fluxrate: usage not billed on GET \/v1\/other /),
    ]);
    expect(warnings.all[0]!.message).toContain('no customer option is set');
    expect(warnings.all[0]!.message).toContain(HINT);
    expect(meter.tracker.stats().skipped).toBe(4);
  });

  it('says what the customer function returned when there is one', () => {
    const warnings = captureWarnings();
    const meter = createRouteMeter<[object]>({ tracker: tracker(), customer: () => '' }, 'test()');
    request(meter, { meter: 'api_calls' }, '/v1/empty-customer');
    expect(warnings.of('FLUXRATE_SKIPPED')).toEqual([
      expect.stringContaining("GET /v1/empty-customer (meter api_calls): no customer (customer returned '')"),
    ]);
  });

  it('says it once per route at warn level to a logger instead, with no process warning', () => {
    const warnings = captureWarnings();
    const logger = captureLogger();
    const meter = createRouteMeter<[object]>({ tracker: tracker({ logger }) }, 'test()', {
      customerHint: HINT,
    });
    for (let i = 0; i < 3; i++) request(meter, { meter: 'api_calls' }, '/v1/logged');
    const warned = logger.calls.filter((c) => c.level === 'warn');
    expect(warned.map((c) => c.msg)).toEqual([expect.stringContaining('GET /v1/logged')]);
    expect(warned[0]!.msg).toContain(HINT);
    expect(warnings.all).toHaveLength(0);
  });

  it('leaves it to a `skipped` listener, which hears every skip', () => {
    const warnings = captureWarnings();
    const t = tracker();
    const skipped: unknown[] = [];
    t.on('skipped', (s) => skipped.push(s));
    const meter = createRouteMeter<[object]>({ tracker: t }, 'test()');
    request(meter, { meter: 'api_calls' }, '/v1/listened');
    expect(skipped).toHaveLength(1);
    expect(warnings.all).toHaveLength(0);
  });

  it('raises a disabled tracker and a customer outside the allow list once each', () => {
    const warnings = captureWarnings();
    const disabled = tracker({ disabled: true });
    const allowList = tracker({ customerAllowList: ['acme'] });
    for (let i = 0; i < 3; i++) {
      disabled.track({ meter: 'api_calls', customerId: 'acme' });
      allowList.track({ meter: 'api_calls', customerId: `other${i}` });
    }
    expect(warnings.of('FLUXRATE_SKIPPED')).toEqual([
      expect.stringContaining('disabled: true'),
      expect.stringContaining('customerAllowList'),
    ]);
  });

  it('does not raise skips that come from the request itself (zero quantity, opted out)', () => {
    const warnings = captureWarnings();
    const meter = createRouteMeter<[object]>({ tracker: tracker(), customer: () => 'acme' }, 'test()');
    request(meter, { meter: 'api_calls', quantity: () => 0 }, '/v1/zero');
    expect(meter.tracker.stats().skipped).toBe(1);
    expect(warnings.all).toHaveLength(0);
  });
});

describe('a user function returning garbage is one problem, whatever values it returns', () => {
  it('raises one FLUXRATE_NOT_BILLED warning per route, meter and function (failed before: one per value)', () => {
    const warnings = captureWarnings();
    let n = 0;
    const meter = createRouteMeter<[object]>({ tracker: tracker(), customer: () => 'acme' }, 'test()');
    for (let i = 0; i < 5; i++) request(meter, { meter: 'api_calls', quantity: () => -++n }, '/v1/garbage');
    request(meter, { meter: 'api_calls', customer: () => 7 }, '/v1/garbage');
    expect(warnings.of('FLUXRATE_NOT_BILLED')).toEqual([
      expect.stringContaining(
        'GET /v1/garbage (meter api_calls): quantity must be a finite number > 0, got -1',
      ),
      expect.stringContaining('GET /v1/garbage (meter api_calls): customer returned 7'),
    ]);
    expect(meter.tracker.stats().errors).toBe(6);
  });
});
