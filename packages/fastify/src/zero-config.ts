import { FluxrateConfigError } from '@fluxrate/core';
import { defaultTracker } from '@fluxrate/core/adapter';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Zero-configuration options: the process-wide tracker from the environment, the customer from the request. */
export const zeroConfigOptions = (name: string) => ({
  tracker: defaultTracker(`${name} (registered without options)`),
  customer: (request: FastifyRequest) => request.fluxrateCustomer,
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
