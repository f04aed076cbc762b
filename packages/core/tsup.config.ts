import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/replay-cli.ts', 'src/delivery-worker.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  shims: true,
});
