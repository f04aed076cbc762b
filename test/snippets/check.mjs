#!/usr/bin/env node
// `pnpm check:snippets [path-filter…]`: type-checks every ```ts block of every README under `strict`
// (and runs the ```sh blocks marked `<!-- snippet: run -->`, offline: see run-shell.mjs)
// against the built packages (issue #17.1). Each block becomes one file in test/snippets/generated/
// and is compiled in a program of its own, so one snippet's declaration merging (`declare module
// 'fastify'`, `Register`) cannot make another compile. Errors are reported at the README's file and
// line. How to write, continue or skip a block: test/snippets/README.md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { extractBlocks } from './extract.mjs';
import { runShellBlock } from './run-shell.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
// SNIPPETS_OUT names a subfolder of generated/ (the test of this checker uses one, so it never races a
// real run); files stay under test/snippets/ so `@fluxrate/*` resolves through this package's node_modules.
const outDir = join(here, 'generated', process.env.SNIPPETS_OUT ?? '');
const filters = process.argv.slice(2);

// Every public package's types must be built: the snippets compile against dist/, as an app would.
const missing = readdirSync(join(root, 'packages')).filter((p) => {
  const manifest = join(root, 'packages', p, 'package.json');
  return (
    existsSync(manifest) &&
    !JSON.parse(readFileSync(manifest, 'utf8')).private &&
    !existsSync(join(root, 'packages', p, 'dist'))
  );
});
if (missing.length > 0) {
  console.error(`check:snippets: packages/{${missing.join(',')}}/dist is missing: run \`pnpm build\` first.`);
  process.exit(1);
}

// Every README in the tree (tracked or new), but not this folder's own or test fixtures. Arguments
// narrow the list to files or folders; an argument naming a Markdown file elsewhere checks that file.
const tree = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter(
    (f) => /(^|\/)README[^/]*\.md$/i.test(f) && !f.startsWith('test/snippets/') && !f.includes('/fixtures/'),
  );
const under = (f, x) => f === x || f.startsWith(x.endsWith('/') ? x : `${x}/`);
const readmes =
  filters.length === 0
    ? tree
    : [
        ...tree.filter((f) => filters.some((x) => under(f, x))),
        ...filters.filter((x) => x.endsWith('.md') && !tree.includes(x) && existsSync(resolve(root, x))),
      ];

const config = ts.readConfigFile(join(here, 'tsconfig.json'), ts.sys.readFile);
const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, here);
const host = cachingHost(parsed.options);

mkdirSync(outDir, { recursive: true });
for (const f of readdirSync(outDir)) if (f.endsWith('.ts')) rmSync(join(outDir, f)); // not the subfolders

const problems = [];
const skipped = [];
let checked = 0;
let ran = 0;
const started = performance.now();
for (const readme of readmes) {
  const blocks = extractBlocks(readme, readFileSync(resolve(root, readme), 'utf8'));
  const byId = new Map(blocks.filter((b) => b.id && b.kind !== 'sh').map((b) => [b.id, b]));
  for (const block of blocks) {
    if (block.error) {
      problems.push(`${readme}:${block.line - 1}: ${block.error}`);
      continue;
    }
    if (block.kind === 'sh') {
      problems.push(...runShellBlock(block, root));
      ran++;
      continue;
    }
    if (block.skip) {
      skipped.push(`${readme}:${block.line - 1}: ${block.skip}`);
      continue;
    }
    const segments = [];
    const unresolved = collect(block, byId, segments, new Set());
    if (unresolved) {
      problems.push(`${readme}:${block.line - 1}: ${unresolved}`);
      continue;
    }
    const name = `${readme.replace(/[/\\]/g, '__').replace(/\.md$/i, '')}_L${block.line}.ts`;
    const file = join(outDir, name);
    // `export {}` keeps a block without imports a module, so its names stay its own.
    writeFileSync(file, `${segments.map((s) => s.code).join('\n')}\nexport {};\n`);
    checked++;
    for (const d of diagnose(file)) problems.push(locate(d, segments));
  }
}

const unique = [...new Set(problems)];
for (const p of unique) console.error(p);
for (const s of skipped) console.log(`skipped ${s}`);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  `check:snippets: ${checked} blocks in ${readmes.length} READMEs checked and ${ran} sh blocks run in ${seconds} s, ${skipped.length} skipped, ` +
    `${unique.length} error${unique.length === 1 ? '' : 's'} (generated files: ${relative(root, outDir)}/)`,
);
process.exit(unique.length === 0 && checked > 0 ? 0 : 1);

/** Appends the code of the blocks `block` uses (recursively, once each), then its own. */
function collect(block, byId, segments, seen) {
  for (const id of block.uses) {
    const dep = byId.get(id);
    if (!dep) return `snippet: uses ${id}, but no block of this file has \`<!-- snippet: id ${id} -->\``;
    if (dep === block || seen.has(dep)) continue;
    seen.add(dep);
    const err = collect(dep, byId, segments, seen);
    if (err) return err;
  }
  segments.push({
    readme: block.file,
    line: block.line,
    code: block.code,
    lines: block.code.split('\n').length,
  });
  return undefined;
}

function diagnose(file) {
  const program = ts.createProgram({ rootNames: [...parsed.fileNames, file], options: parsed.options, host });
  const source = program.getSourceFile(file);
  return [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program.getSyntacticDiagnostics(source),
    ...program.getSemanticDiagnostics(source),
  ];
}

/** `README.md:57:5 - error TS2339: …`, at the line in the README the generated line came from. */
function locate(d, segments) {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n  ');
  if (!d.file || d.start === undefined) return `error TS${d.code}: ${message}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  if (!d.file.fileName.startsWith(`${outDir}/`)) {
    return `${relative(root, d.file.fileName)}:${line + 1}:${character + 1} - error TS${d.code}: ${message}`;
  }
  let first = 0;
  for (const s of segments) {
    if (line < first + s.lines)
      return `${s.readme}:${s.line + line - first}:${character + 1} - error TS${d.code}: ${message}`;
    first += s.lines;
  }
  return `${relative(root, d.file.fileName)}:${line + 1}:${character + 1} - error TS${d.code}: ${message}`;
}

/** A compiler host that parses each library and declaration file once for all the programs. */
function cachingHost(options) {
  const base = ts.createCompilerHost(options);
  const cache = new Map();
  return {
    ...base,
    getSourceFile(fileName, languageVersion, onError, shouldCreate) {
      if (fileName.startsWith(`${outDir}/`))
        return base.getSourceFile(fileName, languageVersion, onError, shouldCreate);
      let sf = cache.get(fileName);
      if (!sf) {
        sf = base.getSourceFile(fileName, languageVersion, onError, shouldCreate);
        if (sf) cache.set(fileName, sf);
      }
      return sf;
    },
  };
}
