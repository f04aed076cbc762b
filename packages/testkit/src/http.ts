import { request } from 'node:http';

export interface Answer {
  status?: number;
  requestId?: string;
  error?: string;
  startedAt: number;
  endedAt: number;
}

/** One GET on a fresh connection (no keep-alive), so a closed server refuses it; never rejects. */
export function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => {
        let requestId: string | undefined;
        try {
          requestId = JSON.parse(body).requestId;
        } catch {}
        resolve({ status: res.statusCode, requestId, startedAt, endedAt: Date.now() });
      });
      res.on('error', (error) => resolve({ error: String(error), startedAt, endedAt: Date.now() }));
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ error: error.code ?? String(error), startedAt, endedAt: Date.now() }),
    );
    req.end();
  });
}

export interface JsonAnswer {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or the text when it is not JSON. */
  body: any;
}

/** fetch() with the body read and parsed. */
export async function fetchJson(url: string, init: RequestInit = {}): Promise<JsonAnswer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, body };
}
