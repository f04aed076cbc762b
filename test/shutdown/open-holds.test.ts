// A request whose hold() is still open when the process is stopped is billed with the usage added so
// far, whichever way it is stopped: the README's shutdown recipe, or SIGTERM in zero configuration
// (Express and Fastify, with and without the app's own SIGTERM listener). Real child processes on the
// built packages, real signals, a local Fluxrate.
import type { LocalServer } from '@fluxrate/local';
import { type Child, get, needsBuild, startFluxrate } from '@fluxrate/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { runFixture } from '../support/fixtures.js';

const skipReason = needsBuild('open holds at shutdown', 'core', 'express', 'fastify');

describe.skipIf(skipReason)('an open hold() when the process is stopped', () => {
  let fx: LocalServer | undefined;
  let child: Child | undefined;
  afterEach(async () => {
    child?.process.kill('SIGKILL');
    await fx?.close();
  });

  /** Starts the held app, answers one GET /v1/chat (its hold stays open), then sends SIGTERM. */
  async function holdThenSigterm(env: Record<string, string>) {
    fx = await startFluxrate();
    child = runFixture('held-app.mjs', {
      FLUXRATE_API_KEY: fx.apiKey,
      FLUXRATE_BASE_URL: fx.url,
      FLUXRATE_METERS: `tokens=${fx.meters.tokens!.token}`,
      ...env,
    });
    const { port } = await child.next('listening');
    expect((await get(port, '/v1/chat')).status).toBe(200);
    expect(fx.stats().stored).toBe(0);
    child.process.kill('SIGTERM');
    return child;
  }

  it("express, the README's recipe (server.close -> tracker.shutdown -> exit): bills the 11 tokens, the report counts the hold", async () => {
    const c = await holdThenSigterm({ FRAMEWORK: 'express', MODE: 'recipe' });
    const { report } = await c.next('shutdown');
    expect(await c.exited).toEqual({ code: 0, signal: null });
    expect(report).toEqual({ delivered: 1, failed: 0, dropped: 0, pending: 0, openHolds: 1 });
    expect(c.lines.filter((l) => l.event === 'error')).toEqual([
      {
        event: 'error',
        route: 'GET /v1/chat',
        reason: 'hold() still open at shutdown(); billed the usage added so far',
      },
    ]);
    expect(fx!.events().map((e) => [e.customer, e.quantity])).toEqual([['acme', 11]]);
  });

  it.each(['express', 'fastify'])(
    '%s, zero configuration, SIGTERM with no listener of its own: bills the 11 tokens, then dies by SIGTERM',
    async (framework) => {
      const c = await holdThenSigterm({ FRAMEWORK: framework, MODE: 'zero' });
      expect(await c.exited).toEqual({ code: null, signal: 'SIGTERM' });
      expect(fx!.events().map((e) => [e.customer, e.quantity])).toEqual([['acme', 11]]);
      // No logger and no `error` listener: the route is named in a process warning.
      expect(c.stderr()).toMatch(/hold\(\) still open at shutdown\(\)/);
    },
  );

  it.each(['express', 'fastify'])(
    "%s, zero configuration, the app's own SIGTERM listener: bills the 11 tokens, the process ends on its own",
    async (framework) => {
      const c = await holdThenSigterm({ FRAMEWORK: framework, MODE: 'zero', OWN_SIGTERM: '1' });
      expect(await c.exited).toEqual({ code: 0, signal: null });
      expect(fx!.events().map((e) => [e.customer, e.quantity])).toEqual([['acme', 11]]);
      expect(c.stderr()).toMatch(/hold\(\) still open at SIGTERM/);
    },
  );
});
