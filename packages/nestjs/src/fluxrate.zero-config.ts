import { FluxrateConfigError } from '@fluxrate/core';
import { defaultTracker } from '@fluxrate/core/adapter';

/**
 * Zero-configuration options (`FluxrateModule.forRoot()`): the process-wide tracker from the
 * environment, and the customer a guard or middleware set on the platform request
 * (`request.fluxrateCustomer`, on platform-express and platform-fastify alike).
 */
export const zeroConfigOptions = () => ({
  tracker: defaultTracker('FluxrateModule.forRoot()'),
  customer: (request: { fluxrateCustomer?: unknown } | undefined) => request?.fluxrateCustomer,
});

/** How to set the customer, for a billable request that had none. */
export const customerHints = (zero: boolean) => ({
  customerHint: zero
    ? 'Set request.fluxrateCustomer in a guard or middleware (e.g. request.fluxrateCustomer = request.user.orgId), or give @Billable() a customer.'
    : 'Pass FluxrateModule.forRoot({ customer: (request) => … }) returning the customer id (set by your auth guard), or give @Billable() a customer.',
});

/** `imports: [FluxrateModule]` without `forRoot()`: no options, no tracker. */
export const bareImport = () =>
  new FluxrateConfigError(
    'FluxrateModule',
    'imported without forRoot(): use imports: [FluxrateModule.forRoot()] (zero configuration, from the environment) or FluxrateModule.forRoot({ tracker, customer })',
  );
