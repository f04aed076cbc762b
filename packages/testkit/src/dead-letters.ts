import type { DeadLetterRecord } from '../../core/src/pipeline/dead-letter.js';

/** A dead-letter record as a tracker writes it after a 503 outage: one api_calls event of quantity 2. */
export function deadLetter(
  meterToken: string,
  idempotencyKey: string,
  timestamp = new Date(),
): DeadLetterRecord {
  return {
    at: new Date().toISOString(),
    reason: 'retries-exhausted',
    status: 503,
    detail: 'Service Unavailable',
    attempts: 3,
    event: {
      meter: 'api_calls',
      meterToken,
      customerId: 'acme',
      quantity: 2,
      timestamp: timestamp.toISOString(),
      idempotencyKey,
    },
  };
}

/** The lines of a dead-letter file. */
export const deadLetterFile = (records: DeadLetterRecord[]): string =>
  `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;
