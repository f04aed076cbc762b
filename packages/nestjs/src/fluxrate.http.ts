import type { ServerResponse } from 'node:http';

/** The Node response under the platform's: Fastify's `reply.raw`, or Express's `res` itself. */
export function rawResponse(response: unknown): ServerResponse | undefined {
  const candidate = (response as { raw?: unknown } | undefined)?.raw ?? response;
  const res = candidate as ServerResponse | undefined;
  return res && typeof res.once === 'function' && typeof res.writableFinished === 'boolean' ? res : undefined;
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
