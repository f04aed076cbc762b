import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { RequestBilling, Tracker } from '@fluxrate/core';
import type { LocalServer } from '@fluxrate/local';
import {
  Billable,
  FluxrateInterceptor,
  FluxrateModule,
  FluxrateTracker,
  SkipBilling,
} from '@fluxrate/nestjs';
import { sleep } from '@fluxrate/testkit';
import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  HttpCode,
  HttpException,
  type INestApplication,
  Module,
  ParseIntPipe,
  Post,
  Query,
  Redirect,
  Req,
  Res,
  Sse,
  StreamableFile,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Observable } from 'rxjs';
import type { AppDef, Behaviour, Driver } from './model.js';
import { adapter } from './neutral.js';
import { running, trackerSource } from './probe.js';

type Headers = Record<string, string | undefined>;
type Request = { headers: Headers; fluxrate: RequestBilling };
type Fn = (...args: any[]) => unknown;

// Route functions get `(ctx, outcome)`; module-level customer/requestId get `(request, ctx, outcome)`.
const neutral = adapter<[unknown]>((first) => {
  const x = first as { request?: { headers: Headers }; context?: unknown; headers?: Headers };
  return (x.context !== undefined && x.request ? x.request.headers : x.headers) ?? {};
});
const deny: CanActivate = {
  canActivate: (context: ExecutionContext) => !context.switchToHttp().getRequest().headers['x-deny'],
};

/** The handler, its decorators, and which parameters it takes (`req`, `res`, `query n`). */
function implementation(b: Behaviour): {
  fn: Fn;
  decorators: MethodDecorator[];
  params: ('req' | 'res' | 'n')[];
} {
  const id = (req: Request) => ({ id: req.fluxrate.requestId });
  switch (b.kind) {
    case 'json': {
      const status = b.status ?? 200;
      return {
        params: ['req'],
        decorators: status < 400 ? [HttpCode(status)] : [],
        fn: (req: Request) => {
          for (const [op, meter, n] of b.usage ?? [])
            op === 'add' ? req.fluxrate.addUsage(meter, n) : req.fluxrate.setQuantity(meter, n);
          if (b.skip) req.fluxrate.skip();
          if (status >= 400) throw new HttpException({ error: 'no' }, status);
          return id(req);
        },
      };
    }
    case 'empty':
      return { params: [], decorators: [HttpCode(b.status)], fn: () => undefined };
    case 'redirect':
      return { params: [], decorators: [Redirect('/elsewhere', b.status)], fn: () => undefined };
    case 'throw':
      return {
        params: [],
        decorators: [],
        fn: b.async
          ? async () => {
              await Promise.resolve();
              throw new Error('rejected');
            }
          : () => {
              throw new Error('boom');
            },
      };
    case 'slow':
      return {
        params: ['req'],
        decorators: [],
        fn: async (req: Request) => {
          await sleep(b.ms);
          return id(req);
        },
      };
    case 'stream':
      return {
        params: ['req'],
        decorators: [],
        fn: (req: Request) => {
          let n = 0;
          const body = new Readable({
            read() {
              if (n === b.chunks) return void this.push(null);
              setTimeout(() => {
                if (b.usagePerChunk) req.fluxrate.addUsage('tokens', b.usagePerChunk);
                this.push(`chunk ${n++}\n`);
              }, b.everyMs);
            },
          });
          return new StreamableFile(body, { type: 'text/plain' });
        },
      };
    case 'failAfterHeaders':
      if (b.via === 'stream') {
        // An @Sse() Observable that errors mid-stream.
        return {
          params: [],
          decorators: [Sse()],
          fn: () =>
            new Observable((subscriber) => {
              subscriber.next({ data: 'partial' });
              const timer = setTimeout(() => subscriber.error(new Error('upstream failed')), 5);
              return () => clearTimeout(timer);
            }),
        };
      }
      return {
        params: ['req', 'res'],
        decorators: [],
        fn: (_req: Request, res: { raw?: unknown; hijack?: () => void }) => {
          // On platform-fastify a reply written through `raw` must be hijacked first (Fastify's rule).
          res.hijack?.();
          const raw = (res.raw ?? res) as import('node:http').ServerResponse;
          raw.writeHead(200, { 'content-type': 'text/plain' });
          raw.write('partial\n');
          throw new Error('failed after headers');
        },
      };
    case 'lateUsage':
      return {
        params: ['req'],
        decorators: [],
        fn: (req: Request) => {
          const done = b.hold ? req.fluxrate.hold() : undefined;
          setTimeout(() => {
            req.fluxrate.addUsage('tokens', b.n);
            if (b.release) done?.();
          }, b.afterMs);
          return id(req);
        },
      };
    case 'validated':
      return { params: ['n', 'req'], decorators: [], fn: (_n: number, req: Request) => id(req) };
    case 'guarded':
      return { params: ['req'], decorators: [UseGuards(deny)], fn: (req: Request) => id(req) };
  }
}

/** A controller built from the scenario's routes, decorated by hand (no decorator syntax needed). */
function controllerFor(def: AppDef): new () => object {
  class ScenarioController {}
  const proto = ScenarioController.prototype as unknown as Record<string, Fn>;
  def.routes.forEach((r, i) => {
    const name = `route${i}`;
    const { fn, decorators, params } = implementation(r.do);
    proto[name] = { [name]: (...args: unknown[]) => fn(...args) }[name]!;
    const list: MethodDecorator[] = [(r.method === 'GET' ? Get : Post)(r.path), ...decorators];
    if (r.billable === false) list.push(SkipBilling());
    else if (r.billable !== undefined) list.push(Billable(neutral.billable(r.billable) as never));
    params.forEach((p, index) => {
      const decorate = p === 'req' ? Req() : p === 'res' ? Res() : Query('n', ParseIntPipe);
      decorate(proto, name, index);
    });
    const descriptor = Object.getOwnPropertyDescriptor(proto, name)!;
    Object.defineProperty(proto, name, Reflect.decorate(list, proto, name, descriptor) ?? descriptor);
  });
  Reflect.decorate([Controller()], ScenarioController);
  if (def.twice) Reflect.decorate([UseInterceptors(FluxrateInterceptor)], ScenarioController);
  return ScenarioController;
}

function nestDriver(platform: 'express' | 'fastify'): Driver {
  return {
    name: `nest on platform-${platform}`,
    unknownMeter: 'startup',
    async start(fx: LocalServer, def: AppDef) {
      const source = trackerSource(fx, def);
      const options = { ...source, ...neutral.options(def.options) };
      const controller = controllerFor(def);
      const imports: unknown[] = [FluxrateModule.forRoot(options as never)];
      if (def.twice) {
        // Imported a second time (by another module) on the same tracker, and applied locally too.
        class SecondModule {}
        Reflect.decorate(
          [
            Module({
              imports: [FluxrateModule.forRoot({ ...neutral.options(def.options), ...source } as never)],
            }),
          ],
          SecondModule,
        );
        imports.push(SecondModule);
      }
      const moduleRef = await Test.createTestingModule({
        imports: imports as never,
        controllers: [controller],
      }).compile();
      const app: INestApplication = moduleRef.createNestApplication(
        platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
        { logger: def.logs ? def.logs.nest() : false },
      );
      try {
        await app.listen(0, '127.0.0.1');
        if (platform === 'fastify') await app.getHttpAdapter().getInstance().ready();
      } catch (error) {
        await app.close().catch(() => undefined);
        throw error;
      }
      const server = app.getHttpServer();
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const tracker = app.get(FluxrateTracker) as unknown as Tracker<string>;
      return running(server, url, tracker, async () => {
        server.closeAllConnections();
        await app.close();
      });
    },
  };
}

export const nestExpressDriver = nestDriver('express');
export const nestFastifyDriver = nestDriver('fastify');
