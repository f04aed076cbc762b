// Self time per function from a V8 `.cpuprofile` (what `node --cpu-prof` writes), no profiler needed:
// each sample names the node (function + call site) that was on top of the stack; a function's self
// time is its samples × the mean sample interval.
import { fmt, markdownTable } from './table.mjs';

/** `file:///…/node_modules/.pnpm/x@1/node_modules/x/lib/a.js` -> `x/lib/a.js`; repo files relative. */
export function shortPath(url, root) {
  if (!url) return '';
  let path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm !== -1) path = path.slice(nm + '/node_modules/'.length);
  else if (root && path.startsWith(root)) path = path.slice(root.length);
  return path;
}

/** Who owns a frame: a package name, `@fluxrate/<pkg>` for ours, `node` for Node's own JS, or V8's own. */
export function owner(path) {
  if (path === '') return '(native / V8)';
  if (path.startsWith('wasm://')) return 'wasm (undici llhttp)';
  if (path.startsWith('node:')) return 'node';
  const ours = /^packages\/([^/]+)\//.exec(path);
  if (ours) return `@fluxrate/${ours[1]}`;
  if (path.startsWith('bench/')) return 'bench app';
  if (path.startsWith('@')) return path.split('/').slice(0, 2).join('/');
  return path.split('/')[0];
}

/**
 * Self time per function (grouped over call sites), only for samples taken in `[fromUs, toUs]`
 * (profile clock) when given. Returns `{ entries, byOwner, totalMs, busyMs, samples, windowed }`,
 * entries sorted by self time.
 */
export function selfTimes(profile, { fromUs, toUs, root } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  let t = profile.startTime;
  let first;
  let last;
  let samples = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (fromUs !== undefined && (t < fromUs || t > toUs)) continue;
    first ??= t;
    last = t;
    samples++;
    counts.set(profile.samples[i], (counts.get(profile.samples[i]) ?? 0) + 1);
  }
  const windowed = fromUs !== undefined && samples > 0;
  if (fromUs !== undefined && samples === 0) return selfTimes(profile, { root }); // clocks disagree: whole profile
  const spanUs = windowed ? last - first : profile.endTime - profile.startTime;
  const intervalMs = samples > 1 ? spanUs / (samples - 1) / 1000 : 0;

  const entries = new Map();
  for (const [id, count] of counts) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const file = shortPath(url, root);
    const key = `${functionName}\u0000${file}\u0000${lineNumber}`;
    const e = entries.get(key) ?? {
      fn: functionName || '(anonymous)',
      file,
      line: lineNumber + 1,
      owner: owner(file),
      samples: 0,
    };
    if (!file && functionName.startsWith('(')) e.owner = functionName; // (program), (garbage collector), (idle)
    e.samples += count;
    entries.set(key, e);
  }
  const list = [...entries.values()].map((e) => ({ ...e, selfMs: e.samples * intervalMs }));
  list.sort((a, b) => b.samples - a.samples);
  const idle = list.filter((e) => e.fn === '(idle)').reduce((s, e) => s + e.selfMs, 0);
  const totalMs = samples * intervalMs;
  const owners = new Map();
  for (const e of list) owners.set(e.owner, (owners.get(e.owner) ?? 0) + e.selfMs);
  const byOwner = [...owners].map(([name, selfMs]) => ({ name, selfMs })).sort((a, b) => b.selfMs - a.selfMs);
  return { entries: list, byOwner, totalMs, busyMs: totalMs - idle, samples, windowed, intervalMs };
}

const pct = (part, whole) => (whole > 0 ? `${((part / whole) * 100).toFixed(1)}%` : 'n/a');

/**
 * The top `top` functions by self time, and self time by owner, as markdown. `usPerRequest` (the
 * app's CPU per request by `process.cpuUsage()`) turns each share of busy samples into an estimate
 * in µs per request: samples are taken on wall-clock time, so on a loaded machine self ms overstate
 * CPU time while the shares hold.
 */
export function profileTables(result, top, usPerRequest) {
  const share = (ms) => (result.busyMs > 0 ? ms / result.busyMs : 0);
  const est = (ms) => (usPerRequest === undefined ? 'n/a' : (share(ms) * usPerRequest).toFixed(2));
  const busy = result.entries.filter((e) => e.fn !== '(idle)');
  const functions = markdownTable(
    ['function', 'file:line', 'self ms', '% of busy', '≈ µs/request'],
    busy
      .slice(0, top)
      .map((e) => [
        `\`${e.fn}\``,
        e.file ? `${e.file}:${e.line}` : '-',
        e.selfMs.toFixed(1),
        pct(e.selfMs, result.busyMs),
        est(e.selfMs),
      ]),
  );
  const owners = markdownTable(
    ['owner', 'self ms', '% of busy', '≈ µs/request'],
    result.byOwner
      .filter((o) => o.name !== '(idle)')
      .map((o) => [o.name, o.selfMs.toFixed(1), pct(o.selfMs, result.busyMs), est(o.selfMs)]),
  );
  return { functions, owners, busy: `${fmt.int(result.busyMs)} ms busy of ${fmt.int(result.totalMs)} ms` };
}
