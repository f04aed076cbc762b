import type { CompiledSpec, RouteMeter } from '@fluxrate/core';
import type { RouteOptions } from 'fastify';
import type { FastifyArgs } from './types.js';

/**
 * A route's compiled `billable`, stored under a symbol on the route's config in `onRoute`; Fastify
 * spreads that config into the route context, so `request.routeOptions.config` carries it.
 */
const kCompiled = Symbol('fluxrate.compiled');

type Annotation = CompiledSpec[] | false | undefined;
type RouteConfig = Record<PropertyKey, unknown> & { url?: string; method?: string | string[] };

/** `GET /v1/items/:id` (or `GET,POST /v1/x` for a multi-method route). */
export function routeName(method: string | readonly string[] | undefined, url: string | undefined): string {
  return `${Array.isArray(method) ? method.join(',') : (method ?? '*')} ${url ?? '(no route)'}`;
}

/** Per-plugin view of route specs: compiled at registration, or lazily for routes `onRoute` never saw. */
export class RouteSpecs {
  readonly #meter: RouteMeter<FastifyArgs>;
  /** Routes declared before the plugin: compiled on their first request, keyed by the route's config object. */
  readonly #late = new WeakMap<object, Annotation>();

  constructor(meter: RouteMeter<FastifyArgs>) {
    this.#meter = meter;
  }

  /** `onRoute`: validates `config.billable` once; a bad spec throws, naming the route. */
  compile(routeOptions: RouteOptions): void {
    const billable = (routeOptions.config as RouteConfig | undefined)?.billable;
    if (billable === undefined) return;
    const compiled =
      billable === false
        ? false
        : this.#meter.compile(billable, routeName(routeOptions.method, routeOptions.url));
    // A fresh object: a config shared by several routes must not carry one route's entry to another.
    routeOptions.config = { ...routeOptions.config, [kCompiled]: compiled } as RouteOptions['config'];
  }

  /** The specs that bill a request to this route (empty: not billable). Never throws. */
  resolve(routeConfig: object | undefined, method: string): CompiledSpec[] {
    if (routeConfig === undefined) return [];
    const config = routeConfig as RouteConfig;
    let annotation: Annotation;
    if (kCompiled in config) annotation = config[kCompiled] as Annotation;
    else if (config.billable !== undefined) annotation = this.#compileLate(config);
    return this.#meter.specsFor(annotation, method, config.url);
  }

  #compileLate(config: RouteConfig): Annotation {
    if (this.#late.has(config)) return this.#late.get(config);
    const route = routeName(config.method, config.url);
    let annotation: Annotation;
    try {
      annotation = config.billable === false ? false : this.#meter.compile(config.billable, route);
    } catch (error) {
      // Too late to fail registration: report once, loudly, and bill nothing for this route.
      annotation = [];
      this.#meter.tracker.reportError({
        route,
        reason: `${error instanceof Error ? error.message : String(error)} (route declared before the plugin; not billed)`,
        error,
      });
    }
    this.#late.set(config, annotation);
    return annotation;
  }
}
