import { CUSTOMER_REQUIRED } from '@fluxrate/core/adapter';
import {
  type CallHandler,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type Observable, throwError } from 'rxjs';
import { beginMetering } from './fluxrate.begin.js';
import { FluxrateBilling } from './fluxrate.billing.js';
import { captureMetered, captureResult } from './fluxrate.capture.js';
import type { BillingContext } from './fluxrate.context.js';

/**
 * Starts billing for every HTTP request (`request.fluxrate`) through core's request lifecycle, which
 * bills once the response has ended. Applied twice (globally and with `@UseInterceptors`, or by two
 * module imports), a request is still metered once. Adds no I/O, await or throw.
 * It captures the handler's `result` and failures for billing, as an interceptor (a public Nest
 * extension point). With `global: false`, apply it with `@UseInterceptors(FluxrateInterceptor)`.
 * Globally, `FluxrateModule` starts billing in a guard (so requests an app guard rejects are metered
 * too) plus a capture interceptor, and registers this one instead for `onMissingCustomer: 'reject'`,
 * whose check runs after the app's guards.
 */
@Injectable()
export class FluxrateInterceptor implements NestInterceptor {
  constructor(
    @Inject(FluxrateBilling) private readonly billing: FluxrateBilling,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const metered = beginMetering(this.billing, this.reflector, context);
    // Metered already (applied twice, or the module's guard began it): still the innermost capture.
    if (!metered) return captureMetered(context, next);
    // This interceptor captures every request it begins: `customer` may read ctx (result undefined yet).
    (metered.args[0] as BillingContext).capturedBy(this);
    if (metered.shouldReject()) {
      return throwError(() => new ForbiddenException(CUSTOMER_REQUIRED.body));
    }
    return captureResult(metered, next.handle());
  }
}
