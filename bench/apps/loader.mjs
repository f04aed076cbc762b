// How a benchmark app loads our packages, as a user's app would: `import` (ESM, the default) or
// `require()` (CommonJS: NestJS's default `tsc` output, ts-node, older apps), from BENCH_LOADER.
// The frameworks themselves load the same way in both.
import { createRequire } from 'node:module';

export const LOADER = process.env.BENCH_LOADER === 'cjs' ? 'cjs' : 'esm';
const require = createRequire(import.meta.url);

/** `@fluxrate/<pkg>` through the loader under test. */
export function load(name) {
  return LOADER === 'cjs' ? Promise.resolve(require(name)) : import(name);
}
