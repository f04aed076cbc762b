/**
 * How a framework matches a request path to its routes. The `routes` table matches a request no route
 * matched (static files, a not-found handler) on its path, so it must read the path the way the
 * framework did: otherwise a client changes the case or the encoding of a path the framework still
 * serves, and is not billed. Adapters say how their framework matches; the default is exact.
 */
export interface PathMatching {
  /** `/STATIC` differs from `/static` (Express: `app.set('case sensitive routing')`, default off; Fastify: `caseSensitive`, default on). */
  caseSensitive: boolean;
  /** Percent-escapes are decoded before matching, `/st%61tic` is `/static` (Fastify's router does; Express's does not). */
  decode: boolean;
  /** `//` matches as `/` (Fastify: `ignoreDuplicateSlashes`). */
  mergeSlashes: boolean;
}

export const EXACT_MATCHING: PathMatching = Object.freeze({
  caseSensitive: true,
  decode: false,
  mergeSlashes: false,
});

/** An absolute-form request target (`GET http://host/static/x HTTP/1.1`): frameworks route on its path. */
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;
const ESCAPES = /(?:%[0-9a-f]{2})+/gi;
// Kept encoded when decoding, as routers keep them: they would change the path's structure.
const STRUCTURAL = /[/?#%]/g;

function decodeEscapes(path: string): string {
  return path.replace(ESCAPES, (run) => {
    try {
      return decodeURIComponent(run).replace(STRUCTURAL, encodeURIComponent);
    } catch {
      return run; // not UTF-8: left as sent, as the routers leave it
    }
  });
}

/**
 * The path a framework routes `target` on (a path without its query): absolute-form and fragment cut,
 * decoded and slashes merged where the framework does, lower-cased when it matches case-insensitively
 * (the table folds its prefixes the same way).
 */
export function routingPath(target: string, matching: PathMatching): string {
  let path = target;
  if (path.charCodeAt(0) !== 47 /* '/' */) {
    const absolute = ABSOLUTE.exec(path);
    if (absolute) path = path.slice(absolute[0].length) || '/';
  }
  const hash = path.indexOf('#');
  if (hash !== -1) path = path.slice(0, hash);
  if (matching.decode && path.includes('%')) path = decodeEscapes(path);
  if (matching.mergeSlashes && path.includes('//')) path = path.replace(/\/{2,}/g, '/');
  return matching.caseSensitive ? path : path.toLowerCase();
}
