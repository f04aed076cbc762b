const WIDTH = 30;
const YELLOW = '\x1b[33m';
const RESET = '\x1b[0m';

/**
 * A progress bar redrawn in place on a terminal, or a plain line every few seconds otherwise
 * (CI logs, pipes, the test).
 */
export function createProgress(stream, durationMs) {
  const tty = Boolean(stream.isTTY) && !process.env.CI;
  let lastLine = 0;
  const render = (elapsedMs, counters, final) => {
    const share = Math.min(1, elapsedMs / durationMs);
    const text =
      `${(elapsedMs / 1000).toFixed(1).padStart(5)}s/${durationMs / 1000}s  ` +
      `requests ${counters.requests}  billed-ok ${counters.billable}  aborted ${counters.aborted}  ` +
      `free/4xx ${counters.unbilled}  ${counters.faults ? 'FAULTS ON' : 'faults off'}`;
    if (tty) {
      const filled = Math.round(share * WIDTH);
      const shown = counters.faults ? text.replace('FAULTS ON', `${YELLOW}FAULTS ON${RESET}`) : text;
      stream.write(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${shown}`);
    } else if (elapsedMs - lastLine >= 2_000 || final) {
      lastLine = elapsedMs;
      stream.write(`  ${String(Math.round(share * 100)).padStart(3)}% ${text}\n`);
    }
  };
  return {
    /** Redraws (terminal) or prints a line every 2 s; the last line is left to `done()`. */
    update(elapsedMs, counters) {
      if (elapsedMs < durationMs) render(elapsedMs, counters, false);
    },
    done(counters) {
      render(durationMs, counters, true);
      if (tty) stream.write('\n');
    },
  };
}
