/**
 * Reading a SQLite serving database without changing it: what the static dashboard's
 * builder queries (each card's SQL, the quality tables). Opened read-only; the file must
 * exist.
 */
import Database from 'better-sqlite3';
import { StreamPulseError } from '@streampulse/contracts';

export interface SqliteReader {
  /** Every row of a query, as objects keyed by column name. */
  all(sql: string): Record<string, unknown>[];
  /** Whether a table or view of that name exists. */
  has(name: string): boolean;
}

/** Opens `file` read-only, hands `read` a reader, and closes the file whatever happens. */
export function readSqlite<T>(file: string, read: (db: SqliteReader) => T): T {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new StreamPulseError('SERVING_SQLITE_OPEN', `cannot open the SQLite serving database ${file}: ${(e as Error).message}`, {
      cause: e,
      remedy: 'pass the serving database a run wrote (<lake>/serving/streampulse.sqlite: `streampulse demo`, `run` or `serve load`)',
    });
  }
  try {
    return read({
      all: (sql) => db.prepare(sql).all() as Record<string, unknown>[],
      has: (name) => db.prepare("SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?").get(name) !== undefined,
    });
  } finally {
    db.close();
  }
}
