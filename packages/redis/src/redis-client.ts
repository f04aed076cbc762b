import { Redis } from 'ioredis';

/** Reconnect quickly (a restarted Redis is back in well under a second) but never give up. */
export const retryStrategy = (times: number): number => Math.min(50 * times, 1_000);

/** The outbox's own connection when it was given a URL; errors go to `onError`, never thrown. */
export function ownClient(url: string, onError: (error: Error) => void): Redis {
  const client = new Redis(url, { retryStrategy, maxRetriesPerRequest: 3 });
  client.on('error', onError);
  return client;
}
