// The sink, in its own process: @fluxrate/local (Fluxrate's API) plus a tiny counting endpoint for
// Segment's batch API, which posts `{ batch: [...] }` to `/v1/batch` and cannot talk to Fluxrate's API.
// Prints `{ url, apiKey, token, segmentUrl }` as one JSON line once both listen.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { startLocalServer } from '@fluxrate/local';

// BENCH_SINK_TLS_KEY / BENCH_SINK_TLS_CERT (PEM files): serve HTTPS with HTTP/2 offered by ALPN next to
// HTTP/1.1 (BENCH_SINK_H2=0: HTTPS with HTTP/1.1 only). Clients trust it through NODE_EXTRA_CA_CERTS.
const { BENCH_SINK_TLS_KEY: keyFile, BENCH_SINK_TLS_CERT: certFile } = process.env;
const tls = keyFile && certFile ? { key: readFileSync(keyFile), cert: readFileSync(certFile) } : undefined;
const fx = await startLocalServer({
  meters: { api_calls: { aggregation: 'SUM' } },
  maxEvents: 5_000_000,
  ...(tls ? { tls, http2: process.env.BENCH_SINK_H2 !== '0' } : {}),
});

let segmentEvents = 0;
let segmentBatches = 0;
const segment = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/count') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ events: segmentEvents, batches: segmentBatches }));
    return;
  }
  if (req.method === 'POST' && req.url === '/reset') {
    segmentEvents = 0;
    segmentBatches = 0;
    res.statusCode = 204;
    res.end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      segmentEvents += Array.isArray(body.batch) ? body.batch.length : 0;
      segmentBatches += 1;
      res.setHeader('content-type', 'application/json');
      res.end('{"success":true}');
    } catch {
      res.statusCode = 400;
      res.end();
    }
  });
});
await new Promise((resolve) => segment.listen(0, '127.0.0.1', resolve));

process.stdout.write(
  `${JSON.stringify({
    url: fx.url,
    apiKey: fx.apiKey,
    token: fx.meters.api_calls.token,
    segmentUrl: `http://127.0.0.1:${segment.address().port}`,
  })}\n`,
);

const stop = async () => {
  segment.close();
  await fx.close();
  process.stdout.write('{"stopped":true}\n', () => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
