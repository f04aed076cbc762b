// The anchors we compare against, each sending one event per billable request after the response:
// naive `fetch()`, a fire-and-forget undici Pool, and Segment's Node client.
import { randomUUID } from 'node:crypto';
import { Analytics } from '@segment/analytics-node';
import { Pool } from 'undici';
import { CUSTOMER, sink } from './common.mjs';

const TRACK_PATH = '/api/v1/sdk/track';
const headers = () => ({ 'content-type': 'application/json', 'x-api-key': sink.apiKey });
const body = () =>
  JSON.stringify({
    meter_token: sink.token,
    customer_external_id: CUSTOMER,
    quantity: 1,
    idempotency_key: `req_${randomUUID()}_api_calls`,
  });

/** Counts promises in flight so shutdown can wait for them (fire and forget has nothing else). */
function inFlightCounter() {
  const counts = { sent: 0, ok: 0, failed: 0 };
  let pending = 0;
  let idle;
  return {
    counts,
    watch(promise) {
      counts.sent++;
      pending++;
      promise
        .then(
          (ok) => {
            if (ok) counts.ok++;
            else counts.failed++;
          },
          () => counts.failed++,
        )
        .finally(() => {
          pending--;
          if (pending === 0) idle?.();
        });
    },
    async settled(timeoutMs) {
      if (pending === 0) return;
      await new Promise((resolve) => {
        idle = resolve;
        setTimeout(resolve, timeoutMs).unref();
      });
    },
    pending: () => pending,
  };
}

/** `{ send(), drain() }` for an anchor name: `fetch`, `pool` or `segment`. */
export function createAnchor(name) {
  if (name === 'fetch') {
    const c = inFlightCounter();
    return {
      send() {
        c.watch(
          fetch(`${sink.url}${TRACK_PATH}`, { method: 'POST', headers: headers(), body: body() }).then(
            async (r) => {
              await r.arrayBuffer();
              return r.ok;
            },
          ),
        );
      },
      async drain() {
        await c.settled(30_000);
        return { ...c.counts, pending: c.pending() };
      },
    };
  }
  if (name === 'pool') {
    const pool = new Pool(sink.url, { connections: 8 });
    const c = inFlightCounter();
    return {
      send() {
        c.watch(
          pool
            .request({ path: TRACK_PATH, method: 'POST', headers: headers(), body: body() })
            .then(async (r) => {
              await r.body.dump();
              return r.statusCode >= 200 && r.statusCode < 300;
            }),
        );
      },
      async drain() {
        await c.settled(30_000);
        await pool.close();
        return { ...c.counts, pending: c.pending() };
      },
    };
  }
  if (name === 'segment') {
    // Defaults (batches of 15) except the flush timer: at 10 s, closeAndFlush() waits for it to send
    // the last partial batch, which only lengthens shutdown.
    const analytics = new Analytics({
      writeKey: 'bench',
      host: sink.segmentUrl,
      path: '/v1/batch',
      flushInterval: 500,
    });
    let errors = 0;
    let sent = 0;
    analytics.on('error', () => errors++);
    return {
      send() {
        sent++;
        analytics.track({ userId: CUSTOMER, event: 'api_calls', properties: { quantity: 1 } });
      },
      async drain() {
        await analytics.closeAndFlush({ timeout: 30_000 });
        return { sent, errors };
      },
    };
  }
  throw new Error(`unknown anchor ${name}`);
}
