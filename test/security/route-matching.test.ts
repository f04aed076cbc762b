// A request no route matched (express.static, a Fastify not-found handler) is billed through the
// `routes` table's wildcards on its path: the table must read the path as the framework routed it, so
// a client cannot dodge 'GET /static/*' by changing the case or the encoding of a path still served,
// and a path the framework did not route there is not billed as if it had been. Real HTTP on 127.0.0.1.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tracker } from '@fluxrate/core';
import { fluxrateMiddleware } from '@fluxrate/express';
import { fluxrate } from '@fluxrate/fastify';
import type { LocalServer } from '@fluxrate/local';
import { startFluxrate, trackerFor } from '@fluxrate/testkit';
import express5 from 'express';
import express4 from 'express4';
import Fastify, { type FastifyServerOptions } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const ROUTES = { 'GET /static/*': 'api_calls' } as const;

/** One raw request (any request target, absolute-form included) on a fresh connection: the status. */
function status(port: number, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-customer: acme\r\nConnection: close\r\n\r\n`,
      ),
    );
    let head = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      head += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(head.split(' ')[1])));
  });
}

let fx: LocalServer;
let tracker: Tracker<any>;
let dir: string;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  fx = await startFluxrate();
  tracker = trackerFor(fx);
  dir = mkdtempSync(join(tmpdir(), 'fluxrate-static-'));
  writeFileSync(join(dir, 'file.txt'), 'hello');
});
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await tracker.flush();
  fx.reset();
});
afterAll(async () => {
  await tracker.shutdown({ timeoutMs: 1_000 });
  await fx.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Requests `target`, lets the response be billed and delivered: [status, events stored]. */
async function billed(port: number, target: string): Promise<[number, number]> {
  const code = await status(port, target);
  await new Promise((resolve) => setImmediate(resolve));
  await tracker.flush();
  const stored = fx.events().length;
  fx.reset();
  return [code, stored];
}

describe.each([
  ['express 5', express5],
  ['express 4', express4 as unknown as typeof express5],
])('%s: express.static at /static, routes { "GET /static/*" }', (_name, express) => {
  /** The app; `fallback`: anything else answers 200 (an SPA fallback), so a 404 cannot hide a wrong bill. */
  async function start(settings: Record<string, boolean> = {}): Promise<number> {
    const app = express();
    for (const [name, value] of Object.entries(settings)) app.set(name, value);
    app.use(
      fluxrateMiddleware({ tracker, routes: ROUTES, customer: (req) => String(req.headers['x-customer']) }),
    );
    app.use('/static', express.static(dir));
    app.use((_req, res) => {
      res.send('fallback');
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    return (server.address() as { port: number }).port;
  }

  it('bills /static/file.txt (the baseline)', async () => {
    expect(await billed(await start(), '/static/file.txt')).toEqual([200, 1]);
  });

  it('case-insensitive by default: /STATIC/file.txt is served by express.static, so it is billed', async () => {
    expect(await billed(await start(), '/STATIC/file.txt')).toEqual([200, 1]);
    expect(await billed(await start(), '/Static/file.txt')).toEqual([200, 1]);
  });

  it("'case sensitive routing': /STATIC/file.txt is the fallback's, not billed as /static/*", async () => {
    const port = await start({ 'case sensitive routing': true });
    expect(await billed(port, '/STATIC/file.txt')).toEqual([200, 0]);
    expect(await billed(port, '/static/file.txt')).toEqual([200, 1]);
  });

  it("'strict routing' does not move a mount: /static/file.txt and /STATIC/file.txt are billed", async () => {
    const port = await start({ 'strict routing': true });
    expect(await billed(port, '/static/file.txt')).toEqual([200, 1]);
    expect(await billed(port, '/STATIC/file.txt')).toEqual([200, 1]);
  });

  it('an absolute-form target (GET http://host/static/file.txt) is routed on its path, so it is billed', async () => {
    const port = await start();
    expect(await billed(port, `http://127.0.0.1:${port}/static/file.txt`)).toEqual([200, 1]);
    expect(await billed(port, 'HTTP://EXAMPLE/STATIC/file.txt')).toEqual([200, 1]);
  });

  it('URL-encoded segments: /static/%66ile.txt is billed; /st%61tic/… is not routed to /static by Express', async () => {
    const port = await start();
    expect(await billed(port, '/static/%66ile.txt')).toEqual([200, 1]);
    expect(await billed(port, '/st%61tic/file.txt')).toEqual([200, 0]);
  });

  it('trailing and doubled slashes and a fragment: billed as Express serves them', async () => {
    const port = await start();
    expect(await billed(port, '/static//file.txt')).toEqual([200, 1]);
    expect(await billed(port, '/static/file.txt#top')).toEqual([200, 1]);
    expect(await billed(port, '//static/file.txt')).toEqual([200, 0]);
  });
});

describe('fastify: a not-found handler serving files, routes { "GET /static/*" }', () => {
  async function start(options: FastifyServerOptions = {}): Promise<number> {
    const app = Fastify(options);
    await app.register(fluxrate, {
      tracker,
      routes: ROUTES,
      customer: (request) => String(request.headers['x-customer']),
    });
    app.setNotFoundHandler((_request, reply) => {
      reply.send('served by the not-found handler');
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => app.close());
    return (app.server.address() as { port: number }).port;
  }

  it('bills /static/file.txt; case-sensitive by default: /STATIC/file.txt is not /static', async () => {
    const port = await start();
    expect(await billed(port, '/static/file.txt')).toEqual([200, 1]);
    expect(await billed(port, '/STATIC/file.txt')).toEqual([200, 0]);
  });

  it('caseSensitive: false (top-level or routerOptions): /STATIC/file.txt is billed', async () => {
    expect(await billed(await start({ caseSensitive: false }), '/STATIC/file.txt')).toEqual([200, 1]);
    expect(
      await billed(await start({ routerOptions: { caseSensitive: false } }), '/STATIC/file.txt'),
    ).toEqual([200, 1]);
  });

  it('URL-encoded segments are decoded as find-my-way decodes them: /st%61tic/file.txt is billed', async () => {
    const port = await start();
    expect(await billed(port, '/st%61tic/file.txt')).toEqual([200, 1]);
    // An encoded slash stays one segment, as the router keeps it: not under /static.
    expect(await billed(port, '/static%2Ffile.txt')).toEqual([200, 0]);
  });

  it('ignoreDuplicateSlashes: //static//file.txt is billed (without it, it is not /static)', async () => {
    expect(await billed(await start({ ignoreDuplicateSlashes: true }), '//static//file.txt')).toEqual([
      200, 1,
    ]);
    expect(await billed(await start(), '//static/file.txt')).toEqual([200, 0]);
  });

  it('ignoreTrailingSlash: /static/ and /static are billed either way (a prefix has no trailing slash)', async () => {
    const port = await start({ ignoreTrailingSlash: true });
    expect(await billed(port, '/static/')).toEqual([200, 1]);
    expect(await billed(port, '/static')).toEqual([200, 1]);
  });
});
