import { parseArgs } from 'node:util';
import { FluxrateConfigError } from '@fluxrate/core';
import { type Forwarder, startForwarder } from './forwarder.js';
import { type MetricsServer, startMetricsServer } from './metrics-server.js';

const USAGE = `Usage: fluxrate-forwarder --redis redis://host:6379 [options]

Delivers the usage events apps appended to a Redis stream (redisOutbox), as a member of its
consumer group. Entries left pending by a dead consumer are taken over after --claim-idle ms.
SIGTERM/SIGINT: stop reading, close open aggregation windows, finish the attempts in flight, hand the
rest back to the group.

Options:
  --redis URL             Redis URL (required; or env REDIS_URL)
  --stream KEY            stream key (default fluxrate:events)
  --group NAME            consumer group (default fluxrate)
  --consumer NAME         consumer name (default <hostname>-<pid>-<random>)
  --concurrency N         requests in flight (default 8)
  --prefetch N            entries read ahead (default 256)
  --claim-idle MS         take over entries idle this long on another consumer (default 30000)
  --retry-min MS          first retry delay (default 200)
  --retry-max MS          largest retry delay (default 30000)
  --dead-letter FILE      append every failed or dropped event to this NDJSON file
  --max-event-age-days N  fail unsent (reason too-old) events older than N days (Stripe: 35, Metronome: 34)
  --stats-interval MS     print a stats line this often (default 5000; 0: only at exit)
  --shutdown-timeout MS   longest graceful shutdown (default 10000)
  --aggregate MS          merge aggregatable events (keys unique by construction) per window of MS
                          with the meters' exact rules, exactly once across kills (off by default;
                          needs --claim-idle >= MS + 1000)
  --aggregate-max-inputs N  most inputs in open windows; more closes them early (default 10000)
  --metrics-port N        serve OpenTelemetry metrics as Prometheus text on http://HOST:N/metrics
                          (needs @opentelemetry/exporter-prometheus and @opentelemetry/sdk-metrics)
  --metrics-host HOST     interface for --metrics-port (default localhost; 0.0.0.0 in a container)
  --json                  print JSON lines instead of text
  -h, --help
Env: FLUXRATE_API_KEY, FLUXRATE_BASE_URL (as for createTracker).`;

function int(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name} expects an integer >= ${min}`);
  return value;
}

class UsageError extends Error {}

/** The tracker options a CLI user sets through the environment (the CLI has no flag for them). */
const ENV_OF: Record<string, string> = {
  apiKey: 'FLUXRATE_API_KEY',
  baseUrl: 'FLUXRATE_BASE_URL',
  accessToken: 'FLUXRATE_ACCESS_TOKEN',
};

/** A start-up error as a CLI user can act on it: a tracker option read from the environment is named by its variable. */
function cliMessage(error: unknown): string {
  const env = error instanceof FluxrateConfigError ? ENV_OF[error.option] : undefined;
  if (env === undefined) return (error as Error).message;
  const problem = (error as Error).message.replace(/^Invalid Fluxrate option `[^`]*`: /, '');
  if (env === 'FLUXRATE_API_KEY' && problem.startsWith('missing')) {
    return `${env} is not set: set it to your Fluxrate API key (scope usage.write)`;
  }
  return `${env} ${problem}`;
}

/** Runs the forwarder until SIGTERM/SIGINT; resolves with the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        redis: { type: 'string' },
        stream: { type: 'string' },
        group: { type: 'string' },
        consumer: { type: 'string' },
        concurrency: { type: 'string' },
        prefetch: { type: 'string' },
        'claim-idle': { type: 'string' },
        'retry-min': { type: 'string' },
        'dead-letter': { type: 'string' },
        'max-event-age-days': { type: 'string' },
        'retry-max': { type: 'string' },
        'stats-interval': { type: 'string' },
        'shutdown-timeout': { type: 'string' },
        aggregate: { type: 'string' },
        'aggregate-max-inputs': { type: 'string' },
        'metrics-port': { type: 'string' },
        'metrics-host': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`fluxrate-forwarder: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const json = values.json === true;
  const print = (event: string, data: Record<string, unknown>) => {
    if (json) console.log(JSON.stringify({ event, ...data }));
    else
      console.log(
        `fluxrate-forwarder ${event}: ${Object.entries(data)
          .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`)
          .join(' ')}`,
      );
  };
  let forwarder: Forwarder;
  let statsEvery: number;
  let shutdownTimeout: number;
  let windowMs: number | undefined;
  let metrics: MetricsServer | undefined;
  try {
    const redis = (values.redis as string | undefined) ?? process.env.REDIS_URL;
    if (!redis) throw new UsageError('--redis (or env REDIS_URL) is required');
    statsEvery = int('stats-interval', values['stats-interval'] as string | undefined, 5_000, 0);
    shutdownTimeout = int('shutdown-timeout', values['shutdown-timeout'] as string | undefined, 10_000);
    const str = (name: string) => values[name] as string | undefined;
    windowMs = str('aggregate') === undefined ? undefined : int('aggregate', str('aggregate'), 0, 100);
    if (windowMs === undefined && str('aggregate-max-inputs') !== undefined) {
      throw new UsageError('--aggregate-max-inputs needs --aggregate');
    }
    const rawPort = str('metrics-port');
    const metricsPort = rawPort === undefined ? undefined : int('metrics-port', rawPort, 0, 1);
    if (!metricsPort && str('metrics-host')) throw new UsageError('--metrics-host needs --metrics-port');
    if (metricsPort) metrics = await startMetricsServer(metricsPort, str('metrics-host'));
    // The tracker's and the outbox's instruments on one provider: one /metrics page.
    const meterProvider = metrics ? { meterProvider: metrics.provider } : {};
    forwarder = startForwarder({
      outbox: {
        redis,
        ...(str('stream') ? { stream: str('stream') } : {}),
        ...(str('group') ? { group: str('group') } : {}),
        ...(str('consumer') ? { consumer: str('consumer') } : {}),
        prefetch: int('prefetch', str('prefetch'), 256),
        claimIdleMs: int('claim-idle', str('claim-idle'), 30_000),
        ...meterProvider,
      },
      tracker: {
        concurrency: int('concurrency', str('concurrency'), 8),
        ...meterProvider,
        ...(str('dead-letter') ? { deadLetter: { file: str('dead-letter')! } } : {}),
        ...(str('max-event-age-days') === undefined
          ? {}
          : { maxEventAgeMs: int('max-event-age-days', str('max-event-age-days'), 0) * 86_400_000 }),
        retry: {
          minTimeout: int('retry-min', str('retry-min'), 200),
          maxTimeout: int('retry-max', str('retry-max'), 30_000),
        },
      },
      ...(windowMs === undefined
        ? {}
        : {
            aggregate: {
              windowMs,
              maxInputs: int('aggregate-max-inputs', str('aggregate-max-inputs'), 10_000),
            },
          }),
    });
  } catch (error) {
    await metrics?.close();
    console.error(`fluxrate-forwarder: ${cliMessage(error)}`);
    return 2;
  }
  const { outbox, tracker } = forwarder;
  tracker.on('error', (problem) => print('error', { reason: problem.reason }));
  const started = Date.now();
  let lastDelivered = 0;
  let lastAt = started;
  const report = async () => {
    const stats = await forwarder.stats();
    const now = Date.now();
    const rate = Math.round(((stats.delivered - lastDelivered) * 1000) / Math.max(1, now - lastAt));
    lastDelivered = stats.delivered;
    lastAt = now;
    print('stats', { ...stats, perSecond: rate });
  };
  print('started', {
    aggregate: windowMs ?? false,
    stream: outbox.options.stream,
    group: outbox.options.group,
    consumer: outbox.options.consumer,
    pid: process.pid,
    ...(metrics ? { metrics: metrics.url } : {}),
  });
  const timer = statsEvery > 0 ? setInterval(() => void report(), statsEvery) : undefined;
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  if (timer) clearInterval(timer);
  print('stopping', { signal });
  const result = await forwarder.stop(shutdownTimeout);
  await report().catch(() => undefined);
  await metrics?.close(); // after the last collection
  print('stopped', {
    delivered: result.delivered,
    failed: result.failed,
    handedBack: result.pending.length,
    seconds: Math.round((Date.now() - started) / 1000),
  });
  return 0;
}
