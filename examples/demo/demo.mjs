#!/usr/bin/env node
// `pnpm demo`: the three example apps billing to Fluxrate-local under realistic traffic and injected
// faults, then a check that Fluxrate recorded exactly what succeeded. See the root README.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDemoArgs } from './lib/args.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const unbuilt = ['core', 'local', 'express', 'fastify', 'nestjs'].filter(
  (p) => !existsSync(`${root}packages/${p}/dist/index.js`),
);
if (unbuilt.length > 0) {
  console.error(
    `The packages are not built (${unbuilt.join(', ')}): run \`pnpm install\` (or \`pnpm build\`) first.`,
  );
  process.exit(1);
}

const options = parseDemoArgs(process.argv.slice(2));
const { startLocalServer } = await import('@fluxrate/local');
const { FRAMEWORKS, startApp, stopApp } = await import('./lib/apps.mjs');
const { Ledger } = await import('./lib/ledger.mjs');
const { createProgress } = await import('./lib/progress.mjs');
const report = await import('./lib/report.mjs');
const { CUSTOMERS, METERS, Traffic } = await import('./lib/traffic.mjs');

const FAULTS = { 500: 0.04, 503: 0.08, 429: 0.08, retryAfter: 1, resetBefore: 0.05, resetAfter: 0.1 };
const faultWindow = [0.3 * options.durationMs, 0.65 * options.durationMs];
const apps = [];
const servers = {};

function killApps() {
  for (const app of apps) if (app.exitCode === undefined) app.child.kill('SIGKILL');
}
process.on('exit', killApps);
process.on('SIGINT', () => {
  console.log('\ninterrupted');
  process.exit(130);
});

const seconds = (ms) => `${Math.round(ms / 100) / 10}s`;
console.log(
  `fluxrate demo: the Express, Fastify and NestJS examples under ${seconds(options.durationMs)} of traffic` +
    (options.remote
      ? `, billing to ${options.remote.baseUrl}`
      : `, each billing to its own Fluxrate-local; faults from ${seconds(faultWindow[0])} to ${seconds(faultWindow[1])}`),
);

// 1. Fluxrate: one local server per framework, so every counter (dedupes, faults) is per framework.
const envFor = {};
if (options.remote) {
  const meters = ['FLUXRATE_METER_API_CALLS', 'FLUXRATE_METER_TOKENS', 'FLUXRATE_METER_ACTIVE_USERS'];
  const missing = meters.filter((name) => !process.env[name]);
  if (missing.length > 0) {
    console.error(`With --base-url, set the meter tokens of your Fluxrate meters: ${missing.join(', ')}`);
    process.exit(2);
  }
  for (const framework of FRAMEWORKS) {
    envFor[framework] = {
      FLUXRATE_BASE_URL: options.remote.baseUrl,
      FLUXRATE_API_KEY: options.remote.apiKey,
      ...Object.fromEntries(meters.map((name) => [name, process.env[name]])),
    };
  }
} else {
  await Promise.all(
    FRAMEWORKS.map(async (framework, i) => {
      const server = await startLocalServer({
        meters: { api_calls: {}, tokens: {}, active_users: { aggregation: 'UNIQUE_COUNT' } },
        seed: options.seed + i,
      });
      servers[framework] = server;
      envFor[framework] = {
        FLUXRATE_BASE_URL: server.url,
        FLUXRATE_API_KEY: server.apiKey,
        FLUXRATE_METER_API_CALLS: server.meters.api_calls.token,
        FLUXRATE_METER_TOKENS: server.meters.tokens.token,
        FLUXRATE_METER_ACTIVE_USERS: server.meters.active_users.token,
      };
    }),
  );
  for (const framework of FRAMEWORKS)
    console.log(`  Fluxrate-local for ${framework.padEnd(8)} ${servers[framework].url}/`);
}

// 2. The example apps, as child processes.
process.stdout.write('  starting the example apps... ');
const started = Date.now();
try {
  apps.push(
    ...(await Promise.all(FRAMEWORKS.map((f) => startApp(f, envFor[f], { verbose: options.verbose })))),
  );
} catch (error) {
  console.error(`\n${error.message}`);
  process.exit(1);
}
console.log(`ready in ${seconds(Date.now() - started)}`);
for (const app of apps) console.log(`  example-${app.framework.padEnd(8)} ${app.url}`);

// 3. Traffic, with faults switched on for a stretch in the middle.
const ledger = new Ledger();
for (const f of FRAMEWORKS) for (const m of METERS) for (const c of CUSTOMERS) ledger.touch(f, m, c);
const traffic = new Traffic(apps, ledger, { seed: options.seed });
const progress = createProgress(process.stdout, options.durationMs);
let faultsOn = false;
const setFaults = (on) => {
  faultsOn = on && !options.remote;
  for (const server of Object.values(servers)) server.setFaults(faultsOn ? FAULTS : {});
};
const t0 = Date.now();
const timers = [
  setTimeout(() => setFaults(true), faultWindow[0]),
  setTimeout(() => setFaults(false), faultWindow[1]),
];
const ticker = setInterval(
  () => progress.update(Date.now() - t0, { ...traffic.totals, faults: faultsOn }),
  250,
);
await traffic.run(options.durationMs);
clearInterval(ticker);
for (const timer of timers) clearTimeout(timer);
setFaults(false);
progress.done({ ...traffic.totals, faults: false });
await traffic.close();

// 4. Graceful shutdown: each app drains its tracker and prints its final stats as one JSON line.
process.stdout.write('  stopping the apps (SIGTERM)... ');
const stopping = Date.now();
const reports = Object.fromEntries(
  await Promise.all(apps.map(async (app) => [app.framework, await stopApp(app)])),
);
console.log(`done in ${seconds(Date.now() - stopping)}\n`);

// 5. Expected vs recorded.
const recordedFor = options.remote
  ? undefined
  : (row) => {
      const usage = servers[row.framework].usage();
      return (
        usage.find((u) => u.meter === row.meter && u.customer === row.customer) ?? { total: 0, eventCount: 0 }
      );
    };
const billing = report.billingRows(ledger.rows(), recordedFor);
console.log('Billing: expected (successful requests the demo saw) vs recorded by Fluxrate');
console.log(report.table(report.BILLING_HEADERS, billing.rows));
console.log('\nDelivery: traffic, tracker stats from each app, and Fluxrate-local counters');
console.log(
  report.table(
    report.DELIVERY_HEADERS,
    apps.map((app) =>
      report.deliveryRow(
        app.framework,
        traffic.targets.find((t) => t.framework === app.framework).counts,
        reports[app.framework],
        servers[app.framework],
      ),
    ),
  ),
);
console.log(
  '\n  retries: attempts the trackers retried (5xx, 429 after Retry-After, resets); dedup: repeats Fluxrate' +
    '\n  recognised by idempotency key (an event stored, its answer lost, then retried); faults: injected by Fluxrate-local.',
);

// 6. Verdict.
const problems = [];
if (billing.mismatches > 0) problems.push(`${billing.mismatches} mismatch(es) between expected and recorded`);
for (const app of apps) {
  const r = reports[app.framework];
  if (!r) problems.push(`example-${app.framework} printed no shutdown report (exit ${app.exitCode})`);
  else if (r.stats.failed + r.stats.dropped + r.pending > 0)
    problems.push(
      `example-${app.framework}: ${r.stats.failed} failed, ${r.stats.dropped} dropped, ${r.pending} pending`,
    );
}
if (traffic.unexpected.length > 0)
  problems.push(`unexpected answers: ${traffic.unexpected.slice(0, 5).join('; ')}`);
if (traffic.indeterminate.length > 0)
  problems.push(`requests with unknown outcome: ${traffic.indeterminate.slice(0, 5).join('; ')}`);

await Promise.all(Object.values(servers).map((s) => s.close()));
console.log();
if (options.remote) {
  console.log('Expected in your Fluxrate (all three apps billed the same meters and customers):');
  console.log(report.table(['meter', 'customer', 'value', 'events'], report.combinedRows(ledger.rows())));
  console.log(
    '\nThe recorded totals cannot be read back from a real Fluxrate here (no inspection API),\n' +
      'so the comparison was skipped: compare the table above with your Fluxrate dashboard.\n',
  );
}
if (problems.length > 0) {
  for (const app of apps) {
    const tail = app.output.filter((l) => !l.includes('{"fluxrate"')).slice(-10);
    if (tail.length > 0) console.log(`last output of example-${app.framework}:\n${tail.join('\n')}\n`);
  }
  console.log(`FAILED: ${problems.join('\n        ')}`);
  process.exit(1);
}
console.log(
  options.remote
    ? `OK: ${billing.rows.length} rows, comparison skipped (real Fluxrate); every event delivered`
    : `OK: ${billing.rows.length} rows, ${billing.mismatches} mismatches: every successful request billed exactly once, nothing else billed`,
);
