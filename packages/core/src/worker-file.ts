import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The built delivery worker next to this module (dist/delivery-worker.js). When running from the
 * TypeScript sources (tests), the built copy in ../dist is used if present.
 */
export function deliveryWorkerFile(): URL | undefined {
  const here = import.meta.url;
  const candidates = here.endsWith('.ts')
    ? [new URL('../dist/delivery-worker.js', here)]
    : [new URL('./delivery-worker.js', here)];
  return candidates.find((url) => existsSync(fileURLToPath(url)));
}
