// Cases that exist in one framework only, in the same suite: Nest's `result`, Fastify's routing
// quirks (callNotFound after send, hijacked replies, inject), Express's route-less middleware.
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { RequestOutcome, Tracker } from '@fluxrate/core';
import { fluxrateMiddleware } from '@fluxrate/express';
import { fluxrate } from '@fluxrate/fastify';
import { Billable, FluxrateModule, SkipBilling } from '@fluxrate/nestjs';
import { onCleanup, trackerFor, waitFor } from '@fluxrate/testkit';
import {
  type CallHandler,
  Controller,
  type ExecutionContext,
  Get,
  type INestApplication,
  type NestInterceptor,
  StreamableFile,
  UseInterceptors,
} from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import express from 'express';
import Fastify from 'fastify';
import { delay, map, type Observable, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { abort, send } from './support/client.js';
import { useFluxrate } from './support/suite.js';

const h = useFluxrate();
const tracker = (): Tracker<string> => {
  const t = trackerFor(h.fx) as unknown as Tracker<string>;
  onCleanup(() => t.shutdown({ timeoutMs: 1_000 }));
  return t;
};
/** A Fastify app closed after the test. */
const fastifyApp = () => {
  const app = Fastify();
  onCleanup(() => app.close());
  return app;
};
const customer = (request: { headers: Record<string, unknown> }) => request.headers['x-customer'] as string;

/** `{ data: … }` around every response, as apps' response-shaping interceptors do. */
class WrapInData implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((data) => ({ data })));
  }
}

@Controller('v1')
class ChatController {
  // The handler's own interceptor written above @Billable runs inside its capture (Nest's order).
  @Get('chat')
  @UseInterceptors(WrapInData)
  @Billable<{ data: { usage: { total_tokens: number } } }>({
    meter: 'tokens',
    quantity: ({ result }) => result?.data.usage.total_tokens,
  })
  async chat() {
    return { usage: { total_tokens: 42 } };
  }

  @Billable<{ usage: { total_tokens: number } }>({
    meter: 'tokens',
    quantity: ({ result }) => result?.usage.total_tokens,
  })
  @UseInterceptors(WrapInData)
  @Get('chat-reordered')
  chatReordered() {
    return { usage: { total_tokens: 7 } };
  }
}

@Controller('v1/reports')
@Billable({ meter: 'api_calls', quantity: 2 })
class ReportsController {
  @Get()
  list() {
    return [];
  }

  @Get('export')
  @Billable({ meter: 'tokens', quantity: 5 })
  export() {
    return 'exported';
  }

  @Get('free')
  @SkipBilling()
  free() {
    return 'free';
  }

  @Get('observable')
  @Billable<{ n: number }>({ meter: 'tokens', quantity: ({ result }) => result?.n })
  observable() {
    return of({ n: 1 }, { n: 7 }).pipe(delay(5));
  }

  @Get('file')
  @Billable({ meter: 'api_calls', quantity: 3 })
  file() {
    return new StreamableFile(Readable.from([Buffer.from('chunk-1 '), Buffer.from('chunk-2')]));
  }
}

describe.each(['express', 'fastify'] as const)('nest on platform-%s', (platform) => {
  async function nest(
    controllers: (new () => object)[],
    configure?: (app: INestApplication) => void,
  ): Promise<string> {
    const moduleRef = await Test.createTestingModule({
      imports: [FluxrateModule.forRoot({ tracker: tracker(), customer })],
      controllers,
    }).compile();
    const app: INestApplication = moduleRef.createNestApplication(
      platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
      { logger: false },
    );
    configure?.(app);
    onCleanup(() => app.close());
    await app.listen(0, '127.0.0.1');
    return `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  }

  it('bills a controller-level @Billable; a handler @Billable overrides it and @SkipBilling opts out', async () => {
    const url = await nest([ReportsController]);
    for (const path of ['/v1/reports', '/v1/reports/export', '/v1/reports/free']) await send(url, path);
    await waitFor(() => h.fx.events().length === 2, 5_000, 'two events');
    expect(h.billed()).toEqual(['acme api_calls 2', 'acme tokens 5']);
  });

  it("bills an Observable handler's last value and a StreamableFile once it is streamed", async () => {
    const url = await nest([ReportsController]);
    await send(url, '/v1/reports/observable');
    expect((await send(url, '/v1/reports/file')).body).toBe('chunk-1 chunk-2');
    await waitFor(() => h.fx.events().length === 2, 5_000, 'two events');
    expect(h.billed()).toEqual(['acme api_calls 3', 'acme tokens 7']);
  });

  it("`result` is the handler's own return value under global interceptors and its own written below @Billable; those above it map it first", async () => {
    const url = await nest([ChatController], (app) => app.useGlobalInterceptors(new WrapInData()));
    const res = await send(url, '/v1/chat');
    expect(res.json()).toEqual({ data: { data: { usage: { total_tokens: 42 } } } });
    await send(url, '/v1/chat-reordered');
    await waitFor(() => h.fx.events().length === 2, 5_000, 'two events');
    expect(h.billed()).toEqual(['acme tokens 42', 'acme tokens 7']);
  });
});

describe('fastify', () => {
  it('bills a reply whose route turns into the 404 handler after it was sent (callNotFound, as @fastify/static does)', async () => {
    const app = fastifyApp();
    await app.register(fluxrate, { tracker: tracker(), customer, routes: { 'GET /public/*': 'api_calls' } });
    app.get('/public/*', (_request, reply) => {
      reply.type('text/html').send('<ul><li>a.txt</li></ul>');
      // The route context is now the 404 handler's, before the response has finished.
      reply.callNotFound();
    });
    const res = await app.inject({ url: '/public/', headers: { 'x-customer': 'acme' } });
    // (inject: light-my-request's response has no real socket; finish is still detected.)
    expect(res.statusCode).toBe(200);
    await waitFor(() => app.fluxrate.tracker.stats().tracked === 1, 5_000, 'the tracked event');
    await app.fluxrate.tracker.flush();
    expect(h.billed()).toEqual(['acme api_calls 1']);
  });

  it('an abort of a hijacked reply reaches `when` as aborted: true', async () => {
    const app = fastifyApp();
    const seen: RequestOutcome[] = [];
    await app.register(fluxrate, {
      tracker: tracker(),
      customer,
      when: (_request, _reply, outcome) => {
        seen.push(outcome);
        return outcome.aborted; // the recipe: bill what an aborted stream used
      },
    });
    app.get('/v1/stream', { config: { billable: 'tokens' as never } }, (request, reply) => {
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => {
        request.fluxrate.addUsage('tokens', 1);
        reply.raw.write('token\n');
      }, 2);
      reply.raw.on('close', () => clearInterval(timer));
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    await abort(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, '/v1/stream', {
      afterFirstChunk: true,
    });
    await waitFor(() => seen.length === 1, 5_000, 'the outcome');
    expect(seen[0]).toMatchObject({ aborted: true, finished: false });
    await app.fluxrate.tracker.flush();
    expect(h.fx.events()).toHaveLength(1);
  });

  it("gives two app instances' first requests (both request.id 'req-1') distinct keys and two events", async () => {
    const t = tracker();
    const ids: string[] = [];
    for (let n = 0; n < 2; n++) {
      const app = fastifyApp();
      await app.register(fluxrate, { tracker: t, customer });
      app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, async (request) => {
        ids.push(request.id);
        return 'ok';
      });
      await app.inject({ url: '/v1/search', headers: { 'x-customer': 'acme' } });
    }
    await t.flush();
    expect(ids).toEqual(['req-1', 'req-1']);
    const keys = h.fx.events().map((e) => e.idempotencyKey);
    expect(keys).toHaveLength(2);
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('bills finished responses under inject(), which has no real socket', async () => {
    const app = fastifyApp();
    await app.register(fluxrate, { tracker: tracker(), customer, routes: { '*': 'api_calls' } });
    app.get('/v1/search', async () => 'ok');
    for (let i = 0; i < 3; i++) await app.inject({ url: '/v1/search', headers: { 'x-customer': 'acme' } });
    await app.fluxrate.tracker.flush();
    expect(h.billed()).toEqual(['acme api_calls 1', 'acme api_calls 1', 'acme api_calls 1']);
  });

  it("'*' does not bill the 404 handler (status >= 400), and it sees no route", async () => {
    const app = fastifyApp();
    const seen: RequestOutcome[] = [];
    await app.register(fluxrate, {
      tracker: tracker(),
      customer,
      routes: { '*': 'api_calls' },
      when: (_q, _r, outcome) => {
        seen.push(outcome);
        return outcome.status < 400;
      },
    });
    expect((await app.inject({ url: '/nothing', headers: { 'x-customer': 'acme' } })).statusCode).toBe(404);
    await waitFor(() => seen.length === 1, 5_000, 'the outcome');
    expect(seen[0]).toMatchObject({ status: 404, route: undefined });
  });
});

describe('express', () => {
  it("'*' and 'GET /assets/*' cover files served by express.static, which has no route", async () => {
    const t = tracker();
    const app = express();
    const middleware = fluxrateMiddleware({
      tracker: t,
      customer: (req) => req.get('x-customer'),
      routes: { 'GET /assets/*': { meter: 'api_calls', quantity: 2 }, '*': 'api_calls' },
    });
    app.use(middleware);
    app.use(
      '/assets',
      express.static(fileURLToPath(new URL('../../packages/express/test/fixtures', import.meta.url))),
    );
    app.get('/v1/search', (_req, res) => res.send('ok'));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    onCleanup(() => new Promise((resolve) => server.close(resolve)));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await send(url, '/assets/hello.txt')).body).toBe('hello from a file\n');
    expect((await send(url, '/assets/missing.txt')).status).toBe(404);
    expect((await send(url, '/v1/search')).status).toBe(200);
    await waitFor(() => t.stats().tracked === 2, 5_000, 'two events');
    await t.flush();
    expect(h.billed()).toEqual(['acme api_calls 1', 'acme api_calls 2']);
  });
});
