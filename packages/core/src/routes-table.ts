import { FluxrateConfigError, FluxrateRouteError } from './errors.js';
import { type CompiledSpec, compileBillable } from './route-spec.js';

const METHOD = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|ALL|\*)\s+(\/.*)$/i;

/** Normalises a route pattern so `/v1/search/` and `/v1/search` match. */
export function normalizePattern(pattern: string): string {
  return pattern.length > 1 ? pattern.replace(/\/+$/, '') : pattern;
}

/** The central `routes` table, parsed once: `METHOD /pattern` or `/pattern` (any method). `false` opts out. */
export class RoutesTable {
  readonly #byKey = new Map<string, CompiledSpec[] | false>();

  constructor(table: unknown, hasMeter?: (meter: string) => boolean) {
    if (table === undefined) return;
    if (typeof table !== 'object' || table === null || Array.isArray(table)) {
      throw new FluxrateConfigError('routes', "must be an object like { 'GET /v1/search': 'api_calls' }");
    }
    for (const [key, spec] of Object.entries(table)) {
      const match = METHOD.exec(key.trim());
      const method = match ? match[1]!.toUpperCase().replace('*', 'ALL') : 'ALL';
      const pattern = match ? match[2]! : key.trim();
      if (!pattern.startsWith('/')) {
        throw new FluxrateConfigError(`routes['${key}']`, "must be 'METHOD /pattern' or '/pattern'");
      }
      const routeKey = `${method} ${normalizePattern(pattern)}`;
      if (this.#byKey.has(routeKey)) {
        throw new FluxrateConfigError(`routes['${key}']`, `duplicates an earlier entry for ${routeKey}`);
      }
      try {
        this.#byKey.set(routeKey, spec === false ? false : compileBillable(spec, key, hasMeter));
      } catch (error) {
        if (error instanceof FluxrateRouteError)
          throw new FluxrateConfigError(`routes['${key}']`, error.message);
        throw error;
      }
    }
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Specs for a route, `false` when opted out, undefined when not listed. */
  lookup(method: string, pattern: string | undefined): CompiledSpec[] | false | undefined {
    if (pattern === undefined || this.#byKey.size === 0) return undefined;
    const path = normalizePattern(pattern);
    return this.#byKey.get(`${method.toUpperCase()} ${path}`) ?? this.#byKey.get(`ALL ${path}`);
  }
}
