import type { ServerContext } from './context.js';
import type { LocalStats } from './types.js';

const LATEST_EVENTS = 50;
const LATEST_REJECTED = 50;

export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function json(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return '[unserialisable]';
  }
}

function table(headers: string[], rows: unknown[][], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#1d2330;background:#f7f8fa}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:24px 0 8px;color:#39435a}
.sub{color:#6b7385;margin:0 0 16px}
.counters{display:flex;flex-wrap:wrap;gap:8px}
.counter{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:8px 12px;min-width:90px}
.counter b{display:block;font-size:18px}.counter span{color:#6b7385;font-size:12px}
table{border-collapse:collapse;background:#fff;border:1px solid #dde1e8;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f4;vertical-align:top}
th{background:#eef0f4;font-weight:600}td{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.empty{color:#6b7385;font-style:italic}code{font-family:ui-monospace,Menlo,Consolas,monospace}
`;

/** The usage log page: plain HTML that refreshes itself every 2 s; every dynamic value is escaped. */
export function renderPage(ctx: ServerContext, stats: LocalStats): string {
  const { store } = ctx;
  const counters: Array<[string, unknown]> = [
    ['requests', stats.requests],
    ['stored', stats.stored],
    ['deduplicated', stats.deduplicated],
    ...Object.entries(stats.rejected).map(([status, n]): [string, unknown] => [`rejected ${status}`, n]),
    ...Object.entries(stats.faults)
      .filter(([, n]) => n > 0)
      .map(([kind, n]): [string, unknown] => [`fault ${kind}`, n]),
    ['events', `${stats.events} / ${stats.maxEvents}`],
    ['customers', stats.customers],
  ];
  const faults = ctx.injector.get();
  const meters = [...store.meters.values()].map((m) => [m.name, m.aggregation, m.token, m.id]);
  const totals = store.usage().map((u) => [u.meter, u.customer, u.total, u.eventCount]);
  const latest = store.events
    .slice(-LATEST_EVENTS)
    .reverse()
    .map((e) => [
      e.record.created_at,
      e.meter.name,
      e.customer.externalId,
      e.record.quantity,
      e.record.timestamp,
      e.idempotencyKey ?? '',
      json(e.metadata),
    ]);
  const rejected = store.rejectedLog
    .slice(-LATEST_REJECTED)
    .reverse()
    .map((r) => [r.at, r.route, r.status, r.detail, r.body]);

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="2">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fluxrate local: usage log</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Fluxrate local server</h1>
<p class="sub">Usage log, refreshed every 2 s. Admin API under <code>/__admin/</code>. Fault seed ${escapeHtml(stats.seed)}.</p>
<div class="counters">${counters
    .map(
      ([label, value]) =>
        `<div class="counter"><b>${escapeHtml(value)}</b><span>${escapeHtml(label)}</span></div>`,
    )
    .join('')}</div>
<h2>Faults</h2>
<p><code>${escapeHtml(Object.keys(faults).length > 0 ? json(faults) : 'none')}</code></p>
<h2>Totals per meter and customer</h2>
${table(['meter', 'customer', 'total', 'events'], totals, 'No usage yet.')}
<h2>Latest ${LATEST_EVENTS} events</h2>
${table(['stored at', 'meter', 'customer', 'quantity', 'timestamp', 'idempotency key', 'metadata'], latest, 'No events yet.')}
<h2>Latest rejected requests</h2>
${table(['at', 'route', 'status', 'detail', 'body'], rejected, 'Nothing rejected.')}
<h2>Meters</h2>
${table(['name', 'aggregation', 'meter_token', 'meter_id'], meters, 'No meters.')}
</body>
</html>
`;
}
