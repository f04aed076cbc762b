import { connect } from 'node:net';

export interface Reply {
  status: number;
  body: string;
  json(): any;
}

/** One request over real HTTP; `x-customer` defaults to `acme` (pass `null` to send none). */
export async function send(
  base: string,
  path: string,
  options: { method?: string; customer?: string | null; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.customer !== null) headers['x-customer'] = options.customer ?? 'acme';
  const res = await fetch(`${base}${path}`, { method: options.method ?? 'GET', headers, redirect: 'manual' });
  const body = await res.text();
  return { status: res.status, body, json: () => JSON.parse(body) };
}

/**
 * Sends a request on a raw socket and destroys it: after the first bytes of the response arrive
 * (`afterFirstChunk`), or `ms` after sending (mid-handler).
 */
export async function abort(base: string, path: string, when: { afterFirstChunk: true } | { ms: number }) {
  const { hostname, port } = new URL(base);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => undefined);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nx-customer: acme\r\n\r\n`);
  if ('afterFirstChunk' in when) await new Promise((resolve) => socket.once('data', resolve));
  else await new Promise((resolve) => setTimeout(resolve, when.ms));
  socket.destroy();
}
