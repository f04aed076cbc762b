import autocannon from 'autocannon';

/** One autocannon run against `url`; `rate` fixes the overall request rate (req/s). */
export function load(url, { duration, connections, rate }) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        duration,
        connections,
        pipelining: 1,
        ...(rate ? { overallRate: rate } : {}),
      },
      (error, result) => (error ? reject(error) : resolve(summarize(result))),
    );
  });
}

function summarize(r) {
  return {
    // autocannon's mean of per-second samples; a run too short for a sample falls back to total / duration.
    rps: r.requests.average || r.requests.total / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    total: r.requests.total,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}
