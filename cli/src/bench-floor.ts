/**
 * The benchmark's floor: the same landing → silver → gold → marts work as the local
 * runner, written as one plain DuckDB SQL script over ALL days at once — no batches,
 * no bronze or quarantine files, no audit columns, no reports. It is what a careful
 * engineer would write by hand for a one-off load, so it bounds what the runner could
 * cost on the same engine, threads and memory limit.
 *
 * The script is generated from the compiled job specs (which come from the contracts),
 * so it names no dataset: per dataset, one read over every landing file (JSONL as lines
 * parsed with json_extract_string, as the runner does; CSV with DuckDB's reader), the
 * contract's casts, the same quarantining checks as filters (required
 * columns, types, range / accepted-values / regex rules, the late-data watermark,
 * per-batch uniqueness, referential rules against the parent's silver), conform,
 * pseudonymise, dedupe by key (latest wins; SCD2 keeps versions), one silver Parquet
 * file; then the gold models and marts with the specs' own duckdb SQL, one Parquet
 * file each. Rules with action `warn` keep the row, as in the runner; `fail` rules
 * (which stop the runner's batch) are not evaluated.
 */
import { basename, dirname, extname, join } from 'node:path';
import { StreamPulseError } from '@streampulse/contracts';
import { bindRunDate, type JobPlan, type JobSpec, type Step } from '@streampulse/jobs';
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
}

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

/** landing → silver of one dataset, as one statement writing one Parquet file. */
function silverStatement(bronze: JobSpec, silver: JobSpec, built: ReadonlySet<string>, o: FloorOptions): string {
  const read = need(bronze, 'read_landing');
  const cols = need(bronze, 'parse').columns;
  const wm = need(bronze, 'watermark');
  const checks = need(bronze, 'quality').checks.filter((c) => c.action === 'quarantine' || c.action === 'drop');
  const merge = need(silver, 'merge');
  const raw = (c: string): string => qi(`__raw_${c}`);
  const rawCols = `{${cols.map((c) => `${str(c.name)}: 'VARCHAR'`).join(', ')}}`;
  const glob = str(landingGlob(o.landingDir, read.path));
  // JSONL: the lines as text, then one JSON object per line, as the runner reads them
  // (read_json with ignore_errors also drops valid lines after a broken one); the record
  // hash is the line's SHA-256, as in the runner. CSV: DuckDB's reader, rejects skipped.
  const ws = `' ' || chr(9) || chr(10) || chr(13)`;
  const source =
    read.format === 'jsonl'
      ? `(SELECT filename, row_number() OVER () AS _line_no, hash(line) AS _record_hash, json_extract_string(line, [${cols.map((c) => str(`$."${c.name}"`)).join(', ')}]) AS _r
    FROM read_csv(${glob}, columns = {'line': 'VARCHAR'}, header = false, delim = E'\\x1F', quote = '', escape = '', auto_detect = false, max_line_size = 16777216, buffer_size = 33554432, filename = true)
    WHERE line IS NOT NULL AND json_valid(line) AND starts_with(ltrim(line, ${ws}), '{'))`
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
      // a key seen again in the same batch with different content: the later rows go
      const part = ['_batch_id', ...c.columns].map(qi).join(', ');
      const nn = c.columns.map((k) => `${qi(k)} IS NOT NULL`).join(' AND ');
      windows.push(
        `(${nn} AND row_number() OVER (PARTITION BY ${part} ORDER BY _source_file, _line_no) > 1 AND count(*) OVER (PARTITION BY ${part}, _record_hash) < count(*) OVER (PARTITION BY ${part})) AS ${qi(`_dup_${i}`)}`,
      );
      filters.push(`NOT ${qi(`_dup_${i}`)}`);
    } else if (c.rule === 'referential' && c.references && c.columns?.[0]) {
      const parent = /\{\{silver\.([a-z0-9_]+)\}\}/.exec(c.references.table)?.[1] ?? '';
      const col = qi(c.columns[0]);
      if (parent === silver.name)
        throw new StreamPulseError('BENCH_FLOOR_UNSUPPORTED', `${bronze.id}: a referential rule on its own dataset is not supported by the floor script`, {
          remedy: 'run the benchmark on contracts without self-references',
        });
      if (!built.has(parent)) filters.push(`${col} IS NULL`);
      else {
        const alias = qi(`r${i}`);
        joins.push(`LEFT JOIN (SELECT DISTINCT ${qi(c.references.column)} AS k FROM ${floorSilver(parent)}) ${alias} ON ${alias}.k = u.${col}`);
        filters.push(`(u.${col} IS NULL OR ${alias}.k IS NOT NULL)`);
      }
    }
  }

  // conform, pseudonymise, drop PII, exactly as the silver spec says
  const conform = new Map((stepOf(silver, 'conform')?.columns ?? []).map((c) => [c.name, c.sql.duckdb]));
  const pseudo = new Set(stepOf(silver, 'pseudonymise')?.columns ?? []);
  const kept = merge.columns;
  const out = kept
    .map((c) => {
      let e = conform.get(c) ?? qi(c);
      if (pseudo.has(c)) e = `CASE WHEN (${e}) IS NULL THEN NULL ELSE sha256(${str(o.salt)} || CAST((${e}) AS VARCHAR)) END`;
      return `${e} AS ${qi(c)}`;
    })
    .join(',\n         ');
  const key = merge.key.map(qi).join(', ');

  const head = `WITH t AS (
  SELECT regexp_extract(filename, ${str(batchRegex(read.path))}, 1) AS _batch_id, filename AS _source_file, _line_no, _record_hash,
         ${cols.map((c, i) => `_r[${i + 1}] AS ${raw(c.name)}`).join(', ')}
  FROM ${source}),
typed AS (SELECT *, ${cols.map((c) => `${cast(c)} AS ${qi(c.name)}`).join(', ')} FROM t),
u AS (SELECT *${windows.map((w) => `,\n         ${w}`).join('')} FROM typed),
ok AS (
  SELECT ${out},
         _batch_id, _record_hash, _source_file, _line_no
  FROM u ${joins.join('\n  ')}
  WHERE ${filters.join('\n    AND ')})`;
  const cols2 = kept.map(qi).join(', ');
  let body: string;
  if (merge.mode === 'scd1') {
    body = `SELECT ${cols2}, _batch_id, _record_hash FROM ok
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
  const query = merge.mode === 'scd1' ? `${head}\n${body}` : `${head}${body}`;
  return `COPY (\n${query}\n) TO ${str(file)} (FORMAT parquet, COMPRESSION zstd);
CREATE OR REPLACE VIEW ${floorSilver(silver.name)} AS SELECT * FROM read_parquet(${str(file)})`;
}

/** The whole floor script, in dependency order: every dataset's silver, then gold models and marts. */
export function floorScript(plan: JobPlan, o: FloorOptions): FloorStatement[] {
  const byId = new Map(plan.jobs.map((j) => [j.id, j]));
  const out: FloorStatement[] = [];
  const built = new Set<string>();
  for (const job of plan.jobs) {
    if (job.layer !== 'silver') continue;
    const bronze = byId.get(`bronze.${job.name}`);
    if (!bronze) throw new StreamPulseError('BENCH_SPEC_INVALID', `no bronze job for ${job.id}`, { remedy: 'regenerate the job specs from the contracts' });
    out.push({ phase: 'silver', label: job.id, sql: silverStatement(bronze, job, built, o) });
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

export { floorGold };
