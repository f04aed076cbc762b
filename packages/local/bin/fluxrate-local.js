#!/usr/bin/env node
// A committed shim, so `bin` exists before the build: pointing `bin` into dist/ makes every fresh
// `pnpm install` warn "Failed to create bin ... ENOENT" (dist/ is built after linking).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('fluxrate-local: dist/cli.js is missing; build the package first (`pnpm build`).');
  process.exit(1);
}
await import(cli.href);
