import type { Tracker } from '@fluxrate/core';
import { describe, expectTypeOf, it } from 'vitest';
import { Billable, FluxrateModule, type FluxrateTracker, type NestBillingContext } from '../src/index.js';

declare module '@fluxrate/core' {
  interface Register {
    meters: 'api_calls' | 'tokens';
  }
}

describe('meter names registered through core Register', () => {
  it('rejects a misspelt meter in @Billable and accepts registered names and raw tokens', () => {
    Billable({ meter: 'api_calls' });
    Billable([{ meter: 'tokens', quantity: 3 }, { meter: '550e8400-e29b-41d4-a716-446655440000' }]);
    // @ts-expect-error: 'api_cals' is not a registered meter
    Billable({ meter: 'api_cals' });
    // @ts-expect-error: misspelt inside an array too
    Billable([{ meter: 'api_calls' }, { meter: 'token' }]);
  });

  it('types route functions as ({ request, response, result, context }, outcome)', () => {
    Billable<{ usage: { total_tokens: number } }>({
      meter: 'tokens',
      quantity: ({ result }, outcome) => {
        expectTypeOf(outcome.status).toEqualTypeOf<number>();
        return result?.usage.total_tokens;
      },
    });
    // @ts-expect-error: quantity must be a number
    Billable({ meter: 'tokens', quantity: () => 'many' });
  });

  it('gives module-level customer and requestId the request first', () => {
    FluxrateModule.forRoot<'api_calls'>({
      meters: { api_calls: '550e8400-e29b-41d4-a716-446655440000' },
      customer: (request: { user?: { orgId: string } }, ctx) => {
        expectTypeOf(ctx).toMatchTypeOf<NestBillingContext>();
        return request.user?.orgId;
      },
      requestId: (request: { id: string }) => request.id,
      routes: { 'GET /v1/search': 'api_calls' },
    });
    FluxrateModule.forRoot({
      meters: { api_calls: '550e8400-e29b-41d4-a716-446655440000' },
      // @ts-expect-error: the routes table is checked against the meters option
      routes: { 'GET /v1/search': 'api_cals' },
    });
  });

  it('types the injected tracker as a Tracker', () => {
    expectTypeOf<FluxrateTracker>().toMatchTypeOf<Tracker<'api_calls' | 'tokens'>>();
  });
});
