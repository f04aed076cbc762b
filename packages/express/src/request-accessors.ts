import type { RequestBilling } from '@fluxrate/core';
import {
  basePrototype,
  exposeBillingState,
  type MeteredRequest,
  RequestLifecycle,
} from '@fluxrate/core/adapter';

interface RouteLike {
  path?: unknown;
}

/** `baseUrl + route.path`, e.g. `/v1` + `/items/:id`. */
export function routePattern(baseUrl: unknown, route: RouteLike): string {
  const base = typeof baseUrl === 'string' ? baseUrl : '';
  const path = typeof route.path === 'string' ? route.path : String(route.path);
  return base + path || '/';
}

type Req = { baseUrl?: unknown; route?: unknown; fluxrate?: RequestBilling };

/*
 * Why accessors on Express's base request prototype rather than anything on each request: Express
 * swaps every request's prototype (`setPrototypeOf(req, app.request)`), and on such an object V8 builds
 * a new hidden class for each property added, ~3-4 µs apiece (bench/micro/adapters.mjs shows it). So
 * `route` is an accessor defined once per copy of Express, keeping its value in the metered request's
 * slot (a request we do not meter gets a field in place of the own property Express would add anyway),
 * and `req.fluxrate` is core's accessor (exposeBillingState). WeakMaps were tried: their GC cost on
 * requests that outlive a scavenge was worse than the property.
 */
// Process-wide: an ESM and a CJS copy of this adapter may patch one Express; both read one slot.
const kRoute = Symbol.for('fluxrate.route');
type Stored = Req & { [kRoute]?: unknown };

/** Base prototypes with our accessors, and those that cannot take them (per-request fallback). */
const patched = new WeakSet<object>();
const unpatchable = new WeakSet<object>();

function routeAssigned(req: Req, route: unknown): void {
  if (typeof route !== 'object' || route === null) return;
  const metered = RequestLifecycle.current(req) as MeteredRequest | undefined;
  metered?.routed(routePattern(req.baseUrl, route));
}

function patch(proto: object): boolean {
  if (patched.has(proto)) return true;
  if (unpatchable.has(proto) || Object.getOwnPropertyDescriptor(proto, 'route') !== undefined) {
    unpatchable.add(proto);
    return false;
  }
  try {
    // Both behave as plain fields for everyone; requests we do not meter only pay a WeakMap entry.
    Object.defineProperty(proto, 'route', {
      configurable: true,
      enumerable: false,
      get(this: Stored) {
        const metered = RequestLifecycle.current(this);
        return metered?.hasSlot ? metered.slot : this[kRoute];
      },
      set(this: Stored, route: unknown) {
        // A metered request keeps it in its slot: no property is added to the request.
        const metered = RequestLifecycle.current(this);
        if (metered) {
          metered.slot = route;
          metered.hasSlot = true;
        } else this[kRoute] = route;
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

/** The old way, for a request whose prototype cannot take the accessors: an accessor on the request. */
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
 * Makes `req.fluxrate` the metered request's state and reports the matched route pattern to it at the
 * moment Express matches it. Express's router assigns `req.route` right before it dispatches to a
 * route, while `req.baseUrl` still holds that router's mount path; by the time the response ends,
 * routers have handed on and restored `baseUrl` (an error middleware, for one, sees the top-level
 * `baseUrl`). An accessor observes the assignment, so nested routers and error paths report
 * `/v1/items/:id`, not `/items/:id`.
 */
export function exposeMetered(req: Req, metered: MeteredRequest): void {
  const proto = basePrototype(req);
  const fast = proto !== undefined && patch(proto);
  // An own `fluxrate` (assigned by hand, or no accessor) would hide the state: overwrite it.
  // core's accessor for req.fluxrate (an own one, assigned by hand, would hide the state: overwrite it).
  if (!exposeBillingState(req)) req.fluxrate = metered.state;
  if (!fast || Object.hasOwn(req, 'route')) captureOnRequest(req);
}
