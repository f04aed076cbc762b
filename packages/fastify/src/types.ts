import type { AdapterOptions, BillableSpec, MeterName, RequestBilling, Tracker } from '@fluxrate/core';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The arguments every user function receives (followed by the request outcome). */
export type FastifyArgs = [request: FastifyRequest, reply: FastifyReply];

/** A route's `config.billable`: one spec, several, or `false` to opt out of the `routes` table. */
export type FastifyBillable<M extends string = MeterName> = BillableSpec<FastifyArgs, M> | false;

/**
 * Plugin options: core's adapter options (a `tracker`, or tracker options, plus `customer`, `when`,
 * `routes`, `shutdownTimeoutMs` (run from Fastify's `onClose`), `holdTimeoutMs`, …).
 */
export type FluxrateFastifyOptions<M extends string = MeterName> = AdapterOptions<FastifyArgs, M>;

/** What `fastify.fluxrate` holds. */
export interface FluxrateDecoration {
  /** The tracker in use (the app's own, or the one the plugin created from options). */
  readonly tracker: Tracker<MeterName>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Bills this route: `{ meter: 'api_calls' }`, an array of specs, or `false` to opt out of the `routes` table. */
    billable?: FastifyBillable;
  }
  interface FastifyRequest {
    /** Per-request billing: `requestId`, `setQuantity`, `addUsage`, `skip`. Set in `onRequest`; absent outside the plugin's context. */
    fluxrate: RequestBilling;
    /**
     * The customer billed for this request in zero-configuration mode (`app.register(fluxrate)` with
     * no options): set it in your auth hook, e.g. `request.fluxrateCustomer = request.user.orgId`.
     * A route spec's own `customer` wins. Ignored when the plugin is given options.
     */
    fluxrateCustomer?: string;
  }
  interface FastifyInstance {
    /** `{ tracker }`, decorated by `@fluxrate/fastify`. */
    fluxrate: FluxrateDecoration;
  }
}
