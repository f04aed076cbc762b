// Requests from the test to an app over loopback HTTP, a few at a time.

/** GETs `path` `n` times for `customer` (8 in flight at once); returns the count per status. */
export async function hit(
  port: number,
  path: string,
  n: number,
  customer: string,
): Promise<Record<number, number>> {
  const statuses: Record<number, number> = {};
  let sent = 0;
  const worker = async () => {
    while (sent < n) {
      sent++;
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { 'x-customer': customer } });
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, n) }, worker));
  return statuses;
}
