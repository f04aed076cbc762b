// Issue 27: one shutdown report. What a shutdown deadline left was logged by Fastify (fastify.log) and
// Nest (its Logger) on top of the tracker's own line, and by Express only through the tracker: closing
// an adapter now says it once, from core, the same way in every adapter.
import { captureWarnings, waitFor } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { send } from './support/client.js';
import { LogCapture } from './support/logs.js';
import type { AppDef } from './support/model.js';
import { EACH, useFluxrate } from './support/suite.js';

const LEFT = 'fluxrate: the 100 ms shutdown deadline left 2 usage events (not delivered)';

describe.each(EACH)('%s', (_name, driver) => {
  const h = useFluxrate();

  /** An app on a tracker it owns, closed with Fluxrate down and 2 events outstanding. */
  async function closeWithTwoLeft(logs?: LogCapture) {
    const def: AppDef = {
      ownTracker: true,
      options: { shutdownTimeoutMs: 100 },
      routes: [{ method: 'GET', path: '/v1/search', billable: 'api_calls', do: { kind: 'json' } }],
      ...(logs ? { logs } : {}),
    };
    const app = await h.start(driver, def);
    const dropped: string[] = [];
    app.tracker.on('dropped', (d) => dropped.push(d.reason));
    await h.fx.suspend();
    for (let i = 0; i < 2; i++) expect((await send(app.url, '/v1/search')).status).toBe(200);
    await waitFor(() => app.tracker.stats().tracked === 2, 5_000, 'both events tracked');
    await app.close();
    expect(dropped).toEqual(['shutdown-deadline', 'shutdown-deadline']);
  }

  it("says what the shutdown deadline left once, to the tracker's logger, not to the framework's", async () => {
    const logs = new LogCapture();
    const warnings = captureWarnings();
    await closeWithTwoLeft(logs);
    expect(logs.lines).toEqual([
      { to: 'tracker', level: 'warn', message: LEFT, fields: { pending: 2, timeoutMs: 100 } },
    ]);
    expect(warnings.all).toEqual([]);
  });

  it('with no logger, says it once as a FLUXRATE_SHUTDOWN_LEFT process warning', async () => {
    const warnings = captureWarnings();
    await closeWithTwoLeft();
    expect(warnings.all).toEqual([{ code: 'FLUXRATE_SHUTDOWN_LEFT', message: LEFT }]);
  });
});
