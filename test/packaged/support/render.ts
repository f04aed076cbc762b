// One scenario source, rendered for each way a package is loaded: `require()` in a .cjs file, `import`
// in an .mjs file. Only the import lines differ; the body runs inside an async function in both.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type Loader = 'cjs' | 'mjs';
export const LOADERS: Loader[] = ['cjs', 'mjs'];

/** `[binding, module]`: `['express', 'express']` (default), `['{ billable }', '@fluxrate/express']`, `['', 'reflect-metadata']` (side effect). */
export type Import = [binding: string, from: string];

function importLine(loader: Loader, [binding, from]: Import): string {
  if (loader === 'mjs') return binding ? `import ${binding} from '${from}';` : `import '${from}';`;
  return binding ? `const ${binding} = require('${from}');` : `require('${from}');`;
}

export function render(loader: Loader, imports: Import[], body: string): string {
  return [
    `// Rendered by test/packaged for ${loader === 'cjs' ? 'require()' : 'import'}.`,
    ...imports.map((i) => importLine(loader, i)),
    '',
    '(async () => {',
    body,
    '})().catch((error) => {',
    "  process.stdout.write(JSON.stringify({ event: 'crashed', message: String(error?.stack ?? error) }) + '\\n');",
    '  process.exit(1);',
    '});',
    '',
  ].join('\n');
}

/**
 * Writes `source` to `file` under the project (apps/ and the like) by a rename, so a test file running in
 * parallel never starts a script another one is halfway through rewriting.
 */
export function writeInProject(project: string, file: string, source: string): void {
  mkdirSync(dirname(join(project, file)), { recursive: true });
  const temp = join(project, `${file}.${process.pid}.tmp`);
  writeFileSync(temp, source);
  renameSync(temp, join(project, file));
}

/** Writes the app into the project's apps/ folder; returns its path relative to the project. */
export function writeApp(project: string, name: string, loader: Loader, source: string): string {
  const file = `apps/${name}.${loader}`;
  writeInProject(project, file, source);
  return file;
}
