import { appendFile, createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { DropReason, FailReason, UsageEvent } from '../contracts/types.js';

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
 * A record written after `close()` (an event tracked after shutdown) is appended asynchronously.
 * Secrets never reach it: records hold the event and the server's `detail`, already redacted.
 */
export class DeadLetterSink {
  readonly file: string;
  readonly #stream: WriteStream;
  #closed = false;
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
    this.#line({ at: new Date().toISOString(), ...record });
  }

  /** A stored record that could not be read back (a corrupt spool row), kept verbatim. */
  writeRaw(record: { reason: 'corrupt'; raw: string }): void {
    this.#line({ at: new Date().toISOString(), ...record });
  }

  #line(record: object): void {
    this.#written++;
    const line = `${JSON.stringify(record)}\n`;
    if (this.#closed) appendFile(this.file, line, () => undefined);
    else this.#stream.write(line);
  }

  close(): Promise<void> {
    this.#closed = true;
    return new Promise((resolve) => this.#stream.end(resolve));
  }
}
