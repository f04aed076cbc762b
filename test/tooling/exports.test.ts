// Issue 27: the public surface stays what the docs say. `@fluxrate/core` exports no value a README
// does not name, and `@fluxrate/core/adapter` nothing that no adapter (or @fluxrate/redis) imports.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as core from '../../packages/core/src/index.js';

const root = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const packages = readdirSync(join(root, 'packages'));
const readmes = ['README.md', ...packages.map((p) => `packages/${p}/README.md`)].map(read).join('\n');

/** Every name an entry file exports (values and types), read from its `export { … } from` lines. */
function exportedNames(path: string): string[] {
  const text = read(path).replace(/\/\*[\s\S]*?\*\//g, '');
  return [...text.matchAll(/export (?:type )?\{([^}]*)\} from/g)].flatMap((m) =>
    m[1]!
      .split(',')
      .map((part) => part.trim().replace(/^type /, ''))
      .filter(Boolean),
  );
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(`${dir}/${d.name}`) : d.name.endsWith('.ts') ? [`${dir}/${d.name}`] : [],
  );
}

describe('public exports', () => {
  it('names every value @fluxrate/core exports in a README', () => {
    const undocumented = Object.keys(core).filter((name) => !new RegExp(`\\b${name}\\b`).test(readmes));
    expect(undocumented).toEqual([]);
  });

  it('exports from @fluxrate/core/adapter only what an adapter or @fluxrate/redis imports', () => {
    const imports = ['express', 'fastify', 'nestjs', 'redis']
      .flatMap((p) => sourceFiles(`packages/${p}/src`))
      .map(read)
      .flatMap((text) => [...text.matchAll(/import (?:type )?\{([^}]*)\} from '@fluxrate\/core\/adapter'/g)])
      .flatMap((m) => m[1]!.split(',').map((part) => part.trim().replace(/^type /, '')));
    const exported = exportedNames('packages/core/src/adapter.ts');
    expect(exported.length).toBeGreaterThan(0);
    expect(exported.filter((name) => !imports.includes(name))).toEqual([]);
  });
});
