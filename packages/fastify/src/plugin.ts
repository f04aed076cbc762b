import type { MeterName, Tracker } from '@fluxrate/core';
import { CUSTOMER_REQUIRED, isZeroConfig, RequestLifecycle } from '@fluxrate/core/adapter';
import type { FastifyInstance, FastifyPluginAsync, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { lifecycleOptions } from './options.js';
import { fastifyPathMatching } from './path-matching.js';
import { RouteSpecs } from './route-specs.js';
import type { FastifyArgs, FluxrateFastifyOptions } from './types.js';
import { checkInstance, customerHints, zeroConfigOptions } from './zero-config.js';

const NAME = '@fluxrate/fastify';

async function fluxratePlugin(fastify: FastifyInstance, options: FluxrateFastifyOptions): Promise<void> {
  checkInstance(fastify);
  const own = lifecycleOptions(options);
  const zero = isZeroConfig(own);
  const lifecycle = new RequestLifecycle<FastifyArgs>(
    zero ? zeroConfigOptions(NAME) : own,
    NAME,
    customerHints(zero),
  );
  if (zero && !fastify.hasRequestDecorator('fluxrateCustomer')) {
    fastify.decorateRequest('fluxrateCustomer', undefined);
  }
  const matching = fastifyPathMatching(fastify);
  lifecycle.pathMatching = () => matching;
  const specs = new RouteSpecs(lifecycle);
  const clientKeys = lifecycle.meter.idempotency === 'client-key';

  // The lifecycle checked meter names at runtime; the decoration carries the app's registered names.
  const decoration = { tracker: lifecycle.tracker as unknown as Tracker<MeterName> };
  // Registered again in a child context: that context sees its own tracker; requests are metered once.
  if (fastify.hasDecorator('fluxrate')) fastify.fluxrate = decoration;
  else fastify.decorate('fluxrate', decoration);
  if (!fastify.hasRequestDecorator('fluxrate')) fastify.decorateRequest('fluxrate', null as never);

  fastify.addHook('onRoute', (routeOptions: RouteOptions) => specs.compile(routeOptions));

  // The spec is resolved here, when the request is routed: a reply that later changes route
  // (`reply.callNotFound()` after sending, as @fastify/static does) is billed for the route it had.
  fastify.addHook('onRequest', (request, reply, done) => {
    const metered = lifecycle.begin(request.raw, reply.raw, [request, reply], {
      method: request.method,
      url: request.url,
      clientKey: clientKeys ? request.headers['idempotency-key'] : undefined,
    });
    const { config, url } = request.routeOptions;
    metered?.routed(url, specs.annotation(config));
    // Another registration of the plugin may meter this request already: share its state.
    request.fluxrate = (metered ?? RequestLifecycle.current(request.raw))?.state ?? (null as never);
    done();
  });

  fastify.addHook('onError', (request, _reply, _error, done) => {
    RequestLifecycle.current(request.raw)?.fail();
    done();
  });

  if (lifecycle.meter.onMissingCustomer === 'reject') {
    fastify.addHook('preHandler', (request, reply, done) => {
      if (RequestLifecycle.current(request.raw)?.shouldReject()) {
        reply.code(CUSTOMER_REQUIRED.status).send(CUSTOMER_REQUIRED.body);
        return;
      }
      done();
    });
  }

  // What the deadline left is reported by core's shutdown, the same way for every adapter.
  fastify.addHook('onClose', async () => {
    await lifecycle.close();
  });
}

/**
 * The Fluxrate Fastify plugin. Register it before the routes it meters; routes bill through
 * `config.billable` or the `routes` option. Wrapped with fastify-plugin, so its decorations and hooks
 * apply to the context it is registered in (the root, or a prefixed child context).
 * Registered with no options (`app.register(fluxrate)`), it bills through the process-wide tracker
 * from the environment (`FLUXRATE_API_KEY`, `FLUXRATE_BASE_URL`, `FLUXRATE_METERS`), charges
 * `request.fluxrateCustomer` (or the route spec's `customer`) and delivers on SIGTERM / SIGINT;
 * a bad environment fails `app.ready()` with a `FluxrateConfigError` naming the variable.
 */
// Typed against the app's `fastify` rather than through fastify-plugin's generics, whose `fastify`
// types may resolve to another copy (then the module augmentation in types.ts would not line up).
export const fluxrate = fp(fluxratePlugin as unknown as Parameters<typeof fp>[0], {
  fastify: '5.x',
  name: NAME,
}) as unknown as FastifyPluginAsync<FluxrateFastifyOptions>;
