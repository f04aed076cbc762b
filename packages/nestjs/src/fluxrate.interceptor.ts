import {
  type CallHandler,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type Observable, tap, throwError } from 'rxjs';
import { beginMetering } from './fluxrate.begin.js';
import { FluxrateBilling } from './fluxrate.billing.js';
import { capturedInnermost, decidedAtBootstrap } from './fluxrate.capture.js';
import type { NestBillingContext } from './fluxrate.types.js';

/**
 * Starts billing for every HTTP request (`request.fluxrate`) through core's request lifecycle, which
 * bills once the response has ended. Applied twice (globally and with `@UseInterceptors`, or by two
 * module imports), a request is still metered once. Adds no I/O, await or throw.
 * With `global: false`, apply it with `@UseInterceptors(FluxrateInterceptor)`. Globally, `FluxrateModule`
 * starts billing in a guard instead (cheaper in Nest), and registers this one only for
 * `onMissingCustomer: 'reject'`, whose check runs after the app's guards.
 */
@Injectable()
export class FluxrateInterceptor implements NestInterceptor {
  constructor(
    @Inject(FluxrateBilling) private readonly billing: FluxrateBilling,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const metered = beginMetering(this.billing, this.reflector, context);
    if (!metered) return next.handle();
    if (metered.shouldReject()) {
      return throwError(() => new ForbiddenException('No customer to bill this request to'));
    }
    // Handlers seen at bootstrap either carry the innermost capture or need none (see
    // fluxrate.capture-policy.ts). The tap covers handlers added later.
    if (decidedAtBootstrap(context.getHandler())) return next.handle();
    const ctx = metered.args[0] as NestBillingContext;
    return next.handle().pipe(
      tap({
        next: (value) => {
          if (!capturedInnermost.has(ctx)) ctx.result = value;
        },
        error: () => {
          if (!capturedInnermost.has(ctx)) metered.fail();
        },
      }),
    );
  }
}
