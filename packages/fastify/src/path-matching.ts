import type { PathMatching } from '@fluxrate/core/adapter';
import type { FastifyInstance } from 'fastify';

interface RouterConfig {
  caseSensitive?: boolean;
  ignoreDuplicateSlashes?: boolean;
}

/**
 * How this Fastify instance's router (find-my-way) matches paths, for the `routes` table: it decodes
 * percent-escapes, is case-sensitive unless `caseSensitive: false`, and merges `//` with
 * `ignoreDuplicateSlashes` (Fastify 5 keeps them in `routerOptions`, or top-level as before).
 */
export function fastifyPathMatching(fastify: FastifyInstance): PathMatching {
  const config = fastify.initialConfig as RouterConfig & { routerOptions?: RouterConfig };
  const router = config.routerOptions ?? config;
  return Object.freeze({
    caseSensitive: router.caseSensitive !== false,
    decode: true,
    mergeSlashes: router.ignoreDuplicateSlashes === true,
  });
}
