/**
 * Bronze on DuckDB: landing files of one batch → typed rows with audit columns, every
 * quality check evaluated, bad rows quarantined with their reasons, nothing dropped
 * silently. Interprets the bronze job spec; the business rules come from it.
 */
import { createHash } from 'node:crypto';
import { existsSync, openSync, readdirSync, readFileSync, readSync, closeSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative } from 'node:path';
import { StreamPulseError } from '@streampulse/contracts';
import type { ColumnSpec, JobSpec, QualityCheck, Step } from '../spec.js';
import { Duck, qi, sqlStr } from './duck.js';
import { Lake, tempFor, commit, writeFileAtomic } from './lake.js';

export interface RuleStat {
  readonly id: string;
  readonly rule: string;
  readonly action: string;
  readonly evaluated: number;
  readonly failed: number;
}

export interface BronzeResult {
  readonly files: readonly { file: string; rows: number; sha256: string; duplicateOf?: string }[];
  readonly rowsIn: number;
  readonly blankLines: number;
  readonly passed: number;
  readonly warned: number;
  readonly quarantined: number;
  readonly dropped: number;
  readonly duplicateFileRows: number;
  readonly quarantinedByReason: Readonly<Record<string, number>>;
  readonly warnedByReason: Readonly<Record<string, number>>;
  readonly rules: readonly RuleStat[];
  readonly newestEventTime: string | null;
  readonly rescuedRows: number;
  readonly notes: readonly string[];
}

function step<K extends Step['op']>(spec: JobSpec, op: K): Extract<Step, { op: K }> {
  const s = spec.steps.find((x) => x.op === op);
  if (!s) throw new StreamPulseError('LOCAL_SPEC_INVALID', `job ${spec.id} has no "${op}" step`, { remedy: 'regenerate the job specs from the contracts' });
  return s as Extract<Step, { op: K }>;
}

function sha256File(path: string): string {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

function firstLine(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString('utf8');
    return (text.split(/\r?\n/)[0] ?? '').replace(/^\uFEFF/, '');
  } finally {
    closeSync(fd);
  }
}

function splitHeader(line: string, delimiter: string): string[] {
  return line.split(delimiter).map((h) => h.trim().replace(/^"(.*)"$/, '$1'));
}

/** Landing files of a batch: every file next to the contract's landing path with its extension. */
export function landingFiles(lake: Lake, landingPath: string, batch: string): string[] {
  const expected = lake.path('landing', landingPath.split('{date}').join(batch));
  const dir = dirname(expected);
  if (!existsSync(dir)) return [];
  const ext = extname(expected);
  return readdirSync(dir)
    .filter((f) => extname(f) === ext && !f.startsWith('.'))
    .sort()
    .map((f) => join(dir, f));
}

interface Ledger {
  [sha: string]: { batch: string; file: string };
}

function ledgerPath(lake: Lake, dataset: string): string {
  return lake.path('_state', 'landing-ledger', `${dataset}.json`);
}
function readLedger(lake: Lake, dataset: string): Ledger {
  const p = ledgerPath(lake, dataset);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Ledger) : {};
}

export interface BronzeContext {
  readonly duck: Duck;
  readonly lake: Lake;
  readonly batch: string;
  readonly ingestedAt: string;
  /** DuckDB relation (view name) of a parent dataset's current silver, for referential checks. */
  readonly silverRelation: (dataset: string) => string | undefined;
}

export async function runBronze(spec: JobSpec, ctx: BronzeContext): Promise<BronzeResult> {
  const { duck, lake, batch } = ctx;
  const read = step(spec, 'read_landing');
  const parse = step(spec, 'parse');
  const wm = step(spec, 'watermark');
  const quality = step(spec, 'quality');
  const cols = parse.columns;
  const notes: string[] = [];

  // ---- files: recognise a re-landed identical file by its content hash
  const ledger = readLedger(lake, spec.name);
  const files: { file: string; rows: number; sha256: string; duplicateOf?: string }[] = [];
  const toRead: { abs: string; rel: string }[] = [];
  let duplicateFileRows = 0;
  const seenThisBatch = new Map<string, string>();
  for (const abs of landingFiles(lake, read.path, batch)) {
    const rel = relative(lake.path('landing'), abs);
    const sha = sha256File(abs);
    const prior = ledger[sha];
    const dupOf = prior && !(prior.batch === batch && prior.file === rel) ? prior.file : seenThisBatch.get(sha);
    if (dupOf !== undefined) {
      const rows = await countRows(duck, abs, read.format, read.csv?.header ?? false);
      duplicateFileRows += rows;
      files.push({ file: rel, rows, sha256: sha, duplicateOf: dupOf });
      notes.push(`${rel} is identical to ${dupOf} (sha256 ${sha.slice(0, 12)}…): its ${rows} rows count as duplicates`);
      continue;
    }
    seenThisBatch.set(sha, rel);
    files.push({ file: rel, rows: 0, sha256: sha });
    toRead.push({ abs, rel });
  }
  if (files.length === 0) notes.push(`no landing file for ${batch} under ${dirname(read.path.split('{date}').join(batch))}`);

  // ---- raw rows into b_parsed with a uniform shape
  await duck.run(`DROP TABLE IF EXISTS b_parsed`);
  const typedCols = cols.map((c) => `${qi(c.name)} ${duckType(c)}`).join(', ');
  await duck.run(
    `CREATE TEMP TABLE b_parsed (_source_file VARCHAR, _line_no BIGINT, _raw_line VARCHAR, _ok BOOLEAN, _parse_error VARCHAR, ${typedCols}, _type_errors VARCHAR[], _rescued VARCHAR, _record_hash VARCHAR)`,
  );
  let blankLines = 0;
  for (const [i, f] of toRead.entries()) {
    if (statSync(f.abs).size === 0) {
      notes.push(`${f.rel} is empty (0 bytes)`);
      continue;
    }
    if (read.format === 'jsonl') blankLines += await loadJsonl(duck, f.abs, f.rel, cols);
    else await loadCsv(duck, f.abs, f.rel, cols, read.csv ?? { delimiter: ',', header: true }, i, notes);
    const n = Number(await duck.scalar(`SELECT count(*) FROM b_parsed WHERE _source_file = ${sqlStr(f.rel)}`));
    const entry = files.find((x) => x.file === f.rel)!;
    files[files.indexOf(entry)] = { ...entry, rows: n };
  }

  // ---- checks → reasons per action
  const checks = quality.checks;
  const rowChecks = checks.filter((c) => c.passes !== undefined);
  const evt = qi(wm.event_time);
  const cutoff = `(CAST(${sqlStr(batch)} AS TIMESTAMP) - INTERVAL ${wm.max_delay_hours} HOUR)`;
  const parseReason = `CASE WHEN NOT _ok THEN coalesce(_parse_error, 'unparseable') END`;
  const typeReasons = `_type_errors`;
  const wmReason = `CASE WHEN _ok AND ${evt} IS NOT NULL AND CAST(${evt} AS TIMESTAMP) < ${cutoff} THEN 'late:beyond_watermark' END`;
  const joins: string[] = [];
  const byAction: Record<QualityCheck['action'], string[]> = { quarantine: [], drop: [], warn: [], fail: [] };
  for (const c of rowChecks) byAction[c.action].push(`CASE WHEN _ok AND NOT coalesce((${c.passes!.duckdb}), FALSE) THEN ${sqlStr(c.id)} END`);
  let joinN = 0;
  for (const c of checks) {
    if (c.rule === 'unique' && c.columns) {
      const part = c.columns.map(qi).join(', ');
      byAction[c.action].push(
        `CASE WHEN _ok AND ${c.columns.map((x) => `${qi(x)} IS NOT NULL`).join(' AND ')} AND row_number() OVER (PARTITION BY ${part}, _ok ORDER BY _source_file, _line_no) > 1 AND count(*) OVER (PARTITION BY ${part}, _record_hash) < count(*) OVER (PARTITION BY ${part}) THEN ${sqlStr(c.id)} END`,
      );
    }
    if (c.rule === 'referential' && c.references && c.columns?.[0]) {
      const parent = /\{\{silver\.([a-z0-9_]+)\}\}/.exec(c.references.table)?.[1] ?? '';
      const rel = ctx.silverRelation(parent);
      const alias = `r${joinN++}`;
      if (rel === undefined) {
        // parent never loaded: every non-null reference is orphaned
        byAction[c.action].push(`CASE WHEN _ok AND ${qi(c.columns[0])} IS NOT NULL THEN ${sqlStr(c.id)} END`);
      } else {
        // only the parent keys this batch refers to (a semi-join), not every key of the parent's state
        const ref = qi(c.references.column);
        joins.push(`LEFT JOIN (SELECT DISTINCT ${ref} AS k FROM ${rel} WHERE ${ref} IN (SELECT ${qi(c.columns[0])} FROM b_parsed)) ${alias} ON ${alias}.k = p.${qi(c.columns[0])}`);
        byAction[c.action].push(`CASE WHEN _ok AND p.${qi(c.columns[0])} IS NOT NULL AND ${alias}.k IS NULL THEN ${sqlStr(c.id)} END`);
      }
    }
  }
  const list = (xs: string[]): string => `list_filter([${xs.join(', ')}]::VARCHAR[], x -> x IS NOT NULL)`;
  await duck.run(`DROP TABLE IF EXISTS b_checked`);
  await duck.run(
    `CREATE TEMP TABLE b_checked AS
     SELECT p.*,
       list_concat(${list([parseReason])}, ${typeReasons}, ${list([wmReason, ...byAction.quarantine])}) AS _q,
       ${list(byAction.drop)} AS _d,
       ${list(byAction.warn)} AS _w,
       ${list(byAction.fail)} AS _f
     FROM b_parsed p ${joins.join(' ')}`,
    `quality checks of ${spec.id}`,
  );

  const failed = await duck.rows(`SELECT id, count(*) AS n FROM (SELECT unnest(_f) AS id FROM b_checked) GROUP BY 1 ORDER BY 1`, 'fail checks');
  if (failed.length > 0) {
    const what = failed.map((r) => `${String(r['id'])} (${String(r['n'])} rows)`).join(', ');
    throw new StreamPulseError('QUALITY_FAILED', `${spec.name} batch ${batch}: a check with action "fail" failed: ${what}`, {
      remedy: `inspect the landing files of ${batch}; the batch was not written. Fix the source data or relax the rule's action in ${spec.contract}`,
    });
  }

  // ---- bronze partition (every row) and quarantine partition (quarantined + dropped)
  const status = `CASE WHEN len(_q) > 0 THEN 'quarantined' WHEN len(_d) > 0 THEN 'dropped' WHEN len(_w) > 0 THEN 'warned' ELSE 'passed' END`;
  const reason = `nullif(array_to_string(list_concat(_q, _d, _w), '; '), '')`;
  const colList = cols.map((c) => qi(c.name)).join(', ');
  await duck.run(`DROP TABLE IF EXISTS b_final`);
  await duck.run(
    `CREATE TEMP TABLE b_final AS
     SELECT ${colList}, _source_file, ${sqlStr(batch)} AS _batch_id, _record_hash, CAST(${sqlStr(ctx.ingestedAt)} AS TIMESTAMP) AS _ingested_at,
            ${status} AS _quality_status, ${reason} AS _quarantine_reason, _rescued, _raw_line, _line_no,
            list_concat(_q, _d) AS _reasons_qd, _w AS _reasons_w
     FROM b_checked ORDER BY _source_file, _line_no`,
    `bronze rows of ${spec.id}`,
  );
  const bronzeFile = lake.partitionFile('bronze', spec.name, batch);
  const quarantineFile = lake.partitionFile('quarantine', spec.name, batch);
  await copyAtomic(duck, `SELECT * EXCLUDE (_reasons_qd, _reasons_w) FROM b_final ORDER BY _source_file, _line_no`, bronzeFile);
  await copyAtomic(
    duck,
    `SELECT * EXCLUDE (_reasons_qd, _reasons_w) FROM b_final WHERE _quality_status IN ('quarantined', 'dropped') ORDER BY _source_file, _line_no`,
    quarantineFile,
  );

  // ---- counts for the quality report
  const counts = (await duck.rows(
    `SELECT count(*) AS n_all,
            count(*) FILTER (WHERE _quality_status = 'passed') AS n_passed,
            count(*) FILTER (WHERE _quality_status = 'warned') AS n_warned,
            count(*) FILTER (WHERE _quality_status = 'quarantined') AS n_quarantined,
            count(*) FILTER (WHERE _quality_status = 'dropped') AS n_dropped,
            count(*) FILTER (WHERE _rescued IS NOT NULL) AS n_rescued,
            CAST(max(${evt}) FILTER (WHERE _quality_status IN ('passed', 'warned')) AS VARCHAR) AS newest
     FROM b_final`,
  ))[0]!;
  const byReason = async (col: '_reasons_qd' | '_reasons_w'): Promise<Record<string, number>> => {
    // a row counts once, under its first reason
    const only = col === '_reasons_w' ? ` AND _quality_status = 'warned'` : '';
    const rows = await duck.rows(`SELECT ${col}[1] AS r, count(*) AS n FROM b_final WHERE len(${col}) > 0${only} GROUP BY 1 ORDER BY 1`);
    return Object.fromEntries(rows.map((r) => [String(r['r']), Number(r['n'])]));
  };
  const evaluated = Number((await duck.scalar(`SELECT count(*) FROM b_checked WHERE _ok`)) ?? 0);
  const ruleRows = await duck.rows(`SELECT id, count(*) AS n FROM (SELECT unnest(list_concat(_q, _d, _w)) AS id FROM b_checked) GROUP BY 1`);
  const failedBy = new Map(ruleRows.map((r) => [String(r['id']), Number(r['n'])]));
  const rules: RuleStat[] = checks
    .filter((c) => c.rule !== 'freshness')
    .map((c) => ({ id: c.id, rule: c.rule, action: c.action, evaluated, failed: failedBy.get(c.id) ?? 0 }));
  rules.push({ id: 'watermark', rule: 'watermark', action: 'quarantine', evaluated, failed: failedBy.get('late:beyond_watermark') ?? 0 });

  // ledger last: a crash before this line only means the files are hashed again
  const newLedger: Ledger = { ...ledger };
  for (const f of files) if (f.duplicateOf === undefined) newLedger[f.sha256] = { batch, file: f.file };
  writeFileAtomic(ledgerPath(lake, spec.name), JSON.stringify(sortKeys(newLedger), null, 1));

  return {
    files,
    rowsIn: Number(counts['n_all']) + duplicateFileRows,
    blankLines,
    passed: Number(counts['n_passed']),
    warned: Number(counts['n_warned']),
    quarantined: Number(counts['n_quarantined']),
    dropped: Number(counts['n_dropped']),
    duplicateFileRows,
    quarantinedByReason: await byReason('_reasons_qd'),
    warnedByReason: await byReason('_reasons_w'),
    rules,
    newestEventTime: (counts['newest'] as string | null) ?? null,
    rescuedRows: Number(counts['n_rescued']),
    notes,
  };
}

function sortKeys<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1))) as T;
}

function duckType(c: ColumnSpec): string {
  const m = /^decimal\((\d+),(\d+)\)$/.exec(c.type);
  if (m) return `DECIMAL(${m[1]},${m[2]})`;
  return (
    { string: 'VARCHAR', integer: 'INTEGER', bigint: 'BIGINT', double: 'DOUBLE', boolean: 'BOOLEAN', date: 'DATE', timestamp: 'TIMESTAMP' } as Record<string, string>
  )[c.type]!;
}

const LINE_READER = (abs: string): string =>
  `read_csv(${sqlStr(abs)}, columns={'line': 'VARCHAR'}, header=false, delim=E'\\x1F', quote='', escape='', auto_detect=false, max_line_size=16777216)`;

async function countRows(duck: Duck, abs: string, format: 'jsonl' | 'csv', header: boolean): Promise<number> {
  if (statSync(abs).size === 0) return 0;
  const n = Number(await duck.scalar(`SELECT count(*) FROM ${LINE_READER(abs)} WHERE line IS NOT NULL AND trim(line) <> ''`));
  return format === 'csv' && header ? Math.max(0, n - 1) : n;
}

/** Loads a JSONL file; returns the number of blank lines (not records, not counted as rows). */
async function loadJsonl(duck: Duck, abs: string, rel: string, cols: readonly ColumnSpec[]): Promise<number> {
  const paths = `[${cols.map((c) => sqlStr(`$."${c.name}"`)).join(', ')}]`;
  const declared = `[${cols.map((c) => sqlStr(c.name)).join(', ')}]`;
  const typed = cols.map((c, i) => `${c.cast.duckdb.split('{{value}}').join(`_raw[${i + 1}]`)} AS ${qi(c.name)}`).join(',\n ');
  const typeErr = cols.map((c, i) => `CASE WHEN _raw[${i + 1}] IS NOT NULL AND ${qi(c.name)} IS NULL THEN ${sqlStr(`type:${c.name}`)} END`).join(', ');
  await duck.run(
    `INSERT INTO b_parsed
     WITH src AS (SELECT row_number() OVER () AS _line_no, line FROM ${LINE_READER(abs)}),
     j AS (SELECT _line_no, line, CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE FALSE END AS _ok FROM src WHERE line IS NOT NULL AND trim(line) <> ''),
     x AS (SELECT *, CASE WHEN _ok THEN json_extract_string(line, ${paths}) END AS _raw,
                     CASE WHEN _ok THEN list_filter(json_keys(line), k -> NOT list_contains(${declared}, k)) END AS _extra FROM j),
     t AS (SELECT *, ${typed} FROM x)
     SELECT ${sqlStr(rel)}, _line_no, line, _ok, CASE WHEN NOT _ok THEN 'unparseable:not_a_json_object' END,
            ${cols.map((c) => qi(c.name)).join(', ')},
            list_filter([${typeErr}]::VARCHAR[], e -> e IS NOT NULL),
            CASE WHEN len(_extra) > 0 THEN CAST(to_json(map_from_entries(list_transform(_extra, k -> {'k': k, 'v': json_extract(line, '$."' || k || '"')}))) AS VARCHAR) END,
            sha256(line)
     FROM t`,
    `parse ${rel}`,
  );
  return Number(await duck.scalar(`SELECT count(*) FROM ${LINE_READER(abs)} WHERE line IS NULL OR trim(line) = ''`));
}

async function loadCsv(
  duck: Duck,
  abs: string,
  rel: string,
  cols: readonly ColumnSpec[],
  csv: { delimiter: string; header: boolean },
  fileNo: number,
  notes: string[],
): Promise<void> {
  const declared = cols.map((c) => c.name);
  const header = csv.header ? splitHeader(firstLine(abs), csv.delimiter) : declared;
  const missing = declared.filter((c) => !header.includes(c));
  const missingRequired = cols.filter((c) => c.required && missing.includes(c.name)).map((c) => c.name);
  if (missingRequired.length > 0 || new Set(header).size !== header.length) {
    // a wrong header: every line of the file is quarantined with the reason, none is lost
    const why = missingRequired.length > 0 ? `file:wrong_header (missing ${missingRequired.join(', ')})` : 'file:wrong_header (duplicate column names)';
    notes.push(`${rel}: ${why}; header was "${header.join(csv.delimiter)}"`);
    await duck.run(
      `INSERT INTO b_parsed (_source_file, _line_no, _raw_line, _ok, _parse_error, _type_errors, _record_hash)
       SELECT ${sqlStr(rel)}, _line_no, line, FALSE, ${sqlStr(why)}, []::VARCHAR[], sha256(line)
       FROM (SELECT row_number() OVER () AS _line_no, line FROM ${LINE_READER(abs)}) WHERE _line_no > ${csv.header ? 1 : 0} AND line IS NOT NULL AND trim(line) <> ''`,
      `quarantine ${rel}`,
    );
    return;
  }
  const colSpec = `{${header.map((h) => `${sqlStr(h)}: 'VARCHAR'`).join(', ')}}`;
  const rejects = `rej_scan_${fileNo}`;
  const rejTable = `rej_err_${fileNo}`;
  await duck.run(`DROP TABLE IF EXISTS ${rejects}; DROP TABLE IF EXISTS ${rejTable}`);
  await duck.run(
    `CREATE OR REPLACE TEMP TABLE b_csv AS SELECT row_number() OVER () AS _line_no, * FROM read_csv(${sqlStr(abs)}, header=${csv.header}, delim=${sqlStr(csv.delimiter)}, quote='"', escape='"', auto_detect=false, columns=${colSpec}, store_rejects=true, rejects_scan=${sqlStr(rejects)}, rejects_table=${sqlStr(rejTable)}, null_padding=false)`,
    `read ${rel}`,
  );
  const extra = header.filter((h) => !declared.includes(h));
  const present = (c: string): boolean => header.includes(c);
  const r = (c: string): string => qi(`__raw_${c}`);
  const raw = (c: string): string => (present(c) ? `nullif(${r(c)}, '')` : 'NULL');
  const typed = cols.map((c) => `${c.cast.duckdb.split('{{value}}').join(raw(c.name))} AS ${qi(c.name)}`).join(', ');
  const typeErr = cols.map((c) => `CASE WHEN ${raw(c.name)} IS NOT NULL AND ${qi(c.name)} IS NULL THEN ${sqlStr(`type:${c.name}`)} END`).join(', ');
  const rescued = extra.length > 0 ? `CAST(to_json({${extra.map((e) => `${sqlStr(e)}: ${r(e)}`).join(', ')}}) AS VARCHAR)` : 'NULL';
  const rawLine = `CAST(to_json({${header.map((h) => `${sqlStr(h)}: ${r(h)}`).join(', ')}}) AS VARCHAR)`;
  await duck.run(
    `INSERT INTO b_parsed
     WITH s AS (SELECT _line_no, ${header.map((h) => `${qi(h)} AS ${r(h)}`).join(', ')} FROM b_csv),
     t AS (SELECT *, ${typed} FROM s)
     SELECT ${sqlStr(rel)}, _line_no, ${rawLine}, TRUE, NULL, ${cols.map((c) => `t.${qi(c.name)}`).join(', ')},
            list_filter([${typeErr}]::VARCHAR[], e -> e IS NOT NULL), ${rescued},
            sha256(concat_ws(chr(31), ${header.map((h) => `coalesce(${r(h)}, chr(0))`).join(', ')}))
     FROM t`,
    `parse ${rel}`,
  );
  // rows the CSV reader rejected (wrong column count, bad quoting): quarantined, with their text
  await duck.run(
    `INSERT INTO b_parsed (_source_file, _line_no, _raw_line, _ok, _parse_error, _type_errors, _record_hash)
     SELECT ${sqlStr(rel)}, 1000000000 + CAST(line AS BIGINT), any_value(csv_line), FALSE,
            'unparseable:' || lower(replace(any_value(error_type), ' ', '_')), []::VARCHAR[], sha256(any_value(csv_line))
     FROM ${rejTable} GROUP BY line`,
    `rejects of ${rel}`,
  );
  void basename;
}

/** COPY a query to Parquet under a temporary name, then rename it into place. */
export async function copyAtomic(duck: Duck, query: string, final: string): Promise<void> {
  const tmp = tempFor(final);
  await duck.run(`COPY (${query}) TO ${sqlStr(tmp)} (FORMAT parquet, COMPRESSION zstd)`, `write ${final}`);
  commit(tmp, final);
}
