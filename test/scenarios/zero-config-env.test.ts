// Zero configuration with no FLUXRATE_API_KEY (its own file: the process-wide tracker is created once
// per process, and this file's process never has a key). Where startup can see it, it fails naming the
// variable; app.use(fluxrateMiddleware) can only see it on a request, which then passes through
// untouched, said once (one process warning, which Node prints on stderr).
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { FluxrateConfigError } from '@fluxrate/core';
import { billable, fluxrateMiddleware } from '@fluxrate/express';
import { fluxrate } from '@fluxrate/fastify';
import { FluxrateModule } from '@fluxrate/nestjs';
import { captureWarnings } from '@fluxrate/testkit';
import { Test } from '@nestjs/testing';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { send } from './support/client.js';

const saved = process.env.FLUXRATE_API_KEY;
beforeAll(() => {
  delete process.env.FLUXRATE_API_KEY;
});
afterAll(() => {
  if (saved !== undefined) process.env.FLUXRATE_API_KEY = saved;
});

const namesTheKey = { option: 'FLUXRATE_API_KEY', message: expect.stringContaining('FLUXRATE_API_KEY') };

describe('zero configuration without FLUXRATE_API_KEY', () => {
  it('app.use(fluxrateMiddleware): every request passes through untouched; only the right error is said, once', async () => {
    const app = express();
    app.use(fluxrateMiddleware);
    app.get('/v1/search', billable({ meter: 'api_calls' }), (_req, res) => void res.json({ ok: true }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const warnings = captureWarnings();
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    let printed: string[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const answer = await send(url, '/v1/search?q=private-query');
        expect([answer.status, answer.json()]).toEqual([200, { ok: true }]);
      }
      printed = stderr.mock.calls.map((c) => String(c[0]));
    } finally {
      stderr.mockRestore();
      await new Promise((resolve) => server.close(resolve));
    }
    // Issue #25: a FLUXRATE_MIDDLEWARE_MISSING followed (the middleware was registered, it failed to
    // start), echoing the query string, and the error said "zero-configuration … (zero configuration)".
    expect(warnings.all.map((w) => w.code)).toEqual(['FLUXRATE_MISUSE']);
    const [message] = warnings.of('FLUXRATE_MISUSE');
    expect(message).toContain('FLUXRATE_API_KEY');
    expect(message).not.toContain('private-query');
    expect(message!.match(/zero.configuration/g)).toHaveLength(1);
    expect(message).toMatch(/^fluxrate: app\.use\(fluxrateMiddleware\) could not start/);
    // Said once, through the one warning mechanism: not a second time with console.error.
    expect(printed).toEqual([]);
  });

  it('fluxrateMiddleware() throws at startup, naming FLUXRATE_API_KEY', () => {
    expect(() => fluxrateMiddleware()).toThrow(FluxrateConfigError);
    expect(() => fluxrateMiddleware()).toThrow(expect.objectContaining(namesTheKey));
  });

  it('app.register(fluxrate) fails app.ready(), naming FLUXRATE_API_KEY', async () => {
    const app = Fastify();
    app.register(fluxrate);
    const error = await app.ready().then(
      () => undefined,
      (e: unknown) => e,
    );
    await app.close().catch(() => undefined);
    expect(error).toBeInstanceOf(FluxrateConfigError);
    expect(error).toMatchObject(namesTheKey);
  });

  it('FluxrateModule.forRoot() fails bootstrap, naming FLUXRATE_API_KEY', async () => {
    const error = await Test.createTestingModule({ imports: [FluxrateModule.forRoot()] })
      .compile()
      .then(
        (m) => m.close(),
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(FluxrateConfigError);
    expect(error).toMatchObject(namesTheKey);
  });
});
