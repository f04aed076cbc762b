import { parseArgs } from 'node:util';

const USAGE = `Usage: pnpm demo [-- options]

  --duration <s>   seconds of traffic (default 30)
  --quick          about 8 seconds of traffic (what the test runs)
  --base-url <url> talk to a real Fluxrate instead of @fluxrate/local (also --api-key and
                   FLUXRATE_METER_API_CALLS / FLUXRATE_METER_TOKENS / FLUXRATE_METER_ACTIVE_USERS)
  --api-key <key>  Fluxrate API key (org_live_..., scope usage.write)
  --seed <n>       seed of the traffic and fault generators (default 42)
  --verbose        print the apps' own output as it comes
  -h, --help`;

/** The demo's command line, validated. Exits with the usage text on a bad flag. */
export function parseDemoArgs(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        duration: { type: 'string' },
        quick: { type: 'boolean', default: false },
        'base-url': { type: 'string' },
        'api-key': { type: 'string' },
        seed: { type: 'string', default: '42' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    console.error(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const duration = values.duration === undefined ? (values.quick ? 8 : 30) : Number(values.duration);
  if (!Number.isFinite(duration) || duration < 3) {
    console.error(`--duration must be a number of seconds >= 3, got ${values.duration}\n\n${USAGE}`);
    process.exit(2);
  }
  const baseUrl = values['base-url'];
  const apiKey = values['api-key'] ?? (baseUrl ? process.env.FLUXRATE_API_KEY : undefined);
  if ((baseUrl === undefined) !== (apiKey === undefined)) {
    console.error(
      `--base-url and --api-key go together (the key may come from FLUXRATE_API_KEY)\n\n${USAGE}`,
    );
    process.exit(2);
  }
  return {
    durationMs: duration * 1000,
    remote: baseUrl ? { baseUrl, apiKey } : undefined,
    seed: Number(values.seed) || 42,
    verbose: values.verbose,
  };
}
