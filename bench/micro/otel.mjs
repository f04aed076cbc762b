// The cost per event of the OpenTelemetry metrics, in-process A/B: blocks of EVENTS events tracked and
// delivered to a loopback sink (a child process answering 201), this process's CPU time per event, with
// `meterProvider: false` (what an app without @opentelemetry/api gets), the API's no-op meter (the api
// installed, no SDK: the default in this repository) and an SDK MeterProvider (collecting every 5 s into
// memory). Modes alternate within each round, in a rotating order, so the machine's drift hits them alike.
// `node bench/micro/otel.mjs [rounds=7] [events=5000]`; prints one JSON line of medians (µs per event).
import { fork } from 'node:child_process';
import { createTracker } from '@fluxrate/core';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';

const ROUNDS = Number(process.argv[2] ?? 7);
const EVENTS = Number(process.argv[3] ?? 5000);
const token = '550e8400-e29b-41d4-a716-446655440000';

if (process.argv[2] === 'sink') {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(201, { 'content-type': 'application/json' }).end('{}'));
  });
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
} else {
  const sink = fork(new URL(import.meta.url).pathname, ['sink']);
  const port = await new Promise((resolve) => sink.once('message', resolve));
  const sdkProvider = () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 5_000 });
    return new MeterProvider({ readers: [reader] });
  };
  const MODES = { off: () => false, noop: () => undefined, sdk: sdkProvider };
  const samples = { off: [], noop: [], sdk: [] };
  const names = Object.keys(MODES);
  for (let round = 0; round < ROUNDS + 1; round++) {
    for (let i = 0; i < names.length; i++) {
      const mode = names[(round + i) % names.length];
      const provider = MODES[mode]();
      const tracker = createTracker({
        apiKey: 'org_live_bench',
        baseUrl: `http://127.0.0.1:${port}`,
        meters: { api_calls: token },
        ...(provider === undefined ? {} : { meterProvider: provider }),
      });
      const start = process.cpuUsage();
      for (let n = 0; n < EVENTS; n++) tracker.track({ meter: 'api_calls', customerId: 'c', quantity: 1 });
      await tracker.flush();
      const used = process.cpuUsage(start);
      await tracker.shutdown();
      await provider?.shutdown?.();
      if (round > 0) samples[mode].push((used.user + used.system) / EVENTS); // round 0 warms up
    }
  }
  sink.kill();
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const out = Object.fromEntries(names.map((m) => [m, Number(median(samples[m]).toFixed(2))]));
  console.log(
    JSON.stringify({
      usPerEvent: out,
      sdkMinusOff: Number((out.sdk - out.off).toFixed(2)),
      noopMinusOff: Number((out.noop - out.off).toFixed(2)),
      rounds: ROUNDS,
      events: EVENTS,
      samples,
    }),
  );
}
