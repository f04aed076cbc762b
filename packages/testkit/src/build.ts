import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Why a suite that runs built output cannot run, or undefined: `files` are paths from the repository root
 * (`packages/core/dist/index.js`), or bare package names meaning `packages/{name}/dist/index.js`. The reason
 * is printed, so a skip is never silent; pass it to `describe.skipIf(reason)` and put it in the title.
 */
export function needsBuild(label: string, ...files: string[]): string | undefined {
  const paths = files.map((f) => (f.includes('/') ? f : `packages/${f}/dist/index.js`));
  const missing = paths.filter((p) => !existsSync(`${root}${p}`));
  if (missing.length === 0) return undefined;
  const reason = `${missing.join(', ')} missing: run \`pnpm build\` first (CI builds before testing)`;
  console.warn(`[${label}] skipped: ${reason}`);
  return reason;
}

/** The repository root, with a trailing slash. */
export const repoRoot = root;
