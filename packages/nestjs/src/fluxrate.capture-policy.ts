import type { Reflector } from '@nestjs/core';
import { BILLABLE_METADATA } from './fluxrate.constants.js';

// Nest's metadata keys and param types (`@nestjs/common/constants`, `RouteParamtypes`).
const ROUTE_ARGS_METADATA = '__routeArguments__';
const SSE_METADATA = '__sse__';
const RESPONSE_PARAM = 1;
const NEXT_PARAM = 2;

type Fn = (...args: unknown[]) => unknown;

/** What the module's options say about `ctx` (read once, when the options are parsed). */
export interface CapturePolicy {
  /** A module-level `customer` or `when` may read `ctx` (and so `ctx.result`) on every billed route. */
  readonly moduleReadsContext: boolean;
  /** Some `routes` table entry has a function, which gets `ctx` first. */
  readonly tableHasFunctions: boolean;
}

const hasFunction = (spec: unknown): boolean =>
  Array.isArray(spec)
    ? spec.some(hasFunction)
    : typeof spec === 'object' && spec !== null && Object.values(spec).some((v) => typeof v === 'function');

/**
 * Whether `fn` can see its argument at `index`: it declares that many parameters, or its source shows
 * a rest or defaulted parameter (not counted in `length`) or `arguments`, or cannot be read (bound,
 * native). Errs towards true: a false positive only costs the capture.
 */
export function mayReadArgument(fn: Fn, index: number): boolean {
  if (fn.length > index) return true;
  const source = Function.prototype.toString.call(fn);
  if (source.includes('[native code]') || /\barguments\b/.test(source)) return true;
  // A single unparenthesised arrow parameter (`x => …`) is neither rest nor defaulted.
  if (/^(async\s+)?[\w$]+\s*=>/.test(source)) return false;
  const open = source.indexOf('(');
  if (open < 0) return true;
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    if (depth === 0) return /\.\.\.|=/.test(source.slice(open, i));
  }
  return true;
}

/** Reads the options' functions once: `customer` gets `(request, ctx, outcome)`, `when` `(ctx, outcome)`. */
export function capturePolicy(options: Record<string, unknown>): CapturePolicy {
  const { customer, when, routes } = options;
  return {
    moduleReadsContext:
      (typeof customer === 'function' && mayReadArgument(customer as Fn, 1)) ||
      (typeof when === 'function' && mayReadArgument(when as Fn, 0)),
    tableHasFunctions:
      typeof routes === 'object' && routes !== null && Object.values(routes).some(hasFunction),
  };
}

/** The handler takes `@Res()` / `@Next()` or is `@Sse()`: it can send headers before it returns or fails. */
function sendsEarly(controller: object, name: string, handler: object): boolean {
  if (Reflect.getMetadata(SSE_METADATA, handler)) return true;
  const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) as object | undefined;
  return Object.keys(args ?? {}).some((key) => {
    const type = Number(key.split(':')[0]);
    return type === RESPONSE_PARAM || type === NEXT_PARAM;
  });
}

/**
 * Whether a route handler needs the innermost capture: something may read `ctx.result` (a function in
 * its `@Billable`, in the `routes` table when it has none, or at module level), or it can fail after
 * sending headers (`metered.fail()`). Every other handler runs with no interceptor of ours.
 */
export function needsCapture(
  policy: CapturePolicy,
  reflector: Reflector,
  route: { controller: object; name: string; handler: object },
): boolean {
  const { controller, name, handler } = route;
  const spec: unknown = reflector.getAllAndOverride(BILLABLE_METADATA, [
    handler as () => void,
    controller as () => void,
  ]);
  if (spec === false) return false;
  if (sendsEarly(controller, name, handler) || policy.moduleReadsContext) return true;
  return spec === undefined || spec === null ? policy.tableHasFunctions : hasFunction(spec);
}
