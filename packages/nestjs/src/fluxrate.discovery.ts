import { RequestMethod } from '@nestjs/common';
import type { DiscoveryService, Reflector } from '@nestjs/core';
import type { FluxrateBilling } from './fluxrate.billing.js';
import { applyCapture, carriesCapture } from './fluxrate.capture.js';
import { needsCapture } from './fluxrate.capture-policy.js';
import { BILLABLE_METADATA, NEST_METHOD_METADATA, NEST_PATH_METADATA } from './fluxrate.constants.js';

type Handler = (...args: unknown[]) => unknown;

function methodNames(prototype: object): string[] {
  const names = new Set<string>();
  for (let p: object | null = prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) {
      const descriptor = Object.getOwnPropertyDescriptor(p, name);
      if (name !== 'constructor' && typeof descriptor?.value === 'function') names.add(name);
    }
  }
  return [...names];
}

const join = (...parts: unknown[]): string =>
  `/${parts
    .map((part) => (Array.isArray(part) ? part[0] : part))
    .filter((part): part is string => typeof part === 'string')
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/')}`;

interface RouteHandler {
  controller: Handler;
  name: string;
  handler: Handler;
}

/** Every route handler of every controller the app declares. */
export function* routeHandlers(discovery: DiscoveryService): Generator<RouteHandler> {
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as Handler | null | undefined;
    if (typeof controller !== 'function' || !controller.prototype) continue;
    for (const name of methodNames(controller.prototype)) {
      const handler = controller.prototype[name] as Handler;
      if (Reflect.getMetadata(NEST_PATH_METADATA, handler) !== undefined) yield { controller, name, handler };
    }
  }
}

/**
 * Compiles every route handler's `@Billable` at bootstrap, so a bad spec or an unknown meter fails the
 * app's start with a `FluxrateRouteError` naming the route, never a request.
 */
export function compileControllers(
  billing: FluxrateBilling,
  discovery: DiscoveryService,
  reflector: Reflector,
): void {
  for (const { controller, name, handler } of routeHandlers(discovery)) {
    const spec = reflector.getAllAndOverride(BILLABLE_METADATA, [handler, controller]);
    const method = RequestMethod[Reflect.getMetadata(NEST_METHOD_METADATA, handler) as number] ?? 'GET';
    const path = join(
      Reflect.getMetadata(NEST_PATH_METADATA, controller),
      Reflect.getMetadata(NEST_PATH_METADATA, handler),
    );
    billing.compile(handler, controller, spec, `${method} ${path} (${controller.name}.${name})`);
  }
}

/**
 * Applies the capture (public `@UseInterceptors`) to the route handlers that need it and do not run it
 * yet: see `needsCapture`. Runs while the module is constructed, before Nest reads each handler's
 * interceptors to register its route; every other handler runs no interceptor of ours.
 */
export function attachCaptures(
  billing: FluxrateBilling,
  discovery: DiscoveryService,
  reflector: Reflector,
): void {
  const tableHasRoutes = billing.lifecycle.meter.routes.size > 0;
  for (const route of routeHandlers(discovery)) {
    const { controller, name, handler } = route;
    if (carriesCapture(handler, controller)) continue;
    if (!needsCapture(billing.capture, tableHasRoutes, reflector, route)) continue;
    // The metadata lives on the handler function itself, wherever in the prototype chain it is declared.
    let owner: object | null = controller.prototype;
    while (owner && !Object.hasOwn(owner, name)) owner = Object.getPrototypeOf(owner);
    if (owner) applyCapture(owner, name, Object.getOwnPropertyDescriptor(owner, name));
  }
}
