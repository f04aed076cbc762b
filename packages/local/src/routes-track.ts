import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkAccessToken, checkApiKey, REQUIRED_SCOPE } from './auth.js';
import { type ServerContext, TRACK_PATH, USAGE_PATH } from './context.js';
import type { FaultDecision } from './faults.js';
import { recordRejection } from './rejections.js';
import type { Meter } from './store.js';
import type { Customer } from './types.js';
import {
  type EventInput,
  type FieldError,
  uniqueCountError,
  validateTrack,
  validateUsage,
} from './validate.js';

type Outcome = { status: number; body: unknown; detail?: string };

const NO_JSON_BODY = 'Request body must be JSON, sent with Content-Type: application/json';
const INJECTED: Record<'500' | '502' | '503' | '429', string> = {
  '500': 'Internal server error (injected fault)',
  '502': 'Bad gateway (injected fault)',
  '503': 'Service unavailable (injected fault)',
  '429': 'Too many requests (injected fault)',
};

function fail(status: number, detail: string): Outcome {
  return { status, body: { detail }, detail };
}

function invalid(ctx: ServerContext, errors: FieldError[]): Outcome {
  const detail = errors.map((e) => e.message).join('; ');
  if (ctx.validationDetail === 'string') return fail(422, detail);
  const body = {
    detail: errors.map((e) => ({
      loc: ['body', ...e.field.split('.')],
      msg: e.message,
      type: 'value_error',
    })),
  };
  return { status: 422, body, detail };
}

/** Shared tail of both routes: UNIQUE_COUNT check, dedupe, cap, store. */
function store(
  ctx: ServerContext,
  meter: Meter,
  customer: () => Customer,
  input: EventInput,
  source: 'track' | 'usage',
): Outcome {
  if (meter.aggregation === 'UNIQUE_COUNT') {
    const error = uniqueCountError(input.metadata);
    if (error) return invalid(ctx, [error]);
  }
  if (input.idempotencyKey !== null) {
    const original = ctx.store.byIdempotencyKey(input.idempotencyKey);
    if (original) {
      ctx.store.deduplicated += 1;
      return { status: 201, body: original.record };
    }
  }
  if (ctx.store.events.length >= ctx.maxEvents) {
    return fail(
      507,
      `Event cap reached: this local server stores at most ${ctx.maxEvents} events (maxEvents). ` +
        'Clear them with POST /__admin/reset (or reset()), or restart it with a higher maxEvents.',
    );
  }
  const event = ctx.store.add({ meter, customer: customer(), ...input, source });
  return { status: 201, body: event.record };
}

function processTrack(ctx: ServerContext, request: FastifyRequest): Outcome {
  const auth = checkApiKey(ctx, request.headers['x-api-key'], REQUIRED_SCOPE);
  if (auth) return fail(auth.status, auth.detail);
  if (request.body === undefined) return fail(400, NO_JSON_BODY);
  const v = validateTrack(request.body);
  if (!v.ok) return invalid(ctx, v.errors);
  const meter = ctx.store.meterByToken(v.value.meterToken);
  if (!meter) return fail(404, 'Meter not found');
  const externalId = v.value.customerExternalId;
  return store(ctx, meter, () => ctx.store.ensureCustomer(externalId), v.value, 'track');
}

function processUsage(ctx: ServerContext, request: FastifyRequest): Outcome {
  const auth = checkAccessToken(ctx, request.headers.cookie);
  if (auth) return fail(auth.status, auth.detail);
  if (request.body === undefined) return fail(400, NO_JSON_BODY);
  const v = validateUsage(request.body);
  if (!v.ok) return invalid(ctx, v.errors);
  const meter = ctx.store.meterById(v.value.meterId);
  if (!meter) return fail(404, 'Meter not found');
  const customer = ctx.store.customerById(v.value.customerId);
  if (!customer) return fail(404, 'Customer not found');
  return store(ctx, meter, () => customer, v.value, 'usage');
}

function dropConnection(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.hijack();
  request.raw.socket.destroy();
  return reply;
}

export function registerIngestRoutes(app: FastifyInstance, ctx: ServerContext): void {
  // Drawn on arrival (onRequest runs in arrival order), acted on once the body is in.
  const decisions = new WeakMap<FastifyRequest, FaultDecision>();

  const onRequest = async (request: FastifyRequest) => {
    ctx.store.requests += 1;
    decisions.set(request, ctx.injector.draw());
  };

  const preHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    const decision = decisions.get(request);
    if (!decision) return;
    if (decision.slowMs !== null) {
      ctx.store.faults.slow += 1;
      await ctx.sleep(decision.slowMs);
    }
    const kind = decision.kind;
    if (kind === '500' || kind === '502' || kind === '503' || kind === '429') {
      ctx.store.faults[kind] += 1;
      if (kind === '429') reply.header('retry-after', String(ctx.injector.retryAfter));
      return reply.code(Number(kind)).send({ detail: INJECTED[kind] });
    }
    if (kind === 'resetBefore') {
      ctx.store.faults.resetBefore += 1;
      return dropConnection(request, reply);
    }
  };

  const handler = (process: (ctx: ServerContext, request: FastifyRequest) => Outcome) => {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      const outcome = process(ctx, request);
      if (outcome.detail !== undefined) recordRejection(ctx, request, outcome.status, outcome.detail);
      if (decisions.get(request)?.kind === 'resetAfter') {
        // The work is done (an event may be stored); the client never hears about it.
        ctx.store.faults.resetAfter += 1;
        return dropConnection(request, reply);
      }
      return reply.code(outcome.status).send(outcome.body);
    };
  };

  app.post(TRACK_PATH, { onRequest, preHandler }, handler(processTrack));
  app.post(USAGE_PATH, { onRequest, preHandler }, handler(processUsage));
}
