/** Formats rows as an aligned plain-text table (numbers right-aligned). */
export function table(headers, rows) {
  const cells = [
    headers,
    ...rows.map((row) => row.map((c) => (c === undefined || c === null ? '-' : String(c)))),
  ];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const numeric = headers.map((_, i) => rows.every((row) => typeof row[i] === 'number' || row[i] == null));
  const line = (row) =>
    row
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join(
    '\n',
  );
}

/**
 * Expected (the demo's ledger) vs recorded (Fluxrate-local's totals), one row per
 * framework x meter x customer. `recorded` is undefined against a real Fluxrate.
 */
export function billingRows(expected, recordedFor) {
  let mismatches = 0;
  const rows = expected.map((row) => {
    const recorded = recordedFor?.(row);
    const ok = recorded !== undefined && recorded.total === row.value && recorded.eventCount === row.events;
    if (recorded !== undefined && !ok) mismatches += 1;
    return [
      row.framework,
      row.meter,
      row.customer,
      row.value,
      recorded?.total,
      row.events,
      recorded?.eventCount,
      recorded === undefined ? 'n/a' : ok ? 'ok' : 'MISMATCH',
    ];
  });
  return { rows, mismatches };
}

/** Against a real Fluxrate all apps bill the same meters and customers: the totals to look for there. */
export function combinedRows(expected) {
  const combined = new Map();
  for (const row of expected) {
    const key = `${row.meter}\0${row.customer}`;
    const entry = combined.get(key) ?? {
      meter: row.meter,
      customer: row.customer,
      sum: 0,
      events: 0,
      users: new Set(),
    };
    entry.sum += row.value;
    entry.events += row.events;
    for (const user of row.users) entry.users.add(user);
    combined.set(key, entry);
  }
  return [...combined.values()].map((e) => [
    e.meter,
    e.customer,
    e.meter === 'active_users' ? e.users.size : e.sum,
    e.events,
  ]);
}

export const BILLING_HEADERS = [
  'framework',
  'meter',
  'customer',
  'expected',
  'recorded',
  'events',
  'stored',
  'check',
];

export const DELIVERY_HEADERS = [
  'framework',
  'requests',
  'billed-ok',
  'aborted',
  'tracked',
  'delivered',
  'retries',
  'dedup',
  'faults',
  'failed',
  'dropped',
  'p50 ms',
  'p99 ms',
];

/** One row per framework: the traffic it got, its tracker's stats and Fluxrate-local's counters. */
export function deliveryRow(framework, counts, report, server) {
  const stats = report?.stats ?? {};
  const serverStats = server?.stats();
  const faults = serverStats ? Object.values(serverStats.faults).reduce((a, b) => a + b, 0) : undefined;
  return [
    framework,
    counts.requests,
    counts.billable,
    counts.aborted,
    stats.tracked,
    stats.delivered,
    stats.retried,
    serverStats?.deduplicated,
    faults,
    stats.failed,
    stats.dropped,
    report?.latencyMs?.p50,
    report?.latencyMs?.p99,
  ];
}
