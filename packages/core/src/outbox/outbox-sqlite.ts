import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FluxrateConfigError } from '../contracts/errors.js';
import type { QueuedEvent } from '../contracts/event.js';
import { type OutboxHost, type Settlement, type StoredEvent, toStored } from '../contracts/outbox.js';
import type { SpoolDriver } from '../contracts/types.js';
import { MemoryOutbox } from './outbox-memory.js';
import { type Database, describeSqliteError, openDatabase, type Statement } from './sqlite-driver.js';

type Op =
  | { op: 'insert'; event: QueuedEvent }
  | { op: 'retry'; key: string; at: number }
  | { op: 'delete'; key: string }
  | { op: 'hasten'; at: number }
  | { op: 'hold'; event: QueuedEvent }
  | { op: 'release'; inputs: string[]; aggregates: QueuedEvent[] };

/**
 * The durable outbox (`spool: { dir }`): the memory outbox's FIFO and heap serve leases, and every
 * change is mirrored to SQLite (`{dir}/fluxrate-spool.db`, WAL) in one transaction per event-loop turn,
 * so `track()` does no I/O and a kill loses at most the current turn. A retry's due time is the
 * `next_at` column; aggregation inputs wait in `held` until their window's aggregate replaces them in
 * the same transaction. A write failure (full disk) is reported once and the tracker goes on in memory;
 * a row that cannot be read back goes to the dead-letter file and the rest replay.
 */
export class SqliteOutbox extends MemoryOutbox {
  override readonly kind = 'sqlite';
  readonly file: string;
  readonly #db: Database;
  readonly #sql: Record<'insert' | 'retry' | 'delete' | 'hasten' | 'hold' | 'unhold', Statement>;
  #host: OutboxHost | undefined;
  #ops: Op[] = [];
  /** Aggregates whose window closed this turn: leasable only once the transaction that stores them ran. */
  #unwritten: QueuedEvent[] = [];
  #scheduled = false;
  #closed = false;

  constructor(dir: string, driver?: SpoolDriver) {
    super();
    this.file = join(dir, 'fluxrate-spool.db');
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new FluxrateConfigError('spool.dir', `cannot create ${dir}: ${describeSqliteError(error)}`);
    }
    this.#db = openDatabase(this.file, driver);
    try {
      this.#db.exec(
        'CREATE TABLE IF NOT EXISTS events (key TEXT PRIMARY KEY, row TEXT NOT NULL, created INTEGER NOT NULL)',
      );
      const columns = this.#db.prepare('PRAGMA table_info(events)').all() as { name: string }[];
      if (!columns.some((c) => c.name === 'next_at')) {
        this.#db.exec('ALTER TABLE events ADD COLUMN next_at INTEGER NOT NULL DEFAULT 0');
      }
      this.#db.exec(
        'CREATE TABLE IF NOT EXISTS held (key TEXT PRIMARY KEY, row TEXT NOT NULL, created INTEGER NOT NULL)',
      );
      this.#sql = {
        insert: this.#db.prepare(
          'INSERT OR IGNORE INTO events (key, row, created, next_at) VALUES (?, ?, ?, 0)',
        ),
        retry: this.#db.prepare('UPDATE events SET next_at = ? WHERE key = ?'),
        delete: this.#db.prepare('DELETE FROM events WHERE key = ?'),
        hasten: this.#db.prepare('UPDATE events SET next_at = ? WHERE next_at > ?'),
        hold: this.#db.prepare('INSERT OR IGNORE INTO held (key, row, created) VALUES (?, ?, ?)'),
        unhold: this.#db.prepare('DELETE FROM held WHERE key = ?'),
      };
    } catch (error) {
      this.#db.close();
      throw new FluxrateConfigError(
        'spool.dir',
        `cannot use the spool ${this.file}: ${describeSqliteError(error)}`,
      );
    }
  }

  /** Events an earlier process left, oldest first, with their retry times. */
  override open(host: OutboxHost): QueuedEvent[] {
    this.#host = host;
    const rows = this.#rows('SELECT key, row, next_at FROM events ORDER BY created, rowid', 'events');
    return rows.map(({ stored, nextAt }) => {
      const event = host.revive(stored, true);
      event.notBefore = nextAt;
      super.append(event);
      return event;
    });
  }

  recoverHeld(): QueuedEvent[] {
    const host = this.#host!;
    return this.#rows('SELECT key, row, 0 AS next_at FROM held ORDER BY created, rowid', 'held').map(
      ({ stored }) => host.revive(stored, true),
    );
  }

  #rows(sql: string, table: string): { stored: StoredEvent; nextAt: number }[] {
    const out: { stored: StoredEvent; nextAt: number }[] = [];
    for (const raw of this.#db.prepare(sql).all() as { key: string; row: string; next_at: number }[]) {
      try {
        const stored = JSON.parse(raw.row) as StoredEvent;
        if (typeof stored?.idempotencyKey !== 'string' || typeof stored.quantity !== 'number') {
          throw new Error('missing fields');
        }
        out.push({ stored, nextAt: Number(raw.next_at) || 0 });
      } catch (error) {
        this.#host!.corrupt(String(raw.row), error);
        this.#db.prepare(`DELETE FROM ${table} WHERE key = ?`).run(raw.key);
      }
    }
    return out;
  }

  override append(event: QueuedEvent): void {
    super.append(event);
    this.#push({ op: 'insert', event });
  }

  override settle(event: QueuedEvent, settlement: Settlement): void {
    super.settle(event, settlement);
    if (settlement.kind === 'retry')
      this.#push({ op: 'retry', key: event.idempotencyKey, at: settlement.at });
    // A dropped event (shutdown deadline) stays stored for the next start.
    else if (settlement.kind !== 'dropped') this.#push({ op: 'delete', key: event.idempotencyKey });
  }

  override hasten(at: number): void {
    super.hasten(at);
    this.#push({ op: 'hasten', at });
  }

  hold(input: QueuedEvent): void {
    this.#push({ op: 'hold', event: input });
  }

  /**
   * A closed window: its aggregates replace its inputs in the turn's transaction, and only then can they
   * be leased. Sent earlier, a kill before the commit would replay the inputs into a new aggregate under
   * another key, and bill them twice.
   */
  release(inputs: string[], aggregates: QueuedEvent[]): void {
    if (this.#closed) {
      for (const event of aggregates) super.append(event);
      return;
    }
    this.#unwritten.push(...aggregates);
    this.#push({ op: 'release', inputs, aggregates });
  }

  override get size(): number {
    return super.size + this.#unwritten.length;
  }

  override evict(): QueuedEvent[] {
    const unwritten = this.#unwritten;
    this.#unwritten = [];
    return [...super.evict(), ...unwritten];
  }

  /** After the transaction (or its failure: then they go on in memory), the aggregates are due. */
  #releaseWritten(): void {
    if (this.#unwritten.length === 0) return;
    for (const event of this.#unwritten) super.append(event);
    this.#unwritten = [];
    this.#host?.wake();
  }

  #push(op: Op): void {
    if (this.#closed) return;
    this.#ops.push(op);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#write);
    }
  }

  /** Writes the turn's changes in one transaction: all or nothing, in order. */
  readonly #write = (): void => {
    this.#scheduled = false;
    const ops = this.#ops;
    if (ops.length === 0) return;
    this.#ops = [];
    const db = this.#db;
    try {
      db.exec('BEGIN');
      const now = Date.now();
      const sql = this.#sql;
      const row = (event: QueuedEvent) => JSON.stringify(toStored(event));
      for (const op of ops) {
        if (op.op === 'insert') sql.insert.run(op.event.idempotencyKey, row(op.event), now);
        else if (op.op === 'retry') sql.retry.run(op.at, op.key);
        else if (op.op === 'delete') sql.delete.run(op.key);
        else if (op.op === 'hasten') sql.hasten.run(op.at, op.at);
        else if (op.op === 'hold') sql.hold.run(op.event.idempotencyKey, row(op.event), now);
        else {
          for (const key of op.inputs) sql.unhold.run(key);
          for (const event of op.aggregates) sql.insert.run(event.idempotencyKey, row(event), now);
        }
      }
      db.exec('COMMIT');
    } catch (error) {
      try {
        db.exec('ROLLBACK');
      } catch {
        // the transaction may not have begun
      }
      // The events are still held in memory and will be delivered; only their durability is lost.
      this.#host?.fault(`spool write to ${this.file} failed`, new Error(describeSqliteError(error)));
    }
    this.#releaseWritten();
  };

  override async close(): Promise<void> {
    if (this.#closed) return;
    this.#write();
    this.#closed = true;
    this.#db.close();
  }
}
