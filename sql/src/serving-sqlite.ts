/**
 * The local serving database: a SQLite file holding every `analytics_*` mart as a
 * typed table (primary key = the mart's grain), plus the quality report, plus
 * `serving_*` views an analyst can open. Built whole under a temporary name and
 * renamed into place, so a reader never sees a half-loaded database and a re-load
 * replaces it atomically.
 */
import { renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { parseLogicalType, StreamPulseError, type ContractSet, type MartContract } from '@streampulse/contracts';
import { mapType, quoteIdent } from './dialect.js';

const q = (s: string): string => quoteIdent(s, 'sqlite');

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

function martColumns(m: MartContract): { name: string; type: string }[] {
  return [...m.dimensions, ...m.measures].map((c) => ({ name: c.name, type: c.type }));
}

/** The DDL of the serving database (pure). */
export function sqliteServingDdl(set: ContractSet): string[] {
  const ddl: string[] = [];
  for (const m of set.marts) {
    const cols = martColumns(m).map((c) => `  ${q(c.name)} ${mapType(c.type, 'sqlite')}`);
    ddl.push(`CREATE TABLE ${q(m.mart)} (\n${cols.join(',\n')},\n  PRIMARY KEY (${m.grain.map(q).join(', ')})\n) WITHOUT ROWID`);
  }
  ddl.push(
    `CREATE TABLE ${q('quality_batches')} (batch TEXT NOT NULL, dataset TEXT NOT NULL, rows_in INTEGER NOT NULL, promoted INTEGER NOT NULL, quarantined INTEGER NOT NULL, duplicates_dropped INTEGER NOT NULL, warned INTEGER NOT NULL, within_sla INTEGER NOT NULL, PRIMARY KEY (batch, dataset)) WITHOUT ROWID`,
    `CREATE VIEW ${q('serving_quality_summary')} AS SELECT dataset, count(*) AS batches, sum(rows_in) AS rows_in, sum(promoted) AS promoted, sum(quarantined) AS quarantined, sum(duplicates_dropped) AS duplicates_dropped, round(1.0 * sum(promoted) / nullif(sum(rows_in), 0), 4) AS promoted_share, sum(1 - within_sla) AS batches_outside_sla FROM quality_batches GROUP BY dataset`,
    `CREATE TABLE ${q('serving_marts')} (mart TEXT PRIMARY KEY, grain TEXT NOT NULL, description TEXT NOT NULL, row_count INTEGER NOT NULL, as_of_batch TEXT NOT NULL) WITHOUT ROWID`,
  );
  return ddl;
}

function coerce(v: unknown, type: string): unknown {
  if (v === null || v === undefined) return null;
  const base = parseLogicalType(type).base;
  switch (base) {
    case 'integer':
    case 'bigint': {
      const n = typeof v === 'bigint' ? Number(v) : Number(v);
      return Number.isFinite(n) ? n : null;
    }
    case 'double':
    case 'decimal': {
      const n = Number(v);
      return Number.isFinite(n) ? n : null;
    }
    case 'boolean':
      return v === true || v === 'true' || v === 1 ? 1 : 0;
    default:
      return String(v);
  }
}

/**
 * Writes the serving database to `file` (replacing it atomically). Every mart of the
 * contract set must be given; rows are checked against the grain by the primary key.
 */
export function writeSqliteServing(
  file: string,
  set: ContractSet,
  marts: ReadonlyMap<string, MartRows>,
  quality: readonly QualityRow[],
  asOfBatch: string,
): { tables: number; rows: number } {
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
          throw new StreamPulseError('SERVING_MART_MISSING', `no rows were given for mart ${m.mart}`, { remedy: 'build every mart before loading the serving database' });
        const cols = martColumns(m);
        const idx = cols.map((c) => {
          const i = data.columns.indexOf(c.name);
          if (i < 0) throw new StreamPulseError('SERVING_COLUMN_MISSING', `mart ${m.mart} has no column ${c.name} in the lake`, { remedy: 'rebuild the mart from the current contracts' });
          return i;
        });
        const ins = db.prepare(`INSERT INTO ${q(m.mart)} (${cols.map((c) => q(c.name)).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
        for (const row of data.rows) {
          try {
            ins.run(...idx.map((i, k) => coerce(row[i], cols[k]!.type)));
          } catch (e) {
            throw new StreamPulseError('SERVING_GRAIN_VIOLATED', `mart ${m.mart}: a row repeats the grain (${m.grain.join(', ')}) or breaks a type: ${(e as Error).message}`, {
              cause: e,
              remedy: `check the mart's grain in ${m.file}: every dimension must be in the grain and the source model must not fan out`,
            });
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
