// The local server's own request helpers; generic support (servers closed after each test, fetch with a
// parsed body, waiting) comes from @fluxrate/testkit.
import { fetchJson, type JsonAnswer } from '@fluxrate/testkit';
import type { LocalServer } from '../src/index.js';

export type Answer = JsonAnswer;

/** POST /api/v1/sdk/track with the server's API key unless headers say otherwise. */
export function track(
  server: LocalServer,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return fetchJson(`${server.url}/api/v1/sdk/track`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': server.apiKey, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** POST /api/v1/usage with the server's access token cookie unless headers say otherwise. */
export function usage(
  server: LocalServer,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return fetchJson(`${server.url}/api/v1/usage`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: `access_token=${server.accessToken}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export function event(server: LocalServer, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { meter_token: server.meters.api_calls!.token, customer_external_id: 'acme', quantity: 1, ...extra };
}

/** Resolves with the outcome of a track call: a status, or 'reset' when the connection dropped. */
export async function trackOutcome(server: LocalServer, body: unknown): Promise<number | 'reset'> {
  try {
    return (await track(server, body)).status;
  } catch {
    return 'reset';
  }
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
