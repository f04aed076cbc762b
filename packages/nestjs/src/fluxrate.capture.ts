import { type MeteredRequest, RequestLifecycle } from '@fluxrate/core/adapter';
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { Injectable, UseInterceptors } from '@nestjs/common';
import { type Observable, tap } from 'rxjs';
import type { BillingContext } from './fluxrate.context.js';
import { raw } from './fluxrate.http.js';
import type { NestBillingArgs } from './fluxrate.types.js';

/**
 * Taps the handler's emissions into `ctx.result` (an Observable's last value) and reports a failure
 * (`metered.fail()`, which counts only once the response has started: `@Res()`, `@Next()`, `@Sse()`).
 * Applied by several interceptors, the innermost one's value stands.
 */
export function captureResult(
  metered: MeteredRequest<NestBillingArgs>,
  handled: Observable<unknown>,
): Observable<unknown> {
  const ctx = metered.args[0] as BillingContext;
  const self = {};
  ctx.capturedBy(self);
  return handled.pipe(
    tap({
      next: (value) => {
        if (ctx.isInnermost(self)) ctx.result = value;
      },
      error: () => metered.fail(),
    }),
  );
}

/**
 * Registered by `FluxrateModule` as a global `APP_INTERCEPTOR` (internal) when billing starts in the
 * guard: the request's result and failures reach its billing through Nest's public interceptor chain.
 */
@Injectable()
export class FluxrateCapture implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return captureMetered(context, next);
  }
}

/** The one capture `@Billable` and the module apply: it holds no state of its own. */
const capture = new FluxrateCapture();
/** Handlers and controllers the capture was applied to (by `@Billable` or at bootstrap). */
const carriers = new WeakSet<object>();

/** Whether the handler (or its controller) already runs the capture. */
export const carriesCapture = (handler: object, controller: object): boolean =>
  carriers.has(handler) || carriers.has(controller);

/** Applies the capture with Nest's public `@UseInterceptors`, once per handler or controller. */
export function applyCapture(target: object, key?: string | symbol, descriptor?: PropertyDescriptor): void {
  const carrier = key === undefined ? target : descriptor?.value;
  if (carrier && carriers.has(carrier)) return;
  if (key === undefined) UseInterceptors(capture)(target as () => void);
  else UseInterceptors(capture)(target, key, descriptor as PropertyDescriptor);
  if (carrier) carriers.add(carrier);
}

/** The capture for a request something else began metering; a request nobody meters passes through. */
export function captureMetered(context: ExecutionContext, next: CallHandler): Observable<unknown> {
  if (context.getType() !== 'http') return next.handle();
  const request = raw(context.getArgByIndex(0));
  const metered = request ? RequestLifecycle.current<NestBillingArgs>(request) : undefined;
  return metered ? captureResult(metered, next.handle()) : next.handle();
}
