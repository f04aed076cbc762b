// What one HTTP request per event costs the sending process, by client (undici, our tracker, and a bare
// socket writer that parses nothing it does not need, as the floor): CPU per request at a fixed
// offered rate (ticks of 1 ms), against the bench sink (@fluxrate/local) in its own process.
// `node micro/http-client.mjs [rate] [seconds] [rounds] [own-core]`. Prints one row per client: median
// µs/request. `own-core`: the `dist/index.js` of a @fluxrate/core built with the own HTTP/1.1 client
// (commit a822504 or earlier), measured side by side with this tree's tracker on undici.
import { connect } from 'node:net';
import { createTracker } from '@fluxrate/core';
import { Pool } from 'undici';
import { startChild } from '../lib/child.mjs';

const RATE = Number(process.argv[2] ?? 3000);
const SECONDS = Number(process.argv[3] ?? 4);
const ROUNDS = Number(process.argv[4] ?? 2);
const OWN_CORE = process.argv[5];

const sink = startChild(new URL('../sink.mjs', import.meta.url).pathname, []);
const info = await sink.ready();
const origin = new URL(info.url).origin;
// Over HTTPS (sink started with BENCH_SINK_TLS_*): the tracker negotiates h2, the raw undici Pools and
// the own client speak HTTP/1.1 over TLS; the raw socket writer is left out.
const TLS = origin.startsWith('https:');
const path = '/api/v1/sdk/track';
const headers = { 'content-type': 'application/json', 'x-api-key': info.apiKey, accept: 'application/json' };
let seq = 0;
const body = () =>
  `{"meter_token":"${info.token}","customer_external_id":"cus_bench","quantity":1,"timestamp":"${new Date().toISOString()}","idempotency_key":"hc-${process.pid}-${seq++}"}`;

function undiciClient(connections, pipelining) {
  const pool = new Pool(origin, { connections, pipelining, keepAliveTimeout: 10_000 });
  return {
    send(done) {
      pool.dispatch(
        { method: 'POST', path, headers, body: body() },
        {
          onRequestStart() {},
          onResponseStart() {},
          onResponseData() {},
          onResponseEnd() {
            done();
          },
          onResponseError(_c, e) {
            done(e);
          },
        },
      );
    },
    close: () => pool.close(),
  };
}

// undici driven as the transport drives it: the handler interface undici runs on internally (no
// wrapper, no header object), flat headers.
function undiciLegacy(connections) {
  const pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 10_000 });
  const flat = Object.entries(headers).flat();
  class Handler {
    constructor(done) {
      this.done = done;
    }
    onConnect() {}
    onHeaders() {
      return true;
    }
    onData() {
      return true;
    }
    onComplete() {
      this.done();
    }
    onError(e) {
      this.done(e);
    }
  }
  return {
    send(done) {
      pool.dispatch({ origin, method: 'POST', path, headers: flat, body: body() }, new Handler(done));
    },
    close: () => pool.close(),
  };
}

// Our tracker, per event: track() then delivery through the dispatcher and transport.
function trackerClient(create = createTracker) {
  const tracker = create({ apiKey: info.apiKey, baseUrl: origin, meters: { api_calls: info.token } });
  const waiting = [];
  tracker.on('delivered', () => waiting.shift()());
  return {
    send(done) {
      waiting.push(done);
      tracker.track({ meter: 'api_calls', customerId: 'cus_bench', quantity: 1 });
    },
    close: () => tracker.shutdown(),
  };
}

// The floor: N keep-alive sockets, one request in flight on each, a write per request.
function rawPool(n) {
  const { hostname, port } = new URL(origin);
  const head = `POST ${path} HTTP/1.1\r\nhost: ${hostname}:${port}\r\ncontent-type: application/json\r\nx-api-key: ${info.apiKey}\r\naccept: application/json\r\ncontent-length: `;
  const idle = [];
  const queue = [];
  const sockets = [];
  function start(conn, job) {
    conn.done = job.done;
    const b = job.body;
    conn.socket.write(`${head}${Buffer.byteLength(b)}\r\n\r\n${b}`);
  }
  for (let i = 0; i < n; i++) {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.setNoDelay(true);
    const conn = { socket, done: null, buf: null };
    sockets.push(socket);
    socket.on('data', (chunk) => {
      const buf = conn.buf === null ? chunk : Buffer.concat([conn.buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        conn.buf = buf;
        return;
      }
      const headText = buf.latin1Slice(0, end);
      const at = headText.indexOf('content-length:');
      const len = at < 0 ? 0 : Number.parseInt(headText.slice(at + 15), 10);
      if (buf.length < end + 4 + len) {
        conn.buf = buf;
        return;
      }
      conn.buf = null;
      const done = conn.done;
      const next = queue.shift();
      if (next) start(conn, next);
      else idle.push(conn);
      done();
    });
    idle.push(conn);
  }
  return {
    send(done) {
      const job = { body: body(), done };
      const conn = idle.pop();
      if (conn) start(conn, job);
      else queue.push(job);
    },
    close: async () => {
      for (const s of sockets) s.end();
    },
  };
}

function noClient() {
  return { send: (done) => queueMicrotask(done), close: async () => {} };
}

async function run(client) {
  let sent = 0;
  let answered = 0;
  const perTick = RATE / 1000;
  let owed = 0;
  const total = RATE * SECONDS;
  const before = process.cpuUsage();
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      owed += perTick;
      while (owed >= 1 && sent < total) {
        owed -= 1;
        sent++;
        client.send(() => {
          answered++;
          if (answered === total) {
            clearInterval(timer);
            resolve();
          }
        });
      }
    }, 1);
  });
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / total;
}

const CLIENTS = {
  none: () => noClient(),
  'undici c8 p1': () => undiciClient(8, 1),
  'undici legacy c8': () => undiciLegacy(8),
  tracker: () => trackerClient(),
  ...(TLS ? {} : { 'raw pool 8': () => rawPool(8) }),
};
if (OWN_CORE) {
  const own = await import(new URL(OWN_CORE, `file://${process.cwd()}/`).href);
  CLIENTS['tracker own h1'] = () => trackerClient(own.createTracker);
}
const results = Object.fromEntries(Object.keys(CLIENTS).map((k) => [k, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, make] of Object.entries(CLIENTS)) {
    const client = make();
    await run(client); // warm-up round for this client's connections and JIT
    results[name].push(await run(client));
    await client.close();
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, xs] of Object.entries(results)) {
  console.log(
    `${name.padEnd(16)} ${median(xs).toFixed(1).padStart(6)} µs/request   runs ${xs.map((x) => x.toFixed(1)).join(', ')}`,
  );
}
await sink.stop();
