// Connects to Fluxrate (or an embedded @fluxrate/local) and reports on shutdown.
// Identical in the Express, Fastify and NestJS examples.
import { createTracker, type MeterName, type Tracker } from '@fluxrate/core';
import { type LocalServer, startLocalServer } from '@fluxrate/local';

// Registering the meter names makes a misspelt meter in a route spec a compile error.
declare module '@fluxrate/core' {
  interface Register {
    meters: 'api_calls' | 'tokens' | 'active_users';
  }
}

export interface Fluxrate {
  tracker: Tracker<MeterName>;
  /** The embedded Fluxrate-local server, when FLUXRATE_API_KEY / FLUXRATE_BASE_URL are unset. */
  local?: LocalServer;
  /** Delivery latencies in ms (a bounded sample), for the shutdown report. */
  latencies: number[];
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required when FLUXRATE_API_KEY or FLUXRATE_BASE_URL is set`);
  return value;
}

/** Real Fluxrate when FLUXRATE_API_KEY or FLUXRATE_BASE_URL is set, else an embedded Fluxrate-local. */
export async function connectFluxrate(): Promise<Fluxrate> {
  let local: LocalServer | undefined;
  let tracker: Fluxrate['tracker'];
  if (process.env.FLUXRATE_API_KEY || process.env.FLUXRATE_BASE_URL) {
    // apiKey and baseUrl default to FLUXRATE_API_KEY and FLUXRATE_BASE_URL.
    tracker = createTracker({
      meters: {
        api_calls: requiredEnv('FLUXRATE_METER_API_CALLS'),
        tokens: requiredEnv('FLUXRATE_METER_TOKENS'),
        active_users: { token: requiredEnv('FLUXRATE_METER_ACTIVE_USERS'), aggregation: 'UNIQUE_COUNT' },
      },
    });
  } else {
    local = await startLocalServer({
      meters: {
        api_calls: { aggregation: 'SUM' },
        tokens: { aggregation: 'SUM' },
        active_users: { aggregation: 'UNIQUE_COUNT' },
      },
    });
    console.log(`Fluxrate-local at ${local.url} (usage page: ${local.url}/)`);
    const token = (name: string) => local?.meters[name]?.token as string;
    tracker = createTracker({
      apiKey: local.apiKey,
      baseUrl: local.url,
      meters: {
        api_calls: token('api_calls'),
        tokens: token('tokens'),
        active_users: { token: token('active_users'), aggregation: 'UNIQUE_COUNT' },
      },
    });
  }

  const latencies: number[] = [];
  let seen = 0;
  tracker.on('delivered', ({ latencyMs }) => {
    latencies[seen++ % 10_000] = latencyMs;
  });
  // Nothing is lost silently: say why an event will never be billed.
  tracker.on('failed', ({ event, reason, status, detail }) =>
    console.error(
      `fluxrate: ${event.meter} event for ${event.customerId} failed (${reason} ${status ?? ''} ${detail ?? ''})`,
    ),
  );
  tracker.on('error', ({ route, reason }) => console.error(`fluxrate: ${route ?? ''} ${reason}`));
  return { tracker, local, latencies };
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Drains the tracker (10 s deadline) and prints the report, last line as JSON for scripts such as the demo. */
export async function shutdownFluxrate(fluxrate: Fluxrate, framework: string): Promise<void> {
  const report = await fluxrate.tracker.shutdown({ timeoutMs: 10_000 });
  const stats = fluxrate.tracker.stats();
  await fluxrate.local?.close();
  const sorted = [...fluxrate.latencies].sort((a, b) => a - b);
  console.log(
    `fluxrate: delivered ${report.delivered}, failed ${report.failed}, dropped ${report.dropped}, ` +
      `undelivered at the deadline ${report.pending.length}`,
  );
  const latencyMs = { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
  console.log(
    JSON.stringify({ fluxrate: 'shutdown', framework, stats, latencyMs, pending: report.pending.length }),
  );
}

/** Runs `stop` once on SIGINT / SIGTERM, then exits; a second signal exits at once. */
export function onShutdownSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`${signal}: finishing in-flight requests, then delivering outstanding usage events`);
    stop().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}
