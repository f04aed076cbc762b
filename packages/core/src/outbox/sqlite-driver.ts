import { createRequire } from 'node:module';
import { join } from 'node:path';
import { FluxrateConfigError } from '../contracts/errors.js';
import type { SpoolDriver } from '../contracts/types.js';

export interface Statement {
  run(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
/** The part of better-sqlite3's `Database` and node:sqlite's `DatabaseSync` the spool uses. */
export interface Database {
  exec(sql: string): void;
  prepare(sql: string): Statement;
  close(): void;
}

type Driver = new (path: string) => Database;

const firstLine = (error: unknown): string => String((error as Error)?.message ?? error).split('\n')[0]!;

/** A driver that is not installed or does not load, as opposed to one that loaded and failed on the file. */
const isLoadFailure = (error: unknown): boolean => {
  const code = (error as { code?: string })?.code;
  const text = firstLine(error);
  return (
    code === 'MODULE_NOT_FOUND' ||
    code === 'ERR_DLOPEN_FAILED' ||
    /NODE_MODULE_VERSION|Cannot find module/.test(text)
  );
};

/** better-sqlite3, else node:sqlite; a `forced` driver is the only one tried. */
function loadDriver(forced?: SpoolDriver): { driver: Driver; name: string } {
  const requireFrom = [createRequire(join(process.cwd(), 'noop.js')), createRequire(import.meta.url)];
  const problems: string[] = [];
  for (const require of forced === 'node:sqlite' ? [] : requireFrom) {
    try {
      const driver = require('better-sqlite3') as Driver;
      // Its native binding loads at the first `new Database()`: probe it, so one built for another Node ABI
      // falls back here instead of failing on the spool file.
      new driver(':memory:').close();
      return { driver, name: 'better-sqlite3' };
    } catch (error) {
      problems.push(firstLine(error));
    }
  }
  if (forced === 'better-sqlite3')
    throw new FluxrateConfigError('spool.driver', `better-sqlite3 does not load: ${problems.at(-1)}`);
  try {
    const { DatabaseSync } = requireFrom[1]!('node:sqlite') as { DatabaseSync: Driver };
    return { driver: DatabaseSync, name: 'node:sqlite' };
  } catch (error) {
    if (forced === 'node:sqlite')
      throw new FluxrateConfigError('spool.driver', `node:sqlite needs Node >= 22.13: ${firstLine(error)}`);
    throw new FluxrateConfigError(
      'spool',
      `needs better-sqlite3@12 (npm i better-sqlite3) or Node >= 22.13 (node:sqlite); better-sqlite3: ${problems.at(-1)}`,
    );
  }
}

/**
 * Opens the spool database with better-sqlite3 (an optional peer) when it loads, else Node's built-in
 * node:sqlite (Node >= 22.13). Errors name the file and the real cause (read-only directory, not a
 * database, full disk), never "install better-sqlite3" when the driver loaded fine.
 */
export function openDatabase(file: string, forced?: SpoolDriver): Database {
  const { driver, name } = loadDriver(forced);
  let db: Database | undefined;
  try {
    db = new driver(file);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    return db;
  } catch (error) {
    try {
      db?.close();
    } catch {
      // already unusable
    }
    if (isLoadFailure(error))
      throw new FluxrateConfigError('spool', `cannot load ${name}: ${firstLine(error)}`);
    throw new FluxrateConfigError(
      'spool.dir',
      `cannot open the spool ${file} (${name}): ${describeSqliteError(error)}`,
    );
  }
}

/** SQLite's codes in words a reader acts on. */
export function describeSqliteError(error: unknown): string {
  const text = firstLine(error);
  const code = String((error as { code?: string })?.code ?? '');
  if (/NOTADB|not a database/i.test(code + text)) return `the file is not a SQLite database (${text})`;
  if (/READONLY|CANTOPEN|readonly|unable to open/i.test(code + text))
    return `the directory or file is not writable (${text})`;
  if (/FULL|disk is full/i.test(code + text)) return `the disk is full (${text})`;
  return text;
}
