/**
 * Error classes with a stable `code`. `instanceof` is brand-based (a `Symbol.for` key), so it works
 * across duplicate copies of the package (ESM and CJS builds loaded side by side, or two versions).
 */
const kBrand = Symbol.for('fluxrate.error');

export type FluxrateErrorCode =
  | 'FLUXRATE_INVALID_OPTION'
  | 'FLUXRATE_INVALID_EVENT'
  | 'FLUXRATE_INVALID_ROUTE';

export class FluxrateError extends Error {
  readonly code: FluxrateErrorCode;
  declare readonly [kBrand]: true;

  constructor(code: FluxrateErrorCode, message: string) {
    super(message);
    this.name = 'FluxrateError';
    this.code = code;
    Object.defineProperty(this, kBrand, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kBrand] === true;
  }
}

/** An invalid option passed to `createTracker()` or an adapter; `option` names it. */
export class FluxrateConfigError extends FluxrateError {
  readonly option: string;
  constructor(option: string, problem: string) {
    super('FLUXRATE_INVALID_OPTION', `Invalid Fluxrate option \`${option}\`: ${problem}`);
    this.name = 'FluxrateConfigError';
    this.option = option;
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      FluxrateError[Symbol.hasInstance](value) && (value as FluxrateError).code === 'FLUXRATE_INVALID_OPTION'
    );
  }
}

/** An invalid event passed to `track()`; `field` names the offending field. Never enqueued. */
export class FluxrateValidationError extends FluxrateError {
  readonly field: string;
  /** What is wrong with the field, without the field's name (e.g. "must be a finite number > 0, got NaN"). */
  problem: string;
  constructor(field: string, problem: string) {
    super('FLUXRATE_INVALID_EVENT', `Invalid Fluxrate event field \`${field}\`: ${problem}`);
    this.name = 'FluxrateValidationError';
    this.field = field;
    this.problem = problem;
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      FluxrateError[Symbol.hasInstance](value) && (value as FluxrateError).code === 'FLUXRATE_INVALID_EVENT'
    );
  }
}

/** An invalid billable route spec; `route` names the route. Thrown at registration time. */
export class FluxrateRouteError extends FluxrateError {
  readonly route: string;
  constructor(route: string, problem: string) {
    super('FLUXRATE_INVALID_ROUTE', `Invalid billable spec for route ${route}: ${problem}`);
    this.name = 'FluxrateRouteError';
    this.route = route;
  }
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      FluxrateError[Symbol.hasInstance](value) && (value as FluxrateError).code === 'FLUXRATE_INVALID_ROUTE'
    );
  }
}
