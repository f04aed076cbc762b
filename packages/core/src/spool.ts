import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { FluxrateConfigError } from './errors.js';
import type { QueuedEvent } from './event.js';
import type { SpoolDriver } from './types.js';

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
/** The part of better-sqlite3's `Database` and node:sqlite's `DatabaseSync` the spool uses. */
interface Database {
  exec(sql: string): void;
  prepare(sql: string): Statement;
  close(): void;
}

/**
 * better-sqlite3 (an optional peer) when it loads; otherwise Node's built-in node:sqlite (Node >= 22.13),
 * so apps on current Node need nothing extra. Only apps that enable the spool load either. A forced
 * `driver` is the only one tried.
 */
function openDatabase(file: string, driver?: SpoolDriver): Database {
  const requireFrom = [createRequire(join(process.cwd(), 'noop.js')), createRequire(import.meta.url)];
  const problems: string[] = [];
  for (const require of driver === 'node:sqlite' ? [] : requireFrom) {
    try {
      const Driver = require('better-sqlite3') as new (path: string) => Database;
      return new Driver(file);
    } catch (error) {
      problems.push((error as Error).message.split('\n')[0]!);
    }
  }
  if (driver === 'better-sqlite3')
    throw new FluxrateConfigError('spool.driver', `better-sqlite3 does not load: ${problems.at(-1)}`);
  try {
    const { DatabaseSync } = requireFrom[1]!('node:sqlite') as {
      DatabaseSync: new (path: string) => Database;
    };
    return new DatabaseSync(file);
  } catch (error) {
    if (driver === 'node:sqlite')
      throw new FluxrateConfigError(
        'spool.driver',
        `node:sqlite needs Node >= 22.13: ${(error as Error).message}`,
      );
    throw new FluxrateConfigError(
      'spool',
      `needs better-sqlite3@12 (npm i better-sqlite3) or Node >= 22.13 (node:sqlite); better-sqlite3: ${problems.at(-1)}`,
    );
  }
}

/**
 * A durable spool (SQLite via better-sqlite3 or node:sqlite, WAL mode): accepted events are written before they can
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

  constructor(dir: string, driver?: SpoolDriver) {
    if (typeof dir !== 'string' || dir.length === 0)
      throw new FluxrateConfigError('spool.dir', 'must be a directory path');
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'fluxrate-spool.db');
    this.#db = openDatabase(this.file, driver);
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec('PRAGMA synchronous = NORMAL');
    this.#db.exec(
      'CREATE TABLE IF NOT EXISTS events (key TEXT PRIMARY KEY, row TEXT NOT NULL, created INTEGER NOT NULL)',
    );
    const insert = this.#db.prepare('INSERT OR IGNORE INTO events (key, row, created) VALUES (?, ?, ?)');
    const remove = this.#db.prepare('DELETE FROM events WHERE key = ?');
    this.#insert = this.#transaction((rows: SpooledEvent[]) => {
      const now = Date.now();
      for (const row of rows) insert.run(row.idempotencyKey, JSON.stringify(row), now);
    });
    this.#remove = this.#transaction((keys: string[]) => {
      for (const key of keys) remove.run(key);
    });
  }

  /** One transaction per batch: a crash leaves a batch either fully written or not at all. */
  #transaction<T>(fn: (items: T[]) => void): (items: T[]) => void {
    return (items) => {
      this.#db.exec('BEGIN');
      try {
        fn(items);
        this.#db.exec('COMMIT');
      } catch (error) {
        this.#db.exec('ROLLBACK');
        throw error;
      }
    };
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
