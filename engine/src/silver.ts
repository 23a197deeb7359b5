/**
 * Silver on DuckDB: promoted bronze rows of a batch → conformed, pseudonymised,
 * de-duplicated, written as that batch's silver partition. Silver is merge-on-read:
 * the current state of a dataset is a view over its partitions up to the batch
 * (latest version per key for SCD1; validity intervals for SCD2), so re-running a
 * batch rewrites exactly one partition and is idempotent.
 */
import { StreamPulseError } from '@streampulse/contracts';
import type { JobSpec, Step } from '@streampulse/jobs';
import { copyAtomic } from './bronze.js';
import { type Duck, qi, sqlStr } from './duck.js';
import type { Lake } from './lake.js';

export interface SilverResult {
  readonly rowsIn: number;
  readonly promoted: number;
  readonly duplicatesInBatch: number;
  readonly duplicatesOfEarlierBatches: number;
  readonly superseded: number;
}

type Merge = Extract<Step, { op: 'merge' }>;

export function find<K extends Step['op']>(spec: JobSpec, op: K): Extract<Step, { op: K }> | undefined {
  return spec.steps.find((x) => x.op === op) as Extract<Step, { op: K }> | undefined;
}

export function orderSql(m: { order_by: Merge['order_by'] }, prefix = ''): string {
  return m.order_by.map((o) => `${prefix}${qi(o.column)} ${o.direction.toUpperCase()} NULLS LAST`).join(', ');
}

export interface SilverContext {
  readonly duck: Duck;
  readonly lake: Lake;
  readonly batch: string;
  readonly salt: string;
  /** The batch's bronze rows (a relation): the bronze job's in-memory table, or its committed partition. */
  readonly bronze: string;
  /** The record hashes of every earlier batch's silver rows, when the runner holds them (else the partitions are read). */
  readonly earlierHashes?: string;
  /**
   * Otherwise, when the runner holds it, a table (`h` = hash(_record_hash), `b` = batch)
   * of every earlier batch's silver rows: only the partitions that hold one of this
   * batch's hashes are read to tell re-sent records, not every earlier partition.
   */
  readonly seenIndex?: string;
  /**
   * Leave the batch's rows in regular tables rather than temp tables: the side lane's
   * connection writes the partition from them (`writeSilverPartition`) while this one goes on.
   */
  readonly persist?: boolean;
  /**
   * The batch's bronze holds no row (the bronze job's counts): no earlier partition is
   * looked up and nothing counted, only the (empty) tables the partition is written from.
   */
  readonly empty?: boolean;
}

/** The tables a silver job leaves behind until its partition is written: the batch's conformed rows and their ranks. */
const IN = (dataset: string): string => qi(`s_in__${dataset}`);
const RANKED = (dataset: string): string => qi(`s_ranked__${dataset}`);

/**
 * Conforms, pseudonymises and de-duplicates a batch's bronze rows, leaving them in the
 * dataset's `s_in__`/`s_ranked__` tables: `writeSilverPartition` writes the partition
 * from them, `partitionRowsSql` reads its rows, `dropRankedSql` drops them.
 */
export async function runSilver(spec: JobSpec, ctx: SilverContext): Promise<SilverResult> {
  const { duck, lake, batch } = ctx;
  const sIn = IN(spec.name);
  const ranked = RANKED(spec.name);
  const table = ctx.persist === true ? 'TABLE' : 'TEMP TABLE';
  const merge = find(spec, 'merge');
  if (!merge) throw new StreamPulseError('LOCAL_SPEC_INVALID', `job ${spec.id} has no merge step`, { remedy: 'regenerate the job specs' });
  const rel = conformSql(spec, ctx.bronze, ctx.salt);
  const key = merge.key.map(qi).join(', ');

  // 1. exact duplicates inside the batch (same record hash): keep the first
  // 2. records already merged by an earlier batch (same key and hash): re-sent, drop
  // 3. SCD1: older versions of a key inside the batch are superseded by the latest
  // the batch's conformed rows once; the ranking below reads only the narrow columns it
  // needs (windows over the wide rows cost several times more) and is joined back by line
  await duck.run(`CREATE OR REPLACE ${table} ${sIn} AS ${rel}`, `read bronze ${spec.name}`);
  // the earlier partitions that can hold one of this batch's records: every one, or
  // those the held index points to (a 64-bit hash only selects partitions; the records
  // are then compared by their full hash, so a collision costs a read, never a row)
  const earlier =
    ctx.earlierHashes !== undefined || ctx.empty === true
      ? []
      : ctx.seenIndex !== undefined
        ? (
            await duck.rows(
              `SELECT DISTINCT CAST(b AS VARCHAR) AS b FROM ${ctx.seenIndex} WHERE h IN (SELECT hash(_record_hash) FROM ${sIn}) ORDER BY 1`,
              `seen lookup ${spec.name}`,
            )
          ).map((r) => String(r['b']))
        : lake.batches('silver', spec.name).filter((b) => b < batch);
  const earlierRel =
    ctx.earlierHashes !== undefined && ctx.empty !== true
      ? `(SELECT DISTINCT _record_hash FROM ${ctx.earlierHashes} WHERE _record_hash IN (SELECT _record_hash FROM ${sIn}))`
      : earlier.length > 0
        ? `(SELECT DISTINCT _record_hash FROM ${partitionsSql(spec, lake, earlier)} WHERE _record_hash IN (SELECT _record_hash FROM ${sIn}))`
        : `(SELECT NULL::VARCHAR AS _record_hash WHERE FALSE)`;
  const narrow = [...new Set([...merge.key, ...merge.order_by.map((o) => o.column)])].map((c) => `s.${qi(c)}`).join(', ');
  // versions of a key are ranked among the distinct, new records only: an exact copy
  // must never outrank (and so supersede) the one record of its kind that is kept
  await duck.run(
    `CREATE OR REPLACE ${table} ${ranked} AS
     WITH r AS (SELECT s._source_file, s._line_no, ${narrow},
             row_number() OVER (PARTITION BY s._record_hash ORDER BY s._source_file, s._line_no) AS _exact_rank,
             e._record_hash IS NOT NULL AS _seen_before, hash(s._record_hash) AS _h
           FROM ${sIn} s LEFT JOIN ${earlierRel} e ON e._record_hash = s._record_hash)
     SELECT _source_file, _line_no, _exact_rank, _seen_before, _h, CASE WHEN _exact_rank = 1 AND NOT _seen_before THEN
       row_number() OVER (PARTITION BY ${key}, (_exact_rank = 1 AND NOT _seen_before) ORDER BY ${orderSql(merge)}, _source_file DESC, _line_no DESC) END AS _key_rank
     FROM r`,
    `dedupe ${spec.name}`,
  );
  if (ctx.empty === true) return { rowsIn: 0, promoted: 0, duplicatesInBatch: 0, duplicatesOfEarlierBatches: 0, superseded: 0 };
  const keep = keepSql(merge);
  const stats = (
    await duck.rows(
      `SELECT count(*) AS n,
            count(*) FILTER (WHERE _exact_rank > 1) AS exact,
            count(*) FILTER (WHERE _exact_rank = 1 AND _seen_before) AS seen,
            count(*) FILTER (WHERE _exact_rank = 1 AND NOT _seen_before AND ${merge.mode === 'scd1' ? '_key_rank > 1' : 'FALSE'}) AS superseded,
            count(*) FILTER (WHERE ${keep}) AS promoted
     FROM ${ranked}`,
      `counts of ${spec.id}`,
    )
  )[0]!;
  const rowsIn = Number(stats['n']);
  const promoted = Number(stats['promoted']);
  const exact = Number(stats['exact']);
  const seen = Number(stats['seen']);
  const superseded = Number(stats['superseded']);
  if (exact + seen + superseded + promoted !== rowsIn)
    throw new StreamPulseError(
      'CONSERVATION_BROKEN',
      `silver ${spec.name} ${batch}: ${rowsIn} in ≠ ${promoted} promoted + ${exact + seen + superseded} duplicates`,
      {
        remedy: 'this is a runner bug; please report it with the batch',
      },
    );
  return { rowsIn, promoted, duplicatesInBatch: exact, duplicatesOfEarlierBatches: seen, superseded };
}

/**
 * A silver job's rows before de-duplication: the promoted bronze rows (`bronze`, a
 * relation) read, conformed, pseudonymised and stripped of PII in the spec's order, as
 * nested projections in one statement (DuckDB evaluates them in one pass instead of
 * copying the rows per step).
 */
export function conformSql(spec: JobSpec, bronze: string, salt: string): string {
  const statuses = find(spec, 'read_bronze')?.statuses ?? ['passed', 'warned'];
  let rel = `SELECT * EXCLUDE (_raw_line, _quality_status, _quarantine_reason, _ingested_at) FROM ${bronze}
     WHERE _quality_status IN (${statuses.map(sqlStr).join(', ')})`;
  for (const s of spec.steps) {
    if (s.op === 'conform') {
      const repl = s.columns.map((c) => `${c.sql.duckdb} AS ${qi(c.name)}`).join(', ');
      rel = `SELECT * REPLACE (${repl}) FROM (${rel})`;
    } else if (s.op === 'pseudonymise') {
      const repl = s.columns
        .map((c) => `CASE WHEN ${qi(c)} IS NULL THEN NULL ELSE sha256(${sqlStr(salt)} || CAST(${qi(c)} AS VARCHAR)) END AS ${qi(c)}`)
        .join(', ');
      rel = `SELECT * REPLACE (${repl}) FROM (${rel})`;
    } else if (s.op === 'drop_columns') {
      rel = `SELECT * EXCLUDE (${s.columns.map(qi).join(', ')}) FROM (${rel})`;
    }
  }
  return rel;
}

export function keepSql(merge: Merge): string {
  return `_exact_rank = 1 AND NOT _seen_before${merge.mode === 'scd1' ? ' AND _key_rank = 1' : ''}`;
}

/** The rows of the silver partition of the dataset's last `runSilver` (unordered), while its tables live. */
export function partitionRowsSql(spec: JobSpec): string {
  const merge = find(spec, 'merge')!;
  return `SELECT s.* EXCLUDE (_source_file, _line_no) FROM ${IN(spec.name)} s SEMI JOIN (SELECT _source_file, _line_no FROM ${RANKED(spec.name)} WHERE ${keepSql(merge)}) k ON k._source_file = s._source_file AND k._line_no = s._line_no`;
}

/** The 64-bit hashes of the record hashes of the dataset's last `runSilver` partition (for the runner's seen index). */
export function partitionHashesSql(spec: JobSpec): string {
  return `SELECT _h FROM ${RANKED(spec.name)} WHERE ${keepSql(find(spec, 'merge')!)}`;
}

/** Writes the batch's silver partition from the tables `runSilver` left (on any connection that sees them), ordered for determinism. */
export async function writeSilverPartition(duck: Duck, spec: JobSpec, lake: Lake, batch: string): Promise<void> {
  const merge = find(spec, 'merge')!;
  await copyAtomic(
    duck,
    `${partitionRowsSql(spec)} ORDER BY ${merge.key.map(qi).join(', ')}, ${orderSql(merge)}, _record_hash`,
    lake.partitionFile('silver', spec.name, batch),
  );
}

/** The SQL that drops the tables `runSilver` left for a dataset. */
export function dropRankedSql(dataset: string): string {
  return `DROP TABLE IF EXISTS ${RANKED(dataset)}; DROP TABLE IF EXISTS ${IN(dataset)}`;
}

/**
 * Brings a state table (`silverStateSql` as of the batch before) up to date with one new
 * partition, in place, reading only the new rows (`newRows`, a relation) instead of every
 * partition.
 * - SCD1: for the keys the partition holds, the winner of (the state's row, the
 *   partition's rows) by the same ordering replaces the state's row; every other key
 *   keeps its row. The latest version of a key over all partitions is the latest of (the
 *   latest over the earlier ones, the new ones).
 * - SCD2: `history` (every silver row so far, held by the runner) gets the new rows; the
 *   versions of the keys the partition holds are recomputed from their whole history
 *   (the same SQL as `silverStateSql`) and replace theirs; other keys' versions cannot
 *   change.
 * Either way the table holds exactly the rows `silverStateSql` would give (in another
 * row order).
 */
export async function mergeSilverState(
  duck: Duck,
  spec: JobSpec,
  table: string,
  newRows: string,
  history: string | undefined,
  columns?: readonly string[],
  /** `newRows` holds no row: the state stays as it is (no statement runs). */
  empty = false,
): Promise<boolean> {
  const merge = find(spec, 'merge');
  if (!merge) return false;
  if (merge.mode === 'scd2' && history === undefined) return false;
  if (empty) return true;
  const cols = `${(columns ?? merge.columns).map(qi).join(', ')}, _batch_id, _record_hash`;
  const same = merge.key.map((k) => `n.${qi(k)} IS NOT DISTINCT FROM s.${qi(k)}`).join(' AND ');
  await duck.run(`CREATE OR REPLACE TEMP TABLE s_state_new AS SELECT ${cols} FROM ${newRows}`, `state-read ${spec.name}`);
  if (merge.mode === 'scd1') {
    const ordered = `${orderSql(merge)}, _batch_id DESC, _record_hash`;
    await duck.run(
      `CREATE OR REPLACE TEMP TABLE s_state_win AS
       SELECT ${cols} FROM (
         SELECT *, row_number() OVER (PARTITION BY ${merge.key.map(qi).join(', ')} ORDER BY ${ordered}) AS _rn FROM (
           SELECT ${cols} FROM ${table} s WHERE EXISTS (SELECT 1 FROM s_state_new n WHERE ${same})
           UNION ALL SELECT ${cols} FROM s_state_new))
       WHERE _rn = 1`,
      `state-winners ${spec.name}`,
    );
  } else {
    await duck.run(`INSERT INTO ${history} SELECT ${cols} FROM s_state_new`, `history-append ${spec.name}`);
    await duck.run(
      `CREATE OR REPLACE TEMP TABLE s_state_win AS ${scd2Sql(merge, `(SELECT * FROM ${history} s WHERE EXISTS (SELECT 1 FROM s_state_new n WHERE ${same}))`, columns)}`,
      `state-versions ${spec.name}`,
    );
  }
  await duck.run(`DELETE FROM ${table} s WHERE EXISTS (SELECT 1 FROM s_state_new n WHERE ${same})`, `state-delete ${spec.name}`);
  await duck.run(`INSERT INTO ${table} SELECT * FROM s_state_win`, `state-insert ${spec.name}`);
  await duck.run(`DROP TABLE s_state_new; DROP TABLE s_state_win`);
  return true;
}

/** The silver rows a state is merged from: the named partitions (the columns the state reads, or only `columns`). */
export function partitionsSql(spec: JobSpec, lake: Lake, parts: readonly string[], columns?: readonly string[]): string {
  const merge = find(spec, 'merge')!;
  return `(SELECT ${(columns ?? merge.columns).map(qi).join(', ')}, _batch_id, _record_hash FROM read_parquet([${parts.map((b) => sqlStr(lake.partitionFile('silver', spec.name, b))).join(', ')}]))`;
}

/**
 * The columns a state must keep to be merged exactly (key, ordering, SCD2 tracked
 * columns) plus `also` (e.g. the columns referential checks look up), in the merge's
 * column order. A state of only these columns has the same rows, keys and versions as
 * the full state, a fraction of its memory.
 */
export function stateColumns(spec: JobSpec, also: Iterable<string>): string[] {
  const merge = find(spec, 'merge')!;
  const want = new Set([...merge.key, ...merge.order_by.map((o) => o.column), ...(merge.tracked_columns ?? []), ...also]);
  return merge.columns.filter((c) => want.has(c));
}

/** SCD2 versions of every key in `src`: versions start where the tracked columns change; each version shows its latest record. */
function scd2Sql(merge: Merge, src: string, columns?: readonly string[]): string {
  const key = merge.key.map(qi).join(', ');
  const ordered = `${orderSql(merge)}, _batch_id DESC, _record_hash`;
  const cols = (columns ?? merge.columns).map(qi).join(', ');
  const first = merge.order_by[0]!;
  const asc = merge.order_by.map((o) => `${qi(o.column)} ${o.direction === 'desc' ? 'ASC' : 'DESC'} NULLS FIRST`).join(', ');
  const tracked = (merge.tracked_columns ?? []).map(qi);
  const changed = tracked.map((t) => `${t} IS DISTINCT FROM lag(${t}) OVER w`).join(' OR ') || 'FALSE';
  return `WITH r AS (
      SELECT *, CASE WHEN lag(_record_hash) OVER w IS NULL OR ${changed} THEN 1 ELSE 0 END AS _chg
      FROM ${src} WINDOW w AS (PARTITION BY ${key} ORDER BY ${asc}, _batch_id, _record_hash)),
    v AS (SELECT *, sum(_chg) OVER (PARTITION BY ${key} ORDER BY ${asc}, _batch_id, _record_hash ROWS UNBOUNDED PRECEDING) AS _ver FROM r),
    g AS (SELECT *, min(CAST(${qi(first.column)} AS TIMESTAMP)) OVER (PARTITION BY ${key}, _ver) AS _valid_from,
                 row_number() OVER (PARTITION BY ${key}, _ver ORDER BY ${ordered}) AS _rn FROM v)
    SELECT ${cols}, _batch_id, _record_hash, _valid_from,
           lead(_valid_from) OVER (PARTITION BY ${key} ORDER BY _valid_from) AS _valid_to,
           lead(_valid_from) OVER (PARTITION BY ${key} ORDER BY _valid_from) IS NULL AS _is_current
    FROM g WHERE _rn = 1`;
}

/**
 * SQL of a dataset's current silver state as of `batch`: every committed partition up
 * to the batch, merged on read (or, with `src`, the given silver rows).
 */
export function silverStateSql(spec: JobSpec, lake: Lake, batch: string, src?: string, columns?: readonly string[]): string | undefined {
  const merge = find(spec, 'merge');
  if (!merge) return undefined;
  const parts = lake.batches('silver', spec.name).filter((b) => b <= batch);
  if (parts.length === 0 && src === undefined) return undefined;
  const from = src ?? `read_parquet([${parts.map((b) => sqlStr(lake.partitionFile('silver', spec.name, b))).join(', ')}])`;
  const key = merge.key.map(qi).join(', ');
  const ordered = `${orderSql(merge)}, _batch_id DESC, _record_hash`;
  const cols = (columns ?? merge.columns).map(qi).join(', ');
  if (merge.mode === 'scd1') {
    return `SELECT ${cols}, _batch_id, _record_hash FROM (SELECT *, row_number() OVER (PARTITION BY ${key} ORDER BY ${ordered}) AS _rn FROM ${from}) WHERE _rn = 1`;
  }
  return scd2Sql(merge, from, columns);
}
