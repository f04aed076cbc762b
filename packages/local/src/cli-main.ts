import { parseCliArgs, USAGE, UsageError } from './cli-args.js';
import { startLocalServer } from './server.js';
import type { LocalServer } from './types.js';

export { parseCliArgs, parseFault, parseMeter } from './cli-args.js';

export interface CliIo {
  stdout: { write(chunk: string): unknown; isTTY?: boolean };
  stderr: { write(chunk: string): unknown };
  /** Stops the server when aborted. Default: SIGINT / SIGTERM. */
  signal?: AbortSignal;
  /** Called once the server listens (tests use it to reach the server). */
  onStart?: (server: LocalServer) => void;
  /** Status refresh period; default 1000 ms on a TTY, 5000 ms otherwise. */
  statusIntervalMs?: number;
}

function envName(meter: string): string {
  return `FLUXRATE_METER_${meter.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
}

export function banner(server: LocalServer): string {
  const stats = server.stats();
  const faults = server.faults();
  const lines = [
    `Fluxrate local server listening on ${server.url}`,
    `Usage page: ${server.url}/`,
    '',
    "# Paste into your app's environment (zero configuration reads exactly these):",
    `FLUXRATE_BASE_URL=${server.url}`,
    `FLUXRATE_API_KEY=${server.apiKey}`,
  ];
  const meters = Object.entries(server.meters);
  // The format @fluxrate/core's zero configuration parses: name=token[:AGGREGATION], comma-separated.
  if (meters.length > 0)
    lines.push(
      `FLUXRATE_METERS=${meters.map(([name, m]) => `${name}=${m.token}:${m.aggregation}`).join(',')}`,
    );
  if (meters.length > 0) lines.push('# Or one variable per meter, for code that reads them into `meters`:');
  for (const [name, m] of meters) {
    lines.push(`# meter ${name}: ${m.aggregation}, meter_id ${m.id}`, `${envName(name)}=${m.token}`);
  }
  lines.push(
    '',
    `REST API (/api/v1/usage): Cookie: access_token=${server.accessToken}`,
    `Faults: ${Object.keys(faults).length > 0 ? JSON.stringify(faults) : 'none'} (seed ${stats.seed})`,
    'Press Ctrl-C to stop.',
    '',
  );
  return lines.join('\n');
}

export function statusLine(server: LocalServer): string {
  const s = server.stats();
  const rejected = Object.values(s.rejected).reduce((a, b) => a + b, 0);
  const faults = Object.values(s.faults).reduce((a, b) => a + b, 0);
  return `requests ${s.requests} | stored ${s.stored} | deduplicated ${s.deduplicated} | rejected ${rejected} | faults ${faults} | customers ${s.customers}`;
}

function processSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

/** Runs the CLI until the signal (default SIGINT/SIGTERM) fires; resolves with the exit code. */
export async function runCli(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let parsed: ReturnType<typeof parseCliArgs>;
  try {
    parsed = parseCliArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`fluxrate-local: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    io.stdout.write(USAGE);
    return 0;
  }

  const own = io.signal ? null : processSignal();
  const signal = io.signal ?? own!.signal;
  let server: LocalServer;
  try {
    server = await startLocalServer(parsed.options);
  } catch (error) {
    own?.dispose();
    io.stderr.write(`fluxrate-local: could not start: ${(error as Error).message}\n`);
    return 1;
  }
  io.stdout.write(banner(server));
  io.onStart?.(server);

  const tty = io.stdout.isTTY === true;
  let timer: NodeJS.Timeout | undefined;
  if (!parsed.quiet) {
    const print = tty
      ? () => io.stdout.write(`\r\x1b[2K${statusLine(server)}`)
      : () => io.stdout.write(`${new Date().toISOString()} ${statusLine(server)}\n`);
    timer = setInterval(print, io.statusIntervalMs ?? (tty ? 1000 : 5000));
    timer.unref();
  }

  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  if (timer) clearInterval(timer);
  own?.dispose();
  await server.close();
  if (!parsed.quiet) io.stdout.write(`${tty ? '\n' : ''}${statusLine(server)}\nStopped.\n`);
  return 0;
}
