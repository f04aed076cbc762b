import { request as httpRequest } from 'node:http';
import type { Tracker } from '@fluxrate/core';
import type { INestApplication } from '@nestjs/common';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalServer } from '../../local/src/index.js';
import { FluxrateModule, FluxrateTracker } from '../src/index.js';
import {
  ADAPTERS,
  collect,
  customerHeader,
  deferred,
  settle,
  sleep,
  startApp,
  startFluxrate,
  trackerOptions,
  uniqueCustomer,
} from './support/app.js';
import { ReportsController, SearchController, slow } from './support/controllers.js';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

describe.each(ADAPTERS)('FluxrateModule on %s', (adapter) => {
  let fx: LocalServer;
  let app: INestApplication;
  let tracker: Tracker;
  const get = (path: string, customer: string) =>
    supertest(app.getHttpServer()).get(path).set('x-customer', customer);
  const events = (customer: string) => fx.events({ customer });

  beforeAll(async () => {
    fx = await startFluxrate();
    app = await startApp(adapter, {
      imports: [
        FluxrateModule.forRoot({
          ...trackerOptions(fx),
          customer: customerHeader,
          routes: { 'GET /v1/table': 'api_calls', 'GET /v1/table-skip': 'api_calls' },
        }),
      ],
      controllers: [SearchController, ReportsController],
    });
    tracker = app.get(FluxrateTracker);
  });
  afterAll(async () => {
    await app?.close();
    await fx?.close();
  });

  it('bills a successful request once with the meter token, customer and key req_{uuid}_{meter}', async () => {
    const customer = uniqueCustomer(adapter);
    const res = await get('/v1/search', customer).expect(200);
    expect(res.body.requestId).toMatch(new RegExp(`^${UUID}$`));
    await settle(tracker);
    const billed = events(customer);
    expect(billed).toHaveLength(1);
    expect(billed[0]).toMatchObject({
      meterToken: fx.meters.api_calls!.token,
      customer,
      quantity: 1,
      idempotencyKey: `req_${res.body.requestId}_api_calls`,
    });
  });

  it('bills the quantity computed from an async handler result', async () => {
    const customer = uniqueCustomer(adapter);
    await supertest(app.getHttpServer()).post('/v1/chat').set('x-customer', customer).expect(200);
    await settle(tracker);
    expect(events(customer)).toMatchObject([{ meterToken: fx.meters.tokens!.token, quantity: 42 }]);
  });

  it('bills the last value of an Observable handler and a StreamableFile once it is streamed', async () => {
    const customer = uniqueCustomer(adapter);
    await get('/v1/observable', customer).expect(200);
    const file = await get('/v1/file', customer).buffer(true).expect(200);
    expect(Buffer.from(file.body ?? file.text).toString()).toBe('chunk-1 chunk-2');
    await settle(tracker);
    const byMeter = Object.fromEntries(events(customer).map((e) => [e.meter, e.quantity]));
    expect(byMeter).toEqual({ tokens: 7, api_calls: 3 });
  });

  it('does not bill a request rejected by a guard', async () => {
    const customer = uniqueCustomer(adapter);
    await get('/v1/guarded', customer).set('x-deny', '1').expect(403);
    await get('/v1/guarded', customer).expect(200);
    await settle(tracker);
    expect(events(customer)).toHaveLength(1); // only the allowed one
  });

  it('does not bill a handler that throws an HttpException', async () => {
    const customer = uniqueCustomer(adapter);
    await get('/v1/missing', customer).expect(404);
    await settle(tracker);
    expect(events(customer)).toHaveLength(0);
  });

  it('does not bill a request the client aborts, and bills the same route when it completes', async () => {
    const customer = uniqueCustomer(adapter);
    slow.started = deferred();
    slow.finished = deferred();
    const aborted = httpRequest(`${await app.getUrl()}/v1/slow`, { headers: { 'x-customer': customer } });
    aborted.on('error', () => undefined);
    aborted.end();
    await slow.started.promise;
    aborted.destroy();
    await slow.finished.promise;
    await settle(tracker);
    expect(events(customer)).toHaveLength(0);

    await get('/v1/slow', customer).expect(200);
    await settle(tracker);
    expect(events(customer)).toHaveLength(1);
  });

  it('bills a controller-level @Billable, lets a handler override it and @SkipBilling opt out', async () => {
    const customer = uniqueCustomer(adapter);
    await get('/v1/reports', customer).expect(200);
    await get('/v1/reports/export', customer).expect(200);
    await get('/v1/reports/free', customer).expect(200);
    await settle(tracker);
    const billed = events(customer).map((e) => [e.meter, e.quantity]);
    expect(billed.sort()).toEqual([
      ['api_calls', 2],
      ['tokens', 5],
    ]);
  });

  it('bills routes from the central routes table, where @SkipBilling still wins', async () => {
    const customer = uniqueCustomer(adapter);
    await get('/v1/table', customer).expect(200);
    await get('/v1/table-skip', customer).expect(200);
    await settle(tracker);
    expect(events(customer)).toMatchObject([{ meter: 'api_calls', quantity: 1 }]);
  });

  it('bills usage the handler reports through request.fluxrate', async () => {
    const customer = uniqueCustomer(adapter);
    await get('/v1/usage', customer).expect(200);
    await settle(tracker);
    expect(events(customer)).toMatchObject([{ meter: 'tokens', quantity: 3 }]);
  });

  it('ignores forged X-Request-Id and Idempotency-Key headers: two requests, two events', async () => {
    const customer = uniqueCustomer(adapter);
    for (let i = 0; i < 2; i++) {
      await get('/v1/search', customer)
        .set('x-request-id', 'forged')
        .set('idempotency-key', 'forged')
        .expect(200);
    }
    await settle(tracker);
    const keys = events(customer).map((e) => e.idempotencyKey);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(2);
    for (const key of keys) expect(key).toMatch(new RegExp(`^req_${UUID}_api_calls$`));
  });

  it('leaves the response intact and emits an error naming the route and handler when a spec function fails', async () => {
    const customer = uniqueCustomer(adapter);
    const errors = collect(tracker, 'error');
    const thrown = await get('/v1/broken', customer).expect(200);
    const garbage = await get('/v1/garbage', customer).expect(200);
    expect(thrown.body).toEqual({ ok: true });
    expect(garbage.body).toEqual({ ok: true });
    await settle(tracker);
    expect(events(customer)).toHaveLength(0);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ route: 'GET /v1/broken', meter: 'api_calls' });
    expect(errors[0]!.reason).toMatch(/quantity threw: boom.*SearchController\.broken/);
    expect(errors[1]).toMatchObject({ route: 'GET /v1/garbage' });
    expect(errors[1]!.reason).toMatch(/quantity.*'lots'.*SearchController\.garbage/);
  });

  it('does not bill requests without a customer', async () => {
    const skipped = collect(tracker, 'skipped');
    await supertest(app.getHttpServer()).get('/v1/search').expect(200);
    await sleep(25);
    expect(skipped).toContainEqual(
      expect.objectContaining({ reason: 'missing-customer', route: 'GET /v1/search' }),
    );
  });
});
