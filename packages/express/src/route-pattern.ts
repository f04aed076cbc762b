interface Routed {
  baseUrl?: unknown;
  url?: unknown;
  route?: unknown;
}

/** `baseUrl + route.path`, e.g. `/v1` + `/items/:id`. */
export function routePattern(baseUrl: unknown, route: { path?: unknown }): string {
  const base = typeof baseUrl === 'string' ? baseUrl : '';
  const path = typeof route.path === 'string' ? route.path : String(route.path);
  return base + path || '/';
}

/** A route path of literal segments and `:params`: each of its segments matches one of the path's. */
const SEGMENTWISE = /^[^*?(){}[\]+\\]*$/;

/**
 * The matched route's full pattern when the response ends, read from Express's own `req.route`. By then
 * a router that passed an error on has restored `req.baseUrl` (an error middleware sees the top-level
 * one), so the mount prefix is taken from the routed path instead: `baseUrl + url` is the whole path
 * whichever router last restored them, and a segment-wise route path matched its last segments.
 * Other route paths (wildcards, optional parts, regexps) keep `recorded` (what `billable()` saw inside
 * the route), else use `baseUrl` as it stands.
 */
export function endRoutePattern(req: Routed, recorded: string | undefined): string | undefined {
  const route = req.route as { path?: unknown } | undefined;
  if (typeof route !== 'object' || route === null) return recorded;
  const path = route.path;
  if (typeof path === 'string' && SEGMENTWISE.test(path) && typeof req.url === 'string') {
    const prefix = mountPrefix(routedPath(req.baseUrl, req.url), path);
    if (prefix !== undefined) return prefix + path || '/';
  }
  return recorded ?? routePattern(req.baseUrl, route);
}

function routedPath(baseUrl: unknown, url: string): string {
  const query = url.indexOf('?');
  return (typeof baseUrl === 'string' ? baseUrl : '') + (query === -1 ? url : url.slice(0, query));
}

/** The path's segments before the ones `routePath` matched (a trailing slash matches too). */
function mountPrefix(path: string, routePath: string): string | undefined {
  const segments = path.replace(/\/+$/, '').split('/');
  const keep = segments.length - routePath.split('/').filter(Boolean).length;
  return keep < 1 ? undefined : segments.slice(0, keep).join('/');
}
