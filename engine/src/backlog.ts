/**
 * A backlog of daily batches in one pass: each bronze and silver job runs once over every
 * batch of the backlog (one statement per step, not one per step and batch), every rule
 * keeping its batch dimension, so each batch's partitions and results are those of
 * running the batches one by one:
 * - landing files: a re-landed file is recognised against the earlier batches (ledger),
 *   the backlog's earlier batches included, in batch order;
 * - the watermark's cutoff is the row's batch; a unique key is unique within its batch;
 * - a reference holds when the parent key's first silver batch is not after the row's
 *   batch (the parent's silver job runs before the child's bronze job in each batch, so
 *   a row sees the parent's state through its own batch);
 * - silver: exact copies within a batch, records merged by an earlier batch (before the
 *   backlog, or an earlier batch of it) and versions superseded within a batch, as a
 *   fixed point over the batches (see `silverBacklog`);
 * - partitions are written with one partitioned COPY per dataset and zone, the same
 *   bytes as one COPY per batch; a batch without rows gets the same empty file.
 * A batch whose check with action `fail` fails, or whose freshness rule stops it, makes
 * the pass give up (`stop`): the runner takes back what the pass wrote and runs the
 * backlog day by day, which stops where the daily runs stop, with their error.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StreamPulseError } from '@streampulse/contracts';
import type { FreshnessMode, JobSpec } from '@streampulse/jobs';
import {
  BRONZE_HELPERS,
  batchFiles,
  type BronzeResult,
  bronzeResultOf,
  bronzeRowsSql,
  checkClauses,
  countsSql,
  failedFailChecks,
  freshnessOf,
  type Ledger,
  type ParsedLanding,
  landingFiles,
  ledgerPath,
  sortKeys,
  step,
  takeOrParse,
  verdictsSql,
} from './bronze.js';
import { type Duck, qi, sqlStr } from './duck.js';
import { commit, type Lake, tempFor, writeFileAtomic } from './lake.js';
import { conformSql, find, keepSql, orderSql, type SilverResult } from './silver.js';

/** What a pass wrote (to take it back when it gives up) and where its writes go. */
export interface BacklogWrites {
  /** Runs a write: handed to the side lane when there is one (resolves at once: the pass goes on), else run here (resolves when done). */
  readonly write: (fn: (duck: Duck) => Promise<void>) => Promise<void>;
  /** Every file the pass wrote or will write (partitions, ledgers). */
  readonly files: string[];
  /** Each ledger's content before the pass (undefined: there was none). */
  readonly ledgers: Map<string, string | undefined>;
}

/** The tables a dataset's bronze backlog leaves until its silver job and its writes have read them. */
const PARSED = (ds: string): string => qi(`bl_parsed__${ds}`);
const VERDICT = (ds: string): string => qi(`bl_verdict__${ds}`);
const FILES = (ds: string): string => qi(`bl_files__${ds}`);
/** The view of a dataset's bronze rows of every batch of the backlog (helper columns last). */
export const backlogBronze = (ds: string): string => qi(`bl_bronze__${ds}`);
/** The table of each parent key's first silver batch (`k`, `fb`), for referential checks. */
export const firstBatchTable = (ds: string, column: string): string => qi(`bl_first__${ds}__${column}`);

export function dropBronzeBacklogSql(ds: string): string {
  return `DROP VIEW IF EXISTS ${backlogBronze(ds)}; DROP TABLE IF EXISTS ${VERDICT(ds)}; DROP TABLE IF EXISTS ${PARSED(ds)}; DROP TABLE IF EXISTS ${FILES(ds)}`;
}

export interface BronzeBacklogContext {
  readonly duck: Duck;
  readonly lake: Lake;
  readonly batches: readonly string[];
  readonly ingestedAt: string;
  /** The table of a parent column's first silver batch per key, undefined when the parent has no silver job. */
  readonly firstBatch: (dataset: string, column: string) => string | undefined;
  /** The newest promoted event before the backlog (the last earlier report's). */
  readonly newestBefore: string | null;
  readonly freshness: FreshnessMode;
  /** The tables are regular (a side lane's connection reads them), else temporary. */
  readonly persist: boolean;
  readonly writes: BacklogWrites;
  /** The backlog's landing files already parsed on the side lane (`prefetchLanding` over its batches), when they were. */
  readonly takeParsed?: () => Promise<ParsedLanding | undefined>;
}

/** Per batch, the bronze results; or the first batch that stops (the daily runs stop there). */
export type BacklogOutcome<R> = { readonly results: Map<string, R> } | { readonly stop: string };

export async function bronzeBacklog(spec: JobSpec, ctx: BronzeBacklogContext): Promise<BacklogOutcome<BronzeResult>> {
  const { duck, lake, batches } = ctx;
  const read = step(spec, 'read_landing');
  const cols = step(spec, 'parse').columns;
  const evt = qi(step(spec, 'watermark').event_time);
  const temp = ctx.persist ? '' : 'TEMP ';

  // ---- files, batch by batch: a re-landed file is one of an earlier batch (before or in the backlog)
  // the ledger's text before the pass is kept to be put back when the pass gives up
  const ledgerFile = ledgerPath(lake, spec.name);
  const ledgerText = existsSync(ledgerFile) ? readFileSync(ledgerFile, 'utf8') : undefined;
  ctx.writes.ledgers.set(ledgerFile, ledgerText);
  const inBacklog = new Set(batches);
  const ledger: Ledger = Object.fromEntries(
    Object.entries(ledgerText === undefined ? {} : (JSON.parse(ledgerText) as Ledger)).filter(([, e]) => !inBacklog.has(e.batch)),
  );
  const per = new Map<string, Awaited<ReturnType<typeof batchFiles>>>();
  const toRead: { abs: string; rel: string; batch: string }[] = [];
  for (const batch of batches) {
    const p = await batchFiles(duck, spec, lake, batch, landingFiles(lake, read.path, batch), ledger);
    per.set(batch, p);
    for (const f of p.toRead) toRead.push({ ...f, batch });
    if (p.files.length === 0) p.notes.push(`no landing file for ${batch} under ${dirname(read.path.split('{date}').join(batch))}`);
    for (const f of p.files) if (f.duplicateOf === undefined) ledger[f.sha256] = { batch, file: f.file };
  }

  // ---- every file of the backlog parsed into one table, in batch and file order
  const parsed = PARSED(spec.name);
  const filesTable = FILES(spec.name);
  await duck.run(dropBronzeBacklogSql(spec.name));
  const parseNotes = await takeOrParse(duck, spec, lake, {
    pre: ctx.takeParsed === undefined ? undefined : await ctx.takeParsed(),
    toRead,
    parsed,
    persist: ctx.persist,
    many: true,
  });
  for (const f of toRead) per.get(f.batch)!.notes.push(...(parseNotes.get(f.rel) ?? []));
  const batchOfFile = new Map(toRead.map((f) => [f.rel, f.batch]));
  await duck.run(
    `CREATE ${temp}TABLE ${filesTable} AS SELECT * FROM (VALUES ${['(NULL::VARCHAR, NULL::VARCHAR)', ...toRead.map((f) => `(${sqlStr(f.rel)}, ${sqlStr(f.batch)})`)].join(', ')}) v(f, b) WHERE f IS NOT NULL`,
    `files of ${spec.id}`,
  );
  const blank = new Map<string, number>();
  let parsedRows = 0;
  for (const r of await duck.rows(
    `SELECT _source_file AS f, count(*) FILTER (WHERE NOT _blank) AS n, count(*) FILTER (WHERE _blank) AS b FROM ${parsed} GROUP BY 1`,
    'file rows',
  )) {
    const batch = batchOfFile.get(String(r['f']));
    if (batch === undefined) continue;
    blank.set(batch, (blank.get(batch) ?? 0) + Number(r['b']));
    parsedRows += Number(r['n']) + Number(r['b']);
    const files = per.get(batch)!.files;
    const at = files.findIndex((x) => x.file === r['f'] && x.duplicateOf === undefined);
    if (at >= 0) files[at] = { ...files[at]!, rows: Number(r['n']) };
  }

  // ---- every row's verdict, one statement over the backlog: the checks keep their batch dimension
  const batchJoin = `JOIN ${filesTable} bf ON bf.f = p._source_file`;
  const clauses = checkClauses(spec, parsed, {
    batch: 'bf.b',
    batchJoin,
    referential: (parent, refCol, col, alias) => {
      const first = ctx.firstBatch(parent, refCol);
      if (first === undefined) return { fails: `_ok AND ${qi(col)} IS NOT NULL` };
      return {
        join: `LEFT JOIN ${first} ${alias} ON ${alias}.k = p.${qi(col)}`,
        fails: `_ok AND p.${qi(col)} IS NOT NULL AND (${alias}.fb IS NULL OR ${alias}.fb > bf.b)`,
      };
    },
  });
  const verdicts = VERDICT(spec.name);
  await duck.run(`CREATE ${temp}TABLE ${verdicts} AS ${verdictsSql(parsed, clauses, 'bf.b')}`, `bronze verdicts of ${spec.id} (${batches.length} batches)`);
  const view = backlogBronze(spec.name);
  await duck.run(`CREATE ${temp}VIEW ${view} AS ${bronzeRowsSql(parsed, verdicts, cols, 'v._v_batch', ctx.ingestedAt)}`);

  // ---- every batch's figures from one grouped scan
  const groups = parsedRows === 0 ? [] : await duck.rows(countsSql(view, evt, true), `counts of ${spec.id} (${batches.length} batches)`);
  if (Number(groups[0]?.['misaligned'] ?? 0) > 0)
    throw new StreamPulseError('BRONZE_MISALIGNED', `${spec.name} backlog ${batches[0]}…${batches.at(-1)}: verdicts are not beside their parsed rows`, {
      remedy: 'this is a runner bug (the verdicts must follow the parsed table’s row order); run the days one by one (streampulse run --date) and report it',
    });
  const byBatch = new Map<string, Record<string, unknown>[]>();
  for (const g of groups) {
    const b = String(g['bt']);
    byBatch.set(b, [...(byBatch.get(b) ?? []), g]);
  }
  const results = new Map<string, BronzeResult>();
  let newestBefore = ctx.newestBefore;
  for (const batch of batches) {
    const g = byBatch.get(batch) ?? [];
    if (failedFailChecks(g).size > 0) return { stop: batch };
    const fresh = freshnessOf(spec, batch, g, newestBefore, ctx.freshness);
    if (fresh.stops.length > 0) return { stop: batch };
    const p = per.get(batch)!;
    results.set(batch, bronzeResultOf(spec, g, fresh, { files: p.files, blankLines: blank.get(batch) ?? 0, duplicateFileRows: p.dupRows, notes: p.notes }));
    newestBefore = fresh.newest;
  }

  // ---- partitions (bronze: every row; quarantine: quarantined and dropped), then the ledger
  const rows = `SELECT * EXCLUDE (${BRONZE_HELPERS.join(', ')}), _batch_id AS _p FROM ${view}`;
  const text = JSON.stringify(sortKeys(ledger), null, 1);
  ctx.writes.files.push(...batches.flatMap((b) => [lake.partitionFile('bronze', spec.name, b), lake.partitionFile('quarantine', spec.name, b)]), ledgerFile);
  await ctx.writes.write(async (d) => {
    await copyPartitioned(d, rows, lake, 'bronze', spec.name, batches);
    await copyPartitioned(d, `${rows} WHERE _quality_status IN ('quarantined', 'dropped')`, lake, 'quarantine', spec.name, batches);
    writeFileAtomic(ledgerFile, text);
  });
  return { results };
}

export interface SilverBacklogContext {
  readonly duck: Duck;
  readonly lake: Lake;
  readonly batches: readonly string[];
  readonly salt: string;
  readonly persist: boolean;
  /** Columns whose first batch per key referential checks look up (`firstBatchTable`). */
  readonly referenced: ReadonlySet<string> | undefined;
  /**
   * The `firstBatchTable`s already hold every partition before the backlog (an earlier
   * pass of the same backfill built them): only the backlog's new keys are added.
   */
  readonly firstBatchesHeld?: boolean;
  /**
   * The runner's held index of the silver rows before the backlog (`h` = hash of the
   * record hash, `b` = batch): only the partitions that hold one of the backlog's hashes
   * are read to tell re-sent records, and the backlog's kept rows are appended to it.
   */
  readonly seenIndex?: string;
  readonly writes: BacklogWrites;
}

const S_IN = (ds: string): string => qi(`bl_s_in__${ds}`);
const S_RANKED = (ds: string): string => qi(`bl_s_ranked__${ds}`);
export function dropSilverBacklogSql(ds: string): string {
  return `DROP TABLE IF EXISTS ${S_RANKED(ds)}; DROP TABLE IF EXISTS ${S_IN(ds)}`;
}

/**
 * The silver job over the backlog's bronze rows (`backlogBronze`). A record is a
 * duplicate of an earlier batch when one of the earlier batches kept it: one before the
 * backlog (its partitions) or one of the backlog. Whether a batch keeps a record depends
 * on which of its records are such duplicates (a version is superseded only by the new
 * records of its key), so the batches depend on the earlier ones: the verdicts are the
 * fixed point of evaluating every batch against the records the earlier batches kept in
 * the round before. Each round makes at least one more batch exact (the first batch needs
 * only the partitions before the backlog), and a fixed point is the one-by-one result
 * (it satisfies each batch's rule given the earlier batches, which determines it). Only
 * records with first copies in two or more batches are tracked (no other can be a
 * duplicate of a batch of the backlog): one round when there is none, two when no batch
 * re-sends a record another batch superseded.
 */
export async function silverBacklog(spec: JobSpec, ctx: SilverBacklogContext): Promise<Map<string, SilverResult>> {
  const { duck, lake, batches } = ctx;
  const merge = find(spec, 'merge');
  if (!merge) throw new StreamPulseError('LOCAL_SPEC_INVALID', `job ${spec.id} has no merge step`, { remedy: 'regenerate the job specs' });
  const temp = ctx.persist ? '' : 'TEMP ';
  const sIn = S_IN(spec.name);
  const ranked = S_RANKED(spec.name);
  const first = batches[0]!;
  await duck.run(
    `CREATE OR REPLACE ${temp}TABLE ${sIn} AS ${conformSql(spec, `(SELECT * EXCLUDE (${BRONZE_HELPERS.join(', ')}) FROM ${backlogBronze(spec.name)})`, ctx.salt)}`,
    `read bronze ${spec.name}`,
  );
  const prior = lake.batches('silver', spec.name).filter((b) => b < first);
  const filesOf = (bs: readonly string[]): string => `read_parquet([${bs.map((b) => sqlStr(lake.partitionFile('silver', spec.name, b))).join(', ')}])`;
  // the earlier partitions that can hold one of the backlog's records: every one, or those
  // the held index points to (a 64-bit hash only selects partitions; records are compared by their full hash)
  const candidates =
    ctx.seenIndex === undefined || prior.length === 0
      ? prior
      : (
          await duck.rows(
            `SELECT DISTINCT CAST(b AS VARCHAR) AS b FROM ${ctx.seenIndex} WHERE h IN (SELECT hash(_record_hash) FROM ${sIn}) ORDER BY 1`,
            `seen lookup ${spec.name}`,
          )
        ).map((r) => String(r['b']));
  const earlier =
    candidates.length > 0
      ? `(SELECT DISTINCT _record_hash FROM ${filesOf(candidates)} WHERE _record_hash IN (SELECT _record_hash FROM ${sIn}))`
      : `(SELECT NULL::VARCHAR AS _record_hash WHERE FALSE)`;
  const narrow = [...new Set([...merge.key, ...merge.order_by.map((o) => o.column)])].map((c) => `s.${qi(c)}`).join(', ');
  await duck.run(
    `CREATE OR REPLACE TEMP TABLE bl_r AS
     SELECT s._batch_id AS _b, s._source_file, s._line_no, ${narrow}, s._record_hash,
            row_number() OVER (PARTITION BY s._batch_id, s._record_hash ORDER BY s._source_file, s._line_no) AS _exact_rank,
            e._record_hash IS NOT NULL AS _prior, hash(s._record_hash) AS _h
     FROM ${sIn} s LEFT JOIN ${earlier} e ON e._record_hash = s._record_hash`,
    `dedupe ${spec.name} (${batches.length} batches)`,
  );
  const key = merge.key.map(qi).join(', ');
  const keep = keepSql(merge);
  // Only a record whose first copies are in two or more batches of the backlog can be a
  // duplicate of an earlier batch of it (any other's verdict is its partitions' alone):
  // the rounds track where those records are kept. Round 0: in their first batch.
  await duck.run(
    `CREATE OR REPLACE TEMP TABLE bl_kept AS SELECT _record_hash, min(_b) AS kb FROM bl_r WHERE _exact_rank = 1 AND NOT _prior GROUP BY 1 HAVING count(*) > 1`,
  );
  await duck.run(`CREATE OR REPLACE TEMP TABLE bl_multi AS SELECT _record_hash FROM bl_kept`);
  const multi = Number(await duck.scalar(`SELECT count(*) FROM bl_multi`, `re-sent records of ${spec.name}`));
  for (let round = 1; ; round++) {
    await duck.run(
      `CREATE OR REPLACE ${temp}TABLE ${ranked} AS
       WITH s AS (SELECT r.*, r._prior OR coalesce(k.kb < r._b, FALSE) AS _seen_before FROM bl_r r LEFT JOIN bl_kept k ON k._record_hash = r._record_hash)
       SELECT _b, _source_file, _line_no, _record_hash, _exact_rank, _seen_before, _h, CASE WHEN _exact_rank = 1 AND NOT _seen_before THEN
         row_number() OVER (PARTITION BY _b, ${key}, (_exact_rank = 1 AND NOT _seen_before) ORDER BY ${orderSql(merge)}, _source_file DESC, _line_no DESC) END AS _key_rank
       FROM s`,
      `dedupe ${spec.name} round ${round}`,
    );
    // none re-sent across the backlog's batches: the first round is the result
    if (multi === 0) break;
    await duck.run(
      `CREATE OR REPLACE TEMP TABLE bl_kept_next AS SELECT _record_hash, min(_b) AS kb FROM ${ranked} WHERE ${keep} AND _record_hash IN (SELECT _record_hash FROM bl_multi) GROUP BY 1`,
    );
    const changed = Number(
      await duck.scalar(
        `SELECT (SELECT count(*) FROM (SELECT * FROM bl_kept EXCEPT SELECT * FROM bl_kept_next)) + (SELECT count(*) FROM (SELECT * FROM bl_kept_next EXCEPT SELECT * FROM bl_kept))`,
        `rounds of ${spec.name}`,
      ),
    );
    await duck.run(`DROP TABLE bl_kept; ALTER TABLE bl_kept_next RENAME TO bl_kept`);
    if (changed === 0) break;
    if (round > batches.length + 1)
      throw new StreamPulseError('SILVER_NO_FIXED_POINT', `silver ${spec.name}: the backlog's duplicate verdicts did not settle in ${round} rounds`, {
        remedy: 'this is a runner bug; run the days one by one (streampulse run --date) and report it',
      });
  }
  await duck.run(`DROP TABLE bl_r; DROP TABLE bl_kept; DROP TABLE bl_multi`);
  const results = new Map<string, SilverResult>();
  for (const b of batches) results.set(b, { rowsIn: 0, promoted: 0, duplicatesInBatch: 0, duplicatesOfEarlierBatches: 0, superseded: 0 });
  for (const s of await duck.rows(
    `SELECT _b, count(*) AS n,
            count(*) FILTER (WHERE _exact_rank > 1) AS exact,
            count(*) FILTER (WHERE _exact_rank = 1 AND _seen_before) AS seen,
            count(*) FILTER (WHERE _exact_rank = 1 AND NOT _seen_before AND ${merge.mode === 'scd1' ? '_key_rank > 1' : 'FALSE'}) AS superseded,
            count(*) FILTER (WHERE ${keep}) AS promoted
     FROM ${ranked} GROUP BY 1`,
    `counts of ${spec.id} (${batches.length} batches)`,
  )) {
    const r = {
      rowsIn: Number(s['n']),
      promoted: Number(s['promoted']),
      duplicatesInBatch: Number(s['exact']),
      duplicatesOfEarlierBatches: Number(s['seen']),
      superseded: Number(s['superseded']),
    };
    if (r.duplicatesInBatch + r.duplicatesOfEarlierBatches + r.superseded + r.promoted !== r.rowsIn)
      throw new StreamPulseError('CONSERVATION_BROKEN', `silver ${spec.name} ${String(s['_b'])}: ${r.rowsIn} in ≠ ${r.promoted} promoted + duplicates`, {
        remedy: 'this is a runner bug; please report it with the batch',
      });
    results.set(String(s['_b']), r);
  }
  const rows = `SELECT s.* EXCLUDE (_source_file, _line_no) FROM ${sIn} s SEMI JOIN (SELECT _b, _source_file, _line_no FROM ${ranked} WHERE ${keep}) k ON k._b = s._batch_id AND k._source_file = s._source_file AND k._line_no = s._line_no`;
  // each referenced column's first silver batch per key, before the backlog and in it
  for (const col of ctx.referenced ?? []) {
    const c = qi(col);
    const t = firstBatchTable(spec.name, col);
    if (ctx.firstBatchesHeld === true)
      // a key held already has its first batch before the backlog's
      await duck.run(
        `INSERT INTO ${t} SELECT r.${c} AS k, min(r._batch_id) AS fb FROM (${rows}) r ANTI JOIN ${t} h ON h.k = r.${c} WHERE r.${c} IS NOT NULL GROUP BY 1`,
        `first batches ${spec.name}.${col}`,
      );
    else {
      const src = [`SELECT ${c}, _batch_id FROM (${rows})`, ...(prior.length > 0 ? [`SELECT ${c}, _batch_id FROM ${filesOf(prior)}`] : [])].join(' UNION ALL ');
      await duck.run(
        `CREATE OR REPLACE TEMP TABLE ${t} AS SELECT ${c} AS k, min(_batch_id) AS fb FROM (${src}) WHERE ${c} IS NOT NULL GROUP BY 1`,
        `first batches ${spec.name}.${col}`,
      );
    }
  }
  if (ctx.seenIndex !== undefined) await duck.run(`INSERT INTO ${ctx.seenIndex} SELECT _h, _b FROM ${ranked} WHERE ${keep}`, `seen append ${spec.name}`);
  ctx.writes.files.push(...batches.map((b) => lake.partitionFile('silver', spec.name, b)));
  await ctx.writes.write((d) =>
    copyPartitioned(
      d,
      `SELECT *, _batch_id AS _p FROM (${rows}) ORDER BY _batch_id, ${key}, ${orderSql(merge)}, _record_hash`,
      lake,
      'silver',
      spec.name,
      batches,
    ),
  );
  return results;
}

/**
 * Writes one partition per batch with one COPY (`query` has the batch in a column `_p`,
 * not written): each batch's file is the file one COPY of its rows writes, renamed into
 * place; a batch without rows gets the empty file of the same columns.
 */
async function copyPartitioned(
  duck: Duck,
  query: string,
  lake: Lake,
  container: 'bronze' | 'silver' | 'quarantine',
  table: string,
  batches: readonly string[],
): Promise<void> {
  const dir = tempFor(lake.path(container, table, 'backlog'));
  try {
    await duck.run(
      `COPY (${query}) TO ${sqlStr(dir)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, PARTITION_BY (_p), WRITE_PARTITION_COLUMNS false, OVERWRITE_OR_IGNORE true)`,
      `write ${container} ${table}`,
    );
    let empty: string | undefined;
    for (const b of batches) {
      const final = lake.partitionFile(container, table, b);
      const part = join(dir, `_p=${b}`);
      const files = existsSync(part) ? readdirSync(part) : [];
      if (files.length > 1)
        throw new StreamPulseError('LOCAL_WRITE_SPLIT', `${container} ${table} ${b}: the partitioned write gave ${files.length} files`, {
          remedy: 'this is a runner bug (one file per batch is expected); run the days one by one and report it',
        });
      if (files[0] !== undefined) {
        mkdirSync(dirname(final), { recursive: true });
        commit(join(part, files[0]), final);
        continue;
      }
      const tmp = tempFor(final);
      if (empty === undefined) {
        empty = join(dir, 'empty.parquet');
        await duck.run(
          `COPY (SELECT * EXCLUDE (_p) FROM (${query}) LIMIT 0) TO ${sqlStr(empty)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)`,
          `write ${container} ${table} (empty)`,
        );
      }
      copyFileSync(empty, tmp);
      commit(tmp, final);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
