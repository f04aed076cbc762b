// Measures the shape of a package's source tree (issue 27): files, import levels, arrows, arrows that
// close a cycle, the cycles themselves, which files name `quantity`, and the public export counts.
// Usage: node scripts/house.mjs [packages/core] [--json]
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const pkg = resolve(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'packages/core');
const src = join(pkg, 'src');

function listTs(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? listTs(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

/** Every relative module specifier a file imports or re-exports (type-only ones included). */
function specifiers(file) {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found = [];
  const visit = (node) => {
    const spec =
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier
        ? node.moduleSpecifier
        : ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword
          ? node.arguments[0]
          : undefined;
    if (spec && ts.isStringLiteral(spec) && spec.text.startsWith('.')) found.push(spec.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const files = listTs(src).map((f) => relative(src, f));
const edges = new Map(files.map((f) => [f, new Set()]));
for (const f of files) {
  for (const s of specifiers(join(src, f))) {
    const target = relative(src, resolve(dirname(join(src, f)), s)).replace(/\.js$/, '.ts');
    if (!edges.has(target)) throw new Error(`${f}: cannot resolve ${s}`);
    edges.get(f).add(target);
  }
}
const arrows = [...edges.values()].reduce((n, s) => n + s.size, 0);

// Strongly connected components (Tarjan); a component of more than one file is a cycle knot.
function components(nodes = files, graph = edges) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const out = [];
  const connect = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      out.push(comp);
    }
  };
  for (const f of nodes) if (!idx.has(f)) connect(f);
  return out;
}
const comps = components();
const compOf = new Map();
comps.forEach((c, i) => {
  for (const f of c) compOf.set(f, i);
});

// Elementary cycles inside each knot (small graphs: a plain DFS from each start, lowest start first).
function cyclesIn(comp) {
  const order = [...comp].sort();
  const found = [];
  for (let s = 0; s < order.length; s++) {
    const allowed = new Set(order.slice(s));
    const walk = (v, path) => {
      for (const w of edges.get(v)) {
        if (w === order[s]) found.push([...path, w]);
        else if (allowed.has(w) && !path.includes(w)) walk(w, [...path, w]);
      }
    };
    walk(order[s], [order[s]]);
  }
  return found;
}
const knots = comps.filter((c) => c.length > 1);
const cycles = knots.flatMap(cyclesIn);

// Arrows pointing back up: the fewest arrows whose removal leaves no cycle (exact, per knot).
function fewestBackArrows(comp) {
  const inside = new Set(comp);
  const internal = comp.flatMap((v) => [...edges.get(v)].filter((w) => inside.has(w)).map((w) => [v, w]));
  const acyclicWithout = (removed) => {
    const state = new Map();
    const dfs = (v) => {
      state.set(v, 1);
      for (const w of edges.get(v)) {
        if (!inside.has(w) || removed.has(`${v}>${w}`)) continue;
        if (state.get(w) === 1 || (!state.has(w) && !dfs(w))) return false;
      }
      state.set(v, 2);
      return true;
    };
    return comp.every((v) => state.has(v) || dfs(v));
  };
  for (let k = 1; k <= internal.length; k++) {
    const pick = (from, chosen) => {
      if (chosen.length === k) return acyclicWithout(new Set(chosen)) ? chosen : undefined;
      for (let i = from; i < internal.length; i++) {
        const r = pick(i + 1, [...chosen, `${internal[i][0]}>${internal[i][1]}`]);
        if (r) return r;
      }
      return undefined;
    };
    const r = pick(0, []);
    if (r) return r;
  }
  return [];
}
const backArrows = knots.flatMap(fewestBackArrows);

// Levels: a file that imports nothing is level 1, otherwise one above the highest file it imports
// (a knot counts as one level). The longest chain is the highest level.
const level = new Map();
function levelOf(c) {
  if (level.has(c)) return level.get(c);
  level.set(c, 0);
  let top = 0;
  for (const f of comps[c])
    for (const w of edges.get(f)) if (compOf.get(w) !== c) top = Math.max(top, levelOf(compOf.get(w)));
  level.set(c, top + 1);
  return top + 1;
}
const levels = Math.max(...comps.map((_, i) => levelOf(i)));

// Files whose code (not comments) names `quantity`: the value's path through the house.
const quantityFiles = files.filter((f) => {
  const text = readFileSync(join(src, f), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '');
  return /\bquantity\b/.test(text);
});

// Public export counts, as the type checker sees each entry point (types and values).
function exportCount(entry) {
  const file = join(src, entry);
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const symbol = checker.getSymbolAtLocation(program.getSourceFile(file));
  return symbol ? checker.getExportsOfModule(symbol).map((s) => s.getName()) : [];
}
const exportsOf = Object.fromEntries(
  ['index.ts', 'adapter.ts'].filter((e) => edges.has(e)).map((e) => [e, exportCount(e)]),
);

// The same graph between folders (each file at src/ counts as one): which rooms lean on which.
const folderOf = (f) => (dirname(f) === '.' ? f : dirname(f).split('/')[0]);
const folderEdges = new Map();
for (const [f, targets] of edges)
  for (const w of targets)
    if (folderOf(f) !== folderOf(w)) {
      if (!folderEdges.has(folderOf(f))) folderEdges.set(folderOf(f), new Set());
      folderEdges.get(folderOf(f)).add(folderOf(w));
    }
// Folders that import each other, directly or round a loop (strongly connected folders).
const folderKnots = components([...new Set(files.map(folderOf))], folderEdges)
  .filter((c) => c.length > 1)
  .map((c) => c.sort().join(' <-> '));

const report = {
  files: files.length,
  folders: new Set(files.map((f) => dirname(f))).size,
  levels,
  arrows,
  backArrows: backArrows.length,
  backArrowList: backArrows,
  cycleKnots: knots.length,
  cycles: cycles.map((c) => c.join(' -> ')),
  folderArrows: [...folderEdges.values()].reduce((n, s) => n + s.size, 0),
  folderCycles: folderKnots,
  quantityFiles: quantityFiles.length,
  quantityFileList: quantityFiles,
  exports: Object.fromEntries(Object.entries(exportsOf).map(([e, names]) => [e, names.length])),
  exportNames: exportsOf,
  longestFile: files
    .map((f) => [f, readFileSync(join(src, f), 'utf8').split('\n').length - 1])
    .sort((a, b) => b[1] - a[1])[0],
};
if (process.argv.includes('--json')) console.log(JSON.stringify(report, null, 2));
else {
  const { exportNames, backArrowList, quantityFileList, ...summary } = report;
  console.log(summary);
  console.log('back arrows:', backArrowList);
  console.log('files naming quantity:', quantityFileList.join(', '));
  for (const [e, names] of Object.entries(exportNames)) console.log(`${e}:`, names.sort().join(', '));
}
