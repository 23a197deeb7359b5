/**
 * The local serving database: the Azure SQL layout rendered for SQLite — per mart a
 * staging table (`staging__<mart>`), a typed gold table keyed by the grain
 * (`gold__<mart>`) and the served view under the mart's own name (`analytics_*`),
 * plus the quality report (`quality_batches`, `serving_quality_summary`),
 * `serving_marts` and the load bookkeeping (`ops__serving_load_progress`,
 * `ops__serving_loads`).
 *
 * Two writers share it: `writeSqliteServing` (the demo's publish) builds the whole
 * database under a temporary name and renames it into place, so a reader never sees a
 * half-written file; `serve load` (serving-load.ts) loads an existing database through
 * staging and a MERGE-like upsert in one transaction.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { StreamPulseError, type ContractSet, type MartContract } from '@streampulse/contracts';
import { mapType, quoteIdent } from '@streampulse/sql';
import { lakeScalar, servingColumns, type ColumnFacts } from '@streampulse/sql';
import { servingName } from '@streampulse/sql';

const q = (s: string): string => quoteIdent(s, 'sqlite');
export const sqliteName = (schema: 'staging' | 'gold' | 'serving' | 'ops', name: string): string => servingName(schema, name, 'sqlite');

export interface MartRows {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

export interface QualityRow {
  readonly batch: string;
  readonly dataset: string;
  readonly rows_in: number;
  readonly promoted: number;
  readonly quarantined: number;
  readonly duplicates_dropped: number;
  readonly warned: number;
  readonly within_sla: boolean;
}

function goldTableDdl(m: MartContract, cols: readonly ColumnFacts[]): string {
  const defs = cols.map((c) => `  ${q(c.name)} ${mapType(c.type, 'sqlite')}${c.grain ? ' NOT NULL' : ''}`);
  return `CREATE TABLE IF NOT EXISTS ${sqliteName('gold', m.mart)} (\n${defs.join(',\n')},\n  "_run_date" TEXT NOT NULL,\n  PRIMARY KEY (${m.grain.map(q).join(', ')})\n) WITHOUT ROWID`;
}

function stagingTableDdl(m: MartContract, cols: readonly ColumnFacts[]): string {
  return `CREATE TABLE IF NOT EXISTS ${sqliteName('staging', m.mart)} (\n${cols.map((c) => `  ${q(c.name)} ${mapType(c.type, 'sqlite')}`).join(',\n')}\n)`;
}

/** The served view: the same stable column list as the T-SQL view. */
export function sqliteViewDdl(m: MartContract, cols: readonly ColumnFacts[]): string {
  return `CREATE VIEW ${sqliteName('serving', m.mart)} AS\nSELECT\n${cols.map((c) => `  ${q(c.name)}`).join(',\n')}\nFROM ${sqliteName('gold', m.mart)}`;
}

const SHARED_DDL = [
  `CREATE TABLE IF NOT EXISTS ${q('quality_batches')} (batch TEXT NOT NULL, dataset TEXT NOT NULL, rows_in INTEGER NOT NULL, promoted INTEGER NOT NULL, quarantined INTEGER NOT NULL, duplicates_dropped INTEGER NOT NULL, warned INTEGER NOT NULL, within_sla INTEGER NOT NULL, PRIMARY KEY (batch, dataset)) WITHOUT ROWID`,
  `CREATE VIEW IF NOT EXISTS ${q('serving_quality_summary')} AS SELECT dataset, count(*) AS batches, sum(rows_in) AS rows_in, sum(promoted) AS promoted, sum(quarantined) AS quarantined, sum(duplicates_dropped) AS duplicates_dropped, round(1.0 * sum(promoted) / nullif(sum(rows_in), 0), 4) AS promoted_share, sum(1 - within_sla) AS batches_outside_sla FROM quality_batches GROUP BY dataset`,
  `CREATE TABLE IF NOT EXISTS ${q('serving_marts')} (mart TEXT PRIMARY KEY, grain TEXT NOT NULL, description TEXT NOT NULL, row_count INTEGER NOT NULL, as_of_batch TEXT NOT NULL) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS ${sqliteName('ops', 'serving_load_progress')} (mart TEXT PRIMARY KEY, load_id TEXT NOT NULL, rows_staged INTEGER NOT NULL, complete INTEGER NOT NULL) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS ${sqliteName('ops', 'serving_loads')} (load_no INTEGER PRIMARY KEY, run_date TEXT NOT NULL, mart TEXT NOT NULL, staged_rows INTEGER NOT NULL, inserted INTEGER NOT NULL, updated INTEGER NOT NULL, deleted INTEGER NOT NULL, load_id TEXT NOT NULL)`,
];

/** The DDL of a new serving database (pure). */
export function sqliteServingDdl(set: ContractSet): string[] {
  const ddl: string[] = [];
  for (const m of set.marts) {
    const cols = servingColumns(set, m);
    ddl.push(stagingTableDdl(m, cols), goldTableDdl(m, cols), sqliteViewDdl(m, cols));
  }
  return [...ddl, ...SHARED_DDL];
}

/**
 * Brings an existing SQLite serving database to the current contracts (idempotent):
 * creates what is missing, recreates a gold or staging table whose columns changed
 * (the next merge reloads it) and every view; a database of the earlier layout (marts
 * as plain tables) is converted.
 */
export function migrateSqliteServing(db: Database.Database, set: ContractSet): void {
  const kind = (name: string): string | undefined =>
    (db.prepare(`SELECT type FROM sqlite_master WHERE name = ?`).get(name) as { type: string } | undefined)?.type;
  const columnsOf = (name: string): string[] => (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(name) as { name: string }[]).map((r) => r.name);
  db.transaction(() => {
    for (const m of set.marts) {
      const cols = servingColumns(set, m);
      if (kind(m.mart) === 'table') db.exec(`DROP TABLE ${q(m.mart)}`);
      else db.exec(`DROP VIEW IF EXISTS ${q(m.mart)}`);
      const names = cols.map((c) => c.name);
      const gold = `gold__${m.mart}`;
      if (kind(gold) === 'table' && columnsOf(gold).join(',') !== [...names, '_run_date'].join(',')) db.exec(`DROP TABLE ${q(gold)}`);
      const staging = `staging__${m.mart}`;
      if (kind(staging) === 'table' && columnsOf(staging).join(',') !== names.join(',')) {
        db.exec(`DROP TABLE ${q(staging)}`);
        db.prepare(`DELETE FROM ${sqliteName('ops', 'serving_load_progress')} WHERE mart = ?`).run(m.mart);
      }
      db.exec(stagingTableDdl(m, cols));
      db.exec(goldTableDdl(m, cols));
      db.exec(sqliteViewDdl(m, cols));
    }
  })();
}

/** Creates the shared tables first (the progress table is read by migrate). */
export function prepareSqliteServing(db: Database.Database, set: ContractSet): void {
  for (const s of SHARED_DDL) db.exec(s);
  migrateSqliteServing(db, set);
}

/** A lake value as SQLite stores it (dates as ISO text, booleans 0/1, decimals as REAL). */
export function coerceSqlite(v: unknown, type: string): unknown {
  const x = lakeScalar(v, type);
  return typeof x === 'boolean' ? (x ? 1 : 0) : x;
}

/** The statements that merge `staging__<mart>` into `gold__<mart>` (pure; run in one transaction). */
export function sqliteMergeSql(set: ContractSet, m: MartContract): { inserted: string; deleted: string; upsert: string; delete: string } {
  const cols = servingColumns(set, m);
  const gold = sqliteName('gold', m.mart);
  const staging = sqliteName('staging', m.mart);
  const match = (a: string, b: string): string => m.grain.map((g) => `${a}.${q(g)} = ${b}.${q(g)}`).join(' AND ');
  const measures = cols.filter((c) => !c.grain);
  const names = cols.map((c) => q(c.name)).join(', ');
  return {
    inserted: `SELECT count(*) AS n FROM ${staging} AS s WHERE NOT EXISTS (SELECT 1 FROM ${gold} AS g WHERE ${match('g', 's')})`,
    deleted: `SELECT count(*) AS n FROM ${gold} AS g WHERE NOT EXISTS (SELECT 1 FROM ${staging} AS s WHERE ${match('s', 'g')})`,
    delete: `DELETE FROM ${gold} WHERE NOT EXISTS (SELECT 1 FROM ${staging} AS s WHERE ${match('s', gold)})`,
    upsert:
      `INSERT INTO ${gold} (${names}, "_run_date") SELECT ${names}, @run_date FROM ${staging} WHERE true\n` +
      `ON CONFLICT (${m.grain.map(q).join(', ')}) DO UPDATE SET ${[...measures.map((c) => `${q(c.name)} = excluded.${q(c.name)}`), `"_run_date" = excluded."_run_date"`].join(', ')}\n` +
      `WHERE ${measures.map((c) => `${gold}.${q(c.name)} IS NOT excluded.${q(c.name)}`).join(' OR ')}`,
  };
}

/** The run date the serving database at `file` stands for (its newest mart), if the file holds one. */
export function sqliteServedAsOf(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const has = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'serving_marts'`).get() !== undefined;
    return has ? ((db.prepare(`SELECT max(as_of_batch) AS d FROM serving_marts`).get() as { d: string | null }).d ?? undefined) : undefined;
  } catch {
    // not a serving database (or unreadable): replaced like one
    return undefined;
  } finally {
    db?.close();
  }
}

/**
 * Writes the serving database to `file` (replacing it atomically). Every mart of the
 * contract set must be given; rows are checked against the grain by the primary key.
 * Serving never moves back in time: a file that stands for a later batch than
 * `asOfBatch` is left as it is (SERVING_LOAD_OUTDATED).
 */
export function writeSqliteServing(
  file: string,
  set: ContractSet,
  marts: ReadonlyMap<string, MartRows>,
  quality: readonly QualityRow[],
  asOfBatch: string,
): { tables: number; rows: number } {
  const served = sqliteServedAsOf(file);
  if (served !== undefined && served > asOfBatch)
    throw new StreamPulseError(
      'SERVING_LOAD_OUTDATED',
      `${file}: the served marts are as of ${served}; publishing the lake as of ${asOfBatch} would move them back in time. Nothing was replaced.`,
      {
        remedy: `publish from the lake whose newest batch is ${served} (its reports/batches), or move the serving database away to start it again from this lake`,
      },
    );
  const tmp = join(dirname(file), `.tmp-${process.pid}-${Date.now()}-serving.sqlite`);
  rmSync(tmp, { force: true });
  const db = new Database(tmp);
  let total = 0;
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    for (const stmt of sqliteServingDdl(set)) db.exec(stmt);
    const load = db.transaction(() => {
      for (const m of set.marts) {
        const data = marts.get(m.mart);
        if (!data)
          throw new StreamPulseError('SERVING_MART_MISSING', `no rows were given for mart ${m.mart}`, {
            remedy: 'build every mart before loading the serving database',
          });
        const cols = servingColumns(set, m);
        const idx = columnIndexes(m, cols, data.columns);
        const ins = db.prepare(
          `INSERT INTO ${sqliteName('gold', m.mart)} (${cols.map((c) => q(c.name)).join(', ')}, "_run_date") VALUES (${cols.map(() => '?').join(', ')}, ?)`,
        );
        for (const row of data.rows) {
          try {
            ins.run(...idx.map((i, k) => coerceSqlite(row[i], cols[k]!.type)), asOfBatch);
          } catch (e) {
            throw grainViolated(m, e);
          }
        }
        total += data.rows.length;
        db.prepare(`INSERT INTO serving_marts VALUES (?, ?, ?, ?, ?)`).run(m.mart, m.grain.join(', '), m.description.trim(), data.rows.length, asOfBatch);
      }
      const qi = db.prepare(`INSERT INTO quality_batches VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
      for (const r of quality) qi.run(r.batch, r.dataset, r.rows_in, r.promoted, r.quarantined, r.duplicates_dropped, r.warned, r.within_sla ? 1 : 0);
    });
    load();
    db.close();
    renameSync(tmp, file);
  } catch (e) {
    if (db.open) db.close();
    rmSync(tmp, { force: true });
    throw e;
  }
  return { tables: set.marts.length, rows: total };
}

/**
 * Merges one mart's rows into the SQLite serving database at `file` (created when absent)
 * in one transaction: through its staging table, the same MERGE as a load
 * (`sqliteMergeSql`: only rows whose measures changed are updated, rows gone are deleted),
 * so the served view changes at once and only where the mart changed. What the stream
 * consumer calls after each micro-batch. The rows' `_run_date` is `runDate`; the
 * database's as-of batch (`serving_marts`) is left as it is, so the next daily publish
 * is not refused as moving serving back in time.
 */
export function mergeSqliteMart(
  file: string,
  set: ContractSet,
  mart: string,
  data: MartRows,
  runDate: string,
): { inserted: number; updated: number; deleted: number; rows: number } {
  const m = set.marts.find((x) => x.mart === mart);
  if (m === undefined)
    throw new StreamPulseError('SERVING_MART_MISSING', `no mart ${mart} in the contracts`, {
      remedy: 'name a mart of the contracts (contracts/streampulse/marts)',
    });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = DELETE');
    const has = (name: string): boolean => db.prepare(`SELECT 1 FROM sqlite_master WHERE name = ?`).get(name) !== undefined;
    if (!has('serving_marts') || !has(sqliteName('gold', mart)) || !has(sqliteName('staging', mart))) {
      for (const s of SHARED_DDL) db.exec(s);
      migrateSqliteServing(db, set);
    }
    const cols = servingColumns(set, m);
    const idx = columnIndexes(m, cols, data.columns);
    const staging = sqliteName('staging', mart);
    const ins = db.prepare(`INSERT INTO ${staging} (${cols.map((c) => q(c.name)).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    const sql = sqliteMergeSql(set, m);
    const count = (text: string): number => (db.prepare(text).get() as { n: number }).n;
    return db.transaction(() => {
      db.exec(`DELETE FROM ${staging}`);
      for (const row of data.rows) ins.run(...idx.map((i, k) => coerceSqlite(row[i], cols[k]!.type)));
      const inserted = count(sql.inserted);
      const deleted = count(sql.deleted);
      const changed = db.prepare(sql.upsert).run({ run_date: runDate }).changes;
      db.prepare(sql.delete).run();
      db.exec(`DELETE FROM ${staging}`);
      db.prepare(`UPDATE serving_marts SET row_count = ? WHERE mart = ?`).run(data.rows.length, mart);
      return { inserted, updated: changed - inserted, deleted, rows: data.rows.length };
    })();
  } finally {
    db.close();
  }
}

/** Where each served column is in the lake's row (by name). */
export function columnIndexes(m: MartContract, cols: readonly ColumnFacts[], lakeColumns: readonly string[]): number[] {
  return cols.map((c) => {
    const i = lakeColumns.indexOf(c.name);
    if (i < 0)
      throw new StreamPulseError('SERVING_COLUMN_MISSING', `mart ${m.mart} has no column ${c.name} in the lake`, {
        remedy: 'rebuild the mart from the current contracts (`streampulse run` or `streampulse demo`)',
      });
    return i;
  });
}

function grainViolated(m: MartContract & { file?: string }, e: unknown): StreamPulseError {
  return new StreamPulseError(
    'SERVING_GRAIN_VIOLATED',
    `mart ${m.mart}: a row repeats the grain (${m.grain.join(', ')}) or breaks a type: ${(e as Error).message}`,
    {
      cause: e,
      remedy: `check the mart's grain in ${m.file ?? 'its contract'}: every dimension must be in the grain and the source model must not fan out`,
    },
  );
}
