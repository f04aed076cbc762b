import { defineConfig } from 'tsup';

/** Every package builds ESM + CJS with types for both, for Node 20. */
export const packageConfig = (entry: string[] = ['src/index.ts']) =>
  defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    shims: true,
    // One shared chunk for the CJS entries too (tsup splits only ESM by default): `index.cjs` and
    // `adapter.cjs` must hold one copy of core's module state, not one each.
    splitting: true,
    treeshake: true,
  });
