import { IncomingMessage, ServerResponse } from 'node:http';
import type { RawResponse } from '@fluxrate/core/adapter';

/** The Node request/response under the platform's: Fastify's `.raw`, or Express's objects themselves. */
export function raw(value: unknown): object | undefined {
  // Express's objects are Node's: no `.raw` lookup, which misses down their long prototype chain.
  if (value instanceof IncomingMessage || value instanceof ServerResponse) return value;
  const candidate = (value as { raw?: unknown } | undefined)?.raw ?? value;
  return typeof candidate === 'object' && candidate !== null ? candidate : undefined;
}

export function rawResponse(response: unknown): RawResponse | undefined {
  const res = raw(response) as RawResponse | undefined;
  return res && typeof res.on === 'function' && typeof res.statusCode === 'number' ? res : undefined;
}

/**
 * The matched route pattern: Express `req.route.path` when `request` is Node's own (Express), else
 * Fastify `request.routeOptions.url`; each platform reads only its own property.
 */
export function routePattern(request: unknown): string | undefined {
  const r = request as { routeOptions?: { url?: unknown }; route?: { path?: unknown } } | undefined;
  const first = request instanceof IncomingMessage ? r?.route?.path : r?.routeOptions?.url;
  if (typeof first === 'string') return first;
  const second = request instanceof IncomingMessage ? r?.routeOptions?.url : r?.route?.path;
  return typeof second === 'string' ? second : undefined;
}

export function header(request: unknown, name: string): unknown {
  return (request as { headers?: Record<string, unknown> } | undefined)?.headers?.[name];
}
