import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scripted, TOKEN } from '@fluxrate/testkit';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const hasDist = existsSync(dist);

/** Runs an ESM snippet in a child `node` with the built core; resolves with exit code, stdout and run time. */
function runChild(
  body: string,
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string; ms: number }> {
  const source = `import { createTracker } from ${JSON.stringify(dist)};\n${body}`;
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 8_000);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, out, err, ms: Date.now() - started });
    });
  });
}

const make = `const t = createTracker({ apiKey: 'org_live_child_key', baseUrl: process.env.URL,
  meters: { api_calls: ${JSON.stringify(TOKEN)} }, retry: { minTimeout: 5, maxTimeout: 20 } });`;

if (!hasDist)
  console.warn('[idle exit] skipped: needs packages/core/dist (run `pnpm build`; CI builds before testing)');

describe.skipIf(!hasDist)('an idle tracker does not keep the process alive (built dist)', () => {
  it('exits on its own with a tracker that tracked nothing', async () => {
    const result = await runChild(`${make}\nconsole.log('ready');`, { URL: 'http://127.0.0.1:9' });
    expect(result.err).toBe('');
    expect(result.out).toContain('ready');
    expect(result.code).toBe(0);
    expect(result.ms).toBeLessThan(4_000);
  });

  it('exits on its own after a delivery (idle keep-alive socket)', async () => {
    const server = await scripted();
    const result = await runChild(
      `${make}\nt.track({ meter: 'api_calls', customerId: 'acme' });\nawait t.flush();\nconsole.log(JSON.stringify(t.stats()));`,
      { URL: server.url },
    );
    expect(result.err).toBe('');
    expect(JSON.parse(result.out).delivered).toBe(1);
    expect(result.code).toBe(0);
    expect(result.ms).toBeLessThan(4_000);
  });

  it('exits on its own while a retry sits waiting', async () => {
    const server = await scripted([{ status: 503, headers: { 'retry-after': '30' } }]);
    const result = await runChild(
      `${make}\nt.on('retry', (r) => console.log('retry', r.delayMs));\nt.track({ meter: 'api_calls', customerId: 'acme' });`,
      { URL: server.url },
    );
    expect(result.err).toBe('');
    expect(result.out).toContain('retry 30000');
    expect(result.code).toBe(0);
    expect(result.ms).toBeLessThan(4_000);
    expect(server.requests).toHaveLength(1);
  });
});
