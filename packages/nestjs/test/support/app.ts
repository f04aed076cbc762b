import 'reflect-metadata';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { Tracker, TrackerEvents } from '@fluxrate/core';
import { sleep, startFluxrate } from '@fluxrate/testkit';
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll } from 'vitest';
import type { LocalServer } from '../../../local/src/index.js';
import { FluxrateBilling } from '../../src/fluxrate.billing.js';
import { FluxrateModule } from '../../src/index.js';

export type AdapterName = 'express' | 'fastify';
export const ADAPTERS: AdapterName[] = ['express', 'fastify'];

/** Starts the app on 127.0.0.1 on a free port (Fastify: and waits for `ready()`). */
export async function startApp(adapter: AdapterName, metadata: ModuleMetadata): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  const app = moduleRef.createNestApplication(
    adapter === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
    {
      logger: false,
    },
  );
  await app.listen(0, '127.0.0.1');
  if (adapter === 'fastify') await app.getHttpAdapter().getInstance().ready();
  return app;
}

/** The file's local Fluxrate (`local.fx`): started before its first test, closed after its last. */
export function useFluxrate(): { readonly fx: LocalServer } {
  const local = {} as { fx: LocalServer };
  beforeAll(async () => {
    local.fx = await startFluxrate();
  });
  afterAll(async () => {
    await local.fx?.close();
  });
  return local;
}

/** Tracker options pointing at the local server, with short retries. */
export const trackerOptions = (fx: LocalServer) => ({
  apiKey: fx.apiKey,
  baseUrl: fx.url,
  meters: { api_calls: fx.meters.api_calls!.token, tokens: fx.meters.tokens!.token },
  retry: { minTimeout: 5, maxTimeout: 20 },
});

/** The module-level customer used by the test apps: the `x-customer` header. */
export const customerHeader = (request: { headers: Record<string, string | string[] | undefined> }) =>
  request.headers['x-customer'] as string | undefined;

/** Lets 'finish' handlers run, then waits until everything billed so far has been delivered. */
export async function settle(tracker: Tracker): Promise<void> {
  await sleep(25);
  await tracker.flush({ timeoutMs: 5_000 });
}

export function collect<E extends keyof TrackerEvents>(tracker: Tracker, event: E): TrackerEvents[E][] {
  const seen: TrackerEvents[E][] = [];
  tracker.on(event, (payload) => seen.push(payload));
  return seen;
}

let counter = 0;
/** A customer id unique to one test, so tests share one local server without seeing each other's events. */
export const uniqueCustomer = (label: string) => `${label}-${++counter}`;

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * A module for `fx` (customer from the header) and an rpc context around `payload`, as a microservice or
 * gateway handler sees it: what the guard and the interceptor must let through untouched.
 */
export async function rpcCall(fx: LocalServer) {
  const moduleRef = await Test.createTestingModule({
    imports: [FluxrateModule.forRoot({ ...trackerOptions(fx), customer: customerHeader })],
  }).compile();
  const payload: Record<string, unknown> = { headers: {} };
  const context = new ExecutionContextHost([payload, new ServerResponse(new IncomingMessage(new Socket()))]);
  context.setType('rpc');
  return {
    moduleRef,
    payload,
    context,
    billing: moduleRef.get(FluxrateBilling),
    reflector: moduleRef.get(Reflector),
  };
}
