/**
 * The delivery worker: runs HTTP attempts off the main thread. It receives request bodies already
 * built (the key is fixed at capture) and answers each with an AttemptOutcome; all retry, accounting
 * and shutdown decisions stay on the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { QueuedEvent } from './event.js';
import { redactor } from './redact.js';
import { type AttemptOutcome, Transport, type TransportConfig } from './transport.js';

export type ToWorker = ['send', number, string] | ['abort', number, string] | ['close', boolean];
export type FromWorker = [number, AttemptOutcome] | ['closed'];

const config = workerData as TransportConfig;
const transport = new Transport(config, redactor([config.apiKey, config.accessToken]));
const controllers = new Map<number, AbortController>();
let outbox: FromWorker[] = [];

function reply(message: FromWorker): void {
  // One postMessage per turn for all outcomes that settled in it.
  if (outbox.push(message) === 1) {
    queueMicrotask(() => {
      const batch = outbox;
      outbox = [];
      parentPort?.postMessage(batch);
    });
  }
}

parentPort?.on('message', (batch: ToWorker[]) => {
  for (const message of batch) {
    if (message[0] === 'send') {
      const [, id, body] = message;
      const controller = new AbortController();
      controllers.set(id, controller);
      transport.send({ body } as QueuedEvent, controller.signal).then(
        (outcome) => {
          controllers.delete(id);
          reply([id, outcome]);
        },
        (error) => {
          controllers.delete(id);
          reply([id, { kind: 'retry', error: String(error) }]);
        },
      );
    } else if (message[0] === 'abort') {
      controllers.get(message[1])?.abort(new Error(message[2]));
    } else {
      const force = message[1];
      if (force)
        for (const controller of controllers.values()) controller.abort(new Error('tracker shut down'));
      transport.close(force).then(() => reply(['closed']));
    }
  }
});
