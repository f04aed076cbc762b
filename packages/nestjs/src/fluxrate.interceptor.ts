import type { CompiledSpec } from '@fluxrate/core/adapter';
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
import { FluxrateBilling } from './fluxrate.billing.js';
import { capturedInnermost } from './fluxrate.capture.js';
import { BILLABLE_METADATA } from './fluxrate.constants.js';
import { header, raw, rawResponse, routePattern } from './fluxrate.http.js';
import type { NestBillingContext } from './fluxrate.types.js';

/**
 * Starts billing for every HTTP request (`request.fluxrate`) through core's request lifecycle, which
 * bills once the response has ended. Applied twice (globally and with `@UseInterceptors`, or by two
 * module imports), a request is still metered once. Adds no I/O, await or throw.
 * Registered globally by `FluxrateModule` unless `global: false`; then use `@UseInterceptors(FluxrateInterceptor)`.
 */
@Injectable()
export class FluxrateInterceptor implements NestInterceptor {
  constructor(
    @Inject(FluxrateBilling) private readonly billing: FluxrateBilling,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest();
    const response = http.getResponse();
    const req = raw(request);
    const res = rawResponse(response);
    if (!req || !res) return next.handle();

    const handler = context.getHandler();
    const controller = context.getClass();
    const label = `${controller.name}.${handler.name}`;
    const method = String(request.method ?? 'GET').toUpperCase();
    const ctx: NestBillingContext = { request, response, result: undefined, context };
    const metered = this.billing.lifecycle.begin(req, res, [ctx], {
      method,
      handler: label,
      clientKey: header(request, 'idempotency-key'),
    });
    if (!metered) return next.handle();
    request.fluxrate = metered.state;
    const route = routePattern(request);
    metered.routed(route, this.#annotation(handler, controller, method, route, label) ?? undefined);
    if (metered.shouldReject()) {
      return throwError(() => new ForbiddenException('No customer to bill this request to'));
    }
    // The capture interceptor (innermost) normally sets the result; this covers handlers it missed.
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

  /** The handler's compiled `@Billable` (handler wins over controller), compiled once and cached. */
  #annotation(
    handler: object,
    controller: object,
    method: string,
    pattern: string | undefined,
    label: string,
  ): CompiledSpec[] | false | null {
    const cached = this.billing.annotation(handler, controller);
    if (cached !== undefined) return cached;
    const route = `${method} ${pattern ?? '(no route)'}`;
    const spec = this.reflector.getAllAndOverride(BILLABLE_METADATA, [
      handler as () => void,
      controller as () => void,
    ]);
    try {
      return this.billing.compile(handler, controller, spec, `${route} (${label})`);
    } catch (error) {
      // Normally compiled at bootstrap; a late failure is reported, never thrown into the request.
      this.billing.lifecycle.reportRouteError(`${route} (${label})`, error, 'not billed');
      return this.billing.compile(handler, controller, undefined, route);
    }
  }
}
