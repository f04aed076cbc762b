import type { MeterName, Tracker } from '@fluxrate/core';
import { fluxrate } from '@fluxrate/fastify';
import Fastify from 'fastify';
import { type Account, authenticate, chat, search } from '../../shared/src/domain.js';

declare module 'fastify' {
  interface FastifyRequest {
    account: Account | null;
  }
}

/** The example API. Billing: `config.billable` on each route, customer from the caller's API key. */
export async function createApp(tracker: Tracker<MeterName>) {
  const app = Fastify();
  app.decorateRequest('account', null);
  // Registered first: every request gets a server-generated id and is billed once its response is sent.
  await app.register(fluxrate, { tracker, customer: (request) => request.account?.customerId });

  app.get('/health', async () => ({ status: 'ok' }));

  await app.register(
    async (v1) => {
      v1.addHook('onRequest', async (request, reply) => {
        request.account = authenticate(request.headers.authorization) ?? null;
        if (!request.account) return reply.code(401).send({ error: 'unknown API key' });
      });

      v1.get<{ Querystring: { q?: string } }>(
        '/search',
        { config: { billable: { meter: 'api_calls' } } },
        async (request) => search(request.query.q ?? ''),
      );

      // The token count is known only inside the handler: report it on the request.
      v1.post<{ Body: { prompt?: string } }>(
        '/chat',
        { config: { billable: { meter: 'tokens' } } },
        async (request) => {
          const result = await chat(String(request.body?.prompt ?? ''));
          request.fluxrate.addUsage('tokens', result.usage.total_tokens);
          return result;
        },
      );

      // Monthly active users: a UNIQUE_COUNT meter counts distinct metadata.user_id.
      v1.get(
        '/me',
        {
          config: {
            billable: {
              meter: 'active_users',
              metadata: (request) => ({ user_id: request.account?.userId }),
            },
          },
        },
        async (request) => request.account,
      );

      // Billable, but a 4xx answer is never billed.
      v1.post('/fail', { config: { billable: { meter: 'api_calls' } } }, async (_request, reply) =>
        reply.code(422).send({ error: 'this endpoint always fails' }),
      );
    },
    { prefix: '/v1' },
  );
  return app;
}
