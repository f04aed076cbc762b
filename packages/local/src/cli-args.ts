import { parseArgs } from 'node:util';
import type { Aggregation, FaultOptions, LocalServerOptions, MeterSpec } from './types.js';

/** The CLI's flags, parsed into server options; every bad value names its flag. */

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

export class UsageError extends Error {}

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
