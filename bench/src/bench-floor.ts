/**
 * The benchmark's floor: the same landing → bronze → silver → gold → marts work as the
 * local runner, written as one plain DuckDB SQL script over ALL days at once — no
 * batches, no per-batch state, no reports. It is what a careful engineer would write by
 * hand for a one-off load, so it bounds what the runner could cost on the same engine,
 * threads and memory limit.
 *
 * The script is generated from the compiled job specs (which come from the contracts),
 * so it names no dataset. Per dataset, one read over every landing file (JSONL as lines
 * parsed with json_extract_string, as the runner does; CSV with DuckDB's reader), the
 * contract's casts and every quality check, then:
 * - by default (`bronze` true), what the runner writes: every row into a temp table with
 *   the bronze audit columns, its quality status and reasons, and unknown fields
 *   rescued; from it the bronze files (every row) and the quarantine files (quarantined
 *   and dropped rows), one per batch, and silver from the promoted rows. A file landed
 *   again with the same content is read once (the runner's ledger);
 * - with `bronze: false`, a lower bound: the quarantining checks as filters straight
 *   into silver, no bronze or quarantine files, no audit columns, no rescued fields;
 *   the record hash is a 64-bit hash, and re-landed copies are read and deduplicated.
 * Then conform, pseudonymise, dedupe by key (latest wins; SCD2 keeps versions), one
 * silver Parquet file; then the gold models and marts with the specs' own duckdb SQL,
 * one Parquet file each. `fail` rules (which stop the runner's batch) and freshness
 * rules are not evaluated.
 */
import { basename, dirname, extname, join } from 'node:path';
import { StreamPulseError } from '@streampulse/contracts';
import { bindRunDate, type JobPlan, type JobSpec, type QualityCheck, type Step } from '@streampulse/jobs';
import { quoteIdent, stringLiteral } from '@streampulse/sql';

export interface FloorStatement {
  /** `silver` statements are landing → silver; `gold` are gold models and marts. */
  readonly phase: 'silver' | 'gold';
  /** A job-like label, e.g. `silver.users` or `gold.dim_user`. */
  readonly label: string;
  readonly sql: string;
}

export interface FloorOptions {
  /** The landing folder (holds `<landing_path>` files for every day). */
  readonly landingDir: string;
  /** Where silver/ and gold/ Parquet files are written. */
  readonly outDir: string;
  /** Pseudonymisation salt (the same secret the runner uses). */
  readonly salt: string;
  /** `{{param:run_date}}` of the gold SQL: the last day. */
  readonly runDate: string;
  /**
   * The runner's outputs (default): every landing row also goes to bronze with its audit
   * columns, quality status and reasons, and the bad ones to quarantine, one Parquet file
   * per batch each, as the runner writes them. `false`: silver and gold only, a lower
   * bound that skips the bronze layer.
   */
  readonly bronze?: boolean;
  /** `_ingested_at` of every bronze row (default: when the script is generated, once for the whole script). */
  readonly ingestedAt?: string;
}

/** The options with the script's one ingestion time settled. */
type ScriptOptions = FloorOptions & { readonly ingestedAt: string };

const qi = (s: string): string => quoteIdent(s, 'duckdb');
const str = (s: string): string => stringLiteral(s, 'duckdb');

type StepOf<K extends Step['op']> = Extract<Step, { op: K }>;
function stepOf<K extends Step['op']>(spec: JobSpec, op: K): StepOf<K> | undefined {
  return spec.steps.find((s) => s.op === op) as StepOf<K> | undefined;
}
function need<K extends Step['op']>(spec: JobSpec, op: K): StepOf<K> {
  const s = stepOf(spec, op);
  if (!s) throw new StreamPulseError('BENCH_SPEC_INVALID', `job ${spec.id} has no "${op}" step`, { remedy: 'regenerate the job specs from the contracts' });
  return s;
}

/** The silver relation of a dataset inside the floor script. */
export const floorSilver = (dataset: string): string => qi(`silver__${dataset}`);
const floorGold = (name: string): string => qi(`gold__${name}`);

/** Every landing file of a dataset, all days: `<dir with * for the date>/*<ext>` (re-landed copies included, as the runner lists them). */
export function landingGlob(landingDir: string, landingPath: string): string {
  const any = landingPath.split('{date}').join('*');
  return join(landingDir, dirname(any), `*${extname(any)}`);
}

/** A regular expression whose group 1 is the batch date in a landing file's path. */
export function batchRegex(landingPath: string): string {
  const dir = dirname(landingPath);
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (dir.includes('{date}')) return dir.split('{date}').map(esc).join('(\\d{4}-\\d{2}-\\d{2})');
  return basename(landingPath).split('{date}').map(esc).join('(\\d{4}-\\d{2}-\\d{2})');
}

function orderBy(order: readonly { column: string; direction: 'asc' | 'desc' }[], invert = false): string {
  return order
    .map((o) => {
      const dir = invert ? (o.direction === 'desc' ? 'ASC' : 'DESC') : o.direction.toUpperCase();
      return `${qi(o.column)} ${dir} ${invert ? 'NULLS FIRST' : 'NULLS LAST'}`;
    })
    .join(', ');
}

/** The silver columns of a dataset, conformed and pseudonymised exactly as the silver spec says (PII dropped). */
function silverColumns(silver: JobSpec, o: FloorOptions): string {
  const conform = new Map((stepOf(silver, 'conform')?.columns ?? []).map((c) => [c.name, c.sql.duckdb]));
  const pseudo = new Set(stepOf(silver, 'pseudonymise')?.columns ?? []);
  return need(silver, 'merge')
    .columns.map((c) => {
      let e = conform.get(c) ?? qi(c);
      if (pseudo.has(c)) e = `CASE WHEN (${e}) IS NULL THEN NULL ELSE sha256(${str(o.salt)} || CAST((${e}) AS VARCHAR)) END`;
      return `${e} AS ${qi(c)}`;
    })
    .join(',\n         ');
}

/**
 * Dedupe by key over every promoted row (`ok`: the silver columns, `_batch_id`,
 * `_record_hash`, `_source_file`, `_line_no`), written as one silver Parquet file, and
 * the view later statements read it through.
 */
function silverCopy(silver: JobSpec, okCte: string, o: FloorOptions): string {
  const merge = need(silver, 'merge');
  const key = merge.key.map(qi).join(', ');
  const cols2 = merge.columns.map(qi).join(', ');
  let body: string;
  if (merge.mode === 'scd1') {
    body = `\nSELECT ${cols2}, _batch_id, _record_hash FROM ok
QUALIFY row_number() OVER (PARTITION BY ${key} ORDER BY ${orderBy(merge.order_by)}, _batch_id DESC, _source_file DESC, _line_no DESC) = 1`;
  } else {
    // SCD2: one row per version; a version starts where a tracked column changes
    const first = merge.order_by[0]!;
    const asc = orderBy(merge.order_by, true);
    const changed = (merge.tracked_columns ?? []).map((t) => `${qi(t)} IS DISTINCT FROM lag(${qi(t)}) OVER w`).join(' OR ') || 'FALSE';
    body = `, d AS (SELECT * FROM ok QUALIFY row_number() OVER (PARTITION BY _record_hash ORDER BY _batch_id, _source_file, _line_no) = 1),
r AS (SELECT *, CASE WHEN lag(_record_hash) OVER w IS NULL OR ${changed} THEN 1 ELSE 0 END AS _chg
      FROM d WINDOW w AS (PARTITION BY ${key} ORDER BY ${asc}, _batch_id, _record_hash)),
v AS (SELECT *, sum(_chg) OVER (PARTITION BY ${key} ORDER BY ${asc}, _batch_id, _record_hash ROWS UNBOUNDED PRECEDING) AS _ver FROM r),
g AS (SELECT *, min(CAST(${qi(first.column)} AS TIMESTAMP)) OVER (PARTITION BY ${key}, _ver) AS _valid_from,
             row_number() OVER (PARTITION BY ${key}, _ver ORDER BY ${orderBy(merge.order_by)}, _batch_id DESC, _record_hash) AS _rn FROM v)
SELECT ${cols2}, _batch_id, _record_hash, _valid_from,
       lead(_valid_from) OVER (PARTITION BY ${key} ORDER BY _valid_from) AS _valid_to,
       lead(_valid_from) OVER (PARTITION BY ${key} ORDER BY _valid_from) IS NULL AS _is_current
FROM g WHERE _rn = 1`;
  }
  const file = join(o.outDir, 'silver', `${silver.name}.parquet`);
  return `COPY (\n${okCte}${body}\n) TO ${str(file)} (FORMAT parquet, COMPRESSION zstd);
CREATE OR REPLACE VIEW ${floorSilver(silver.name)} AS SELECT * FROM read_parquet(${str(file)})`;
}

/** The parent dataset of a referential check (`{{silver.<name>}}`), refusing a reference to the dataset itself. */
function parentOf(c: QualityCheck, bronze: JobSpec, silver: JobSpec): string {
  const parent = /\{\{silver\.([a-z0-9_]+)\}\}/.exec(c.references?.table ?? '')?.[1] ?? '';
  if (parent === silver.name)
    throw new StreamPulseError('BENCH_FLOOR_UNSUPPORTED', `${bronze.id}: a referential rule on its own dataset is not supported by the floor script`, {
      remedy: 'run the benchmark on contracts without self-references',
    });
  return parent;
}

/** A batch's duplicate key (the per-batch `unique` rule): a key seen again in the batch with other content; the later rows fail. */
function duplicateKeyWindow(c: QualityCheck, name: string): string {
  const keys = c.columns ?? [];
  const part = ['_batch_id', ...keys].map(qi).join(', ');
  const nn = keys.map((k) => `${qi(k)} IS NOT NULL`).join(' AND ');
  return `(${nn} AND row_number() OVER (PARTITION BY ${part} ORDER BY _source_file, _line_no) > 1 AND count(*) OVER (PARTITION BY ${part}, _record_hash) < count(*) OVER (PARTITION BY ${part})) AS ${qi(name)}`;
}

/** landing → silver of one dataset without the bronze layer (the lower bound): checks as filters, one statement writing one Parquet file. */
function silverStatement(bronze: JobSpec, silver: JobSpec, built: ReadonlySet<string>, o: FloorOptions): string {
  const read = need(bronze, 'read_landing');
  const cols = need(bronze, 'parse').columns;
  const wm = need(bronze, 'watermark');
  const checks = need(bronze, 'quality').checks.filter((c) => c.action === 'quarantine' || c.action === 'drop');
  const raw = (c: string): string => qi(`__raw_${c}`);
  const rawCols = `{${cols.map((c) => `${str(c.name)}: 'VARCHAR'`).join(', ')}}`;
  const glob = str(landingGlob(o.landingDir, read.path));
  // JSONL: the lines as text, then one JSON object per line, as the runner reads them
  // (read_json with ignore_errors also drops valid lines after a broken one); the record
  // hash is a 64-bit hash of the line. CSV: DuckDB's reader, rejects skipped.
  const source =
    read.format === 'jsonl'
      ? `(SELECT filename, row_number() OVER () AS _line_no, hash(line) AS _record_hash, json_extract_string(line, [${cols.map((c) => str(`$."${c.name}"`)).join(', ')}]) AS _r
    FROM ${lineReader(glob)}
    WHERE line IS NOT NULL AND json_valid(line) AND starts_with(ltrim(line, ${WS}), '{'))`
      : `(SELECT filename, row_number() OVER () AS _line_no, hash(${cols.map((c) => qi(c.name)).join(', ')}) AS _record_hash, [${cols.map((c) => qi(c.name)).join(', ')}] AS _r
    FROM read_csv(${glob}, header = ${read.csv?.header ?? true}, delim = ${str(read.csv?.delimiter ?? ',')}, quote = '"', escape = '"', auto_detect = false, columns = ${rawCols}, ignore_errors = true, filename = true))`;
  const cast = (c: (typeof cols)[number]): string => c.cast.duckdb.split('{{value}}').join(raw(c.name));

  // row filters: every quarantining/dropping rule, types, watermark, uniqueness, references
  const filters: string[] = [`NOT (${cols.map((c) => `(${raw(c.name)} IS NOT NULL AND ${qi(c.name)} IS NULL)`).join(' OR ')})`];
  const evt = qi(wm.event_time);
  filters.push(`NOT coalesce(CAST(${evt} AS TIMESTAMP) < CAST(_batch_id AS TIMESTAMP) - INTERVAL ${wm.max_delay_hours} HOUR, FALSE)`);
  const windows: string[] = [];
  const joins: string[] = [];
  for (const [i, c] of checks.entries()) {
    if (c.passes) filters.push(`coalesce((${c.passes.duckdb}), FALSE)`);
    else if (c.rule === 'unique' && c.columns) {
      windows.push(duplicateKeyWindow(c, `_dup_${i}`));
      filters.push(`NOT ${qi(`_dup_${i}`)}`);
    } else if (c.rule === 'referential' && c.references && c.columns?.[0]) {
      const parent = parentOf(c, bronze, silver);
      const col = qi(c.columns[0]);
      if (!built.has(parent)) filters.push(`${col} IS NULL`);
      else {
        const alias = qi(`r${i}`);
        joins.push(`LEFT JOIN (SELECT DISTINCT ${qi(c.references.column)} AS k FROM ${floorSilver(parent)}) ${alias} ON ${alias}.k = u.${col}`);
        filters.push(`(u.${col} IS NULL OR ${alias}.k IS NOT NULL)`);
      }
    }
  }

  const ok = `WITH t AS (
  SELECT regexp_extract(filename, ${str(batchRegex(read.path))}, 1) AS _batch_id, filename AS _source_file, _line_no, _record_hash,
         ${cols.map((c, i) => `_r[${i + 1}] AS ${raw(c.name)}`).join(', ')}
  FROM ${source}),
typed AS (SELECT *, ${cols.map((c) => `${cast(c)} AS ${qi(c.name)}`).join(', ')} FROM t),
u AS (SELECT *${windows.map((w) => `,\n         ${w}`).join('')} FROM typed),
ok AS (
  SELECT ${silverColumns(silver, o)},
         _batch_id, _record_hash, _source_file, _line_no
  FROM u ${joins.join('\n  ')}
  WHERE ${filters.join('\n    AND ')})`;
  return silverCopy(silver, ok, o);
}

/** JSON's insignificant white space, as a DuckDB expression. */
const WS = `' ' || chr(9) || chr(10) || chr(13)`;
/** Every line of the files of a glob as text, with the file's name. */
const lineReader = (glob: string): string =>
  `read_csv(${glob}, columns = {'line': 'VARCHAR'}, header = false, delim = E'\\x1F', quote = '', escape = '', auto_detect = false, max_line_size = 16777216, buffer_size = 33554432, filename = true)`;

/**
 * landing → bronze, quarantine and silver of one dataset, writing what the runner writes,
 * in the runner's shape of work (a careful engineer's, not a naive one's):
 * 1. every landing row (blank lines aside) parsed once into a temp table: the typed
 *    columns, `_source_file`, `_batch_id`, the record hash (SHA-256 of the line), unknown
 *    fields rescued, type errors, the raw line and its number (numbered across a
 *    dataset's files, not per file). A file landed again with the same content is read
 *    once (the runner's ledger);
 * 2. bronze: every row with `_ingested_at`, `_quality_status` and `_quarantine_reason`
 *    (every failed check), one file per batch. A key seen again in a batch with other
 *    content is found by a narrow aggregate joined back (the runner's `unique` rule),
 *    references by a join to the parent's silver;
 * 3. quarantine (quarantined and dropped rows) and silver (promoted rows: `warn` rules
 *    keep them) read back from the bronze files.
 */
function sameOutputsStatement(bronze: JobSpec, silver: JobSpec, built: ReadonlySet<string>, o: ScriptOptions): string {
  const read = need(bronze, 'read_landing');
  const cols = need(bronze, 'parse').columns;
  const wm = need(bronze, 'watermark');
  const checks = need(bronze, 'quality').checks.filter((c) => c.action === 'quarantine' || c.action === 'drop' || c.action === 'warn');
  const raw = (c: string): string => qi(`__raw_${c}`);
  const glob = str(landingGlob(o.landingDir, read.path));
  const batchOf = `regexp_extract(_source_file, ${str(batchRegex(read.path))}, 1)`;
  const tbl = qi(`floor_parsed__${silver.name}`);
  const ingested = `CAST(${str(o.ingestedAt)} AS TIMESTAMP)`;
  const declared = `[${cols.map((c) => str(c.name)).join(', ')}]`;
  const bronzeDir = join(o.outDir, 'bronze', silver.name);
  const bronzeFiles = `read_parquet(${str(join(bronzeDir, '*', '*.parquet'))}, hive_partitioning = false)`;
  // a file landed again with the same content is read once (the runner's ledger): the first copy by name
  const firstCopy = (col = 'filename'): string => `${col} IN (SELECT min(filename) FROM read_blob(${glob}) GROUP BY sha256(content))`;
  let source: string;
  let rejects = '';
  if (read.format === 'jsonl') {
    // blank lines are counted by the runner, never promoted: left out; a valid JSON text
    // whose first non-blank character is { is an object
    source = `(SELECT _source_file, _line_no, _raw_line, _ok, sha256(_raw_line) AS _record_hash,
           CASE WHEN _ok THEN json_extract_string(_raw_line, [${cols.map((c) => str(`$."${c.name}"`)).join(', ')}]) END AS _r,
           CASE WHEN _ok THEN (CASE WHEN json_keys(_raw_line) = ${declared} THEN []::VARCHAR[] ELSE list_filter(json_keys(_raw_line), k -> NOT list_contains(${declared}, k)) END) END AS _extra
    FROM (SELECT filename AS _source_file, row_number() OVER () AS _line_no, line AS _raw_line,
                 json_valid(line) AND (starts_with(line, '{') OR starts_with(ltrim(line, ${WS}), '{')) AS _ok
          FROM ${lineReader(glob)}
          WHERE line IS NOT NULL AND (starts_with(line, '{') OR trim(line) <> '') AND ${firstCopy()}))`;
  } else {
    const header = read.csv?.header ?? true;
    const names = cols.map((c) => qi(c.name));
    const scan = `floor_rejects_scan__${silver.name}`;
    const errs = `floor_rejects__${silver.name}`;
    source = `(SELECT filename AS _source_file, row_number() OVER () AS _line_no, TRUE AS _ok,
           CAST(to_json({${cols.map((c) => `${str(c.name)}: ${qi(c.name)}`).join(', ')}}) AS VARCHAR) AS _raw_line,
           sha256(concat_ws(chr(31), ${names.map((n) => `coalesce(${n}, chr(0))`).join(', ')})) AS _record_hash,
           [${names.map((n) => `nullif(${n}, '')`).join(', ')}] AS _r, NULL::VARCHAR[] AS _extra
    FROM read_csv(${glob}, header = ${header}, delim = ${str(read.csv?.delimiter ?? ',')}, quote = '"', escape = '"', auto_detect = false,
                  columns = {${cols.map((c) => `${str(c.name)}: 'VARCHAR'`).join(', ')}}, store_rejects = true, rejects_scan = ${str(scan)}, rejects_table = ${str(errs)}, filename = true)
    WHERE ${firstCopy()})`;
    // lines the CSV reader rejected (wrong column count, bad quoting): unparseable rows
    rejects = `;
INSERT INTO ${tbl} (_batch_id, _source_file, _line_no, _raw_line, _ok, _record_hash, _type_reasons)
SELECT ${batchOf}, _source_file, _line_no, _raw_line, FALSE, sha256(_raw_line), 'unparseable:' || lower(replace(_error, ' ', '_')) FROM (
  SELECT s.file_path AS _source_file, 1000000000 + e.line AS _line_no, any_value(e.csv_line) AS _raw_line, any_value(e.error_type) AS _error
  FROM ${qi(errs)} e JOIN ${qi(scan)} s USING (scan_id, file_id) WHERE ${firstCopy('s.file_path')} GROUP BY 1, 2)`;
  }
  const cast = (c: (typeof cols)[number]): string => c.cast.duckdb.split('{{value}}').join(raw(c.name));
  // 1. parsed once: typed columns, type errors (and a CSV reject's reason), rescued fields
  const typeReasons = cols.map((c) => `CASE WHEN ${raw(c.name)} IS NOT NULL AND ${qi(c.name)} IS NULL THEN ${str(`type:${c.name}`)} END`).join(', ');
  const parsed = `CREATE OR REPLACE TEMP TABLE ${tbl} AS
WITH t AS (
  SELECT ${batchOf} AS _batch_id, _source_file, _line_no, _raw_line, _ok, _record_hash, _extra,
         ${cols.map((c, i) => `_r[${i + 1}] AS ${raw(c.name)}`).join(', ')}
  FROM ${source}),
typed AS (SELECT *, ${cols.map((c) => `${cast(c)} AS ${qi(c.name)}`).join(', ')} FROM t)
SELECT _batch_id, _source_file, _line_no, _raw_line, _ok, _record_hash, ${cols.map((c) => qi(c.name)).join(', ')},
       nullif(concat_ws('; ', ${typeReasons}), '') AS _type_reasons,
       CASE WHEN len(_extra) > 0 THEN CAST(to_json(map_from_entries(list_transform(_extra, k -> {'k': k, 'v': json_extract(_raw_line, '$."' || k || '"')}))) AS VARCHAR) END AS _rescued
FROM typed${rejects}`;

  // 2. every check → reasons per action → status
  const evt = `p.${qi(wm.event_time)}`;
  const reasons: Record<'quarantine' | 'drop' | 'warn', string[]> = {
    quarantine: [
      `CASE WHEN NOT p._ok THEN coalesce(p._type_reasons, 'unparseable:not_a_json_object') ELSE p._type_reasons END`,
      `CASE WHEN p._ok AND CAST(${evt} AS TIMESTAMP) < CAST(p._batch_id AS TIMESTAMP) - INTERVAL ${wm.max_delay_hours} HOUR THEN 'late:beyond_watermark' END`,
    ],
    drop: [],
    warn: [],
  };
  const joins: string[] = [];
  for (const [i, c] of checks.entries()) {
    const action = c.action as 'quarantine' | 'drop' | 'warn';
    if (c.passes) reasons[action].push(`CASE WHEN p._ok AND NOT coalesce((${c.passes.duckdb}), FALSE) THEN ${str(c.id)} END`);
    else if (c.rule === 'unique' && c.columns) {
      // a key seen again in the batch with other content: every row of it but the first fails
      const alias = qi(`u${i}`);
      const keys = c.columns.map(qi);
      joins.push(
        `LEFT JOIN (SELECT _batch_id AS _ub, ${keys.map((k, j) => `${k} AS _uk${j}`).join(', ')}, min({'f': _source_file, 'l': _line_no}) AS _first
     FROM ${tbl} WHERE _ok AND ${keys.map((k) => `${k} IS NOT NULL`).join(' AND ')} GROUP BY ALL HAVING count(DISTINCT _record_hash) > 1) ${alias}
     ON ${alias}._ub = p._batch_id AND ${keys.map((k, j) => `${alias}._uk${j} = p.${k}`).join(' AND ')}`,
      );
      reasons[action].push(`CASE WHEN {'f': p._source_file, 'l': p._line_no} > ${alias}._first THEN ${str(c.id)} END`);
    } else if (c.rule === 'referential' && c.references && c.columns?.[0]) {
      const parent = parentOf(c, bronze, silver);
      const col = `p.${qi(c.columns[0])}`;
      if (!built.has(parent)) reasons[action].push(`CASE WHEN p._ok AND ${col} IS NOT NULL THEN ${str(c.id)} END`);
      else {
        const alias = qi(`r${i}`);
        joins.push(`LEFT JOIN (SELECT DISTINCT ${qi(c.references.column)} AS k FROM ${floorSilver(parent)}) ${alias} ON ${alias}.k = ${col}`);
        reasons[action].push(`CASE WHEN p._ok AND ${col} IS NOT NULL AND ${alias}.k IS NULL THEN ${str(c.id)} END`);
      }
    }
  }
  const joined = (xs: readonly string[]): string => (xs.length > 0 ? `nullif(concat_ws('; ', ${xs.join(', ')}), '')` : 'NULL::VARCHAR');
  const perBatch = `(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, PARTITION_BY (_batch_id), WRITE_PARTITION_COLUMNS true)`;
  const bronzeCopy = `COPY (
WITH v AS (
  SELECT p.*, ${joined(reasons.quarantine)} AS _rq, ${joined(reasons.drop)} AS _rd, ${joined(reasons.warn)} AS _rw
  FROM ${tbl} p ${joins.join('\n  ')})
SELECT ${cols.map((c) => qi(c.name)).join(', ')}, _source_file, _batch_id, _record_hash, ${ingested} AS _ingested_at,
       CASE WHEN _rq IS NOT NULL THEN 'quarantined' WHEN _rd IS NOT NULL THEN 'dropped' WHEN _rw IS NOT NULL THEN 'warned' ELSE 'passed' END AS _quality_status,
       nullif(concat_ws('; ', _rq, _rd, _rw), '') AS _quarantine_reason, _rescued, _raw_line, _line_no
FROM v) TO ${str(bronzeDir)} ${perBatch}`;

  // 3. quarantine and silver, from the bronze files
  const statuses = stepOf(silver, 'read_bronze')?.statuses ?? ['passed', 'warned'];
  const ok = `WITH ok AS (
  SELECT ${silverColumns(silver, o)},
         _batch_id, _record_hash, _source_file, _line_no
  FROM ${bronzeFiles} WHERE _quality_status IN (${statuses.map(str).join(', ')}))`;
  return `${parsed};
${bronzeCopy};
DROP TABLE ${tbl};
COPY (SELECT * FROM ${bronzeFiles} WHERE _quality_status IN ('quarantined', 'dropped')) TO ${str(join(o.outDir, 'quarantine', silver.name))} ${perBatch};
${silverCopy(silver, ok, o)}`;
}

/** The whole floor script, in dependency order: every dataset's silver, then gold models and marts. */
export function floorScript(plan: JobPlan, options: FloorOptions): FloorStatement[] {
  // one ingestion time for the whole script, as the runner has one per batch
  const o: ScriptOptions = { ...options, ingestedAt: options.ingestedAt ?? new Date().toISOString() };
  const byId = new Map(plan.jobs.map((j) => [j.id, j]));
  const out: FloorStatement[] = [];
  const built = new Set<string>();
  for (const job of plan.jobs) {
    if (job.layer !== 'silver') continue;
    const bronze = byId.get(`bronze.${job.name}`);
    if (!bronze) throw new StreamPulseError('BENCH_SPEC_INVALID', `no bronze job for ${job.id}`, { remedy: 'regenerate the job specs from the contracts' });
    out.push({ phase: 'silver', label: job.id, sql: (o.bronze === false ? silverStatement : sameOutputsStatement)(bronze, job, built, o) });
    built.add(job.name);
  }
  for (const job of plan.jobs) {
    if (job.layer !== 'gold' && job.layer !== 'mart') continue;
    const build = need(job, 'build');
    const sql = bindRunDate(build.sql.duckdb, o.runDate, 'duckdb').replace(/\{\{(silver|gold)\.([a-z0-9_]+)\}\}/g, (_m, layer: string, name: string) =>
      layer === 'silver' ? floorSilver(name) : floorGold(name),
    );
    const file = join(o.outDir, 'gold', `${job.name}.parquet`);
    out.push({
      phase: 'gold',
      label: job.id,
      sql: `COPY (\n${sql}\n) TO ${str(file)} (FORMAT parquet, COMPRESSION zstd);\nCREATE OR REPLACE VIEW ${floorGold(job.name)} AS SELECT * FROM read_parquet(${str(file)})`,
    });
  }
  return out;
}

/** The script as one readable .sql text (what the benchmark writes next to its output). */
export function floorScriptText(statements: readonly FloorStatement[]): string {
  return `${statements.map((s) => `-- ${s.label} (${s.phase === 'silver' ? 'landing → silver' : 'gold'})\n${s.sql};\n`).join('\n')}`;
}

/** The JSON white space and the line reader, shared with the ceiling (bench-ceiling.ts), which reads lines as the floors do. */
export { floorGold, WS as JSON_WS, lineReader };
