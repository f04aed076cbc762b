import {
  createRouteMeter,
  type MeterName,
  type RequestBillingState,
  type RequestOutcome,
  type RouteMeter,
  type Tracker,
} from '@fluxrate/core';
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  RouteOptions,
} from 'fastify';
import fp from 'fastify-plugin';
import { parseOptions } from './options.js';
import { RouteSpecs } from './route-specs.js';
import type { FastifyArgs, FluxrateFastifyOptions } from './types.js';

const NAME = '@fluxrate/fastify';
/** Set by `onRequestAbort`: the client went away before the reply was sent. */
const kAborted = Symbol('fluxrate.aborted');

type Request = FastifyRequest & { [kAborted]: boolean };

function outcomeOf(
  request: FastifyRequest,
  reply: FastifyReply,
  state: RequestBillingState,
  route: string | undefined,
  finished: boolean,
): RequestOutcome {
  return {
    requestId: state.requestId,
    method: request.method,
    route,
    status: reply.statusCode,
    aborted: (request as Request)[kAborted],
    finished,
    durationMs: Date.now() - state.startedAt,
  };
}

/**
 * The reply was fully handed to the socket. `writableFinished` says so on a real socket; under
 * `fastify.inject` the fake socket has no `writableLength`, so it stays false, and an ended,
 * undestroyed response counts as finished. A reply cut off by a destroyed socket is neither.
 */
function responseFinished(raw: FastifyReply['raw']): boolean {
  return raw.writableFinished || (raw.writableEnded && !raw.destroyed);
}

async function fluxratePlugin(fastify: FastifyInstance, options: FluxrateFastifyOptions): Promise<void> {
  const { meterOptions, shutdownTimeoutMs } = parseOptions(options);
  const meter: RouteMeter<FastifyArgs> = createRouteMeter<FastifyArgs>(meterOptions, NAME);
  const specs = new RouteSpecs(meter);
  const clientKeys = meter.idempotency === 'client-key';

  // The meter checked meter names at runtime; the decoration carries the app's registered names.
  fastify.decorate('fluxrate', { tracker: meter.tracker as Tracker<MeterName> });
  fastify.decorateRequest('fluxrate', null as never);
  fastify.decorateRequest(kAborted, false);

  fastify.addHook('onRoute', (routeOptions: RouteOptions) => specs.compile(routeOptions));

  fastify.addHook('onRequest', (request, reply, done) => {
    request.fluxrate = meter.begin(
      [request, reply],
      clientKeys ? request.headers['idempotency-key'] : undefined,
    );
    done();
  });

  fastify.addHook('onRequestAbort', (request, done) => {
    (request as Request)[kAborted] = true;
    done();
  });

  if (meter.onMissingCustomer === 'reject') {
    fastify.addHook('preHandler', (request, reply, done: HookHandlerDoneFunction) => {
      const state = request.fluxrate as RequestBillingState | null;
      if (state !== null) {
        const { config, url } = request.routeOptions;
        const billed = specs.resolve(config, request.method);
        const args: FastifyArgs = [request, reply];
        if (
          billed.length > 0 &&
          meter.shouldReject(billed, args, outcomeOf(request, reply, state, url, false))
        ) {
          reply.code(403).send({ error: 'customer required' });
          return;
        }
      }
      done();
    });
  }

  fastify.addHook('onResponse', (request, reply, done) => {
    const state = request.fluxrate as RequestBillingState | null;
    if (state !== null) {
      try {
        const { config, url } = request.routeOptions;
        const billed = specs.resolve(config, request.method);
        const finished = responseFinished(reply.raw);
        meter.finish(state, billed, [request, reply], outcomeOf(request, reply, state, url, finished));
      } catch (error) {
        meter.tracker.reportError({ reason: `${NAME} internal error: ${String(error)}`, error });
      }
    }
    done();
  });

  if (meter.ownsTracker) {
    fastify.addHook('onClose', async () => {
      const report = await meter.tracker.shutdown({ timeoutMs: shutdownTimeoutMs });
      if (report.pending.length > 0) {
        fastify.log.warn(
          { pending: report.pending.length, dropped: report.dropped },
          `${NAME}: usage events not delivered before the ${shutdownTimeoutMs} ms shutdown deadline`,
        );
      }
    });
  }
}

/**
 * The Fluxrate Fastify plugin. Register it before the routes it meters; routes bill through
 * `config.billable` or the `routes` option. Wrapped with fastify-plugin, so its decorations and hooks
 * apply to the context it is registered in (the root, or a prefixed child context).
 */
// Typed against the app's `fastify` rather than through fastify-plugin's generics, whose `fastify`
// types may resolve to another copy (then the module augmentation in types.ts would not line up).
export const fluxrate = fp(fluxratePlugin as unknown as Parameters<typeof fp>[0], {
  fastify: '5.x',
  name: NAME,
}) as unknown as FastifyPluginAsync<FluxrateFastifyOptions>;
