import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LocalServer } from '@fluxrate/local';
import { needsBuild, startFluxrate } from '@fluxrate/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '../..');
const skipReason = needsBuild('nest 12', 'core', 'nestjs');

/**
 * A throwaway app folder whose node_modules has Nest 12 (from test/nest12) and a COPY of the built
 * @fluxrate/nestjs, so the adapter resolves @nestjs/* from here (Nest 12), not from its own
 * devDependencies (Nest 11), exactly as in an app that installs it from npm.
 */
function appFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fluxrate-nest12-'));
  const modules = join(dir, 'node_modules');
  mkdirSync(join(modules, '@fluxrate', 'nestjs'), { recursive: true });
  for (const name of ['@nestjs', 'rxjs', 'reflect-metadata'])
    symlinkSync(join(here, 'node_modules', name), join(modules, name));
  symlinkSync(join(repo, 'packages/core'), join(modules, '@fluxrate', 'core'));
  for (const part of ['package.json', 'dist']) {
    cpSync(join(repo, 'packages/nestjs', part), join(modules, '@fluxrate', 'nestjs', part), {
      recursive: true,
    });
  }
  const app = (load: string, start: string) => `${load}
class SearchController { search() { return { results: [] }; } }
const proto = SearchController.prototype;
Object.defineProperty(proto, 'search', Reflect.decorate([Get('search'), Billable({ meter: 'api_calls' })], proto, 'search', Object.getOwnPropertyDescriptor(proto, 'search')));
Reflect.decorate([Controller('v1')], SearchController);
class AppModule {}
Reflect.decorate([Module({ imports: [FluxrateModule.forRoot({ apiKey: process.env.FLUXRATE_API_KEY, baseUrl: process.env.FLUXRATE_BASE_URL, meters: { api_calls: process.env.METER_TOKEN }, customer: (request) => request.headers['x-customer'] })], controllers: [SearchController] })], AppModule);
${start}`;
  const start = `const app = await NestFactory.create(AppModule, { logger: false });
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  process.stdout.write(JSON.stringify({ port: app.getHttpServer().address().port, nest: nestVersion }) + '\\n');`;
  writeFileSync(
    join(dir, 'app.mjs'),
    app(
      `import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Billable, FluxrateModule } from '@fluxrate/nestjs';
import { createRequire } from 'node:module';
const nestVersion = createRequire(import.meta.url)('@nestjs/core/package.json').version;`,
      start,
    ),
  );
  writeFileSync(
    join(dir, 'app.cjs'),
    app(
      `require('reflect-metadata');
const { Controller, Get, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { Billable, FluxrateModule } = require('@fluxrate/nestjs');
const nestVersion = require('@nestjs/core/package.json').version;`,
      `(async () => { ${start} })();`,
    ),
  );
  return dir;
}

describe.skipIf(skipReason)(
  'NestJS 12 (peer range ^11 || ^12): the built adapter from ESM and CJS apps',
  () => {
    let fx: LocalServer | undefined;
    let child: ChildProcess | undefined;
    afterEach(async () => {
      child?.kill('SIGKILL');
      await fx?.close();
    });

    it.each(['app.mjs', 'app.cjs'])('%s bills each request once and flushes on SIGTERM', async (file) => {
      fx = await startFluxrate();
      const dir = appFolder();
      child = spawn(process.execPath, [join(dir, file)], {
        cwd: dir,
        env: {
          ...process.env,
          FLUXRATE_BASE_URL: fx.url,
          FLUXRATE_API_KEY: fx.apiKey,
          METER_TOKEN: fx.meters.api_calls!.token,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (chunk) => {
        stderr += chunk;
      });
      const ready = await new Promise<{ port: number; nest: string }>((resolve, reject) => {
        child!.stdout!.once('data', (chunk) => resolve(JSON.parse(String(chunk).split('\n')[0]!)));
        child!.once('exit', () => reject(new Error(`app exited: ${stderr}`)));
      });
      expect(ready.nest).toMatch(/^12\./);
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`http://127.0.0.1:${ready.port}/v1/search`, {
          headers: { 'x-customer': 'acme' },
        });
        expect(res.status).toBe(200);
        await res.text();
      }
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      expect(fx.usage()).toEqual([expect.objectContaining({ customer: 'acme', total: 5, eventCount: 5 })]);
    });
  },
);
