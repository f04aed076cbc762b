import type { FastifyRequest } from 'fastify';
import type { ServerContext } from './context.js';

const BODY_EXCERPT = 300;

function excerpt(body: unknown): string {
  if (body === undefined) return '';
  try {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return text.length > BODY_EXCERPT ? `${text.slice(0, BODY_EXCERPT)}…` : text;
  } catch {
    return '[unserialisable body]';
  }
}

/** Counts a non-fault error answer of an ingestion route and keeps it in the bounded log. */
export function recordRejection(
  ctx: ServerContext,
  request: FastifyRequest,
  status: number,
  detail: string,
): void {
  ctx.store.reject({
    at: new Date().toISOString(),
    route: `${request.method} ${request.url}`,
    status,
    detail,
    body: excerpt(request.body),
  });
}
