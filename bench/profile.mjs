// Profile mode: an app at the CPU benchmark's fixed rate under `node --cpu-prof`, then the top
// self-time entries of its measured window, read from the `.cpuprofile` JSON. The profile file is
// kept (results/profiles/, not committed) to open in Chrome DevTools or VS Code.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { profileTables, selfTimes } from './lib/cpu-profile.mjs';
import { runCpuVariant } from './lib/cpu-run.mjs';
import { LABELS } from './lib/variants.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const log = (msg) => process.stderr.write(`${msg}\n`);

/** Profiles each framework × variant once (not interleaved: one profile each is the record). */
export async function profileBench(opts, sink) {
  const dir = fileURLToPath(new URL('results/profiles/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const sections = [];
  const raw = [];
  for (const framework of opts.frameworks) {
    for (const loader of opts.loaders)
      for (const variant of opts.variants) {
        const tmp = `${dir}.tmp-${process.pid}`;
        rmSync(tmp, { recursive: true, force: true });
        mkdirSync(tmp);
        log(
          `profile ${framework} ${loader} ${variant}: ${opts.rate} req/s, ${opts.warmup} s + ${opts.duration} s`,
        );
        const r = await runCpuVariant(framework, variant, sink, opts, {
          nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${tmp}`],
          loader,
        });
        const name = readdirSync(tmp).find((f) => f.endsWith('.cpuprofile'));
        if (!name) throw new Error(`${framework} ${variant}: no .cpuprofile written`);
        const file = `${dir}${framework}-${loader}-${variant}.cpuprofile`;
        renameSync(`${tmp}/${name}`, file);
        rmSync(tmp, { recursive: true, force: true });
        const result = selfTimes(JSON.parse(readFileSync(file, 'utf8')), {
          fromUs: r.monoUs[0],
          toUs: r.monoUs[1],
          root,
        });
        const t = profileTables(result, opts.top, r.usPerRequest);
        sections.push(`### ${framework}, ${loader === 'cjs' ? 'require()' : 'import'}, ${LABELS[variant]}

${result.windowed ? 'Measured window only' : 'Whole process (the window could not be placed on the profile clock)'}: ${t.busy} sampled (main thread, sample interval ${(result.intervalMs * 1000).toFixed(0)} µs), ${r.served} requests served, ${r.usPerRequest.toFixed(1)} µs CPU per request under the profiler by \`process.cpuUsage()\` (all threads). Profile: \`${file.slice(root.length)}\`.

Top ${opts.top} functions by self time (main thread):

${t.functions}

Self time by owner:

${t.owners}
`);
        raw.push({
          run: r,
          profile: file.slice(root.length),
          top: result.entries.slice(0, opts.top),
          byOwner: result.byOwner,
        });
      }
  }
  return { markdown: `## Profiles\n\n${sections.join('\n')}`, raw };
}
