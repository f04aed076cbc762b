import type { AddressInfo } from 'node:net';
import { pipeline, Readable } from 'node:stream';
import type { Tracker } from '@fluxrate/core';
import { billable, fluxrateMiddleware } from '@fluxrate/express';
import type { LocalServer } from '@fluxrate/local';
import express5, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import express4 from 'express4';
import type { AppDef, Behaviour, Driver } from './model.js';
import { adapter } from './neutral.js';
import { running, trackerSource } from './probe.js';

const neutral = adapter<[Request, Response]>((req) => req.headers);

function failingStream(): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push('partial\n');
      } else setTimeout(() => this.destroy(new Error('upstream failed')), 5);
    },
  });
}

function handlerFor(b: Behaviour, isExpress5: boolean): RequestHandler[] {
  const json = (req: Request, res: Response, status = 200) =>
    res.status(status).json({ id: req.fluxrate.requestId });
  switch (b.kind) {
    case 'json':
      return [
        (req, res) => {
          for (const [op, meter, n] of b.usage ?? [])
            op === 'add' ? req.fluxrate.addUsage(meter, n) : req.fluxrate.setQuantity(meter, n);
          if (b.skip) req.fluxrate.skip();
          json(req, res, b.status);
        },
      ];
    case 'empty':
      return [(_req, res) => void res.status(b.status).end()];
    case 'redirect':
      return [(_req, res) => res.redirect(b.status, '/elsewhere')];
    case 'throw':
      if (!b.async)
        return [
          () => {
            throw new Error('boom');
          },
        ];
      // Express 5 routes a rejected promise to the error handler; on Express 4 apps call next(err).
      return [
        isExpress5
          ? async () => {
              await Promise.resolve();
              throw new Error('rejected');
            }
          : (_req: Request, _res: Response, next: NextFunction) => {
              Promise.reject(new Error('rejected')).catch(next);
            },
      ];
    case 'slow':
      return [(req, res) => void setTimeout(() => json(req, res), b.ms)];
    case 'stream':
      return [
        (req, res) => {
          let n = 0;
          const timer = setInterval(() => {
            if (b.usagePerChunk) req.fluxrate.addUsage('tokens', b.usagePerChunk);
            res.write(`chunk ${n}\n`);
            if (++n === b.chunks) {
              clearInterval(timer);
              res.end();
            }
          }, b.everyMs);
          res.on('close', () => clearInterval(timer));
        },
      ];
    case 'failAfterHeaders':
      if (b.via === 'stream') return [(_req, res) => void pipeline(failingStream(), res, () => undefined)];
      return [
        (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('partial\n');
          throw new Error('failed after headers');
        },
      ];
    case 'lateUsage':
      return [
        (req, res) => {
          const done = b.hold ? req.fluxrate.hold() : undefined;
          json(req, res);
          setTimeout(() => {
            req.fluxrate.addUsage('tokens', b.n);
            if (b.release) done?.();
          }, b.afterMs);
        },
      ];
    case 'validated':
      return [
        (req, res, next) =>
          /^\d+$/.test(String(req.query.n ?? '')) ? next() : void res.status(400).json({ error: 'n' }),
        (req, res) => json(req, res),
      ];
    case 'guarded':
      return [
        (req, res, next) => (req.get('x-deny') ? void res.status(403).json({ error: 'denied' }) : next()),
        (req, res) => json(req, res),
      ];
  }
}

function expressDriver(name: string, factory: typeof express5, isExpress5: boolean): Driver {
  return {
    name,
    unknownMeter: 'first-request',
    async start(fx: LocalServer, def: AppDef) {
      const options = { ...trackerSource(fx, def), ...neutral.options(def.options) };
      const middleware = fluxrateMiddleware(options as never);
      const app = factory();
      app.set('env', 'test'); // no stack traces on stderr from the default error handler
      app.use(middleware);
      let target = app;
      if (def.twice) {
        // A sub-app with its own fluxrateMiddleware() on the same tracker: the request is metered once.
        const inner = factory();
        inner.set('env', 'test');
        inner.use(
          fluxrateMiddleware({ ...neutral.options(def.options), tracker: middleware.tracker } as never),
        );
        app.use(inner);
        target = inner;
      }
      for (const route of def.routes) {
        const chain: RequestHandler[] = [];
        if (route.billable !== undefined) chain.push(billable(neutral.billable(route.billable) as never));
        chain.push(...handlerFor(route.do, isExpress5));
        target[route.method === 'GET' ? 'get' : 'post'](route.path, ...chain);
      }
      const server = app.listen(0, '127.0.0.1');
      await new Promise<void>((resolve) => server.once('listening', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      return running(server, url, middleware.tracker as Tracker<string>, async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        await middleware.close(); // within shutdownTimeoutMs, as Fastify's and Nest's app.close()
      });
    },
  };
}

export const express5Driver = expressDriver('express 5', express5, true);
export const express4Driver = expressDriver('express 4', express4 as unknown as typeof express5, false);
