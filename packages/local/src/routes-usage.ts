import type { FastifyInstance } from 'fastify';
import { aggregate, GROUP_BY, type GroupBy, groupUsage } from './aggregate.js';
import { checkAccessToken, checkApiKey } from './auth.js';
import type { ServerContext } from './context.js';
import { parseQueryDate } from './validate.js';

interface UsageQuery {
  start_date?: string;
  end_date?: string;
  group_by?: string;
}

/** `GET /api/v1/meters/:meter_id/usage`: the meter's aggregation over a date range, grouped by period. */
export function registerUsageRoute(app: FastifyInstance, ctx: ServerContext): void {
  app.get<{ Params: { meter_id: string }; Querystring: UsageQuery }>(
    '/api/v1/meters/:meter_id/usage',
    async (request, reply) => {
      // Either auth style works here: the API key (any scope) or the access_token cookie.
      const auth =
        request.headers['x-api-key'] !== undefined
          ? checkApiKey(ctx, request.headers['x-api-key'], null)
          : checkAccessToken(ctx, request.headers.cookie);
      if (auth) return reply.code(auth.status).send({ detail: auth.detail });

      const q = request.query;
      const groupBy = (q.group_by ?? 'day') as GroupBy;
      if (!GROUP_BY.includes(groupBy)) {
        return reply.code(422).send({ detail: `group_by must be one of ${GROUP_BY.join(', ')}` });
      }
      const dates: Record<'start_date' | 'end_date', number | undefined> = {
        start_date: undefined,
        end_date: undefined,
      };
      for (const field of ['start_date', 'end_date'] as const) {
        const raw = q[field];
        if (raw === undefined || raw === '') continue;
        const ts = typeof raw === 'string' ? parseQueryDate(raw, field === 'end_date') : null;
        if (ts === null) {
          return reply.code(422).send({ detail: `${field} must be an ISO 8601 date or date-time` });
        }
        dates[field] = ts;
      }
      const { start_date: start, end_date: end } = dates;
      if (start !== undefined && end !== undefined && start > end) {
        return reply.code(422).send({ detail: 'start_date must not be after end_date' });
      }

      const meter = ctx.store.meterById(request.params.meter_id);
      if (!meter) return reply.code(404).send({ detail: 'Meter not found' });

      const events = ctx.store
        .list({ meter: meter.id })
        .filter((e) => (start === undefined || e.ts >= start) && (end === undefined || e.ts <= end));
      const now = Date.now();
      const first = events.reduce((min, e) => Math.min(min, e.ts), Infinity);
      const last = events.reduce((max, e) => Math.max(max, e.ts), -Infinity);
      return {
        meter_id: meter.id,
        total_usage: aggregate(events, meter.aggregation),
        event_count: events.length,
        unique_customers: new Set(events.map((e) => e.customer.id)).size,
        period_start: new Date(start ?? (Number.isFinite(first) ? first : now)).toISOString(),
        period_end: new Date(end ?? Math.max(now, last)).toISOString(),
        grouped_data: groupUsage(events, meter.aggregation, groupBy),
      };
    },
  );
}
