import { tracker as newTracker } from '@fluxrate/testkit';
import type { AdapterTracker } from '../src/adapter.js';

/** Adapters report problems through the tracker's adapter-only hooks. */
const tracker = (options: Parameters<typeof newTracker>[0] = {}) => newTracker(options) as AdapterTracker;

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let warnings: { code?: string; message: string }[] = [];
const onWarning = (w: Error & { code?: string }) => warnings.push({ code: w.code, message: w.message });
beforeEach(() => {
  warnings = [];
  process.on('warning', onWarning);
});
afterEach(() => {
  process.off('warning', onWarning);
});
const settle = () => new Promise((resolve) => setImmediate(resolve));

// Issue #17 item 2: with no logger and no `error` listener, main surfaced billing problems nowhere.
describe('problems nobody listens to become process warnings, once each', () => {
  it('raises an unheard billing error once as a FLUXRATE_NOT_BILLED warning', async () => {
    const t = tracker();
    const problem = { route: 'GET /v1/search', meter: 'api_cals', reason: "unknown meter 'api_cals'" };
    t.reportError(problem);
    t.reportError(problem);
    await settle();
    const ours = warnings.filter((w) => w.code === 'FLUXRATE_NOT_BILLED');
    expect(ours).toHaveLength(1);
    expect(ours[0]!.message).toContain('GET /v1/search');
  });

  it('raises a problem once per process, however many trackers see it', async () => {
    const problem = { route: 'POST /v1/chat', meter: 'tokens', reason: 'quantity returned undefined' };
    tracker().reportError(problem);
    tracker().reportError(problem);
    await settle();
    expect(warnings.filter((w) => w.message.includes('POST /v1/chat'))).toHaveLength(1);
  });

  it('stays quiet when the app listens for errors or passes a logger', async () => {
    const listened = tracker();
    listened.on('error', () => undefined);
    listened.reportError({ reason: 'quantity returned NaN' });
    const logged = tracker({ logger: { warn: () => undefined } });
    logged.reportError({ reason: 'quantity returned NaN' });
    await settle();
    expect(warnings.filter((w) => w.code?.startsWith('FLUXRATE_'))).toHaveLength(0);
  });

  it('raises overflow drops once, not per event', async () => {
    const t = tracker({ maxQueueSize: 1 });
    for (let i = 0; i < 100; i++) t.track({ meter: 'api_calls', customerId: 'acme' });
    await settle();
    expect(warnings.filter((w) => w.code === 'FLUXRATE_EVENT_DROPPED')).toHaveLength(1);
  });
});
