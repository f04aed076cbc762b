import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { onCleanup } from './cleanup.js';

/** How the server answers one request. */
export interface Step {
  /** HTTP status. Default 201. */
  status?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Response body; an object is sent as JSON. Default: a Fluxrate-like record for 2xx, `{detail}` otherwise. */
  body?: unknown;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (the client must time out). */
  hang?: boolean;
  /** Destroy the connection without answering. */
  reset?: boolean;
}

export interface RecordedRequest {
  at: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: any;
}

export interface ScriptedServer {
  url: string;
  requests: RecordedRequest[];
  /** Requests recorded for one idempotency key, in arrival order. */
  attemptsFor(key: string): RecordedRequest[];
  /** Replaces the script; steps are used in order, the last one repeats. */
  script(steps: Step[] | ((req: RecordedRequest, index: number) => Step)): void;
  close(): Promise<void>;
}

/**
 * A tiny node:http server answering from a script of steps, recording every request's headers and
 * body: for exact status sequences, specific headers, hangs (timeouts) and resets.
 */
export async function startScriptedServer(
  initial: Step[] | ((req: RecordedRequest, index: number) => Step) = [{}],
): Promise<ScriptedServer> {
  let steps = initial;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const recorded: RecordedRequest = {
        at: Date.now(),
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        json,
      };
      const index = requests.length;
      requests.push(recorded);
      const step =
        typeof steps === 'function'
          ? steps(recorded, index)
          : (steps[Math.min(index, steps.length - 1)] ?? {});
      const answer = () => {
        if (step.reset) {
          req.socket.destroy();
          return;
        }
        if (step.hang) {
          hanging.add(res);
          return;
        }
        const status = step.status ?? 201;
        const payload =
          step.body !== undefined
            ? step.body
            : status < 300
              ? { id: `rec_${index}`, quantity: String((json as { quantity?: number })?.quantity ?? 1) }
              : { detail: `scripted ${status}` };
        const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
        res.writeHead(status, { 'content-type': 'application/json', ...step.headers });
        res.end(text);
      };
      if (step.delayMs) setTimeout(answer, step.delayMs);
      else answer();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    attemptsFor: (key) => requests.filter((r) => r.json?.idempotency_key === key),
    script(next) {
      steps = next;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      hanging.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A scripted server closed after the current test. */
export async function scripted(
  steps?: Step[] | ((req: RecordedRequest, index: number) => Step),
): Promise<ScriptedServer> {
  const server = await startScriptedServer(steps);
  onCleanup(() => server.close());
  return server;
}
