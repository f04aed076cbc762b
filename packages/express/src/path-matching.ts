import type { PathMatching } from '@fluxrate/core/adapter';
import type { Request } from 'express';

// Express's router matches the path as sent (no decoding, `//` kept), case-insensitively unless the app
// enables 'case sensitive routing'. ('strict routing' only concerns a route's trailing slash, never
// where a mounted middleware such as express.static begins.)
const INSENSITIVE: PathMatching = Object.freeze({ caseSensitive: false, decode: false, mergeSlashes: false });
const SENSITIVE: PathMatching = Object.freeze({ caseSensitive: true, decode: false, mergeSlashes: false });

/** How the request's app matched its path, for the `routes` table (read only for requests no route matched). */
export function expressPathMatching([req]: [Request, ...unknown[]]): PathMatching {
  const app = req.app as { enabled?: (setting: string) => boolean } | undefined;
  return typeof app?.enabled === 'function' && app.enabled('case sensitive routing')
    ? SENSITIVE
    : INSENSITIVE;
}
