import { Worker } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './delivery-worker.js';
import { redactor } from './redact.js';
import { type AttemptOutcome, type EventTransport, Transport, type TransportConfig } from './transport.js';

/**
 * Runs the HTTP side of delivery in a worker thread (as pino's transports do): the main thread only
 * hands over prebuilt bodies in one message per turn and receives outcomes the same way. The worker
 * is ref'd only while attempts are in flight, so an idle tracker never keeps the process alive.
 */
export class WorkerTransport implements EventTransport {
  readonly #worker: Worker;
  readonly #pending = new Map<number, (outcome: AttemptOutcome) => void>();
  #outbox: ToWorker[] = [];
  #nextId = 0;
  #closed: (() => void) | undefined;
  #closing = false;
  /** In-thread delivery taken over if the worker dies, so sending never stalls. */
  #fallback: Transport | undefined;
  readonly #config: TransportConfig;

  constructor(config: TransportConfig, workerFile: URL) {
    this.#config = config;
    this.#worker = new Worker(workerFile, { workerData: config });
    this.#worker.unref();
    this.#worker.on('message', (batch: FromWorker[]) => {
      for (const message of batch) {
        if (message[0] === 'closed') this.#closed?.();
        else this.#settle(message[0], message[1]);
      }
    });
    this.#worker.on('error', (error) => this.#failAll(`delivery worker crashed: ${error.message}`));
    this.#worker.on('exit', () => this.#failAll('delivery worker exited'));
  }

  send(body: string, done: (outcome: AttemptOutcome) => void): void {
    if (this.#fallback) return this.#fallback.send(body, done);
    const id = this.#nextId++;
    if (this.#pending.size === 0) this.#worker.ref();
    this.#pending.set(id, done);
    // The worker's own transport enforces the per-attempt timeout.
    this.#post(['send', id, body]);
  }

  abortAll(reason: string): void {
    if (this.#fallback) return this.#fallback.abortAll(reason);
    this.#post(['abortAll', reason]);
  }

  close(force: boolean): Promise<void> {
    this.#closing = true;
    if (this.#fallback) return this.#fallback.close(force);
    return new Promise<void>((resolve) => {
      this.#closed = () => {
        this.#worker.terminate().then(() => resolve(), resolve);
      };
      this.#worker.ref();
      this.#post(['close', force]);
    });
  }

  #post(message: ToWorker): void {
    if (this.#outbox.push(message) === 1) {
      queueMicrotask(() => {
        const batch = this.#outbox;
        this.#outbox = [];
        this.#worker.postMessage(batch);
      });
    }
  }

  #settle(id: number, outcome: AttemptOutcome): void {
    const resolve = this.#pending.get(id);
    if (!resolve) return;
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker.unref();
    resolve(outcome);
  }

  /** A dead worker must not strand events: each pending attempt becomes a retryable failure. */
  #failAll(error: string): void {
    if (!this.#closing && !this.#fallback) {
      this.#fallback = new Transport(this.#config, redactor([this.#config.apiKey, this.#config.accessToken]));
    }
    for (const id of [...this.#pending.keys()]) this.#settle(id, { kind: 'retry', error });
    this.#closed?.();
  }
}
