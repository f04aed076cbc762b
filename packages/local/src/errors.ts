import type { FastifyError, FastifyInstance } from 'fastify';
import { INGEST_PATHS, type ServerContext } from './context.js';
import { recordRejection } from './rejections.js';

/** Turns Fastify's own errors into Fluxrate-style `{detail}` answers (415 becomes 400, as Fluxrate answers). */
export function describeError(error: FastifyError, bodyLimit: number): { status: number; detail: string } {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 400,
        detail: 'Unsupported Content-Type: send a JSON body with Content-Type: application/json',
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, detail: 'Request body is empty: expected a JSON object' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, detail: `Request body is larger than the limit of ${bodyLimit} bytes` };
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return { status, detail: error.message };
  }
  return { status: 500, detail: 'Internal server error' };
}

export function registerErrorHandling(app: FastifyInstance, ctx: ServerContext, bodyLimit: number): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, detail } = describeError(error, bodyLimit);
    if (status >= 500) request.log.error(error);
    if (INGEST_PATHS.has(request.routeOptions.url ?? '')) recordRejection(ctx, request, status, detail);
    return reply.code(status).send({ detail });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ detail: 'Not Found' }));
}
