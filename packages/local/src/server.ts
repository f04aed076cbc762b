import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerAdminRoutes } from './admin.js';
import { REQUIRED_SCOPE } from './auth.js';
import type { ServerContext } from './context.js';
import { registerErrorHandling } from './errors.js';
import { FaultInjector } from './faults.js';
import { registerIngestRoutes } from './routes-track.js';
import { registerUsageRoute } from './routes-usage.js';
import { Store, toLocalEvent } from './store.js';
import type { LocalServer, LocalServerOptions, MeterInfo, MeterSpec } from './types.js';

export const DEFAULT_METERS: Record<string, MeterSpec> = {
  api_calls: { aggregation: 'SUM' },
  tokens: { aggregation: 'SUM' },
  active_users: { aggregation: 'UNIQUE_COUNT' },
};
const DEFAULT_MAX_EVENTS = 1_000_000;
const DEFAULT_BODY_LIMIT = 1024 * 1024;

function apiKeyMap(keys: LocalServerOptions['apiKeys']): Map<string, Set<string>> {
  const list = keys ?? [`org_live_local_${randomBytes(12).toString('hex')}`];
  if (!Array.isArray(list) || list.length === 0) throw new TypeError('apiKeys must be a non-empty array');
  const map = new Map<string, Set<string>>();
  list.forEach((entry, i) => {
    const spec = typeof entry === 'string' ? { key: entry, scopes: [REQUIRED_SCOPE] } : entry;
    if (typeof spec?.key !== 'string' || spec.key === '')
      throw new TypeError(`apiKeys[${i}].key must be a non-empty string`);
    if (!Array.isArray(spec.scopes)) throw new TypeError(`apiKeys[${i}].scopes must be an array of strings`);
    map.set(spec.key, new Set(spec.scopes));
  });
  return map;
}

function positiveInt(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`${name} must be a positive integer`);
  return value;
}

function badRequest(message: string): Error {
  return Object.assign(new Error(message), { statusCode: 400 });
}

/**
 * Plain JSON.parse: clearer messages than Fastify's parser, and a `__proto__` key is kept as data
 * (JSON.parse makes it an own property and nothing here merges bodies into other objects).
 */
function parseJson(
  _request: unknown,
  body: string | Buffer,
  done: (err: Error | null, value?: unknown) => void,
) {
  const text = body.toString();
  if (text.trim() === '') return done(badRequest('Request body is empty: expected a JSON object'));
  try {
    done(null, JSON.parse(text));
  } catch (error) {
    done(badRequest(`Malformed JSON body: ${(error as Error).message}`));
  }
}

function formatUrl(host: string, port: number, tls: boolean): string {
  return `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Fastify's server options for `tls` and `http2` (HTTP/2 over TLS keeps HTTP/1.1 for ALPN). */
function serverOptions({ tls, http2 }: LocalServerOptions): object {
  if (tls && (!tls.key || !tls.cert)) throw new TypeError('tls must be { key, cert }');
  if (http2) return tls ? { http2: true, https: { ...tls, allowHTTP1: true } } : { http2: true };
  return tls ? { https: tls } : {};
}

/** Starts a Fluxrate-compatible server on a real port. */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  const host = options.host ?? '127.0.0.1';
  const maxEvents = positiveInt(options.maxEvents, 'maxEvents', DEFAULT_MAX_EVENTS);
  const bodyLimit = positiveInt(options.bodyLimit, 'bodyLimit', DEFAULT_BODY_LIMIT);
  const seed = options.seed ?? randomInt(0, 2 ** 31);
  if (!Number.isInteger(seed)) throw new TypeError('seed must be an integer');
  const apiKeys = apiKeyMap(options.apiKeys);
  const accessTokens = options.accessTokens ?? [randomBytes(24).toString('base64url')];
  if (
    !Array.isArray(accessTokens) ||
    accessTokens.length === 0 ||
    accessTokens.some((t) => typeof t !== 'string' || !t)
  ) {
    throw new TypeError('accessTokens must be a non-empty array of non-empty strings');
  }

  const store = new Store();
  const meters: Record<string, MeterInfo> = {};
  const addMeter = (name: string, spec?: string | MeterSpec): MeterInfo => {
    const { token, id, aggregation } = store.addMeter(name, spec);
    meters[name] = { token, id, aggregation };
    return { token, id, aggregation };
  };
  for (const [name, spec] of Object.entries(options.meters ?? DEFAULT_METERS)) addMeter(name, spec);

  const injector = new FaultInjector(options.faults, seed);
  const sleepers = new Set<() => void>();
  let closing = false;
  let suspended = false;
  const ctx: ServerContext = {
    store,
    injector,
    apiKeys,
    accessTokens: new Set(accessTokens),
    maxEvents,
    validationDetail: options.validationDetail ?? 'string',
    sleep: (ms) =>
      closing
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              sleepers.delete(done);
              resolve();
            };
            const timer = setTimeout(done, ms);
            sleepers.add(done);
          }),
  };

  // The HTTP/2 and HTTPS server types only change Fastify's generics; routes see the same request.
  const app = (Fastify as (opts: object) => FastifyInstance)({
    ...serverOptions(options),
    logger: options.logger ?? false,
    bodyLimit,
    forceCloseConnections: true,
    genReqId: () => randomUUID(),
  });
  // Only JSON is accepted; anything else becomes a 400 via the error handler (Fastify would say 415).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJson);
  registerErrorHandling(app, ctx, bodyLimit);
  registerIngestRoutes(app, ctx);
  registerUsageRoute(app, ctx);
  registerAdminRoutes(app, ctx, () => server);

  await app.listen({ port: options.port ?? 0, host });
  const port = (app.server.address() as AddressInfo).port;
  const firstKey = apiKeys.keys().next().value as string;

  const server: LocalServer = {
    url: formatUrl(host, port, options.tls !== undefined),
    apiKey: firstKey,
    accessToken: accessTokens[0]!,
    meters,
    async close() {
      closing = true;
      for (const wake of [...sleepers]) wake();
      await app.close();
    },
    async suspend() {
      if (suspended || closing) return;
      suspended = true;
      await new Promise<void>((resolve) => {
        app.server.close(() => resolve());
        // An HTTP/2 server has no closeAllConnections; forceCloseConnections tracks its sessions.
        app.server.closeAllConnections?.();
      });
    },
    async resume() {
      if (!suspended || closing) return;
      await new Promise<void>((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        app.server.once('error', onError);
        app.server.listen(port, host, () => {
          app.server.off('error', onError);
          resolve();
        });
      });
      suspended = false;
    },
    events: (filter) => store.list(filter).map(toLocalEvent),
    usage: () => store.usage(),
    stats: () => ({
      requests: store.requests,
      stored: store.stored,
      deduplicated: store.deduplicated,
      rejected: { ...store.rejectedByStatus },
      faults: { ...store.faults },
      events: store.events.length,
      customers: store.customerCount,
      maxEvents,
      seed: injector.seed,
      suspended,
    }),
    setFaults: (faults) => injector.set(faults),
    faults: () => injector.get(),
    rejected: () => store.rejectedLog.slice(),
    reset: () => store.reset(),
    createCustomer: (externalId) => {
      if (typeof externalId !== 'string' || externalId === '') {
        throw new TypeError('externalId must be a non-empty string');
      }
      const { id } = store.ensureCustomer(externalId);
      return { id, externalId };
    },
    addMeter,
  };
  return server;
}
