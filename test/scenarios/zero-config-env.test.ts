// Zero configuration with no FLUXRATE_API_KEY (its own file: the process-wide tracker is created once
// per process, and this file's process never has a key). Where startup can see it, it fails naming the
// variable; app.use(fluxrateMiddleware) can only see it on a request, which then passes through
// untouched, said once (console.error and one process warning).
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { FluxrateConfigError } from '@fluxrate/core';
import { billable, fluxrateMiddleware } from '@fluxrate/express';
import { fluxrate } from '@fluxrate/fastify';
import { FluxrateModule } from '@fluxrate/nestjs';
import { Test } from '@nestjs/testing';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  it('app.use(fluxrateMiddleware): every request passes through untouched; the problem is warned once', async () => {
    const app = express();
    app.use(fluxrateMiddleware);
    app.get('/v1/search', billable({ meter: 'api_calls' }), (_req, res) => void res.json({ ok: true }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const warnings: Error[] = [];
    const listener = (w: Error & { code?: string }) =>
      void (w.code === 'FLUXRATE_MISUSE' && warnings.push(w));
    process.on('warning', listener);
    try {
      for (let i = 0; i < 3; i++) {
        const answer = await send(url, '/v1/search');
        expect([answer.status, answer.json()]).toEqual([200, { ok: true }]);
      }
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.removeListener('warning', listener);
      await new Promise((resolve) => server.close(resolve));
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('FLUXRATE_API_KEY');
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
