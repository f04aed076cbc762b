import { FluxrateConfigError } from '@fluxrate/core';
import { defaultTracker } from '@fluxrate/core/adapter';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Zero-configuration options: the process-wide tracker from the environment, the customer from the request. */
export const zeroConfigOptions = (name: string) => ({
  tracker: defaultTracker(`${name} (app.register(fluxrate))`),
  customer: (request: FastifyRequest) => request.fluxrateCustomer,
});

/** How to set the customer, for a billable request that had none. */
export const customerHints = (zero: boolean) => ({
  customerHint: zero
    ? 'Set request.fluxrateCustomer in an onRequest or preHandler hook (e.g. request.fluxrateCustomer = request.user.orgId), or give the route config billable a customer.'
    : 'Pass app.register(fluxrate, { customer: (request) => … }) returning the customer id (set by your auth hook), or give the route config billable a customer.',
});

/** `app.register(fluxrate())` calls the plugin itself, with no Fastify instance: name the fix. */
export function checkInstance(fastify: unknown): asserts fastify is FastifyInstance {
  const f = fastify as Partial<FastifyInstance> | undefined;
  if (typeof f?.addHook !== 'function' || typeof f.decorate !== 'function') {
    throw new FluxrateConfigError(
      'fluxrate',
      'is a Fastify plugin, not a factory: register it with app.register(fluxrate) or app.register(fluxrate, options), without calling it',
    );
  }
}
