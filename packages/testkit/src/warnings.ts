import type { Tracker } from '@fluxrate/core';
import { expect, onTestFinished } from 'vitest';

export interface CapturedWarning {
  code: string | undefined;
  message: string;
}

export interface WarningCapture {
  /** Every `FLUXRATE_…` warning raised since the capture began, in order. */
  readonly all: CapturedWarning[];
  /** The messages of the warnings with `code`. */
  of(code: string): string[];
  /** Ends the capture (it also ends by itself when the current test finishes). */
  restore(): void;
}

type EmitWarning = typeof process.emitWarning;

function codeOf(warning: unknown, rest: unknown[]): string | undefined {
  const [options, code] = rest;
  if (typeof options === 'object' && options !== null) return (options as { code?: string }).code;
  if (typeof code === 'string') return code;
  return (warning as { code?: string } | undefined)?.code;
}

/**
 * Keeps the `FLUXRATE_…` process warnings raised from now until the current test finishes, instead of
 * printing them, for the test to assert; any other warning is printed as usual. A test that expects a
 * warning captures and asserts it, so a passing run prints only warnings nobody expected.
 */
export function captureWarnings(): WarningCapture {
  const all: CapturedWarning[] = [];
  const previous: EmitWarning = process.emitWarning;
  const capturing = function emitWarning(this: unknown, warning: string | Error, ...rest: unknown[]) {
    const code = codeOf(warning, rest);
    if (code?.startsWith('FLUXRATE_')) {
      all.push({ code, message: typeof warning === 'string' ? warning : warning.message });
      return;
    }
    return (previous as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as EmitWarning;
  process.emitWarning = capturing;
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    // Only when nothing replaced it since (captures nest, last in first out).
    if (process.emitWarning === capturing) process.emitWarning = previous;
  };
  onTestFinished(restore);
  return { all, of: (code) => all.filter((w) => w.code === code).map((w) => w.message), restore };
}

/**
 * For a test whose behaviour raises warnings: captures them (not printed) and, once the test and its
 * teardown are done, asserts that exactly these codes were raised (each at least once, no other).
 */
export function expectWarnings(...codes: string[]): WarningCapture {
  const capture = captureWarnings();
  onTestFinished(() => {
    const seen = [...new Set(capture.all.map((w) => w.code))].sort();
    expect(seen, 'FLUXRATE_ warnings raised by this test').toEqual([...new Set(codes)].sort());
  });
  return capture;
}

/** The warnings a teardown's own shutdown raises about events the finished test left behind. */
const TEARDOWN_CODES = new Set(['FLUXRATE_SHUTDOWN_LEFT', 'FLUXRATE_EVENT_DROPPED']);

/**
 * Shuts a finished test's tracker down within 200 ms. What it still held (often sent to a closed port on
 * purpose) is dropped at the deadline: that is the teardown, not the behaviour under test, so the
 * shutdown's own "events left" warnings are not printed. Any other warning still is.
 */
export async function endQuietly(tracker: Tracker<any>): Promise<void> {
  tracker.on('dropped', () => undefined);
  const previous = process.emitWarning;
  const quiet = function emitWarning(this: unknown, warning: string | Error, ...rest: unknown[]) {
    if (!TEARDOWN_CODES.has(codeOf(warning, rest) ?? ''))
      (previous as (...a: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  process.emitWarning = quiet;
  try {
    await tracker.shutdown({ timeoutMs: 200 });
  } finally {
    if (process.emitWarning === quiet) process.emitWarning = previous;
  }
}
