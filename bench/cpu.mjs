// CPU per request at a fixed offered rate, every framework and variant in its own process, runs
// interleaved (bare, event, agg through import, the same through require(), then again, …) so a drift of the machine hits all variants alike.
import { cpuMethod, cpuTable, summarise } from './lib/cpu-report.mjs';
import { runCpuVariant } from './lib/cpu-run.mjs';

const log = (msg) => process.stderr.write(`${msg}\n`);

/** Runs the measurements against a started sink; returns the raw runs, the summary and its markdown. */
export async function cpuBench(opts, sink) {
  const runs = [];
  for (const framework of opts.frameworks) {
    for (let run = 1; run <= opts.runs; run++) {
      for (const loader of opts.loaders) {
        for (const variant of opts.variants) {
          const r = await runCpuVariant(framework, variant, sink, opts, { run, loader });
          log(
            `cpu ${framework} ${loader} ${variant} run ${run}: ${r.usPerRequest.toFixed(1)} µs/request (${r.served} served, load ${r.loadAverage1m.map((l) => l.toFixed(1)).join(' -> ')})`,
          );
          runs.push(r);
        }
      }
    }
  }
  const rows = summarise(runs, opts);
  const markdown = `## CPU per request

${cpuMethod(opts)}. The app process's own CPU time (user + system, \`process.cpuUsage()\`) over the
measured window, divided by the requests it served in that window; medians of the runs; deltas
against bare's median.

${cpuTable(rows)}
`;
  return { runs, rows, markdown };
}
