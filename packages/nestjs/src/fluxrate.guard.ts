import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { beginMetering } from './fluxrate.begin.js';
import { FluxrateBilling } from './fluxrate.billing.js';

/**
 * Starts billing for every HTTP request, registered by `FluxrateModule` as an `APP_GUARD` (internal).
 * A guard, not an interceptor: Nest runs any interceptor through RxJS `defer` + `mergeAll` and an
 * `AsyncResource.bind` per level (tens of µs per request), a guard through one context and an
 * `await`. Guards run before every interceptor, so metering starts no later than an interceptor's
 * would. Always lets the request through; `onMissingCustomer: 'reject'` uses `FluxrateInterceptor`
 * instead, whose check must see what the app's guards set.
 */
@Injectable()
export class FluxrateGuard implements CanActivate {
  constructor(
    @Inject(FluxrateBilling) private readonly billing: FluxrateBilling,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): true {
    beginMetering(this.billing, this.reflector, context);
    return true;
  }
}
