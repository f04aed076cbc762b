// The `<!-- snippet: run -->` shell blocks of READMEs: each command runs offline, from the repository
// root, and must exit 0 with some output. Only our own bins are runnable offline, so a command is one of
// `npx @fluxrate/<pkg> …`, `npx -p @fluxrate/<pkg> <bin> …` or `<bin> …` (a bin of ours), and runs the
// workspace package's built bin with Node, as npx would run the installed package. Anything else (a
// registry install, a server call) is refused: leave such blocks unmarked.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** bin name -> { pkg, path } for every workspace package with bins. */
function ourBins(root) {
  const bins = new Map();
  for (const dir of readdirSync(join(root, 'packages'))) {
    let manifest;
    try {
      manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    for (const [bin, path] of Object.entries(manifest.bin ?? {}))
      bins.set(bin, { pkg: manifest.name, path: join(root, 'packages', dir, path) });
  }
  return bins;
}

/** The commands of a block: continuation lines joined, comments and blank lines left out. */
export function commandsOf(code) {
  const out = [];
  let current = '';
  for (const raw of code.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').replace(/^#.*$/, '');
    current += line.endsWith('\\') ? `${line.slice(0, -1)} ` : line;
    if (!line.endsWith('\\')) {
      if (current.trim()) out.push(current.trim());
      current = '';
    }
  }
  return out;
}

/** `[binPath, args]` for a command of ours, or an error string. */
export function resolveCommand(command, bins) {
  const words = command.split(/\s+/);
  let bin;
  let rest;
  if (words[0] === 'npx' && words[1] === '-p') {
    const entry = bins.get(words[3]);
    if (entry && entry.pkg === words[2]) [bin, rest] = [entry, words.slice(4)];
  } else if (words[0] === 'npx') {
    const entries = [...bins.values()].filter((b) => b.pkg === words[1]);
    if (entries.length === 1) [bin, rest] = [entries[0], words.slice(2)];
  } else if (bins.has(words[0])) [bin, rest] = [bins.get(words[0]), words.slice(1)];
  if (!bin) return `not runnable offline: \`${command}\` (only our bins: ${[...bins.keys()].join(', ')})`;
  if (rest.some((w) => /[|&;<>$`'"]/.test(w))) return `shell syntax is not supported here: \`${command}\``;
  return [bin.path, rest];
}

/** Runs every command of a `run` block; returns problems as `README:line: …`. */
export function runShellBlock(block, root) {
  const bins = ourBins(root);
  const problems = [];
  for (const command of commandsOf(block.code)) {
    const where = `${block.file}:${block.line - 1}`;
    const resolved = resolveCommand(command, bins);
    if (typeof resolved === 'string') {
      problems.push(`${where}: ${resolved}`);
      continue;
    }
    const [path, args] = resolved;
    const run = spawnSync(process.execPath, [path, ...args], {
      cwd: root,
      encoding: 'utf8',
      timeout: 20_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (run.status !== 0 || `${run.stdout}${run.stderr}`.trim() === '')
      problems.push(
        `${where}: \`${command}\` exited ${run.status ?? run.signal}${run.error ? ` (${run.error.message})` : ''}: ${`${run.stderr}${run.stdout}`.trim().slice(0, 300)}`,
      );
  }
  return problems;
}
