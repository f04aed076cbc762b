import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { DropReason, FailReason, UsageEvent } from './types.js';

/** One NDJSON line of the dead-letter file: the exact event, why it did not make it, and Fluxrate's answer. */
export interface DeadLetterRecord {
  at: string;
  reason: FailReason | DropReason;
  status?: number;
  detail?: string;
  attempts?: number;
  event: UsageEvent;
}

/**
 * Appends failed and dropped events to a file for reconciliation and `fluxrate-replay`. Writes go
 * through a buffered stream (no sync I/O on the caller's stack); `close()` waits until they are on disk.
 * Secrets never reach it: records hold the event and the server's `detail`, already redacted.
 */
export class DeadLetterSink {
  readonly file: string;
  readonly #stream: WriteStream;
  #written = 0;

  constructor(file: string) {
    this.file = file;
    mkdirSync(dirname(file), { recursive: true });
    this.#stream = createWriteStream(file, { flags: 'a' });
    this.#stream.on('error', () => undefined);
  }

  get written(): number {
    return this.#written;
  }

  write(record: Omit<DeadLetterRecord, 'at'>): void {
    this.#written++;
    this.#stream.write(`${JSON.stringify({ at: new Date().toISOString(), ...record })}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#stream.end(resolve));
  }
}
