import { FluxrateConfigError, FluxrateRouteError } from '../contracts/errors.js';
import { type CompiledSpec, compileBillable } from './route-spec.js';

const METHOD = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS|ALL|\*)\s+(\/.*|\*)$/i;

/** Normalises a route pattern so `/v1/search/` and `/v1/search` match. */
export function normalizePattern(pattern: string): string {
  return pattern.length > 1 ? pattern.replace(/\/+$/, '') : pattern;
}

type Entry = CompiledSpec[] | false;

/** A `'/v1/*'` entry: `prefix` is `/v1` (`''` for `'*'` and `'/*'`, which match everything). */
interface Wildcard {
  method: string;
  prefix: string;
  /** The prefix lower-cased, for paths of a framework that matches case-insensitively. */
  folded: string;
  entry: Entry;
}

const underPrefix = (path: string, prefix: string): boolean =>
  prefix === '' || path === prefix || path.startsWith(`${prefix}/`);

/**
 * The central `routes` table, parsed once: `METHOD /pattern` or `/pattern` (any method), with
 * wildcards `'*'` (every route), `'GET /v1/*'` (a prefix). The most specific entry wins: an exact
 * pattern over a wildcard, a longer prefix over a shorter one, a method over any method. `false` opts out.
 */
export class RoutesTable {
  readonly #exact = new Map<string, Entry>();
  /** Longest prefix first, method-specific before `ALL` at the same prefix. */
  readonly #wildcards: Wildcard[] = [];

  constructor(table: unknown, hasMeter?: (meter: string) => boolean, known?: () => string) {
    if (table === undefined) return;
    if (typeof table !== 'object' || table === null || Array.isArray(table)) {
      throw new FluxrateConfigError('routes', "must be an object like { 'GET /v1/search': 'api_calls' }");
    }
    const seen = new Set<string>();
    for (const [key, spec] of Object.entries(table)) {
      const trimmed = key.trim();
      const match = METHOD.exec(trimmed);
      const method = match ? match[1]!.toUpperCase().replace('*', 'ALL') : 'ALL';
      const pattern = match ? match[2]! : trimmed;
      if (!pattern.startsWith('/') && pattern !== '*') {
        throw new FluxrateConfigError(`routes['${key}']`, "must be 'METHOD /pattern', '/pattern' or '*'");
      }
      const wildcard = pattern === '*' || pattern.endsWith('/*');
      const prefix = wildcard ? normalizePattern(pattern.slice(0, -1)).replace(/\/$/, '') : '';
      const routeKey = wildcard ? `${method} ${prefix}/*` : `${method} ${normalizePattern(pattern)}`;
      if (seen.has(routeKey)) {
        throw new FluxrateConfigError(`routes['${key}']`, `duplicates an earlier entry for ${routeKey}`);
      }
      seen.add(routeKey);
      let entry: Entry;
      try {
        entry = spec === false ? false : compileBillable(spec, key, hasMeter, known);
      } catch (error) {
        if (error instanceof FluxrateRouteError)
          throw new FluxrateConfigError(`routes['${key}']`, error.message);
        throw error;
      }
      if (wildcard) this.#wildcards.push({ method, prefix, folded: prefix.toLowerCase(), entry });
      else this.#exact.set(routeKey, entry);
    }
    this.#wildcards.sort(
      (a, b) => b.prefix.length - a.prefix.length || Number(a.method === 'ALL') - Number(b.method === 'ALL'),
    );
  }

  get size(): number {
    return this.#exact.size + this.#wildcards.length;
  }

  /**
   * Specs for a route, `false` when opted out, undefined when not listed. A request no route matched
   * (`pattern` undefined: static files, a 404 handler) is matched on its `path` against wildcards only;
   * `path` is read as the framework routes it (see `routingPath`): lower-cased when `caseSensitive` is
   * false, and then compared with lower-cased prefixes. HEAD falls back to GET entries, as frameworks
   * route HEAD to GET handlers.
   */
  lookup(
    method: string,
    pattern: string | undefined,
    path?: string,
    caseSensitive = true,
  ): Entry | undefined {
    if (this.size === 0) return undefined;
    const target = pattern ?? path;
    if (target === undefined) return undefined;
    const normalized = normalizePattern(target);
    const m = method.toUpperCase();
    const methods = m === 'HEAD' ? ['HEAD', 'GET', 'ALL'] : [m, 'ALL'];
    if (pattern !== undefined) {
      for (const candidate of methods) {
        const exact = this.#exact.get(`${candidate} ${normalized}`);
        if (exact !== undefined) return exact;
      }
    }
    const fold = pattern === undefined && !caseSensitive;
    for (const w of this.#wildcards) {
      if (methods.includes(w.method) && underPrefix(normalized, fold ? w.folded : w.prefix)) return w.entry;
    }
    return undefined;
  }
}
