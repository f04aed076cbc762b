import type { CompiledSpec, RequestOutcome } from '@fluxrate/core';
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
import { BILLABLE_METADATA } from './fluxrate.constants.js';
import { header, rawResponse, routePattern } from './fluxrate.http.js';
import type { NestBillingContext } from './fluxrate.types.js';

/**
 * Starts billing state for every HTTP request (`request.fluxrate`) and bills once the response has
 * finished, so the status exception filters settle on is the one billed. Adds no I/O, await or throw.
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
    const raw = rawResponse(response);
    if (!raw || typeof request !== 'object' || request === null) return next.handle();

    const { meter } = this.billing;
    const handler = context.getHandler();
    const controller = context.getClass();
    const label = `${controller.name}.${handler.name}`;
    const method = String(request.method ?? 'GET').toUpperCase();
    const route = routePattern(request);
    const ctx: NestBillingContext = { request, response, result: undefined, context };
    const args: [NestBillingContext] = [ctx];

    const state = meter.begin(args, header(request, 'idempotency-key'), label);
    request.fluxrate = state;
    const annotated = this.#annotation(handler, controller, method, route, label);
    if (annotated === false) state.skip();
    const specs = meter.specsFor(annotated ?? undefined, method, route);

    const outcome = (finished: boolean): RequestOutcome => ({
      requestId: state.requestId,
      method,
      route,
      status: raw.statusCode,
      aborted: !finished,
      finished,
      durationMs: Date.now() - state.startedAt,
      handler: label,
    });

    if (
      meter.onMissingCustomer === 'reject' &&
      meter.shouldReject(specs, args, { ...outcome(false), aborted: false })
    ) {
      return throwError(() => new ForbiddenException('No customer to bill this request to'));
    }

    let done = false;
    const settle = () => {
      if (done) return;
      done = true;
      raw.off('finish', settle);
      raw.off('close', settle);
      // 'close' without a completed write means the client went away: aborted.
      const finished = raw.writableFinished;
      meter.finish(state, specs, args, outcome(finished));
    };
    raw.once('finish', settle);
    raw.once('close', settle);

    return next.handle().pipe(
      tap((value) => {
        ctx.result = value;
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
      this.billing.meter.tracker.reportError({
        route,
        reason: `invalid @Billable on ${label}: ${error instanceof Error ? error.message : String(error)}`,
        error,
      });
      return this.billing.compile(handler, controller, undefined, route);
    }
  }
}
