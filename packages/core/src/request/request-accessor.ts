import { IncomingMessage } from 'node:http';
import { RequestLifecycle } from './request-lifecycle.js';

/*
 * Express swaps every request's prototype (`setPrototypeOf(req, app.request)`), and on such an object
 * V8 builds a new hidden class for each property added: ~3-4 µs apiece (bench/micro/adapters.mjs).
 * So on those requests `req.fluxrate` is an accessor, defined once on the framework's base request
 * prototype (the object right above `IncomingMessage.prototype`, which every app's `app.request`,
 * mounted sub-apps included, inherits from), reading the metered request the lifecycle keeps.
 */

// Per copy, harmlessly: a second copy of core finds the first one's accessor (an own descriptor), refuses
// the prototype and assigns `req.fluxrate` per request; both read the metered request under Symbol.for.
const patched = new WeakSet<object>();
const refused = new WeakSet<object>();

/** The object right above `IncomingMessage.prototype` in `req`'s prototype chain, if any. */
export function basePrototype(req: object): object | undefined {
  let proto: object | null = Object.getPrototypeOf(req);
  while (proto !== null) {
    const up: object | null = Object.getPrototypeOf(proto);
    if (up === IncomingMessage.prototype) return proto;
    proto = up;
  }
  return undefined;
}

function patch(base: object): boolean {
  if (patched.has(base)) return true;
  if (refused.has(base) || Object.getOwnPropertyDescriptor(base, 'fluxrate') !== undefined) {
    refused.add(base);
    return false;
  }
  try {
    Object.defineProperty(base, 'fluxrate', {
      configurable: true,
      enumerable: false,
      get(this: object) {
        return RequestLifecycle.current(this)?.state;
      },
      // Assigned by hand (e.g. a detached state for a request nobody meters): an own property.
      set(this: object, value: unknown) {
        Object.defineProperty(this, 'fluxrate', {
          value,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      },
    });
  } catch {
    refused.add(base);
    return false;
  }
  patched.add(base);
  return true;
}

/**
 * Makes `req.fluxrate` read this request's billing state without adding a property to a request whose
 * prototype was swapped. True when it now does; false when the caller should assign `req.fluxrate`
 * itself (a plain Node request, where a field is cheap, or a prototype that cannot take the accessor).
 */
export function exposeBillingState(req: object): boolean {
  const proto: object | null = Object.getPrototypeOf(req);
  if (proto === IncomingMessage.prototype || proto === null) return false;
  const base = basePrototype(req);
  if (base === undefined || !patch(base)) return false;
  return !Object.hasOwn(req, 'fluxrate');
}
