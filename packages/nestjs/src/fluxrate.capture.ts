import { RequestLifecycle } from '@fluxrate/core/adapter';
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { type Observable, tap } from 'rxjs';
import { raw } from './fluxrate.http.js';
import type { NestBillingContext } from './fluxrate.types.js';

/** Nest's `@UseInterceptors` metadata key (`@nestjs/common/constants`). */
const INTERCEPTORS_METADATA = '__interceptors__';
const kCapture = Symbol.for('@fluxrate/nestjs:capture');

/** Contexts whose result the innermost capture sets; the outer interceptor then leaves it alone. */
export const capturedInnermost = new WeakSet<object>();

/**
 * Route handlers seen at bootstrap: each carries the capture or needs none. An outer
 * `FluxrateInterceptor` adds no operator of its own for them.
 */
const decided = new WeakSet<object>();

/** True when `handler` was seen at bootstrap (with or without the capture). */
export function decidedAtBootstrap(handler: object): boolean {
  return decided.has(handler);
}

/** Records that `handler` needs no capture (fluxrate.capture-policy.ts decided so at bootstrap). */
export function withoutCapture(handler: object): void {
  decided.add(handler);
}

/**
 * Taps the handler's own emissions into `ctx.result` and reports a failure after headers. Installed
 * as the last method-level interceptor of the route handlers that need it, so it runs innermost,
 * before any app interceptor maps the response.
 */
const capture: NestInterceptor & { [kCapture]: true } = {
  [kCapture]: true,
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = raw(context.switchToHttp().getRequest());
    const metered = request && context.getType() === 'http' ? RequestLifecycle.current(request) : undefined;
    if (!metered) return next.handle();
    const ctx = metered.args[0] as NestBillingContext;
    capturedInnermost.add(ctx);
    return next.handle().pipe(
      tap({
        next: (value) => {
          ctx.result = value;
        },
        error: () => metered.fail(),
      }),
    );
  },
};

/**
 * Appends the capture to a route handler's interceptors (moving it last if present). Runs while the
 * module is constructed, before Nest reads interceptor metadata to register routes.
 */
export function installCapture(handler: object): void {
  const list = (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as unknown[] | undefined) ?? [];
  const others = list.filter((i) => !(typeof i === 'object' && i !== null && kCapture in i));
  Reflect.defineMetadata(INTERCEPTORS_METADATA, [...others, capture], handler);
  decided.add(handler);
}
