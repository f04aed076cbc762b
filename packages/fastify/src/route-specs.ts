import type { CompiledSpec, RequestLifecycle } from '@fluxrate/core/adapter';
import type { RouteOptions } from 'fastify';
import type { FastifyArgs } from './types.js';

/**
 * A route's compiled `billable`, stored under a symbol on the route's config in `onRoute`; Fastify
 * spreads that config into the route context, so `request.routeOptions.config` carries it.
 */
// Process-wide: a route config compiled by one copy of the plugin (ESM or CJS) is read by another.
const kCompiled = Symbol.for('fluxrate.compiled');

type Annotation = CompiledSpec[] | false | undefined;
type RouteConfig = Record<PropertyKey, unknown> & { url?: string; method?: string | string[] };

/** `GET /v1/items/:id` (or `GET,POST /v1/x` for a multi-method route). */
export function routeName(method: string | readonly string[] | undefined, url: string | undefined): string {
  return `${Array.isArray(method) ? method.join(',') : (method ?? '*')} ${url ?? '(no route)'}`;
}

/** Per-plugin view of route annotations: compiled at registration, or lazily for routes `onRoute` never saw. */
export class RouteSpecs {
  readonly #lifecycle: RequestLifecycle<FastifyArgs>;
  /** Routes declared before the plugin: compiled on their first request, keyed by the route's config object. */
  readonly #late = new WeakMap<object, Annotation>();

  constructor(lifecycle: RequestLifecycle<FastifyArgs>) {
    this.#lifecycle = lifecycle;
  }

  /** `onRoute`: validates `config.billable` once; a bad spec throws, naming the route. */
  compile(routeOptions: RouteOptions): void {
    const billable = (routeOptions.config as RouteConfig | undefined)?.billable;
    if (billable === undefined) return;
    const compiled =
      billable === false
        ? false
        : this.#lifecycle.compile(billable, routeName(routeOptions.method, routeOptions.url));
    // A fresh object: a config shared by several routes must not carry one route's entry to another.
    routeOptions.config = { ...routeOptions.config, [kCompiled]: compiled } as RouteOptions['config'];
  }

  /** The route's own annotation (undefined: none, the `routes` table decides). Never throws. */
  annotation(routeConfig: object | undefined): Annotation {
    if (routeConfig === undefined) return undefined;
    const config = routeConfig as RouteConfig;
    if (kCompiled in config) return config[kCompiled] as Annotation;
    if (config.billable === undefined) return undefined;
    if (this.#late.has(config)) return this.#late.get(config);
    const route = routeName(config.method, config.url);
    let annotation: Annotation;
    try {
      annotation = config.billable === false ? false : this.#lifecycle.compile(config.billable, route);
    } catch (error) {
      // Too late to fail registration: report once, loudly, and bill nothing for this route.
      annotation = [];
      this.#lifecycle.reportRouteError(route, error, 'route declared before the plugin; not billed');
    }
    this.#late.set(config, annotation);
    return annotation;
  }
}
