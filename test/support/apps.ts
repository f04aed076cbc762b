import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Tracker } from '@fluxrate/core';
import { fluxrateMiddleware } from '@fluxrate/express';
import { fluxrate } from '@fluxrate/fastify';
import { Billable, FluxrateModule } from '@fluxrate/nestjs';
import { sleep } from '@fluxrate/testkit';
import { Controller, Get, HttpCode, HttpException, Post, Req, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import express from 'express';
import Fastify from 'fastify';

export type Framework = 'express' | 'fastify' | 'nestjs';
export const FRAMEWORKS: Framework[] = ['express', 'fastify', 'nestjs'];

/**
 * Every test app serves the same routes, answering `{ requestId }` (the server-generated id):
 * - GET  /v1/search  bills api_calls (SUM, quantity 1)
 * - POST /v1/chat    bills tokens (SUM, quantity from the `x-tokens` header)
 * - GET  /v1/seen    bills active_users (UNIQUE_COUNT, user from the `x-user` header)
 * - GET  /v1/free    bills nothing
 * - GET  /v1/fail    billable, but answers 400 (so it is not billed)
 * - GET  /v1/hang    billable, but only answers once the client has gone away (so it is not billed)
 * - GET  /v1/slow    billable, answers after `x-delay` ms (default 100)
 * The customer is the `x-customer` header.
 */
export interface AppOptions {
  tracker: Tracker<any>;
  idempotency?: 'request' | 'client-key';
}

export interface RunningApp {
  url: string;
  /** Stops accepting and waits for in-flight requests (the tracker is left to the caller). */
  close(): Promise<void>;
}

type Headers = Record<string, string | string[] | undefined>;
const header = (headers: Headers, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};
const customer = (headers: Headers) => header(headers, 'x-customer');
const tokens = (headers: Headers) => Number(header(headers, 'x-tokens'));
const user = (headers: Headers) => ({ user_id: header(headers, 'x-user') });
const delayOf = (headers: Headers) => Number(header(headers, 'x-delay') ?? 100);

/** Resolves when the response's connection closes (the client aborted), or after 10 s. */
const untilClosed = (raw: NodeJS.EventEmitter) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 10_000);
    raw.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });

const urlOf = (address: AddressInfo) => `http://127.0.0.1:${address.port}`;

async function startExpress({ tracker, idempotency }: AppOptions): Promise<RunningApp> {
  const app = express();
  const fx = fluxrateMiddleware({
    tracker,
    customer: (req) => customer(req.headers),
    ...(idempotency ? { idempotency } : {}),
  });
  app.use(fx);
  const ok = (req: express.Request, res: express.Response) => {
    res.json({ requestId: req.fluxrate.requestId });
  };
  app.get('/v1/search', fx.billable({ meter: 'api_calls' }), ok);
  app.post(
    '/v1/chat',
    fx.billable({ meter: 'tokens', quantity: (req: express.Request) => tokens(req.headers) }),
    ok,
  );
  app.get(
    '/v1/seen',
    fx.billable({ meter: 'active_users', metadata: (req: express.Request) => user(req.headers) }),
    ok,
  );
  app.get('/v1/free', ok);
  app.get('/v1/fail', fx.billable({ meter: 'api_calls' }), (_req, res) => {
    res.status(400).json({ error: 'bad input' });
  });
  app.get('/v1/hang', fx.billable({ meter: 'api_calls' }), async (req, res) => {
    await untilClosed(res);
    ok(req, res);
  });
  app.get('/v1/slow', fx.billable({ meter: 'api_calls' }), async (req, res) => {
    await sleep(delayOf(req.headers));
    ok(req, res);
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    url: urlOf(server.address() as AddressInfo),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function startFastify({ tracker, idempotency }: AppOptions): Promise<RunningApp> {
  const app = Fastify({ logger: false });
  await app.register(fluxrate, {
    tracker,
    customer: (request) => customer(request.headers),
    ...(idempotency ? { idempotency } : {}),
  });
  const ok = (request: { fluxrate: { requestId: string } }) => ({ requestId: request.fluxrate.requestId });
  app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async (request) => ok(request));
  app.post(
    '/v1/chat',
    { config: { billable: { meter: 'tokens', quantity: (request) => tokens(request.headers) } } },
    async (request) => ok(request),
  );
  app.get(
    '/v1/seen',
    { config: { billable: { meter: 'active_users', metadata: (request) => user(request.headers) } } },
    async (request) => ok(request),
  );
  app.get('/v1/free', async (request) => ok(request));
  app.get('/v1/fail', { config: { billable: { meter: 'api_calls' } } }, async (_request, reply) =>
    reply.code(400).send({ error: 'bad input' }),
  );
  app.get('/v1/hang', { config: { billable: { meter: 'api_calls' } } }, async (request, reply) => {
    await untilClosed(reply.raw);
    return ok(request);
  });
  app.get('/v1/slow', { config: { billable: { meter: 'api_calls' } } }, async (request) => {
    await sleep(delayOf(request.headers));
    return ok(request);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: urlOf(app.server.address() as AddressInfo), close: () => app.close() };
}

type NestReq = { headers: Headers; fluxrate: { requestId: string } };

@Controller('v1')
class BillingController {
  @Get('search')
  @Billable({ meter: 'api_calls' })
  search(@Req() req: NestReq) {
    return { requestId: req.fluxrate.requestId };
  }

  @Post('chat')
  @HttpCode(200)
  @Billable({ meter: 'tokens', quantity: ({ request }) => tokens(request.headers) })
  chat(@Req() req: NestReq) {
    return { requestId: req.fluxrate.requestId };
  }

  @Get('seen')
  @Billable({ meter: 'active_users', metadata: ({ request }) => user(request.headers) })
  seen(@Req() req: NestReq) {
    return { requestId: req.fluxrate.requestId };
  }

  @Get('free')
  free(@Req() req: NestReq) {
    return { requestId: req.fluxrate.requestId };
  }

  @Get('fail')
  @Billable({ meter: 'api_calls' })
  fail() {
    throw new HttpException({ error: 'bad input' }, 400);
  }

  @Get('hang')
  @Billable({ meter: 'api_calls' })
  async hang(@Req() req: NestReq, @Res({ passthrough: true }) res: NodeJS.EventEmitter) {
    await untilClosed(res);
    return { requestId: req.fluxrate.requestId };
  }

  @Get('slow')
  @Billable({ meter: 'api_calls' })
  async slow(@Req() req: NestReq) {
    await sleep(delayOf(req.headers));
    return { requestId: req.fluxrate.requestId };
  }
}

async function startNest({ tracker, idempotency }: AppOptions): Promise<RunningApp> {
  const { Module } = await import('@nestjs/common');
  @Module({
    imports: [
      FluxrateModule.forRoot({
        tracker,
        customer: (request: NestReq) => customer(request.headers),
        ...(idempotency ? { idempotency } : {}),
      }),
    ],
    controllers: [BillingController],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false });
  await app.listen(0, '127.0.0.1');
  return { url: urlOf(app.getHttpServer().address() as AddressInfo), close: () => app.close() };
}

export function startApp(framework: Framework, options: AppOptions): Promise<RunningApp> {
  if (framework === 'express') return startExpress(options);
  if (framework === 'fastify') return startFastify(options);
  return startNest(options);
}
