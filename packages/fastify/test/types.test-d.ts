import type { RequestBilling, RequestOutcome, Tracker } from '@fluxrate/core';
import Fastify, { type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';
import fluxrateDefault, { type FluxrateFastifyOptions, fluxrate } from '../src/index.js';

// Registers meter names for this compilation (as an app would once), so misspelt names fail to compile.
// Same names as the other packages' type tests: declaration merging is global to the program.
declare module '@fluxrate/core' {
  interface Register {
    meters: 'api_calls' | 'tokens';
  }
}

const app = Fastify();
const handler = async () => 'ok';

describe('@fluxrate/fastify types', () => {
  it('exports the plugin as default and as `fluxrate`', () => {
    expectTypeOf(fluxrate).toEqualTypeOf(fluxrateDefault);
    expectTypeOf(fluxrate).toEqualTypeOf<FastifyPluginAsync<FluxrateFastifyOptions>>();
  });

  it('types plugin options, with user functions receiving (request, reply, outcome)', () => {
    app.register(fluxrate, {
      apiKey: 'k',
      meters: { api_calls: 't1', tokens: 't2' },
      customer: (request, reply, outcome) => {
        expectTypeOf(request).toEqualTypeOf<FastifyRequest>();
        expectTypeOf(reply).toEqualTypeOf<FastifyReply>();
        expectTypeOf(outcome).toEqualTypeOf<RequestOutcome>();
        return request.headers['x-customer'] as string | undefined;
      },
      requestId: (request) => request.id,
      routes: { 'GET /v1/items/:id': 'api_calls', 'POST /v1/chat': { meter: 'tokens', quantity: 2 } },
      onMissingCustomer: 'reject',
      idempotency: 'client-key',
      shutdownTimeoutMs: 5_000,
    });
    // @ts-expect-error onMissingCustomer is 'skip' | 'reject'
    app.register(fluxrate, { apiKey: 'k', onMissingCustomer: 'deny' });
    // @ts-expect-error a misspelt meter in the routes table
    app.register(fluxrate, { apiKey: 'k', routes: { 'GET /v1/search': 'api_cals' } });
  });

  it('types config.billable on routes', () => {
    app.get('/v1/search', { config: { billable: { meter: 'api_calls' } } }, handler);
    app.get('/v1/free', { config: { billable: false } }, handler);
    app.post(
      '/v1/chat',
      {
        config: {
          billable: [
            { meter: 'api_calls' },
            {
              meter: 'tokens',
              quantity: (request, reply, outcome) => {
                expectTypeOf(request).toEqualTypeOf<FastifyRequest>();
                expectTypeOf(reply).toEqualTypeOf<FastifyReply>();
                expectTypeOf(outcome.status).toEqualTypeOf<number>();
                return 3;
              },
            },
          ],
        },
      },
      handler,
    );
    // A raw meter token is accepted.
    app.get('/v1/raw', { config: { billable: { meter: '550e8400-e29b-41d4-a716-446655440000' } } }, handler);
    // @ts-expect-error a misspelt meter fails to compile once meters are registered
    app.get('/v1/typo', { config: { billable: { meter: 'api_cals' } } }, handler);
    // @ts-expect-error quantity must be a number (or a function returning one)
    app.get('/v1/bad', { config: { billable: { meter: 'api_calls', quantity: '3' } } }, handler);
  });

  it('decorates request.fluxrate and fastify.fluxrate', () => {
    app.get('/v1/x', async (request) => {
      expectTypeOf(request.fluxrate).toEqualTypeOf<RequestBilling>();
      expectTypeOf(request.fluxrate.requestId).toEqualTypeOf<string>();
      request.fluxrate.addUsage('tokens', 5);
      expectTypeOf(request.fluxrate.hold()).toEqualTypeOf<() => void>();
      return 'ok';
    });
    expectTypeOf(app.fluxrate.tracker).toEqualTypeOf<Tracker<'api_calls' | 'tokens'>>();
    app.fluxrate.tracker.track({ meter: 'api_calls', customerId: 'acme' });
    // @ts-expect-error a misspelt meter on the exposed tracker
    app.fluxrate.tracker.track({ meter: 'api_cals', customerId: 'acme' });
  });
});
