import { parseArgs } from 'node:util';
import { startLocalServer } from './server.js';
import type { Aggregation, FaultOptions, LocalServer, LocalServerOptions, MeterSpec } from './types.js';

export interface CliIo {
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown };
  /** Stops the server when aborted. Default: SIGINT / SIGTERM. */
  signal?: AbortSignal;
  /** Called once the server listens (tests use it to reach the server). */
  onStart?: (server: LocalServer) => void;
  /** Status refresh period; default 1000 ms on a TTY, 5000 ms otherwise. */
  statusIntervalMs?: number;
}

/** Stable defaults so that env lines pasted into an app survive a restart of the CLI. */
const CLI_DEFAULT_KEY = 'org_live_local_dev';
const CLI_DEFAULT_ACCESS_TOKEN = 'local-dev-access-token';
const CLI_DEFAULT_METERS: Record<string, MeterSpec> = {
  api_calls: {
    token: '6f1f7c1e-0a11-4c4e-9a0e-000000000001',
    id: '6f1f7c1e-0a11-4c4e-9a0e-100000000001',
    aggregation: 'SUM',
  },
  tokens: {
    token: '6f1f7c1e-0a11-4c4e-9a0e-000000000002',
    id: '6f1f7c1e-0a11-4c4e-9a0e-100000000002',
    aggregation: 'SUM',
  },
  active_users: {
    token: '6f1f7c1e-0a11-4c4e-9a0e-000000000003',
    id: '6f1f7c1e-0a11-4c4e-9a0e-100000000003',
    aggregation: 'UNIQUE_COUNT',
  },
};

export const USAGE = `Usage: fluxrate-local [options]

A Fluxrate-compatible server for development, tests and demos.

Options:
  --port <n>                    port to listen on (default 8000, 0 = any free port)
  --host <host>                 host to bind (default 127.0.0.1)
  --meter <name[:token[:AGG]]>  a meter; AGG is SUM, MAX, UNIQUE_COUNT or LAST (repeatable;
                                default: api_calls SUM, tokens SUM, active_users UNIQUE_COUNT)
  --api-key <key>               accepted X-API-Key with scope usage.write (repeatable)
  --access-token <token>        accepted access_token cookie for /api/v1/usage (repeatable)
  --fault <kind=rate>           inject faults on the ingestion routes (repeatable):
                                500=0.1  502=0.1  503=0.1  429=0.05  reset-before=0.05
                                reset-after=0.05  slow=0.02:12000 (rate:ms)
  --retry-after <seconds>       Retry-After of injected 429s (default 1)
  --seed <n>                    fault PRNG seed (same seed, same fault sequence)
  --max-events <n>              stored events cap (default 1000000)
  --quiet                       no status output
  -h, --help                    show this help
`;

class UsageError extends Error {}

const AGGREGATIONS = new Set(['SUM', 'MAX', 'UNIQUE_COUNT', 'LAST']);
const RATE_KINDS: Record<string, keyof FaultOptions> = {
  '500': '500',
  '502': '502',
  '503': '503',
  '429': '429',
  'reset-before': 'resetBefore',
  'reset-after': 'resetAfter',
};

function int(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be a whole number between ${min} and ${max}, got "${value}"`);
  }
  return n;
}

function rate(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new UsageError(`--fault ${flag} rate must be between 0 and 1, got "${value}"`);
  }
  return n;
}

export function parseMeter(value: string): [string, MeterSpec] {
  const [name = '', token, aggregation] = value.split(':');
  if (!name) throw new UsageError(`--meter needs a name: name[:token[:AGGREGATION]], got "${value}"`);
  const spec: MeterSpec = {};
  if (token) spec.token = token;
  if (aggregation) {
    const upper = aggregation.toUpperCase();
    if (!AGGREGATIONS.has(upper)) {
      throw new UsageError(
        `--meter ${name}: aggregation must be SUM, MAX, UNIQUE_COUNT or LAST, got "${aggregation}"`,
      );
    }
    spec.aggregation = upper as Aggregation;
  }
  return [name, spec];
}

export function parseFault(value: string, faults: FaultOptions): void {
  const eq = value.indexOf('=');
  const kind = eq === -1 ? value : value.slice(0, eq);
  const arg = eq === -1 ? '' : value.slice(eq + 1);
  if (kind === 'slow') {
    const [r = '', ms = ''] = arg.split(':');
    faults.slow = { rate: rate(r, 'slow'), ms: int(ms, 'fault slow (ms)', 0, 600_000) };
    return;
  }
  const key = RATE_KINDS[kind];
  if (!key) {
    throw new UsageError(
      `--fault kind must be one of ${[...Object.keys(RATE_KINDS), 'slow'].join(', ')}, got "${kind}"`,
    );
  }
  (faults as Record<string, number>)[key] = rate(arg, kind);
}

export function parseCliArgs(argv: string[]): { options: LocalServerOptions; quiet: boolean; help: boolean } {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const faults: FaultOptions = {};
  for (const f of values.fault ?? []) parseFault(f, faults);
  if (values['retry-after'] !== undefined)
    faults.retryAfter = int(values['retry-after'], 'retry-after', 0, 86_400);
  const options: LocalServerOptions = {
    port: values.port === undefined ? 8000 : int(values.port, 'port', 0, 65_535),
    host: values.host ?? '127.0.0.1',
    meters: values.meter ? Object.fromEntries(values.meter.map(parseMeter)) : CLI_DEFAULT_METERS,
    apiKeys: values['api-key'] ?? [CLI_DEFAULT_KEY],
    accessTokens: values['access-token'] ?? [CLI_DEFAULT_ACCESS_TOKEN],
    faults,
  };
  if (values.seed !== undefined) options.seed = int(values.seed, 'seed', 0, 2 ** 31 - 1);
  if (values['max-events'] !== undefined) {
    options.maxEvents = int(values['max-events'], 'max-events', 1, Number.MAX_SAFE_INTEGER);
  }
  return { options, quiet: values.quiet ?? false, help: values.help ?? false };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      meter: { type: 'string', multiple: true },
      'api-key': { type: 'string', multiple: true },
      'access-token': { type: 'string', multiple: true },
      fault: { type: 'string', multiple: true },
      'retry-after': { type: 'string' },
      seed: { type: 'string' },
      'max-events': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function envName(meter: string): string {
  return `FLUXRATE_METER_${meter.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
}

export function banner(server: LocalServer): string {
  const stats = server.stats();
  const faults = server.faults();
  const lines = [
    `Fluxrate local server listening on ${server.url}`,
    `Usage page: ${server.url}/`,
    '',
    "# Paste into your app's environment:",
    `FLUXRATE_BASE_URL=${server.url}`,
    `FLUXRATE_API_KEY=${server.apiKey}`,
  ];
  for (const [name, m] of Object.entries(server.meters)) {
    lines.push(`# meter ${name}: ${m.aggregation}, meter_id ${m.id}`, `${envName(name)}=${m.token}`);
  }
  lines.push(
    '',
    `REST API (/api/v1/usage): Cookie: access_token=${server.accessToken}`,
    `Faults: ${Object.keys(faults).length > 0 ? JSON.stringify(faults) : 'none'} (seed ${stats.seed})`,
    'Press Ctrl-C to stop.',
    '',
  );
  return lines.join('\n');
}

export function statusLine(server: LocalServer): string {
  const s = server.stats();
  const rejected = Object.values(s.rejected).reduce((a, b) => a + b, 0);
  const faults = Object.values(s.faults).reduce((a, b) => a + b, 0);
  return `requests ${s.requests} | stored ${s.stored} | deduplicated ${s.deduplicated} | rejected ${rejected} | faults ${faults} | customers ${s.customers}`;
}

function processSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

/** Runs the CLI until the signal (default SIGINT/SIGTERM) fires; resolves with the exit code. */
export async function runCli(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let parsed: ReturnType<typeof parseCliArgs>;
  try {
    parsed = parseCliArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`fluxrate-local: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    io.stdout.write(USAGE);
    return 0;
  }

  const own = io.signal ? null : processSignal();
  const signal = io.signal ?? own!.signal;
  let server: LocalServer;
  try {
    server = await startLocalServer(parsed.options);
  } catch (error) {
    own?.dispose();
    io.stderr.write(`fluxrate-local: could not start: ${(error as Error).message}\n`);
    return 1;
  }
  io.stdout.write(banner(server));
  io.onStart?.(server);

  const tty = io.stdout.isTTY === true;
  let timer: NodeJS.Timeout | undefined;
  if (!parsed.quiet) {
    const print = tty
      ? () => io.stdout.write(`\r\x1b[2K${statusLine(server)}`)
      : () => io.stdout.write(`${new Date().toISOString()} ${statusLine(server)}\n`);
    timer = setInterval(print, io.statusIntervalMs ?? (tty ? 1000 : 5000));
    timer.unref();
  }

  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  if (timer) clearInterval(timer);
  own?.dispose();
  await server.close();
  if (!parsed.quiet) io.stdout.write(`${tty ? '\n' : ''}${statusLine(server)}\nStopped.\n`);
  return 0;
}
