#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { replayDeadLetters } from './replay/replay.js';

const USAGE = `Usage: fluxrate-replay <dead-letter.ndjson> [options]

Replays failed or dropped usage events with their original idempotency keys
(replaying twice never double-bills).

Options:
  --dry-run              show what would be sent, send nothing
  --meter name=token     corrected meter token for a meter name (repeatable)
  --base-url URL         Fluxrate base URL (default: env FLUXRATE_BASE_URL, else https://api.fluxrate.co)
  --api-key KEY          API key (default: env FLUXRATE_API_KEY)
  --timeout-ms N         keep retrying for at most N ms (default 60000)
  --max-event-age-days N skip (fail as too-old) events older than N days (Stripe: 35, Metronome: 34)
  -h, --help

Prints the counts. Exit status: 0 every event delivered; 1 some were refused by Fluxrate (fix them,
e.g. with --meter, and replay again); 3 some are unsettled (still failing when the replay gave up:
replay again later); 2 usage or file errors.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'dry-run': { type: 'boolean' },
      meter: { type: 'string', multiple: true },
      'base-url': { type: 'string' },
      'api-key': { type: 'string' },
      'timeout-ms': { type: 'string' },
      'max-event-age-days': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length !== 1) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const meters: Record<string, string> = {};
  for (const pair of values.meter ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--meter expects name=token, got '${pair}'`);
    meters[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const dryRun = values['dry-run'] ?? false;
  const ageDays = values['max-event-age-days'];
  const maxAgeDays = ageDays === undefined ? undefined : Number(ageDays);
  if (maxAgeDays !== undefined && !(maxAgeDays > 0))
    throw new Error(`--max-event-age-days expects a number of days > 0, got '${ageDays}'`);
  const result = await replayDeadLetters({
    file: positionals[0]!,
    meters,
    dryRun,
    ...(values['base-url'] ? { baseUrl: values['base-url'] } : {}),
    ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
    ...(values['timeout-ms'] ? { timeoutMs: Number(values['timeout-ms']) } : {}),
    ...(maxAgeDays === undefined ? {} : { maxEventAgeMs: Math.round(maxAgeDays * 86_400_000) }),
  });
  if (dryRun) {
    for (const e of result.plan) {
      console.log(
        `would send ${e.idempotencyKey}  ${e.meter} (${e.meterToken})  customer=${e.customerId}  quantity=${e.quantity}`,
      );
    }
    console.log(`dry run: ${result.events} event(s) would be sent`);
    return 0;
  }
  for (const f of result.failed) {
    console.log(`failed ${f.event.idempotencyKey}: ${f.reason} ${f.status ?? ''} ${f.detail ?? ''}`.trim());
  }
  for (const u of result.unsettled) {
    console.log(
      `unsettled ${u.event.idempotencyKey}: ${u.reason} ${u.status ?? ''} ${u.detail ?? ''}`.trim(),
    );
  }
  const tooOld = maxAgeDays === undefined ? '' : `; ${result.tooOld} of the failed skipped as too old`;
  console.log(
    `replayed ${result.events} event(s): ${result.delivered} delivered, ${result.failed.length} failed, ${result.unsettled.length} unsettled${tooOld}`,
  );
  if (result.delivered === result.events) return 0;
  return result.unsettled.length > 0 ? 3 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    console.error(`fluxrate-replay: ${error.message}`);
    process.exitCode = 2;
  },
);
