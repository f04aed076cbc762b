import type { FastifyInstance } from 'fastify';
import type { ServerContext } from './context.js';
import { FaultConfigError } from './faults.js';
import { renderPage } from './page.js';
import { toLocalEvent } from './store.js';
import type { LocalServer, MeterSpec } from './types.js';

/**
 * Inspection and control routes under `/__admin/`, plus the usage page at `/`.
 * No auth: the server is a development tool bound to loopback by default. Faults never apply here.
 */
export function registerAdminRoutes(
  app: FastifyInstance,
  ctx: ServerContext,
  server: () => LocalServer,
): void {
  app.get('/', async (_request, reply) => {
    return reply.type('text/html; charset=utf-8').send(renderPage(ctx, server().stats()));
  });

  app.get<{ Querystring: { meter?: string; customer?: string; limit?: string } }>(
    '/__admin/events',
    async (request, reply) => {
      const { meter, customer, limit } = request.query;
      let events = ctx.store.list({ meter: meter || undefined, customer: customer || undefined });
      if (limit !== undefined) {
        const n = Number(limit);
        if (!Number.isInteger(n) || n < 0)
          return reply.code(422).send({ detail: 'limit must be a whole number' });
        events = n === 0 ? [] : events.slice(-n);
      }
      return events.map(toLocalEvent);
    },
  );

  app.get('/__admin/usage', async () => ctx.store.usage());
  app.get('/__admin/stats', async () => server().stats());
  app.get('/__admin/rejected', async () => ctx.store.rejectedLog);
  app.get('/__admin/faults', async () => ctx.injector.get());

  app.put('/__admin/faults', async (request, reply) => {
    try {
      ctx.injector.set((request.body ?? {}) as never);
    } catch (error) {
      if (error instanceof FaultConfigError) return reply.code(422).send({ detail: error.message });
      throw error;
    }
    return ctx.injector.get();
  });

  app.post('/__admin/reset', async (_request, reply) => {
    ctx.store.reset();
    return reply.code(204).send();
  });

  app.get('/__admin/meters', async () => server().meters);

  app.post<{ Body: { name?: unknown } & MeterSpec }>('/__admin/meters', async (request, reply) => {
    const { name, ...spec } = request.body ?? {};
    try {
      const meter = server().addMeter(String(name ?? ''), spec);
      return reply.code(201).send({ name, ...meter });
    } catch (error) {
      return reply.code(422).send({ detail: (error as Error).message });
    }
  });

  app.post<{ Body: { external_id?: unknown } }>('/__admin/customers', async (request, reply) => {
    const externalId = request.body?.external_id;
    if (typeof externalId !== 'string' || externalId === '') {
      return reply.code(422).send({ detail: 'external_id must be a non-empty string' });
    }
    return reply.code(201).send(server().createCustomer(externalId));
  });
}
