import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const at = (path: string) => fileURLToPath(new URL(`./${path}`, import.meta.url));
const PACKAGES = ['core', 'express', 'fastify', 'nestjs', 'local', 'redis'];

/**
 * Which project a test file belongs to is decided by its folder, so a new file lands in the right one
 * without editing this config.
 * - unit: package tests (unit + adapter, in-process) and the in-process cross-package suites. Fast; CI runs
 *   them on every supported Node (20, 22, 24).
 * - system: everything that starts processes, runs long or needs an outside service (Redis): every other
 *   folder under test/, the bench and example smoke runs, and @fluxrate/redis. CI runs them once, on the
 *   newest Node. A new folder under test/ is a system suite unless it is listed in UNIT_TEST_DIRS.
 */
const UNIT_TEST_DIRS = ['security', 'scenarios', 'unit'];
const UNIT = ['packages/*/test/**/*.test.ts', `test/{${UNIT_TEST_DIRS.join(',')}}/**/*.test.ts`];
const SYSTEM_PACKAGES = ['packages/redis/test/**/*.test.ts'];
const SYSTEM = ['test/**/*.test.ts', 'bench/**/*.test.ts', 'examples/**/*.test.ts', ...SYSTEM_PACKAGES];
const ALWAYS_EXCLUDED = ['**/node_modules/**', '**/dist/**'];

// Tests run against the TypeScript sources; the pack-and-import tests cover the built output.
// Exact matches: a subpath (`@fluxrate/core/adapter`) is not rewritten into `…/index.ts/adapter`.
const alias = [
  { find: /^@fluxrate\/core\/adapter$/, replacement: at('packages/core/src/adapter.ts') },
  ...PACKAGES.map((pkg) => ({
    find: new RegExp(`^@fluxrate/${pkg}$`),
    replacement: at(`packages/${pkg}/src/index.ts`),
  })),
  { find: /^@fluxrate\/testkit$/, replacement: at('packages/testkit/src/index.ts') },
  { find: /^@fluxrate\/testkit\/child$/, replacement: at('packages/testkit/src/child.mjs') },
];

/** `.lua` files as their text, as tsup's `loader: { '.lua': 'text' }` builds them (packages/redis/src/lua). */
const luaAsText = {
  name: 'fluxrate:lua-as-text',
  transform(code: string, id: string) {
    return id.endsWith('.lua') ? { code: `export default ${JSON.stringify(code)};`, map: null } : undefined;
  },
};

export default defineConfig({
  plugins: [luaAsText],
  resolve: { alias },
  test: {
    // The skipped-tests list is added to whatever reporters run (`.ci/run` passes default + json + it).
    reporters: ['default', './packages/testkit/src/skipped-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Type tests (*.test-d.ts) are checked by `pnpm typecheck` (tsc -p per package, which includes test/),
    // so each package's `Register` augmentation lives in its own program.
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: UNIT, exclude: [...ALWAYS_EXCLUDED, ...SYSTEM_PACKAGES] },
      },
      {
        extends: true,
        test: {
          name: 'system',
          include: SYSTEM,
          // UNIT minus the system packages (an exclude wins over an include in vitest).
          exclude: [...ALWAYS_EXCLUDED, 'packages/!(redis)/test/**', `test/{${UNIT_TEST_DIRS.join(',')}}/**`],
        },
      },
    ],
  },
});
