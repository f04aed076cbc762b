import { IncomingMessage } from 'node:http';
import { type MeteredRequest, RequestLifecycle } from '@fluxrate/core/adapter';

interface RouteLike {
  path?: unknown;
}

/** `baseUrl + route.path`, e.g. `/v1` + `/items/:id`. */
export function routePattern(baseUrl: unknown, route: RouteLike): string {
  const base = typeof baseUrl === 'string' ? baseUrl : '';
  const path = typeof route.path === 'string' ? route.path : String(route.path);
  return base + path || '/';
}

type Req = { baseUrl?: unknown; route?: unknown };
/** Where the prototype accessor keeps each request's `route`. */
const kRoute = Symbol('fluxrate.route');
type Stored = Req & { [kRoute]?: unknown };

/** Express request prototypes whose `route` is an accessor of ours (one per copy of Express). */
const patched = new WeakSet<object>();
/** Prototypes that cannot take the accessor (someone else defines `route`): per-request fallback. */
const unpatchable = new WeakSet<object>();

function routeAssigned(req: Req, route: unknown): void {
  if (typeof route !== 'object' || route === null) return;
  const metered = RequestLifecycle.current(req) as MeteredRequest | undefined;
  metered?.routed(routePattern(req.baseUrl, route));
}

/**
 * Express's base request prototype: the object right above `IncomingMessage.prototype` in the chain.
 * Every app's `app.request` (mounted sub-apps included) inherits from it, so one accessor there sees
 * every assignment to `req.route` in every app of this copy of Express.
 */
function basePrototype(req: object): object | undefined {
  let proto: object | null = Object.getPrototypeOf(req);
  while (proto !== null) {
    const up: object | null = Object.getPrototypeOf(proto);
    if (up === IncomingMessage.prototype) return proto;
    proto = up;
  }
  return undefined;
}

function patch(proto: object): boolean {
  if (patched.has(proto)) return true;
  if (unpatchable.has(proto) || Object.getOwnPropertyDescriptor(proto, 'route') !== undefined) {
    unpatchable.add(proto);
    return false;
  }
  try {
    // Reads and writes behave as a plain field (stored per request under a symbol); a write also tells
    // the request's lifecycle the pattern. Requests we do not meter only pay the field.
    Object.defineProperty(proto, 'route', {
      configurable: true,
      enumerable: false,
      get(this: Stored) {
        return this[kRoute];
      },
      set(this: Stored, route: unknown) {
        this[kRoute] = route;
        routeAssigned(this, route);
      },
    });
  } catch {
    unpatchable.add(proto);
    return false;
  }
  patched.add(proto);
  return true;
}

/** The old way, for a request whose prototype cannot take the accessor: one accessor on the request. */
function captureOnRequest(req: Req): void {
  let current: unknown = req.route;
  try {
    Object.defineProperty(req, 'route', {
      configurable: true,
      enumerable: true,
      get: () => current,
      set: (route: unknown) => {
        current = route;
        routeAssigned(req, route);
      },
    });
  } catch {
    // A frozen or exotic request: billable() still records the pattern when it runs inside a route.
  }
}

/**
 * Reports the matched route pattern (to the request's metered request) at the moment Express matches
 * it. Express's router assigns `req.route` right before it dispatches to a route, while `req.baseUrl`
 * still holds that router's mount path; by the time the response ends, routers have handed on and
 * restored `baseUrl` (an error middleware, for one, sees the top-level `baseUrl`). An accessor observes
 * the assignment, so nested routers and error paths report `/v1/items/:id`, not `/items/:id`.
 *
 * The accessor is defined once, on Express's base request prototype, not on each request: a request
 * then costs no closure and no `defineProperty`, and its object keeps its shape.
 */
export function captureRoute(req: Req): void {
  const proto = basePrototype(req);
  if (proto !== undefined && patch(proto) && !Object.hasOwn(req, 'route')) return;
  captureOnRequest(req);
}
