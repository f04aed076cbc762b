import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sleep } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';
import { type CliIo, parseCliArgs, runCli } from '../src/cli-main.js';
import type { LocalServer } from '../src/index.js';
import { event, track } from './helpers.js';

function memoryIo(isTTY = false) {
  const out: string[] = [];
  const err: string[] = [];
  const controller = new AbortController();
  let onStart: (s: LocalServer) => void = () => {};
  const started = new Promise<LocalServer>((resolve) => {
    onStart = resolve;
  });
  const io: CliIo = {
    stdout: { write: (s: string) => out.push(s), isTTY },
    stderr: { write: (s: string) => err.push(s) },
    signal: controller.signal,
    statusIntervalMs: 20,
    onStart: (s) => onStart(s),
  };
  return { io, out, err, stop: () => controller.abort(), started };
}

describe('fluxrate-local CLI (runCli in-process)', () => {
  it('prints the URL, page, env lines and meter tokens, then stops cleanly with exit 0', async () => {
    const m = memoryIo();
    const done = runCli(
      [
        '--port',
        '0',
        '--meter',
        'calls:tok-calls:SUM',
        '--meter',
        'seats::UNIQUE_COUNT',
        '--api-key',
        'org_live_x',
      ],
      m.io,
    );
    const server = await m.started;
    const text = m.out.join('');
    expect(text).toContain(`listening on ${server.url}`);
    expect(text).toContain(`Usage page: ${server.url}/`);
    expect(text).toContain(`FLUXRATE_BASE_URL=${server.url}\n`);
    expect(text).toContain('FLUXRATE_API_KEY=org_live_x\n');
    expect(text).toContain(
      `FLUXRATE_METERS=calls=tok-calls:SUM,seats=${server.meters.seats!.token}:UNIQUE_COUNT\n`,
    );
    expect(text).toContain('FLUXRATE_METER_CALLS=tok-calls\n');
    expect(text).toContain(`FLUXRATE_METER_SEATS=${server.meters.seats!.token}\n`);
    expect(server.meters.seats!.aggregation).toBe('UNIQUE_COUNT');
    expect(
      (await track(server, { meter_token: 'tok-calls', customer_external_id: 'a', quantity: 1 })).status,
    ).toBe(201);
    m.stop();
    expect(await done).toBe(0);
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it('prints a count line periodically when stdout is not a TTY', async () => {
    const m = memoryIo(false);
    const done = runCli(['--port', '0'], m.io);
    const server = await m.started;
    await track(server, event(server));
    await sleep(80);
    m.stop();
    await done;
    expect(m.out.join('')).toMatch(/\n\S+ requests 1 \| stored 1 \|/);
  });

  it('rewrites a single status line on a TTY', async () => {
    const m = memoryIo(true);
    const done = runCli(['--port', '0'], m.io);
    await m.started;
    await sleep(60);
    m.stop();
    await done;
    expect(m.out.join('')).toContain('\r\x1b[2Krequests 0 |');
  });

  it('prints nothing after the banner with --quiet', async () => {
    const m = memoryIo(false);
    const done = runCli(['--port', '0', '--quiet'], m.io);
    await m.started;
    const banner = m.out.join('');
    await sleep(60);
    m.stop();
    await done;
    expect(m.out.join('')).toBe(banner);
  });

  it('applies --fault, --retry-after and --seed', async () => {
    const m = memoryIo();
    const done = runCli(
      ['--port', '0', '--fault', '429=1', '--retry-after', '9', '--seed', '5', '--quiet'],
      m.io,
    );
    const server = await m.started;
    const res = await track(server, event(server));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('9');
    expect(server.stats().seed).toBe(5);
    m.stop();
    await done;
  });

  it('parses every fault kind', () => {
    const { options } = parseCliArgs([
      '--fault',
      '500=0.1',
      '--fault',
      '502=0.1',
      '--fault',
      '503=0.1',
      '--fault',
      '429=0.05',
      '--fault',
      'reset-before=0.05',
      '--fault',
      'reset-after=0.05',
      '--fault',
      'slow=0.02:12000',
      '--max-events',
      '10',
    ]);
    expect(options.faults).toEqual({
      500: 0.1,
      502: 0.1,
      503: 0.1,
      429: 0.05,
      resetBefore: 0.05,
      resetAfter: 0.05,
      slow: { rate: 0.02, ms: 12000 },
    });
    expect(options.port).toBe(8000);
    expect(options.maxEvents).toBe(10);
  });

  it('exits 2 with a message and usage for bad flags', async () => {
    for (const argv of [['--port', 'eighty'], ['--fault', 'teapot=1'], ['--meter', 'x:t:AVG'], ['--nope']]) {
      const m = memoryIo();
      expect(await runCli(argv, m.io)).toBe(2);
      expect(m.err.join('')).toMatch(/^fluxrate-local: .*\n\nUsage: fluxrate-local/s);
    }
  });

  it('exits 1 when the port is taken', async () => {
    const first = memoryIo();
    const running = runCli(['--port', '0', '--quiet'], first.io);
    const server = await first.started;
    const m = memoryIo();
    expect(await runCli(['--port', new URL(server.url).port, '--quiet'], m.io)).toBe(1);
    expect(m.err.join('')).toMatch(/could not start/);
    first.stop();
    await running;
  });

  it('prints help with exit 0', async () => {
    const m = memoryIo();
    expect(await runCli(['--help'], m.io)).toBe(0);
    expect(m.out.join('')).toContain('--fault <kind=rate>');
  });
});

const distCli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const hasDist = existsSync(distCli);

describe('fluxrate-local built binary', () => {
  it.skipIf(!hasDist)(
    'starts from dist/cli.js, serves, and exits 0 on SIGTERM (skipped when dist is not built: run `pnpm build` first)',
    async () => {
      const child = spawn(process.execPath, [distCli, '--port', '0', '--quiet'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const m = /FLUXRATE_BASE_URL=(\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${out}`)));
      });
      const apiKey = /FLUXRATE_API_KEY=(\S+)/.exec(out)![1]!;
      const token = /FLUXRATE_METER_API_CALLS=(\S+)/.exec(out)![1]!;
      const res = await fetch(`${url}/api/v1/sdk/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
        body: JSON.stringify({ meter_token: token, customer_external_id: 'acme', quantity: 1 }),
      });
      expect(res.status).toBe(201);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    },
  );
});
