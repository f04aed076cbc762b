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
    typecheck: { enabled: true, include: ['packages/*/test/**/*.test-d.ts'] },
  },
});
