import { type CompiledSpec, type MeteredRequest, shareShape } from '@fluxrate/core/adapter';
import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { FluxrateBilling } from './fluxrate.billing.js';
import { BILLABLE_METADATA } from './fluxrate.constants.js';
import { BillingContext } from './fluxrate.context.js';
import { header, raw, rawResponse, routePattern } from './fluxrate.http.js';
import type { NestBillingArgs } from './fluxrate.types.js';

/**
 * Starts metering an HTTP request through core's request lifecycle (`request.fluxrate`), with its
 * route and compiled `@Billable`. `undefined` when not HTTP, already metered (a second guard or
 * interceptor, a second module) or not meterable. Adds no I/O, await or throw; shared by the global
 * guard and `FluxrateInterceptor`.
 */
export function beginMetering(
  billing: FluxrateBilling,
  reflector: Reflector,
  context: ExecutionContext,
): MeteredRequest<NestBillingArgs> | undefined {
  if (context.getType() !== 'http') return undefined;
  // getArgByIndex, not switchToHttp(): the latter assigns three closures to the context per call.
  const request = context.getArgByIndex(0);
  const response = context.getArgByIndex(1);
  const req = raw(request);
  const res = rawResponse(response);
  if (!req || !res) return undefined;
  // Platform-express on V8 < 13: this request's and response's own hidden class (see shareShape).
  shareShape(req);
  shareShape(res);

  const handler = context.getHandler();
  const controller = context.getClass();
  const label = `${controller.name}.${handler.name}`;
  const method = String(request.method ?? 'GET').toUpperCase();
  const ctx = new BillingContext(request, response, context, billing, label);
  const metered = billing.lifecycle.begin(req, res, [ctx], {
    method,
    handler: label,
    // Read only where core honours it (`idempotency: 'client-key'`).
    clientKey:
      billing.lifecycle.meter.idempotency === 'client-key' ? header(request, 'idempotency-key') : undefined,
  });
  if (!metered) return undefined;
  request.fluxrate = metered.state;
  const route = routePattern(request);
  const annotation = annotationOf(billing, reflector, handler, controller, method, route);
  metered.routed(route, annotation ?? undefined);
  return metered;
}

/** The handler's compiled `@Billable` (handler wins over controller), compiled at bootstrap or here once. */
function annotationOf(
  billing: FluxrateBilling,
  reflector: Reflector,
  handler: object,
  controller: { name: string },
  method: string,
  pattern: string | undefined,
): CompiledSpec[] | false | null {
  const cached = billing.annotation(handler, controller);
  if (cached !== undefined) return cached;
  // Built only here: a handler's annotation is compiled at bootstrap, so this runs once if ever.
  const route = `${method} ${pattern ?? '(no route)'}`;
  const label = `${route} (${controller.name}.${(handler as { name?: string }).name})`;
  const spec = reflector.getAllAndOverride(BILLABLE_METADATA, [
    handler as () => void,
    controller as unknown as () => void,
  ]);
  try {
    return billing.compile(handler, controller, spec, label);
  } catch (error) {
    // Normally compiled at bootstrap; a late failure is reported, never thrown into the request.
    billing.lifecycle.reportRouteError(label, error, 'not billed');
    return billing.compile(handler, controller, undefined, route);
  }
}
