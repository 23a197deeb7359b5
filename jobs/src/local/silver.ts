/**
 * Silver on DuckDB: promoted bronze rows of a batch → conformed, pseudonymised,
 * de-duplicated, written as that batch's silver partition. Silver is merge-on-read:
 * the current state of a dataset is a view over its partitions up to the batch
 * (latest version per key for SCD1; validity intervals for SCD2), so re-running a
 * batch rewrites exactly one partition and is idempotent.
 */
import { StreamPulseError } from '@streampulse/contracts';
import type { JobSpec, Step } from '../spec.js';
import { copyAtomic } from './bronze.js';
import { Duck, qi, sqlStr } from './duck.js';
import type { Lake } from './lake.js';

export interface SilverResult {
  readonly rowsIn: number;
  readonly promoted: number;
  readonly duplicatesInBatch: number;
  readonly duplicatesOfEarlierBatches: number;
  readonly superseded: number;
}

type Merge = Extract<Step, { op: 'merge' }>;

function find<K extends Step['op']>(spec: JobSpec, op: K): Extract<Step, { op: K }> | undefined {
  return spec.steps.find((x) => x.op === op) as Extract<Step, { op: K }> | undefined;
}

function orderSql(m: { order_by: Merge['order_by'] }, prefix = ''): string {
  return m.order_by.map((o) => `${prefix}${qi(o.column)} ${o.direction.toUpperCase()} NULLS LAST`).join(', ');
}

export async function runSilver(spec: JobSpec, ctx: { duck: Duck; lake: Lake; batch: string; salt: string }): Promise<SilverResult> {
  const { duck, lake, batch } = ctx;
  const merge = find(spec, 'merge');
  if (!merge) throw new StreamPulseError('LOCAL_SPEC_INVALID', `job ${spec.id} has no merge step`, { remedy: 'regenerate the job specs' });
  const bronzeFile = lake.partitionFile('bronze', spec.name, batch);
  const statuses = find(spec, 'read_bronze')?.statuses ?? ['passed', 'warned'];
  // read, conform, pseudonymise and drop PII in the spec's order: nested projections, one
  // statement (DuckDB evaluates them in one pass instead of copying the batch per step)
  let rel = `SELECT * EXCLUDE (_raw_line, _quality_status, _quarantine_reason, _ingested_at) FROM read_parquet(${sqlStr(bronzeFile)})
     WHERE _quality_status IN (${statuses.map(sqlStr).join(', ')})`;
  for (const s of spec.steps) {
    if (s.op === 'conform') {
      const repl = s.columns.map((c) => `${c.sql.duckdb} AS ${qi(c.name)}`).join(', ');
      rel = `SELECT * REPLACE (${repl}) FROM (${rel})`;
    } else if (s.op === 'pseudonymise') {
      const salt = sqlStr(ctx.salt);
      const repl = s.columns.map((c) => `CASE WHEN ${qi(c)} IS NULL THEN NULL ELSE sha256(${salt} || CAST(${qi(c)} AS VARCHAR)) END AS ${qi(c)}`).join(', ');
      rel = `SELECT * REPLACE (${repl}) FROM (${rel})`;
    } else if (s.op === 'drop_columns') {
      rel = `SELECT * EXCLUDE (${s.columns.map(qi).join(', ')}) FROM (${rel})`;
    }
  }
  await duck.run(`DROP TABLE IF EXISTS s_in`);
  await duck.run(`CREATE TEMP TABLE s_in AS ${rel}`, `read bronze ${spec.name}`);
  const rowsIn = Number(await duck.scalar(`SELECT count(*) FROM s_in`));
  const key = merge.key.map(qi).join(', ');

  // 1. exact duplicates inside the batch (same record hash): keep the first
  // 2. records already merged by an earlier batch (same key and hash): re-sent, drop
  // 3. SCD1: older versions of a key inside the batch are superseded by the latest
  const earlier = lake.batches('silver', spec.name).filter((b) => b < batch);
  const earlierRel =
    earlier.length > 0
      ? `(SELECT DISTINCT _record_hash FROM read_parquet([${earlier.map((b) => sqlStr(lake.partitionFile('silver', spec.name, b))).join(', ')}]) WHERE _record_hash IN (SELECT _record_hash FROM s_in))`
      : `(SELECT NULL::VARCHAR AS _record_hash WHERE FALSE)`;
  await duck.run(`DROP TABLE IF EXISTS s_ranked`);
  await duck.run(
    `CREATE TEMP TABLE s_ranked AS
     SELECT s.*,
       row_number() OVER (PARTITION BY s._record_hash ORDER BY s._source_file, s._line_no) AS _exact_rank,
       e._record_hash IS NOT NULL AS _seen_before
     FROM s_in s LEFT JOIN ${earlierRel} e ON e._record_hash = s._record_hash`,
    `dedupe ${spec.name}`,
  );
  // versions of a key are ranked among the distinct, new records only: an exact copy
  // must never outrank (and so supersede) the one record of its kind that is kept
  await duck.run(
    `CREATE OR REPLACE TEMP TABLE s_ranked AS
     SELECT *, CASE WHEN _exact_rank = 1 AND NOT _seen_before THEN
       row_number() OVER (PARTITION BY ${key}, (_exact_rank = 1 AND NOT _seen_before) ORDER BY ${orderSql(merge)}, _source_file DESC, _line_no DESC) END AS _key_rank
     FROM s_ranked`,
    `rank versions ${spec.name}`,
  );
  const stats = (await duck.rows(
    `SELECT count(*) FILTER (WHERE _exact_rank > 1) AS exact,
            count(*) FILTER (WHERE _exact_rank = 1 AND _seen_before) AS seen,
            count(*) FILTER (WHERE _exact_rank = 1 AND NOT _seen_before AND ${merge.mode === 'scd1' ? '_key_rank > 1' : 'FALSE'}) AS superseded
     FROM s_ranked`,
  ))[0]!;
  const keep = `_exact_rank = 1 AND NOT _seen_before${merge.mode === 'scd1' ? ' AND _key_rank = 1' : ''}`;
  const out = lake.partitionFile('silver', spec.name, batch);
  await copyAtomic(
    duck,
    `SELECT * EXCLUDE (_exact_rank, _seen_before, _key_rank, _source_file, _line_no) FROM s_ranked WHERE ${keep} ORDER BY ${key}, ${orderSql(merge)}, _record_hash`,
    out,
  );
  const promoted = Number(await duck.scalar(`SELECT count(*) FROM s_ranked WHERE ${keep}`));
  const exact = Number(stats['exact']);
  const seen = Number(stats['seen']);
  const superseded = Number(stats['superseded']);
  if (exact + seen + superseded + promoted !== rowsIn)
    throw new StreamPulseError('CONSERVATION_BROKEN', `silver ${spec.name} ${batch}: ${rowsIn} in ≠ ${promoted} promoted + ${exact + seen + superseded} duplicates`, {
      remedy: 'this is a runner bug; please report it with the batch',
    });
  return { rowsIn, promoted, duplicatesInBatch: exact, duplicatesOfEarlierBatches: seen, superseded };
}

/**
 * Brings an SCD1 state table (`silverStateSql` as of the batch before) up to date with
 * one new partition, in place: for the keys the partition holds, the winner of (the
 * state's row, the partition's rows) by the same ordering replaces the state's row;
 * every other key keeps its row. The latest version of a key over all partitions is
 * the latest of (the latest over the earlier ones, the new ones), so the table holds
 * exactly the rows `silverStateSql` would give (in another row order) while reading
 * one partition instead of all of them. Returns false (nothing done) for SCD2, whose
 * versions are rebuilt from every partition.
 */
export async function mergeSilverState(duck: Duck, spec: JobSpec, table: string, partitionFile: string): Promise<boolean> {
  const merge = find(spec, 'merge');
  if (!merge || merge.mode !== 'scd1') return false;
  const cols = `${merge.columns.map(qi).join(', ')}, _batch_id, _record_hash`;
  const same = merge.key.map((k) => `n.${qi(k)} IS NOT DISTINCT FROM s.${qi(k)}`).join(' AND ');
  const ordered = `${orderSql(merge)}, _batch_id DESC, _record_hash`;
  await duck.run(`CREATE OR REPLACE TEMP TABLE s_state_new AS SELECT ${cols} FROM read_parquet(${sqlStr(partitionFile)})`, `state-read ${spec.name}`);
  await duck.run(
    `CREATE OR REPLACE TEMP TABLE s_state_win AS
     SELECT ${cols} FROM (
       SELECT *, row_number() OVER (PARTITION BY ${merge.key.map(qi).join(', ')} ORDER BY ${ordered}) AS _rn FROM (
         SELECT ${cols} FROM ${table} s WHERE EXISTS (SELECT 1 FROM s_state_new n WHERE ${same})
         UNION ALL SELECT ${cols} FROM s_state_new))
     WHERE _rn = 1`,
    `state-winners ${spec.name}`,
  );
  await duck.run(`DELETE FROM ${table} s WHERE EXISTS (SELECT 1 FROM s_state_new n WHERE ${same})`, `state-delete ${spec.name}`);
  await duck.run(`INSERT INTO ${table} SELECT ${cols} FROM s_state_win`, `state-insert ${spec.name}`);
  await duck.run(`DROP TABLE s_state_new; DROP TABLE s_state_win`);
  return true;
}

/**
 * SQL of a dataset's current silver state as of `batch`: every committed partition up
 * to the batch, merged on read.
 */
export function silverStateSql(spec: JobSpec, lake: Lake, batch: string): string | undefined {
  const merge = find(spec, 'merge');
  if (!merge) return undefined;
  const parts = lake.batches('silver', spec.name).filter((b) => b <= batch);
  if (parts.length === 0) return undefined;
  const src = `read_parquet([${parts.map((b) => sqlStr(lake.partitionFile('silver', spec.name, b))).join(', ')}])`;
  const key = merge.key.map(qi).join(', ');
  const ordered = `${orderSql(merge)}, _batch_id DESC, _record_hash`;
  const cols = merge.columns.map(qi).join(', ');
  if (merge.mode === 'scd1') {
    return `SELECT ${cols}, _batch_id, _record_hash FROM (SELECT *, row_number() OVER (PARTITION BY ${key} ORDER BY ${ordered}) AS _rn FROM ${src}) WHERE _rn = 1`;
  }
  // SCD2: versions start where the tracked columns change; each version shows its latest record
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
