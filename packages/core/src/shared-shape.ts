import { IncomingMessage, ServerResponse } from 'node:http';

/*
 * Express swaps each request's and response's prototype (`setPrototypeOf(req, app.request)`), and V8
 * gives every such object a hidden class of its own: every property access on it, ours and Express's
 * and Node's alike, misses the inline caches (~0.3-2 µs each), and every property added builds a new
 * hidden class (~2-3 µs). In dictionary mode those objects share one hidden class per prototype (from V8's
 * normalized-map cache, which a GC may empty: then the next ones share a new one), so
 * the caches hit again. Deleting a property that is not the last one added is what puts an object in
 * dictionary mode; its properties, their order and their values stay as they were.
 * V8 13 (Node 24) caches the swapped hidden class, so those objects already share one, and dictionary
 * mode would only slow them: there it is left alone. Used by the Express middleware and the Nest adapter on platform-express (bench/README.md, "Express").)
 */
const uniqueShapes = Number.parseInt(process.versions.v8, 10) < 13;
// Added and deleted at once, never read: harmless in any number of copies (Symbol.for only for one name).
const kFirst = Symbol.for('fluxrate.shape');
const kSecond = Symbol.for('fluxrate.shape2');
type Padded = { [kFirst]?: number; [kSecond]?: number };

/** Puts a prototype-swapped `req` or `res` in dictionary mode (see above); a no-op on anything else. */
export function shareShape(target: object): void {
  if (!uniqueShapes) return;
  const proto: unknown = Object.getPrototypeOf(target);
  if (proto === IncomingMessage.prototype || proto === ServerResponse.prototype || proto === null) return;
  const padded = target as Padded;
  try {
    padded[kFirst] = 0;
    padded[kSecond] = 0;
    delete padded[kFirst];
    delete padded[kSecond];
  } catch {
    // A frozen or exotic object: it keeps its shape.
  }
}
