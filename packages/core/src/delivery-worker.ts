/**
 * The delivery worker: runs HTTP attempts off the main thread. It receives request bodies already
 * built (the key is fixed at capture) and answers each with an AttemptOutcome; all retry, accounting
 * and shutdown decisions stay on the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { redactor } from './redact.js';
import { type AttemptOutcome, Transport, type TransportConfig } from './transport.js';

export type ToWorker = ['send', number, string] | ['abortAll', string] | ['close', boolean];
export type FromWorker = [number, AttemptOutcome] | ['closed'];

const config = workerData as TransportConfig;
const transport = new Transport(config, redactor([config.apiKey, config.accessToken]));
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
      transport.send(body, (outcome) => reply([id, outcome]));
    } else if (message[0] === 'abortAll') {
      transport.abortAll(message[1]);
    } else {
      transport.close(message[1]).then(() => reply(['closed']));
    }
  }
});
