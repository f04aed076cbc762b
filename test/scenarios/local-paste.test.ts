// Issue #25: `npx @fluxrate/local` printed FLUXRATE_METER_API_CALLS=… lines to paste, but zero
// configuration reads FLUXRATE_METERS: pasted as told, the app failed with "unknown meter 'api_calls'".
// Here the CLI's own output, pasted into the environment, configures the zero-configuration tracker.
import { createTracker } from '@fluxrate/core';
import type { LocalServer } from '@fluxrate/local';
import { describe, expect, it } from 'vitest';
import { metersFromEnv } from '../../packages/core/src/config/env-meters.js';
import { runCli } from '../../packages/local/src/cli-main.js';

/** The `NAME=value` lines of the CLI's banner (comments and prose left out), as a shell would read them. */
function pasted(banner: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of banner.split('\n')) {
    const m = /^(FLUXRATE_[A-Z_]+)=(\S+)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

describe('npx @fluxrate/local prints what zero configuration reads', () => {
  it('its pasted lines name every meter for a tracker built as zero configuration builds it', async () => {
    const out: string[] = [];
    const controller = new AbortController();
    let server!: LocalServer;
    const started = new Promise<void>((resolve) => {
      const io = {
        stdout: { write: (s: string) => out.push(s) },
        stderr: { write: () => undefined },
        signal: controller.signal,
        statusIntervalMs: 60_000,
        onStart: (s: LocalServer) => {
          server = s;
          resolve();
        },
      };
      void runCli(['--port', '0', '--quiet'], io);
    });
    await started;
    try {
      const env = pasted(out.join(''));
      expect(Object.keys(env)).toEqual(
        expect.arrayContaining(['FLUXRATE_BASE_URL', 'FLUXRATE_API_KEY', 'FLUXRATE_METERS']),
      );
      // What defaultTracker() does with the environment.
      const meters = metersFromEnv(env.FLUXRATE_METERS);
      expect(Object.keys(meters).sort()).toEqual(Object.keys(server.meters).sort());
      const tracker = createTracker({ apiKey: env.FLUXRATE_API_KEY, baseUrl: env.FLUXRATE_BASE_URL, meters });
      tracker.track({ meter: 'api_calls', customerId: 'acme', quantity: 2 });
      tracker.track({ meter: 'active_users', customerId: 'acme', metadata: { user_id: 'u1' } });
      await tracker.shutdown({ timeoutMs: 5_000 });
      expect(tracker.stats()).toMatchObject({ delivered: 2, failed: 0 });
      expect(
        server
          .usage()
          .map((u) => `${u.meter} ${u.total}`)
          .sort(),
      ).toEqual(['active_users 1', 'api_calls 2']);
    } finally {
      controller.abort();
    }
  });
});
