import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { FluxrateConfigError } from './errors.js';
import type { QueuedEvent } from './event.js';

/** The row stored per event: enough to rebuild it with the same idempotency key after a crash. */
export interface SpooledEvent {
  meter: string;
  token: string;
  customerId: string;
  quantity: number;
  timestamp: number;
  idempotencyKey: string;
  metadataJson: string | undefined;
}

interface Statement {
  run(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
interface Database {
  pragma(sql: string): unknown;
  exec(sql: string): void;
  prepare(sql: string): Statement;
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
  close(): void;
}

function openDatabase(file: string): Database {
  // better-sqlite3 is an optional peer: only apps that enable the spool install it.
  const require = createRequire(join(process.cwd(), 'noop.js'));
  let Driver: new (path: string) => Database;
  try {
    Driver = require('better-sqlite3');
  } catch {
    try {
      Driver = createRequire(import.meta.url)('better-sqlite3');
    } catch {
      throw new FluxrateConfigError(
        'spool',
        'needs the optional peer dependency better-sqlite3@12 (npm i better-sqlite3)',
      );
    }
  }
  return new Driver(file);
}

/**
 * A durable spool (SQLite via better-sqlite3, WAL mode): accepted events are written before they can
 * be lost and deleted once they settle. Writes are batched into one transaction per event-loop turn,
 * so `track()` itself does no I/O; a crash loses at most the events of the current turn.
 */
export class Spool {
  readonly file: string;
  readonly #db: Database;
  readonly #insert: (rows: SpooledEvent[]) => void;
  readonly #remove: (keys: string[]) => void;
  #inserts: SpooledEvent[] = [];
  #removes: string[] = [];
  #scheduled = false;
  #closed = false;

  constructor(dir: string) {
    if (typeof dir !== 'string' || dir.length === 0)
      throw new FluxrateConfigError('spool.dir', 'must be a directory path');
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'fluxrate-spool.db');
    this.#db = openDatabase(this.file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.exec(
      'CREATE TABLE IF NOT EXISTS events (key TEXT PRIMARY KEY, row TEXT NOT NULL, created INTEGER NOT NULL)',
    );
    const insert = this.#db.prepare('INSERT OR IGNORE INTO events (key, row, created) VALUES (?, ?, ?)');
    const remove = this.#db.prepare('DELETE FROM events WHERE key = ?');
    this.#insert = this.#db.transaction((rows: SpooledEvent[]) => {
      const now = Date.now();
      for (const row of rows) insert.run(row.idempotencyKey, JSON.stringify(row), now);
    });
    this.#remove = this.#db.transaction((keys: string[]) => {
      for (const key of keys) remove.run(key);
    });
  }

  /** Events left by an earlier process, oldest first. */
  load(): SpooledEvent[] {
    return this.#db
      .prepare('SELECT row FROM events ORDER BY created, rowid')
      .all()
      .map((r) => JSON.parse((r as { row: string }).row));
  }

  add(event: QueuedEvent): void {
    this.#inserts.push({
      meter: event.meter.name,
      token: event.meter.token,
      customerId: event.customerId,
      quantity: event.quantity,
      timestamp: event.timestamp,
      idempotencyKey: event.idempotencyKey,
      metadataJson: event.metadataJson,
    });
    this.#schedule();
  }

  remove(key: string): void {
    this.#removes.push(key);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    setImmediate(() => this.flushWrites());
  }

  /** Writes pending inserts, then deletes, in two transactions. */
  flushWrites(): void {
    this.#scheduled = false;
    if (this.#closed) return;
    if (this.#inserts.length > 0) this.#insert(this.#inserts.splice(0));
    if (this.#removes.length > 0) this.#remove(this.#removes.splice(0));
  }

  close(): void {
    if (this.#closed) return;
    this.flushWrites();
    this.#closed = true;
    this.#db.close();
  }
}
