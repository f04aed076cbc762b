import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installPacked, sleep } from '@fluxrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const pkgDir = fileURLToPath(new URL('../../packages/local/', import.meta.url));
const hasDist = existsSync(join(pkgDir, 'dist', 'cli.js'));

/** The environment a user's shell would have: none of the npm_* variables pnpm sets for its scripts. */
const userEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));

let project = '';
let installedWith = '';

/** `npm install -D <tarball>` as the README says; without a registry, the tarball extracted and linked by hand. */
function install(): void {
  ({ project, installedWith } = installPacked(pkgDir, {
    npmFlags: ['-D', '--prefer-offline'],
    links: ['fastify'],
    timeoutMs: 60_000,
    env: userEnv(),
  }));
}

if (!hasDist) console.warn('[npx @fluxrate/local] skipped: needs packages/local/dist (run `pnpm build`)');

describe.skipIf(!hasDist)('npx @fluxrate/local from the packed tarball (issue #17.3)', () => {
  let child: ChildProcess | undefined;
  beforeAll(() => install(), 90_000);
  afterAll(() => {
    if (child?.pid && child.exitCode === null && child.signalCode === null)
      process.kill(-child.pid, 'SIGKILL');
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('runs the package bin, serves the ingestion API, and stops on Ctrl-C without leaving a server behind', async () => {
    // --yes=false: never fetch from the registry; the run must come from the devDependency.
    child = spawn('npx', ['--yes=false', '@fluxrate/local', '--port', '0', '--quiet'], {
      cwd: project,
      env: userEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, as in a terminal, so Ctrl-C can be sent to npx and the server
    });
    let out = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no URL within 30 s (${installedWith}): ${out}`)),
        30_000,
      );
      child!.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /FLUXRATE_BASE_URL=(\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child!.once('exit', (code) =>
        reject(new Error(`exited early with ${code} (${installedWith}): ${out}`)),
      );
    });
    await sleep(50); // the key and token lines follow the URL line
    const apiKey = /FLUXRATE_API_KEY=(\S+)/.exec(out)![1]!;
    const token = /FLUXRATE_METER_API_CALLS=(\S+)/.exec(out)![1]!;
    const res = await fetch(`${url}/api/v1/sdk/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
      body: JSON.stringify({ meter_token: token, customer_external_id: 'acme', quantity: 2 }),
    });
    expect(res.status).toBe(201);
    const usage = await (await fetch(`${url}/__admin/usage`)).json();
    expect(usage).toEqual([expect.objectContaining({ meter: 'api_calls', customer: 'acme', total: 2 })]);

    const exited = new Promise<unknown>((resolve) =>
      child!.once('exit', (code, signal) => resolve(code ?? signal)),
    );
    process.kill(-child.pid!, 'SIGINT'); // what a terminal's Ctrl-C does: the whole foreground group
    expect([0, 'SIGINT']).toContain(await exited);
    await expect(fetch(`${url}/__admin/usage`)).rejects.toThrow(); // the server went with it
  }, 60_000);
});
