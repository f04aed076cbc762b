// The Redis variant's fleet, started by the app process before it listens: a real `redis-server` on a
// free loopback port with a temp dir, and one `fluxrate-forwarder` process delivering the stream to the
// sink (so the bench's "the sink holds every billed event" check still holds with `consume: false`).
// Their CPU is read from /proc: the app's own CPU (`process.cpuUsage()`) never includes them.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from '../lib/child.mjs';

const FORWARDER_BIN = join(
  dirname(fileURLToPath(import.meta.resolve('@fluxrate/redis/package.json'))),
  'bin/fluxrate-forwarder.mjs',
);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** utime + stime of `pid` in µs from /proc (Linux; undefined elsewhere). */
export function procCpuUs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

async function startRedisServer() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'fluxrate-bench-redis-'));
  // AOF with fsync every second: the common production setting (`always` is the tests' choice).
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  args.push('--appendonly', 'yes', '--appendfsync', 'everysec', '--daemonize', 'no');
  const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
    const onData = (chunk) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
  });
  proc.stdout.resume();
  proc.stderr.resume();
  return {
    proc,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts redis-server and one forwarder pointed at `sink` (none with `forwarder: false`); `cpu()` reads
 * both processes' CPU so far, `stop()` stops the forwarder (SIGTERM: its `stopped` line) and then Redis,
 * and removes the temp dir.
 */
export async function startRedisFleet(sink, { forwarder: withForwarder = true } = {}) {
  const redis = await startRedisServer();
  if (!withForwarder)
    return { url: redis.url, cpu: () => ({ redisUs: procCpuUs(redis.proc.pid) }), stop: () => redis.stop() };
  let forwarder;
  try {
    forwarder = startChild(
      FORWARDER_BIN,
      ['--redis', redis.url, '--json', '--stats-interval', '0', '--retry-min', '20', '--retry-max', '500'],
      { env: { FLUXRATE_API_KEY: sink.apiKey, FLUXRATE_BASE_URL: sink.url } },
    );
    await forwarder.next('started');
  } catch (error) {
    forwarder?.kill();
    await redis.stop();
    throw error;
  }
  return {
    url: redis.url,
    cpu: () => ({ forwarderUs: procCpuUs(forwarder.pid), redisUs: procCpuUs(redis.proc.pid) }),
    async stop() {
      try {
        forwarder.kill('SIGTERM');
        const stopped = await forwarder.next('stopped', 30_000);
        await forwarder.exited;
        return stopped;
      } finally {
        forwarder.kill();
        await redis.stop();
      }
    },
  };
}
