// Finds the ```ts blocks of a Markdown file, with the `<!-- snippet: … -->` directives written on the
// line (or lines) just before each fence:
//   <!-- snippet: skip (reason) -->   not checked; the reason is required and printed
//   <!-- snippet: id NAME -->         names the block, for `uses`
//   <!-- snippet: uses NAME[, NAME] -->  checked after the named blocks of the same file (their code first)
//   <!-- snippet: continues -->       checked after the previous checked block of the same file
//   <!-- snippet: run -->             (before a ```sh block) every command in it runs offline and exits 0
// Several directives may share one comment, separated by `;`. A ```sh block without `run` is not checked.

const LANGS = new Set(['ts', 'typescript', 'mts', 'cts']);
const SHELLS = new Set(['sh', 'bash', 'shell', 'console']);
const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/;
const DIRECTIVE = /^\s*<!--\s*snippet:\s*(.*?)\s*-->\s*$/;

/**
 * @typedef {{ file: string, line: number, code: string, skip?: string, id?: string, uses: string[], error?: string, kind?: 'sh' }} Block
 * `line` is the 1-based line of the first code line (the one after the fence). Shell blocks (`kind: 'sh'`)
 * are returned only when marked `run`.
 */

/** @returns {Block[]} */
export function extractBlocks(file, text) {
  const lines = text.split('\n');
  /** @type {Block[]} */
  const blocks = [];
  let pending = [];
  for (let i = 0; i < lines.length; i++) {
    const directive = DIRECTIVE.exec(lines[i]);
    if (directive) {
      pending.push(...splitDirectives(directive[1]));
      continue;
    }
    const fence = FENCE.exec(lines[i]);
    if (!fence) {
      if (lines[i].trim() !== '') pending = [];
      continue;
    }
    const [, indent, marks, lang] = fence;
    const close = new RegExp(`^\\s*${marks[0]}{${marks.length},}\\s*$`);
    let end = i + 1;
    while (end < lines.length && !close.test(lines[end])) end++;
    const code = () =>
      lines
        .slice(i + 1, end)
        .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()))
        .join('\n');
    if (LANGS.has(lang.toLowerCase())) {
      blocks.push(withDirectives({ file, line: i + 2, code: code(), uses: [] }, pending, blocks));
    } else if (SHELLS.has(lang.toLowerCase()) && pending.includes('run')) {
      const block = { file, line: i + 2, code: code(), uses: [], kind: 'sh' };
      if (pending.some((d) => d !== 'run')) block.error = 'snippet: a sh block takes only `run`';
      blocks.push(block);
    }
    pending = [];
    i = end;
  }
  return blocks;
}

/** `a; b (x; y)` -> ['a', 'b (x; y)']: a `;` inside a skip reason's parentheses does not split. */
function splitDirectives(text) {
  const out = [''];
  let depth = 0;
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth = Math.max(0, depth - 1);
    if (ch === ';' && depth === 0) out.push('');
    else out[out.length - 1] += ch;
  }
  return out.map((d) => d.trim()).filter(Boolean);
}

function withDirectives(block, directives, before) {
  for (const d of directives) {
    const [word, ...rest] = d.split(/\s+/);
    const arg = rest.join(' ');
    if (word === 'skip') {
      const reason = /^\((.+)\)$/.exec(arg)?.[1]?.trim();
      if (reason) block.skip = reason;
      else
        block.error =
          'snippet: skip needs a reason in parentheses, e.g. <!-- snippet: skip (pseudo-code) -->';
    } else if (word === 'id' && /^[\w-]+$/.test(arg)) block.id = arg;
    else if (word === 'uses' && arg) block.uses.push(...arg.split(/[\s,]+/).filter(Boolean));
    else if (word === 'continues' && !arg) {
      const previous = before.findLast((b) => !b.skip && b.kind !== 'sh');
      if (previous) {
        previous.id ??= `L${previous.line}`;
        block.uses.push(previous.id);
      } else block.error = 'snippet: continues, but no checked block comes before it';
    } else if (word === 'run' && !arg)
      block.error = 'snippet: run is for ```sh blocks (their commands are run); a ts block is type-checked';
    else block.error = `unknown snippet directive "${d}" (skip (reason), id NAME, uses NAME, continues, run)`;
  }
  return block;
}
