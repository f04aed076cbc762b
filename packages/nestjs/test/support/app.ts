import 'reflect-metadata';
import type { Tracker, TrackerEvents } from '@fluxrate/core';
import { sleep } from '@fluxrate/testkit';
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { type LocalServer, startLocalServer } from '../../../local/src/index.js';

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

export const startFluxrate = (): Promise<LocalServer> =>
  startLocalServer({ meters: { api_calls: { aggregation: 'SUM' }, tokens: { aggregation: 'SUM' } } });

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
