import type { MeterName } from '@fluxrate/core';
import { compileBillable } from '@fluxrate/core/adapter';
import { Inject, SetMetadata } from '@nestjs/common';
import { applyCapture } from './fluxrate.capture.js';
import { hasFunction, sendsEarly } from './fluxrate.capture-policy.js';
import { BILLABLE_METADATA } from './fluxrate.constants.js';
import { FluxrateTracker } from './fluxrate.tracker.js';
import type { NestBillableSpec } from './fluxrate.types.js';

/** A decorator usable on a controller class or a handler method. */
export type ClassOrMethodDecorator = ClassDecorator & MethodDecorator;

function label(target: object, key: string | symbol | undefined): string {
  if (key === undefined) return (target as { name?: string }).name ?? 'controller';
  return `${(target as { constructor: { name: string } }).constructor.name}.${String(key)}`;
}

/**
 * Bills the handler (or every handler of the controller; a handler's own `@Billable` wins).
 * Functions get `({ request, response, result, context }, outcome)` once the response has finished.
 * The spec's shape is checked here (throws `FluxrateRouteError` naming `Controller.handler`);
 * meter names are checked against the tracker at bootstrap. Where the capture is needed (a function
 * in the spec, which may read `result`, or a handler taking `@Res()` / `@Next()`, or `@Sse()` written
 * below it), it applies `FluxrateCapture` with `@UseInterceptors` (Nest's public API, as any decorator
 * composes it), so `result` is the handler's own value: written above the handler's other
 * `@UseInterceptors(...)`, it runs inside them. `FluxrateModule` applies it at bootstrap to the other
 * handlers that need it. A static spec on a plain handler runs no interceptor of ours.
 */
export function Billable<Result = any, M extends MeterName = MeterName>(
  spec: NestBillableSpec<Result, M>,
): ClassOrMethodDecorator {
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    compileBillable(spec, label(target, key));
    const set = SetMetadata(BILLABLE_METADATA, spec);
    if (key === undefined) {
      set(target as () => void);
      if (hasFunction(spec)) applyCapture(target);
    } else {
      set(target, key, descriptor as PropertyDescriptor);
      // Parameter decorators (`@Res()`) have run by now; an `@Sse()` written above is seen at bootstrap.
      if (hasFunction(spec) || sendsEarly(target.constructor, key, descriptor?.value)) {
        applyCapture(target, key, descriptor);
      }
    }
  }) as ClassOrMethodDecorator;
}

/** Never bills this handler (or controller), even if the controller or the `routes` table says so. */
export function SkipBilling(): ClassOrMethodDecorator {
  return SetMetadata(BILLABLE_METADATA, false) as ClassOrMethodDecorator;
}

/** Injects the module's tracker: `constructor(@InjectTracker() private readonly tracker: Tracker)`. */
export function InjectTracker(): PropertyDecorator & ParameterDecorator {
  return Inject(FluxrateTracker);
}
