// A NestJS app written in TypeScript and compiled to CommonJS by tsc, as `nest new` sets it up
// (test/packaged/nest-app: module commonjs, experimentalDecorators, emitDecoratorMetadata), against the
// installed packages: it starts, bills exactly, and aggregates.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killChildren } from '@fluxrate/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/pack-install.mjs';
import { runScript } from './support/child.js';
import { hit } from './support/drive.js';
import { type Fluxrate, packagedFluxrate } from './support/local.js';
import { INSTALL_TIMEOUT_MS, packagedSkipReason } from './support/project.js';

const skip = packagedSkipReason();
const APP = fileURLToPath(new URL('./nest-app/', import.meta.url));

describe.skipIf(skip)('packaged: a Nest app in TypeScript, compiled to CommonJS with tsc', () => {
  let project = '';
  let fx: Fluxrate;
  beforeAll(async () => {
    ({ project, fx } = await packagedFluxrate());
    // The app sits inside the project, so tsc and node resolve every import from its node_modules.
    const dir = join(project, 'nest-app');
    rmSync(dir, { recursive: true, force: true });
    cpSync(APP, dir, { recursive: true, filter: (src) => !/[/\\](dist|tsconfig\.tsbuildinfo)$/.test(src) });
    execFileSync(join(repoRoot, 'node_modules', '.bin', 'tsc'), ['-p', 'nest-app/tsconfig.json'], {
      cwd: project,
      stdio: 'pipe',
    });
  }, INSTALL_TIMEOUT_MS);
  afterAll(killChildren);

  async function start(env: Record<string, string>) {
    const app = runScript(project, ['nest-app/dist/main.js'], { ...fx.env, ...env });
    const { port } = await app.next('listening');
    return { app, port };
  }
  async function flush(port: number) {
    return (await (await fetch(`http://127.0.0.1:${port}/flush`)).json()) as Record<string, any>;
  }

  it('bills exactly: 50 billed requests are 50 stored events', async () => {
    const { app, port } = await start({});
    expect(await hit(port, '/billed', 50, 'nest-tsc')).toEqual({ 200: 50 });
    const flushed = await flush(port);
    expect(flushed.settled).toBe(true);
    expect(await fx.stored('nest-tsc')).toEqual({ events: 50, total: 50 });
    expect(flushed.stats).toMatchObject({ delivered: 50, failed: 0, dropped: 0 });
    app.proc.kill('SIGKILL');
  });

  it.each<[string, Record<string, string>]>([
    ['the module creates the tracker', {}],
    ['the app passes a tracker from @fluxrate/core', { OWN_TRACKER: '1' }],
  ])('aggregates (%s): hour windows, 200 billed requests -> 1 Fluxrate request', async (_, env) => {
    const customer = `nest-tsc-aggregate-${env.OWN_TRACKER ?? 0}`;
    const { app, port } = await start({ AGGREGATE: '1', ...env });
    expect(await hit(port, '/billed', 200, customer)).toEqual({ 200: 200 });
    const flushed = await flush(port);
    expect(flushed.settled).toBe(true);
    expect(await fx.stored(customer)).toEqual({ events: 1, total: 200 });
    expect(flushed.stats).toMatchObject({ aggregated: 199, delivered: 1, failed: 0, dropped: 0 });
    app.proc.kill('SIGKILL');
  });
});
