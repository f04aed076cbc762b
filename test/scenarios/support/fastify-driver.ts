import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { Tracker } from '@fluxrate/core';
import { fluxrate } from '@fluxrate/fastify';
import type { LocalServer } from '@fluxrate/local';
import { sleep } from '@fluxrate/testkit';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type RouteHandlerMethod,
  type RouteShorthandOptions,
} from 'fastify';
import type { AppDef, Behaviour, Driver } from './model.js';
import { adapter } from './neutral.js';
import { running, trackerSource } from './probe.js';

const neutral = adapter<[FastifyRequest, FastifyReply]>((request) => request.headers);
function route(b: Behaviour): { options: RouteShorthandOptions; handler: RouteHandlerMethod } {
  const id = (request: FastifyRequest) => ({ id: request.fluxrate.requestId });
  const plain = (handler: RouteHandlerMethod) => ({ options: {}, handler });
  switch (b.kind) {
    case 'json':
      return plain(async (request, reply) => {
        for (const [op, meter, n] of b.usage ?? [])
          op === 'add' ? request.fluxrate.addUsage(meter, n) : request.fluxrate.setQuantity(meter, n);
        if (b.skip) request.fluxrate.skip();
        return reply.code(b.status ?? 200).send(id(request));
      });
    case 'empty':
      return plain(async (_request, reply) => reply.code(b.status).send());
    case 'redirect':
      return plain(async (_request, reply) => reply.redirect('/elsewhere', b.status));
    case 'throw':
      return plain(async () => {
        if (b.async) await Promise.resolve();
        throw new Error('boom');
      });
    case 'slow':
      return plain(async (request) => {
        await sleep(b.ms);
        return id(request);
      });
    case 'stream':
      return plain(async (request, reply) => {
        let n = 0;
        const body = new Readable({
          read() {
            if (n === b.chunks) return void this.push(null);
            setTimeout(() => {
              if (b.usagePerChunk) request.fluxrate.addUsage('tokens', b.usagePerChunk);
              this.push(`chunk ${n++}\n`);
            }, b.everyMs);
          },
        });
        return reply.type('text/plain').send(body);
      });
    case 'failAfterHeaders':
      if (b.via === 'stream') {
        return plain(async (_request, reply) => {
          let sent = false;
          const body = new Readable({
            read() {
              if (!sent) {
                sent = true;
                this.push('partial\n');
              } else setTimeout(() => this.destroy(new Error('upstream failed')), 5);
            },
          });
          return reply.type('text/plain').send(body);
        });
      }
      return plain(async (_request, reply) => {
        reply.raw.writeHead(200, { 'content-type': 'text/plain' });
        reply.raw.write('partial\n');
        throw new Error('failed after headers');
      });
    case 'lateUsage':
      return plain(async (request, reply) => {
        const done = b.hold ? request.fluxrate.hold() : undefined;
        setTimeout(() => {
          request.fluxrate.addUsage('tokens', b.n);
          if (b.release) done?.();
        }, b.afterMs);
        return reply.send(id(request));
      });
    case 'validated':
      return {
        options: {
          schema: {
            querystring: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
          },
        },
        handler: async (request) => id(request),
      };
    case 'guarded':
      return {
        options: {
          preHandler: async (request, reply) => {
            if (request.headers['x-deny']) return reply.code(403).send({ error: 'denied' });
          },
        },
        handler: async (request) => id(request),
      };
  }
}

function declare(app: FastifyInstance, def: AppDef): void {
  for (const r of def.routes) {
    const { options, handler } = route(r.do);
    const config = r.billable === undefined ? {} : { billable: neutral.billable(r.billable) as never };
    app.route({ method: r.method, url: r.path, ...options, config, handler });
  }
}

export const fastifyDriver: Driver = {
  name: 'fastify',
  unknownMeter: 'startup',
  async start(fx: LocalServer, def: AppDef) {
    // With `logs`, Fastify logs to the capture (else, as by default, nowhere).
    const app = Fastify({ loggerInstance: def.logs?.fastify() as FastifyBaseLogger | undefined });
    const options = { ...trackerSource(fx, def), ...neutral.options(def.options) };
    await app.register(fluxrate, options as never);
    if (def.twice) {
      // Registered again in a child context, on the same tracker: the request is metered once.
      await app.register(async (child) => {
        await child.register(fluxrate, {
          ...neutral.options(def.options),
          tracker: app.fluxrate.tracker,
        } as never);
        declare(child, def);
      });
    } else declare(app, def);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const tracker = app.fluxrate.tracker as unknown as Tracker<string>;
    return running(app.server, url, tracker, async () => {
      app.server.closeAllConnections();
      await app.close();
    });
  },
};
