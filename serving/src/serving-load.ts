/**
 * `serve load`: gold marts from the lake into a serving database — SQLite locally,
 * Azure SQL when a connection is given (serving-mssql.ts) — through the same steps:
 *
 *   1. prepare   SQLite: create / migrate the layout; Azure SQL: check the migrations ran
 *   2. stage     per mart, rows into its staging table in batches; each batch and the
 *                progress record (`ops.serving_load_progress`) commit together, so a
 *                failed load resumes where it stopped (same lake content = same load id)
 *   3. check     the staging tables against the contracts (grain not null and unique,
 *                enforced values, string lengths) — a bad copy fails here, unmerged
 *   4. merge     every mart staging → gold in ONE transaction (idempotent: unchanged
 *                rows are not touched), so readers of the `analytics_*` views see the
 *                previous load or the new one, never a part of it
 *
 * Serving never moves back in time: a load whose run date is before the date the served
 * marts stand for (the newest merged load) changes nothing. `loadServing` skips it before
 * staging and says so (`skipped`); the target's merge refuses it again inside its
 * transaction (SERVING_LOAD_OUTDATED: a newer load merged meanwhile). The Azure SQL
 * procedure does the same for Data Factory's "Merge serving" activity: a re-run of an
 * earlier batch repairs the lake, and the marts it served stay until a newer load.
 *
 * The orchestration knows no database: targets implement `ServingTarget`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StreamPulseError, type ContractSet, type MartContract } from '@streampulse/contracts';
import { describeCheck, failingRowsSql, stagingChecks, type ServingCheck } from '@streampulse/sql';
import { servingColumns, type ColumnFacts } from '@streampulse/sql';
import { coerceSqlite, columnIndexes, prepareSqliteServing, sqliteMergeSql, sqliteName } from './serving-sqlite.js';

/** A mart's rows as read from the lake, with a fingerprint of their content. */
export interface MartData {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
  /** Changes when the lake's mart changes (e.g. SHA-256 of its Parquet file). */
  readonly fingerprint: string;
}

export interface ServingSource {
  read(mart: MartContract): Promise<MartData>;
}

export interface StageProgress {
  readonly loadId: string;
  readonly rowsStaged: number;
  readonly complete: boolean;
}

export interface MergeCounts {
  readonly mart: string;
  readonly staged: number;
  readonly inserted: number;
  readonly updated: number;
  readonly deleted: number;
}

export interface ServingTarget {
  readonly kind: 'sqlite' | 'azure-sql';
  /** Where the data goes, for messages (file path, or server/database). */
  readonly where: string;
  prepare(): Promise<void>;
  /** The run date the served marts stand for (the newest merged load), if any load was merged. */
  servedAsOf(): Promise<string | undefined>;
  progress(mart: string): Promise<StageProgress | undefined>;
  stagedRows(mart: string): Promise<number>;
  /** Empties the mart's staging table and starts its progress record for `loadId`. */
  resetStaging(mart: string, loadId: string): Promise<void>;
  /** Appends rows (already ordered as `cols`) and records `rowsStaged`, in one transaction. */
  stageBatch(mart: string, cols: readonly ColumnFacts[], rows: readonly (readonly unknown[])[], loadId: string, rowsStaged: number): Promise<void>;
  markStaged(mart: string, loadId: string): Promise<void>;
  /** Checks every staging table, then merges every mart in one transaction; refuses a run date before `servedAsOf` (SERVING_LOAD_OUTDATED). */
  merge(runDate: string, loadId: string): Promise<MergeCounts[]>;
  /** Runs checks on the served views; each result counts its failing rows. */
  runTests(checks: readonly ServingCheck[]): Promise<TestResult[]>;
  close(): Promise<void>;
}

export interface TestResult {
  readonly id: string;
  readonly description: string;
  readonly failures: number;
  /** Up to three failing rows. */
  readonly sample: readonly unknown[];
}

export type LoadEvent =
  | { readonly phase: 'stage'; readonly mart: string; readonly done: number; readonly total: number; readonly resumedFrom: number }
  | { readonly phase: 'skip'; readonly mart: string; readonly total: number }
  | { readonly phase: 'merge'; readonly marts: number };

export interface LoadOptions {
  /** The batch date the load stands for (recorded on the changed rows). */
  readonly runDate: string;
  /** Rows per staging transaction (default 5,000). */
  readonly batchSize?: number;
  readonly onProgress?: (e: LoadEvent) => void;
  /** Stops the load at the next safe point (before a staging batch or the merge) when aborted; the same load again resumes. */
  readonly signal?: AbortSignal;
}

export interface LoadResult {
  readonly runDate: string;
  /** Empty when the load was skipped. */
  readonly loadId: string;
  readonly marts: readonly (MergeCounts & { readonly resumedFrom: number; readonly stagedNow: number })[];
  /** Present when nothing was staged or merged: the served marts stand for a later run date. */
  readonly skipped?: { readonly servedAsOf: string };
}

export function loadOutdated(where: string, runDate: string, servedAsOf: string): StreamPulseError {
  return new StreamPulseError(
    'SERVING_LOAD_OUTDATED',
    `${where}: the served marts are as of ${servedAsOf}; a load for ${runDate} would move them back in time. Nothing was merged.`,
    {
      remedy: `load the lake's newest batch (serve load without --run-date), dated ${servedAsOf} or later; a re-run of an earlier batch repairs the lake and keeps gold as of its newest batch`,
    },
  );
}

export const DEFAULT_LOAD_BATCH = 5000;

/** Runs a load (see the file comment). Throws StreamPulseError; nothing is merged unless everything staged and checked. */
export async function loadServing(set: ContractSet, source: ServingSource, target: ServingTarget, options: LoadOptions): Promise<LoadResult> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(options.runDate))
    throw new StreamPulseError('SERVING_BAD_RUN_DATE', `run date "${options.runDate}" is not YYYY-MM-DD`, {
      remedy: 'pass --run-date YYYY-MM-DD (default: the latest batch of the lake)',
    });
  const batchSize = options.batchSize ?? DEFAULT_LOAD_BATCH;
  // a safe point: the SQLite target never waits on I/O, so the event loop is given a turn
  // (a signal handler runs there) before the signal is looked at
  const safePoint = async (): Promise<void> => {
    if (options.signal === undefined) return;
    await new Promise((resolve) => setImmediate(resolve));
    options.signal.throwIfAborted();
  };
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new StreamPulseError('SERVING_BAD_BATCH_SIZE', `batch size ${batchSize} is not a positive integer`, { remedy: 'pass --batch-size N with N ≥ 1' });
  await target.prepare();
  const served = await target.servedAsOf();
  if (served !== undefined && served > options.runDate) return { runDate: options.runDate, loadId: '', marts: [], skipped: { servedAsOf: served } };
  // read everything first: a missing mart fails before anything is staged
  const data = new Map<string, MartData>();
  for (const m of set.marts) data.set(m.mart, await source.read(m));
  const loadId = createHash('sha256')
    .update(
      JSON.stringify([
        options.runDate,
        ...set.marts.map((m) => [m.mart, data.get(m.mart)!.fingerprint, servingColumns(set, m).map((c) => `${c.name}:${c.type}`)]),
      ]),
    )
    .digest('hex');
  const staged: { mart: string; resumedFrom: number; stagedNow: number }[] = [];
  for (const m of set.marts) {
    const d = data.get(m.mart)!;
    const cols = servingColumns(set, m);
    const idx = columnIndexes(m, cols, d.columns);
    const total = d.rows.length;
    const p = await target.progress(m.mart);
    let from = 0;
    if (p && p.loadId === loadId && (await target.stagedRows(m.mart)) === p.rowsStaged) from = p.rowsStaged;
    if (p?.complete === true && from === total) {
      options.onProgress?.({ phase: 'skip', mart: m.mart, total });
      staged.push({ mart: m.mart, resumedFrom: total, stagedNow: 0 });
      continue;
    }
    if (from === 0) await target.resetStaging(m.mart, loadId);
    const resumedFrom = from;
    options.onProgress?.({ phase: 'stage', mart: m.mart, done: from, total, resumedFrom });
    while (from < total) {
      await safePoint();
      const rows = d.rows.slice(from, from + batchSize).map((r) => idx.map((i) => r[i]));
      from += rows.length;
      await target.stageBatch(m.mart, cols, rows, loadId, from);
      options.onProgress?.({ phase: 'stage', mart: m.mart, done: from, total, resumedFrom });
    }
    await target.markStaged(m.mart, loadId);
    staged.push({ mart: m.mart, resumedFrom, stagedNow: total - resumedFrom });
  }
  await safePoint();
  options.onProgress?.({ phase: 'merge', marts: set.marts.length });
  const counts = await target.merge(options.runDate, loadId);
  return {
    runDate: options.runDate,
    loadId,
    marts: staged.map((s) => ({ ...s, ...(counts.find((c) => c.mart === s.mart) ?? { mart: s.mart, staged: 0, inserted: 0, updated: 0, deleted: 0 }) })),
  };
}

/** A staging check that failed: its id, what it demands and a few offending rows. */
export function checkFailed(where: string, id: string, description: string, sample: readonly unknown[]): StreamPulseError {
  return new StreamPulseError(
    'SERVING_CHECK_FAILED',
    `${where}: staging breaks ${id} (${description}); e.g. ${JSON.stringify(sample.slice(0, 3))}. Nothing was merged.`,
    {
      remedy:
        'rebuild the mart in the lake from the current contracts (`streampulse run --date …`) and load again; a grain violation means the mart contract or its model fans out',
    },
  );
}

/** The SQLite serving database as a load target (better-sqlite3; synchronous underneath). */
export class SqliteTarget implements ServingTarget {
  readonly kind = 'sqlite' as const;
  private db: Database.Database | undefined;

  constructor(
    readonly where: string,
    private readonly set: ContractSet,
  ) {}

  private get d(): Database.Database {
    if (!this.db) throw new StreamPulseError('SERVING_NOT_OPEN', 'the SQLite serving database is not open', { remedy: 'call prepare() first' });
    return this.db;
  }

  async prepare(): Promise<void> {
    try {
      mkdirSync(dirname(this.where), { recursive: true });
      this.db = new Database(this.where);
      this.db.pragma('journal_mode = DELETE'); // no -wal file beside a database the demo replaces by rename
      prepareSqliteServing(this.db, this.set);
    } catch (e) {
      this.db?.close();
      this.db = undefined;
      if (e instanceof StreamPulseError) throw e;
      throw new StreamPulseError('SERVING_SQLITE_OPEN', `cannot open the SQLite serving database ${this.where}: ${(e as Error).message}`, {
        cause: e,
        remedy: 'pass --sqlite with a writable file path (a SQLite database, or a new file)',
      });
    }
  }

  async servedAsOf(): Promise<string | undefined> {
    return this.servedNow();
  }

  private servedNow(): string | undefined {
    return (this.d.prepare(`SELECT max(as_of_batch) AS d FROM serving_marts`).get() as { d: string | null }).d ?? undefined;
  }

  async progress(mart: string): Promise<StageProgress | undefined> {
    const r = this.d.prepare(`SELECT load_id, rows_staged, complete FROM ${sqliteName('ops', 'serving_load_progress')} WHERE mart = ?`).get(mart) as
      | { load_id: string; rows_staged: number; complete: number }
      | undefined;
    return r ? { loadId: r.load_id, rowsStaged: r.rows_staged, complete: r.complete === 1 } : undefined;
  }

  async stagedRows(mart: string): Promise<number> {
    return (this.d.prepare(`SELECT count(*) AS n FROM ${sqliteName('staging', mart)}`).get() as { n: number }).n;
  }

  private setProgress(mart: string, loadId: string, rows: number, complete: boolean): void {
    this.d
      .prepare(
        `INSERT INTO ${sqliteName('ops', 'serving_load_progress')} (mart, load_id, rows_staged, complete) VALUES (?, ?, ?, ?) ON CONFLICT (mart) DO UPDATE SET load_id = excluded.load_id, rows_staged = excluded.rows_staged, complete = excluded.complete`,
      )
      .run(mart, loadId, rows, complete ? 1 : 0);
  }

  async resetStaging(mart: string, loadId: string): Promise<void> {
    this.d.transaction(() => {
      this.d.exec(`DELETE FROM ${sqliteName('staging', mart)}`);
      this.setProgress(mart, loadId, 0, false);
    })();
  }

  async stageBatch(mart: string, cols: readonly ColumnFacts[], rows: readonly (readonly unknown[])[], loadId: string, rowsStaged: number): Promise<void> {
    const ins = this.d.prepare(
      `INSERT INTO ${sqliteName('staging', mart)} (${cols.map((c) => `"${c.name}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
    );
    this.d.transaction(() => {
      for (const r of rows) ins.run(...r.map((v, k) => coerceSqlite(v, cols[k]!.type)));
      this.setProgress(mart, loadId, rowsStaged, false);
    })();
  }

  async markStaged(mart: string, loadId: string): Promise<void> {
    this.setProgress(mart, loadId, await this.stagedRows(mart), true);
  }

  async merge(runDate: string, loadId: string): Promise<MergeCounts[]> {
    for (const m of this.set.marts)
      for (const check of stagingChecks(this.set, m)) {
        const bad = this.d
          .prepare(`${failingRowsSql(check, 'sqlite', (x) => sqliteName('staging', x))} LIMIT 3`)
          .raw()
          .all();
        if (bad.length > 0) throw checkFailed(this.where, check.id, describeCheck(check), bad);
      }
    const counts: MergeCounts[] = [];
    this.d.transaction(() => {
      const served = this.servedNow();
      if (served !== undefined && served > runDate) throw loadOutdated(this.where, runDate, served);
      for (const m of this.set.marts) {
        const sql = sqliteMergeSql(this.set, m);
        const gold = sqliteName('gold', m.mart);
        const staged = (this.d.prepare(`SELECT count(*) AS n FROM ${sqliteName('staging', m.mart)}`).get() as { n: number }).n;
        const goldRows = (this.d.prepare(`SELECT count(*) AS n FROM ${gold}`).get() as { n: number }).n;
        if (staged === 0 && goldRows > 0)
          throw new StreamPulseError('SERVING_EMPTY_STAGING', `staging for ${m.mart} is empty but the served mart has ${goldRows} rows; nothing was merged`, {
            remedy: 'the mart in the lake is empty: rebuild it (`streampulse run --date …`) before loading',
          });
        const inserted = (this.d.prepare(sql.inserted).get() as { n: number }).n;
        const deleted = this.d.prepare(sql.delete).run().changes;
        const upserted = this.d.prepare(sql.upsert).run({ run_date: runDate }).changes;
        counts.push({ mart: m.mart, staged, inserted, updated: upserted - inserted, deleted });
        this.d
          .prepare(
            `INSERT INTO serving_marts VALUES (?, ?, ?, ?, ?) ON CONFLICT (mart) DO UPDATE SET grain = excluded.grain, description = excluded.description, row_count = excluded.row_count, as_of_batch = excluded.as_of_batch`,
          )
          .run(m.mart, m.grain.join(', '), m.description.trim(), staged, runDate);
        this.d
          .prepare(
            `INSERT INTO ${sqliteName('ops', 'serving_loads')} (run_date, mart, staged_rows, inserted, updated, deleted, load_id) VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(runDate, m.mart, staged, inserted, upserted - inserted, deleted, loadId);
      }
    })();
    return counts;
  }

  async runTests(checks: readonly ServingCheck[]): Promise<TestResult[]> {
    return checks.map((c) => {
      const rows = this.d
        .prepare(failingRowsSql(c, 'sqlite', (x) => sqliteName('serving', x)))
        .raw()
        .all();
      return { id: c.id, description: describeCheck(c), failures: rows.length, sample: rows.slice(0, 3) };
    });
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
  }
}
