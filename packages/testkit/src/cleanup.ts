import { afterEach } from 'vitest';

const cleanups: (() => Promise<unknown>)[] = [];

// Registered once per test file (each file evaluates this module afresh): teardowns run after every test,
// last registered first, each one even when an earlier one fails.
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

/** Registers a teardown run after the current test. */
export function onCleanup(fn: () => Promise<unknown>): void {
  cleanups.push(fn);
}
