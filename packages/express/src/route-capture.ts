interface RouteLike {
  path?: unknown;
}

/** `baseUrl + route.path`, e.g. `/v1` + `/items/:id`. */
export function routePattern(baseUrl: unknown, route: RouteLike): string {
  const base = typeof baseUrl === 'string' ? baseUrl : '';
  const path = typeof route.path === 'string' ? route.path : String(route.path);
  return base + path || '/';
}

/**
 * Reports the matched route pattern at the moment Express matches it. Express's router assigns
 * `req.route` right before it dispatches to a route, while `req.baseUrl` still holds that router's
 * mount path; by the time the response ends, routers have handed on and restored `baseUrl` (an error
 * middleware, for one, sees the top-level `baseUrl`). An accessor on this request observes the
 * assignment, so nested routers and error paths report `/v1/items/:id`, not `/items/:id`.
 */
export function captureRoute(
  req: { baseUrl?: unknown; route?: unknown },
  routed: (pattern: string) => void,
): void {
  let current: unknown = req.route;
  try {
    Object.defineProperty(req, 'route', {
      configurable: true,
      enumerable: true,
      get: () => current,
      set: (route: unknown) => {
        current = route;
        if (typeof route === 'object' && route !== null) routed(routePattern(req.baseUrl, route));
      },
    });
  } catch {
    // A frozen or exotic request: billable() still records the pattern when it runs inside a route.
  }
}
