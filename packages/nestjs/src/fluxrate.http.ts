import type { RawResponse } from '@fluxrate/core/adapter';

/** The Node request/response under the platform's: Fastify's `.raw`, or Express's objects themselves. */
export function raw(value: unknown): object | undefined {
  const candidate = (value as { raw?: unknown } | undefined)?.raw ?? value;
  return typeof candidate === 'object' && candidate !== null ? candidate : undefined;
}

export function rawResponse(response: unknown): RawResponse | undefined {
  const res = raw(response) as RawResponse | undefined;
  return res && typeof res.on === 'function' && typeof res.statusCode === 'number' ? res : undefined;
}

/** The matched route pattern: Fastify `request.routeOptions.url`, Express `req.route.path`. */
export function routePattern(request: unknown): string | undefined {
  const r = request as { routeOptions?: { url?: unknown }; route?: { path?: unknown } } | undefined;
  const fastify = r?.routeOptions?.url;
  if (typeof fastify === 'string') return fastify;
  const express = r?.route?.path;
  return typeof express === 'string' ? express : undefined;
}

export function header(request: unknown, name: string): unknown {
  return (request as { headers?: Record<string, unknown> } | undefined)?.headers?.[name];
}
