import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

// Tests run against the TypeScript sources; the pack-and-import tests cover the built output.
export default defineConfig({
  resolve: {
    alias: {
      '@fluxrate/core': src('core'),
      '@fluxrate/express': src('express'),
      '@fluxrate/fastify': src('fastify'),
      '@fluxrate/nestjs': src('nestjs'),
      '@fluxrate/local': src('local'),
      '@fluxrate/redis': src('redis'),
    },
  },
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'test/**/*.test.ts',
      'examples/**/*.test.ts',
      'bench/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Type tests (*.test-d.ts) are checked by `pnpm typecheck` (tsc -p per package, which includes test/),
    // so each package's `Register` augmentation lives in its own program.
  },
});
