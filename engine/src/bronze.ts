/**
 * Bronze on DuckDB: landing files of one batch → typed rows with audit columns, every
 * quality check evaluated, bad rows quarantined with their reasons, nothing dropped
 * silently. Interprets the bronze job spec; the business rules come from it.
 */
import { createHash } from 'node:crypto';
import { existsSync, openSync, readdirSync, readFileSync, readSync, closeSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative } from 'node:path';
import { StreamPulseError } from '@streampulse/contracts';
import type { ColumnSpec, JobSpec, QualityCheck, Step } from '@streampulse/jobs';
import { type Duck, qi, sqlStr } from './duck.js';
import { type Lake, tempFor, commit, writeFileAtomic } from './lake.js';
import type { SideLane } from './lane.js';
import { INVALID_UTF8_REASON, invalidUtf8Lines, recordText, writeUtf8Copy } from './utf8.js';
import { evaluateFreshness, type FreshnessMode } from '@streampulse/jobs';

export interface RuleStat {
  readonly id: string;
  readonly rule: string;
  readonly action: string;
  readonly evaluated: number;
  readonly failed: number;
  /** Freshness rules only: the allowed and the measured age in hours. */
  readonly max_age_hours?: number;
  readonly age_hours?: number | null;
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
  /** The newest event time of this batch's promoted (passed or warned) rows. */
  readonly newestEventTime: string | null;
  /** The newest event time promoted through this batch (this batch's or an earlier batch's). */
  readonly newestPromotedEventTime: string | null;
  readonly rescuedRows: number;
  readonly notes: readonly string[];
}

export function step<K extends Step['op']>(spec: JobSpec, op: K): Extract<Step, { op: K }> {
  const s = spec.steps.find((x) => x.op === op);
  if (!s) throw new StreamPulseError('LOCAL_SPEC_INVALID', `job ${spec.id} has no "${op}" step`, { remedy: 'regenerate the job specs from the contracts' });
  return s as Extract<Step, { op: K }>;
}

/** A file's SHA-256 (hex), read in 1 MiB chunks. */
export function sha256File(path: string): string {
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

/**
 * Whether a CSV file holds its first line alone (then at most its line break): read only
 * when small, and only valid UTF-8 counts (the reader decides about other bytes).
 */
function headerOnly(path: string): boolean {
  if (statSync(path).size > 64 * 1024) return false;
  const bytes = readFileSync(path);
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) return false;
  const nl = text.indexOf('\n');
  return nl === -1 || nl === text.length - 1;
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

export interface Ledger {
  [sha: string]: { batch: string; file: string };
}

export function ledgerPath(lake: Lake, dataset: string): string {
  return lake.path('_state', 'landing-ledger', `${dataset}.json`);
}
export function readLedger(lake: Lake, dataset: string): Ledger {
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
  /** The batch's landing files already parsed on the side lane (`prefetchLanding`), when they were. */
  readonly takeParsed?: () => Promise<ParsedLanding | undefined>;
  /**
   * With a side lane, the bronze and quarantine partitions (and the ledger) are written on
   * it while the main connection goes on: the batch's rows are then a regular table (the
   * lane's connection reads it) and the write is handed to `defer`, which the runner
   * awaits before the batch is reported.
   */
  readonly lane?: SideLane;
  readonly defer?: (write: Promise<unknown>) => void;
  /** The newest promoted event time recorded by the latest earlier batch report (freshness rules). */
  readonly newestBefore?: string | null;
  /** Whether a failed freshness rule with action `fail` stops the batch (default `enforce`). */
  readonly freshness?: FreshnessMode;
  /**
   * The batch's landing files (absolute paths), when not the files of the day's landing
   * folder (`landingFiles`): a stream micro-batch's files, which live in a subfolder of the
   * day's folder that a daily batch never lists.
   */
  readonly files?: readonly string[];
}

/** A batch's landing files of one dataset, parsed into a table ahead of its bronze job. */
export interface ParsedLanding {
  /** A regular table (quoted name) in the shape the bronze job parses into. */
  readonly table: string;
  /** Every landing file of the batch with its size and modification time when parsed, and the notes parsing it gave. */
  readonly files: ReadonlyMap<string, { readonly size: number; readonly mtimeMs: number; readonly notes: readonly string[] }>;
}

/**
 * Parses every landing file of a dataset's batch into `table` (a regular table, created
 * here), on whichever connection is given: the side lane runs this for the next batch
 * while the main connection runs the current one. The bronze job uses the table when
 * its files are still the same (size and modification time), else parses them itself.
 */
export async function prefetchLanding(
  duck: Duck,
  spec: JobSpec,
  lake: Lake,
  batches: readonly string[],
  table: string,
  /** Read every JSONL file in one statement (a backfill pass's days, `parseFiles`). */
  many = false,
): Promise<ParsedLanding> {
  const read = step(spec, 'read_landing');
  const cols = step(spec, 'parse').columns;
  const files = new Map<string, { size: number; mtimeMs: number; notes: string[] }>();
  const list: { abs: string; rel: string }[] = [];
  for (const batch of batches)
    for (const abs of landingFiles(lake, read.path, batch)) {
      const st = statSync(abs);
      const rel = relative(lake.path('landing'), abs);
      files.set(rel, { size: st.size, mtimeMs: st.mtimeMs, notes: [] });
      list.push({ abs, rel });
    }
  const notes = await parseFiles(duck, table, false, list, read, cols, lake, many);
  for (const [rel, n] of notes) files.get(rel)?.notes.push(...n);
  return { table, files };
}

/** Creates `table` and parses the files into it; returns each file's notes (empty file, wrong header, lines not UTF-8). */
export async function parseFiles(
  duck: Duck,
  table: string,
  temp: boolean,
  files: readonly { abs: string; rel: string }[],
  read: Extract<Step, { op: 'read_landing' }>,
  cols: readonly ColumnSpec[],
  lake: Lake,
  /** Read every JSONL file in one statement (a backlog's files), each file apart only when that fails. */
  many = false,
): Promise<Map<string, string[]>> {
  await duck.run(`DROP TABLE IF EXISTS ${table}`);
  const typedCols = cols.map((c) => `${qi(c.name)} ${duckType(c)}`).join(', ');
  await duck.run(
    `CREATE ${temp ? 'TEMP ' : ''}TABLE ${table} (_source_file VARCHAR, _line_no BIGINT, _raw_line VARCHAR, _blank BOOLEAN, _ok BOOLEAN, _parse_error VARCHAR, ${typedCols}, _type_errors VARCHAR[], _rescued VARCHAR, _record_hash VARCHAR)`,
  );
  const notes = new Map<string, string[]>();
  const nonEmpty: { abs: string; rel: string }[] = [];
  for (const f of files) {
    const n: string[] = [];
    notes.set(f.rel, n);
    if (statSync(f.abs).size === 0) n.push(`${f.rel} is empty (0 bytes)`);
    else nonEmpty.push(f);
  }
  if (many && read.format === 'jsonl' && nonEmpty.length > 1 && (await loadJsonlMany(duck, table, nonEmpty, cols))) return notes;
  for (const [i, f] of files.entries()) {
    const n = notes.get(f.rel)!;
    if (!nonEmpty.includes(f)) continue;
    if (read.format === 'jsonl') await loadJsonl(duck, table, f.abs, f.rel, cols, lake, n);
    else await loadCsv(duck, table, f.abs, f.rel, cols, read.csv ?? { delimiter: ',', header: true }, i, n, lake);
  }
  return notes;
}

/** A batch's landing files, each recognised as a re-landed copy (of an earlier batch's file or of one before it in the batch) or to be read. */
export async function batchFiles(
  duck: Duck,
  spec: JobSpec,
  lake: Lake,
  batch: string,
  paths: readonly string[],
  ledger: Ledger,
): Promise<{
  files: { file: string; rows: number; sha256: string; duplicateOf?: string }[];
  toRead: { abs: string; rel: string }[];
  notes: string[];
  dupRows: number;
}> {
  const read = step(spec, 'read_landing');
  const out = {
    files: [] as { file: string; rows: number; sha256: string; duplicateOf?: string }[],
    toRead: [] as { abs: string; rel: string }[],
    notes: [] as string[],
    dupRows: 0,
  };
  const seenThisBatch = new Map<string, string>();
  for (const abs of paths) {
    const rel = relative(lake.path('landing'), abs);
    const sha = sha256File(abs);
    // only a file of an earlier batch makes this one a re-landing: running an earlier batch
    // again (a re-run and the later batches it replays) gives what running in order gives
    const prior = ledger[sha];
    const dupOf = prior !== undefined && prior.batch < batch ? prior.file : seenThisBatch.get(sha);
    if (dupOf !== undefined) {
      const rows = await countRows(duck, abs, rel, read.format, read.csv?.header ?? false, lake);
      out.dupRows += rows;
      out.files.push({ file: rel, rows, sha256: sha, duplicateOf: dupOf });
      out.notes.push(`${rel} is identical to ${dupOf} (sha256 ${sha.slice(0, 12)}…): its ${rows} rows count as duplicates`);
      continue;
    }
    seenThisBatch.set(sha, rel);
    out.files.push({ file: rel, rows: 0, sha256: sha });
    out.toRead.push({ abs, rel });
  }
  return out;
}

/**
 * Fills a job's parsed table with the files it reads: the rows parsed ahead (`pre`) when
 * every one of them is unchanged (size and modification time), else parsed here (`many`:
 * JSONL files in one statement). Returns each file's notes.
 */
export async function takeOrParse(
  duck: Duck,
  spec: JobSpec,
  lake: Lake,
  o: { pre: ParsedLanding | undefined; toRead: readonly { abs: string; rel: string }[]; parsed: string; persist: boolean; many: boolean },
): Promise<ReadonlyMap<string, readonly string[]>> {
  const { pre, toRead, parsed, persist } = o;
  const unchanged = (f: { abs: string; rel: string }): boolean => {
    const m = pre?.files.get(f.rel);
    if (m === undefined) return false;
    const st = statSync(f.abs);
    return st.size === m.size && st.mtimeMs === m.mtimeMs;
  };
  if (pre !== undefined && toRead.every(unchanged)) {
    if (toRead.length === pre.files.size && persist) await duck.run(`ALTER TABLE ${pre.table} RENAME TO ${parsed}`);
    else {
      // re-landed copies were parsed too; the job reads only the files it promotes
      await duck.run(
        `CREATE ${persist ? '' : 'TEMP '}TABLE ${parsed} AS SELECT * FROM ${pre.table} WHERE _source_file IN (${['NULL', ...toRead.map((f) => sqlStr(f.rel))].join(', ')})`,
        `select parsed of ${spec.id}`,
      );
      await duck.run(`DROP TABLE ${pre.table}`);
    }
    return new Map([...pre.files].map(([rel, m]) => [rel, m.notes]));
  }
  if (pre !== undefined) await duck.run(`DROP TABLE IF EXISTS ${pre.table}`);
  return parseFiles(duck, parsed, !persist, toRead, step(spec, 'read_landing'), step(spec, 'parse').columns, lake, o.many);
}

export async function runBronze(spec: JobSpec, ctx: BronzeContext): Promise<BronzeResult> {
  const { duck, lake, batch } = ctx;
  const read = step(spec, 'read_landing');
  const parse = step(spec, 'parse');
  const wm = step(spec, 'watermark');
  const cols = parse.columns;
  const notes: string[] = [];

  // ---- files: recognise a re-landed identical file by its content hash
  const ledger = readLedger(lake, spec.name);
  const listed = await batchFiles(duck, spec, lake, batch, ctx.files ?? landingFiles(lake, read.path, batch), ledger);
  const { files, toRead } = listed;
  const duplicateFileRows = listed.dupRows;
  notes.push(...listed.notes);
  if (files.length === 0) notes.push(`no landing file for ${batch} under ${dirname(read.path.split('{date}').join(batch))}`);

  // ---- raw rows with a uniform shape (blank JSONL lines flagged, counted, never promoted):
  // parsed ahead on the side lane when the files are unchanged, else here. Either way they
  // end up in the dataset's parsed table, held (with the verdicts below) until the batch's
  // silver job and the partition writes have read them: a regular table when a side lane
  // writes the partitions (its connection reads it), else a temp table
  const persist = ctx.lane !== undefined;
  const parsed = bronzeParsedTable(spec.name);
  await duck.run(dropBronzeBatchSql(spec.name));
  const parseNotes = await takeOrParse(duck, spec, lake, {
    pre: ctx.takeParsed === undefined ? undefined : await ctx.takeParsed(),
    toRead,
    parsed,
    persist,
    many: false,
  });
  for (const f of toRead) notes.push(...(parseNotes.get(f.rel) ?? []));
  // rows (and blank lines) per file, in one pass
  let blankLines = 0;
  let parsedRows = 0;
  for (const r of await duck.rows(
    `SELECT _source_file AS f, count(*) FILTER (WHERE NOT _blank) AS n, count(*) FILTER (WHERE _blank) AS b FROM ${parsed} GROUP BY 1`,
    'file rows',
  )) {
    blankLines += Number(r['b']);
    parsedRows += Number(r['n']) + Number(r['b']);
    const at = files.findIndex((x) => x.file === r['f'] && x.duplicateOf === undefined);
    if (at >= 0) files[at] = { ...files[at]!, rows: Number(r['n']) };
  }

  // ---- checks → reasons per action, status and reason: one statement, rows in file order
  const evt = qi(wm.event_time);
  const clauses = checkClauses(spec, parsed, {
    batch: sqlStr(batch),
    referential: (parent, refCol, col, alias) => {
      const rel = ctx.silverRelation(parent);
      // parent never loaded: every non-null reference is orphaned
      if (rel === undefined) return { fails: `_ok AND ${qi(col)} IS NOT NULL` };
      // only the parent keys this batch refers to (a semi-join), not every key of the parent's state
      const ref = qi(refCol);
      return {
        join: `LEFT JOIN (SELECT DISTINCT ${ref} AS k FROM ${rel} WHERE ${ref} IN (SELECT ${qi(col)} FROM ${parsed})) ${alias} ON ${alias}.k = p.${qi(col)}`,
        fails: `_ok AND p.${qi(col)} IS NOT NULL AND ${alias}.k IS NULL`,
      };
    },
  });
  const table = bronzeBatchTable(spec.name);
  const verdicts = bronzeVerdictTable(spec.name);
  // each row's verdict (status, reasons) from the narrow columns the checks read, one row
  // per parsed row in the parsed table's order (its rowid): the bronze rows are the parsed
  // rows beside their verdicts (a positional join), never copied into a table of their own
  // a batch without a parsed row (no file, an empty file, a header-only CSV file): the
  // verdicts are an empty table of the same columns and types, not the checks' statement
  // (about 12 ms of fixed cost each, for nothing); the partitions written are the same
  if (parsedRows === 0)
    await duck.run(
      `CREATE ${persist ? '' : 'TEMP '}TABLE ${verdicts} AS SELECT NULL::VARCHAR AS _v_file, NULL::BIGINT AS _v_line, NULL::VARCHAR AS _quality_status,
         NULL::VARCHAR AS _quarantine_reason, NULL::BOOLEAN AS _h_ok, NULL::VARCHAR[] AS _h_qd, NULL::VARCHAR[] AS _h_w, NULL::VARCHAR[] AS _h_f LIMIT 0`,
      `bronze verdicts of ${spec.id} (no rows)`,
    );
  else await duck.run(`CREATE ${persist ? '' : 'TEMP '}TABLE ${verdicts} AS ${verdictsSql(parsed, clauses)}`, `bronze verdicts of ${spec.id}`);
  // the bronze partition's rows, in file order (the parsed table's), for this batch's silver
  // job and the partition writes; helper columns last, excluded from the files
  await duck.run(`CREATE ${persist ? '' : 'TEMP '}VIEW ${table} AS ${bronzeRowsSql(parsed, verdicts, cols, sqlStr(batch), ctx.ingestedAt)}`);

  // ---- every figure of the quality report from one grouped scan (a handful of groups; none without a row)
  const groups = parsedRows === 0 ? [] : await duck.rows(countsSql(table, evt, false), `counts of ${spec.id}`);
  if (Number(groups[0]?.['misaligned'] ?? 0) > 0) {
    await duck.run(dropBronzeBatchSql(spec.name));
    throw new StreamPulseError(
      'BRONZE_MISALIGNED',
      `${spec.name} batch ${batch}: ${String(groups[0]?.['misaligned'])} verdict(s) are not beside their parsed row`,
      {
        remedy:
          "this is a runner bug (the verdicts must follow the parsed table's row order); nothing was written. Run the batch again with sideLane: false and report it",
      },
    );
  }
  const failedFail = failedFailChecks(groups);
  if (failedFail.size > 0) {
    await duck.run(dropBronzeBatchSql(spec.name));
    const what = [...failedFail.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([id, k]) => `${id} (${k} rows)`)
      .join(', ');
    throw new StreamPulseError('QUALITY_FAILED', `${spec.name} batch ${batch}: a check with action "fail" failed: ${what}`, {
      remedy: `inspect the landing files of ${batch}; the batch was not written. Fix the source data or relax the rule's action in ${spec.contract}`,
    });
  }
  // ---- freshness rules: once per batch, on the newest event promoted so far
  const fresh = freshnessOf(spec, batch, groups, ctx.newestBefore ?? null, ctx.freshness ?? 'enforce');
  if (fresh.stops.length > 0) {
    await duck.run(dropBronzeBatchSql(spec.name));
    throw new StreamPulseError('QUALITY_FAILED', `${spec.name} batch ${batch}: ${fresh.stops.join('; ')}; the batch was not written`, {
      remedy: `check that ${batch}'s landing files of ${spec.name} are complete: land a late or missing file and run the batch again. If the source really was quiet (a backfill of sparse history, a small synthetic run), run with --freshness report: the rule is then reported, not enforced. The rule is in ${spec.contract}`,
    });
  }

  // ---- bronze partition (every row) and quarantine partition (quarantined + dropped), in
  // file order, then the ledger (a crash before it only means the files are hashed again):
  // on the side lane when there is one, while the main connection runs the silver job
  const bronzeFile = lake.partitionFile('bronze', spec.name, batch);
  const quarantineFile = lake.partitionFile('quarantine', spec.name, batch);
  // this batch's entries are its files now (a corrected file's old content is forgotten)
  const newLedger: Ledger = Object.fromEntries(Object.entries(ledger).filter(([, e]) => e.batch !== batch));
  for (const f of files) if (f.duplicateOf === undefined) newLedger[f.sha256] = { batch, file: f.file };
  const write = async (d: Duck): Promise<void> => {
    await copyAtomic(d, `SELECT * EXCLUDE (${BRONZE_HELPERS.join(', ')}) FROM ${table}`, bronzeFile);
    await copyAtomic(d, `SELECT * EXCLUDE (${BRONZE_HELPERS.join(', ')}) FROM ${table} WHERE _quality_status IN ('quarantined', 'dropped')`, quarantineFile);
    writeFileAtomic(ledgerPath(lake, spec.name), JSON.stringify(sortKeys(newLedger), null, 1));
  };
  if (ctx.lane !== undefined && ctx.defer !== undefined) ctx.defer(ctx.lane.enqueue('write', write).promise);
  else await write(duck);

  return bronzeResultOf(spec, groups, fresh, { files, blankLines, duplicateFileRows, notes });
}

/** The per-check row counts of the checks with action `fail` that failed, from a batch's grouped counts. */
export function failedFailChecks(groups: readonly Record<string, unknown>[]): Map<string, number> {
  const failed = new Map<string, number>();
  for (const g of groups) for (const id of (g['f'] as string[] | null) ?? []) failed.set(id, (failed.get(id) ?? 0) + Number(g['n']));
  return failed;
}

/** A batch's freshness rules on the newest event promoted so far (`newest` of its grouped counts). */
export function freshnessOf(
  spec: JobSpec,
  batch: string,
  groups: readonly Record<string, unknown>[],
  newestBefore: string | null,
  mode: FreshnessMode,
): ReturnType<typeof evaluateFreshness> & { batchNewest: string | null } {
  const batchNewest = (groups[0]?.['newest'] as string | null | undefined) ?? null;
  const checks = step(spec, 'quality').checks;
  return { ...evaluateFreshness({ batch, eventTime: step(spec, 'watermark').event_time, checks, batchNewest, newestBefore, mode }), batchNewest };
}

/** A batch's bronze result from its grouped counts (one row per status, first reasons and failed checks) and its files. */
export function bronzeResultOf(
  spec: JobSpec,
  groups: readonly Record<string, unknown>[],
  fresh: ReturnType<typeof freshnessOf>,
  f: { files: BronzeResult['files']; blankLines: number; duplicateFileRows: number; notes: readonly string[] },
): BronzeResult {
  const checks = step(spec, 'quality').checks;
  const n = (r: Record<string, unknown>): number => Number(r['n']);
  const sumWhere = (pred: (g: Record<string, unknown>) => boolean): number => groups.filter(pred).reduce((a, g) => a + n(g), 0);
  const byReason = (col: 'rq' | 'rw', onlyWarned: boolean): Record<string, number> => {
    // a row counts once, under its first reason
    const m = new Map<string, number>();
    for (const g of groups) {
      const r = g[col];
      if (r === null || r === undefined || (onlyWarned && g['st'] !== 'warned')) continue;
      m.set(String(r), (m.get(String(r)) ?? 0) + n(g));
    }
    return Object.fromEntries([...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  };
  const evaluated = sumWhere((g) => g['ok'] === true);
  const failedBy = new Map<string, number>();
  for (const g of groups) for (const id of (g['ids'] as string[] | null) ?? []) failedBy.set(id, (failedBy.get(id) ?? 0) + n(g));
  const rules: RuleStat[] = checks
    .filter((c) => c.rule !== 'freshness')
    .map((c) => ({ id: c.id, rule: c.rule, action: c.action, evaluated, failed: failedBy.get(c.id) ?? 0 }));
  rules.push({ id: 'watermark', rule: 'watermark', action: 'quarantine', evaluated, failed: failedBy.get('late:beyond_watermark') ?? 0 });
  rules.push(...fresh.rules);
  const all = sumWhere(() => true);
  return {
    files: f.files,
    rowsIn: all + f.duplicateFileRows,
    blankLines: f.blankLines,
    passed: sumWhere((g) => g['st'] === 'passed'),
    warned: sumWhere((g) => g['st'] === 'warned'),
    quarantined: sumWhere((g) => g['st'] === 'quarantined'),
    dropped: sumWhere((g) => g['st'] === 'dropped'),
    duplicateFileRows: f.duplicateFileRows,
    quarantinedByReason: byReason('rq', false),
    warnedByReason: byReason('rw', true),
    rules,
    newestEventTime: fresh.batchNewest,
    newestPromotedEventTime: fresh.newest,
    rescuedRows: groups.reduce((a, g) => a + Number(g['resc']), 0),
    notes: [...f.notes, ...fresh.notes],
  };
}

/**
 * A bronze job's checks as SQL over a parsed table (alias `p`): the joins they need and,
 * per action, one `CASE … THEN '<check id>' END` per check. `batch` is the SQL of a row's
 * batch (a literal for one batch, a column over a backlog): the watermark's cutoff and a
 * unique key are per batch. `referential` gives a reference's join and its failure.
 */
export function checkClauses(
  spec: JobSpec,
  parsed: string,
  o: {
    readonly batch: string;
    /** Extra join that gives `batch` its column (a backlog's file → batch table), if any. */
    readonly batchJoin?: string;
    readonly referential: (parent: string, refColumn: string, column: string, alias: string) => { join?: string; fails: string };
  },
): { joins: string[]; byAction: Record<QualityCheck['action'], string[]>; parseReason: string; wmReason: string } {
  const wm = step(spec, 'watermark');
  const checks = step(spec, 'quality').checks;
  const evt = qi(wm.event_time);
  const cutoff = `(CAST(${o.batch} AS TIMESTAMP) - INTERVAL ${wm.max_delay_hours} HOUR)`;
  const parseReason = `CASE WHEN NOT _ok THEN coalesce(_parse_error, 'unparseable') END`;
  const wmReason = `CASE WHEN _ok AND ${evt} IS NOT NULL AND CAST(${evt} AS TIMESTAMP) < ${cutoff} THEN 'late:beyond_watermark' END`;
  const joins: string[] = o.batchJoin === undefined ? [] : [o.batchJoin];
  const byAction: Record<QualityCheck['action'], string[]> = { quarantine: [], drop: [], warn: [], fail: [] };
  for (const c of checks)
    if (c.passes !== undefined) byAction[c.action].push(`CASE WHEN _ok AND NOT coalesce((${c.passes.duckdb}), FALSE) THEN ${sqlStr(c.id)} END`);
  let joinN = 0;
  for (const c of checks) {
    if (c.rule === 'unique' && c.columns) {
      // a key seen again in the batch with other content: every row of it but the first
      // (in file order) fails. Aggregated per key (a narrow GROUP BY joined back) rather
      // than windows over the wide rows: the same rows, a fraction of the work.
      const alias = `u${joinN++}`;
      const keys = c.columns.map(qi);
      const nn = keys.map((k) => `${k} IS NOT NULL`).join(' AND ');
      const perBatch = o.batchJoin !== undefined;
      joins.push(
        `LEFT JOIN (SELECT ${keys.map((k, i) => `${k} AS _uk${i}`).join(', ')}${perBatch ? `, ${o.batch} AS _ub` : ''}, min({'f': _source_file, 'l': _line_no}) AS _u_first FROM ${parsed} p ${perBatch ? o.batchJoin : ''} WHERE _ok AND ${nn} GROUP BY ALL HAVING count(DISTINCT _record_hash) > 1) ${alias} ON ${keys.map((k, i) => `${alias}._uk${i} = p.${k}`).join(' AND ')}${perBatch ? ` AND ${alias}._ub = ${o.batch}` : ''}`,
      );
      byAction[c.action].push(
        `CASE WHEN ${alias}._u_first IS NOT NULL AND {'f': p._source_file, 'l': p._line_no} > ${alias}._u_first THEN ${sqlStr(c.id)} END`,
      );
    }
    if (c.rule === 'referential' && c.references && c.columns?.[0]) {
      const parent = /\{\{silver\.([a-z0-9_]+)\}\}/.exec(c.references.table)?.[1] ?? '';
      const r = o.referential(parent, c.references.column, c.columns[0], `r${joinN++}`);
      if (r.join !== undefined) joins.push(r.join);
      byAction[c.action].push(`CASE WHEN ${r.fails} THEN ${sqlStr(c.id)} END`);
    }
  }
  return { joins, byAction, parseReason, wmReason };
}

/**
 * Each parsed row's verdict (status, reasons) from the narrow columns the checks read,
 * one row per parsed row in the parsed table's order (its rowid): the bronze rows are the
 * parsed rows beside their verdicts (a positional join), never copied into a table of
 * their own. With `batch` (the SQL of a backlog row's batch), the batch too (`_v_batch`).
 */
export function verdictsSql(parsed: string, c: ReturnType<typeof checkClauses>, batch?: string): string {
  const list = (xs: string[]): string => `list_filter([${xs.join(', ')}]::VARCHAR[], x -> x IS NOT NULL)`;
  const status = `CASE WHEN len(_q) > 0 THEN 'quarantined' WHEN len(_d) > 0 THEN 'dropped' WHEN len(_w) > 0 THEN 'warned' ELSE 'passed' END`;
  const reason = `nullif(array_to_string(list_concat(_q, _d, _w), '; '), '')`;
  return `WITH c AS (
       SELECT p.rowid AS _rowid, p._source_file, p._line_no, p._ok,${batch === undefined ? '' : ` ${batch} AS _b,`}
         list_concat(${list([c.parseReason])}, _type_errors, ${list([c.wmReason, ...c.byAction.quarantine])}) AS _q,
         ${list(c.byAction.drop)} AS _d, ${list(c.byAction.warn)} AS _w, ${list(c.byAction.fail)} AS _f
       FROM ${parsed} p ${c.joins.join(' ')})
     SELECT _source_file AS _v_file, _line_no AS _v_line,${batch === undefined ? '' : ' _b AS _v_batch,'} ${status} AS _quality_status, ${reason} AS _quarantine_reason,
            _ok AS _h_ok, list_concat(_q, _d) AS _h_qd, _w AS _h_w, _f AS _h_f
     FROM c ORDER BY _rowid`;
}

/** The bronze rows (the partitions' columns, helper columns last): the parsed rows beside their verdicts, blank lines left out; `batch` is the SQL of a row's batch. */
export function bronzeRowsSql(parsed: string, verdicts: string, cols: readonly ColumnSpec[], batch: string, ingestedAt: string): string {
  return `SELECT ${cols.map((c) => `p.${qi(c.name)}`).join(', ')}, p._source_file, ${batch} AS _batch_id, p._record_hash, CAST(${sqlStr(ingestedAt)} AS TIMESTAMP) AS _ingested_at,
            v._quality_status, v._quarantine_reason, p._rescued, p._raw_line, p._line_no,
            v._h_ok, v._h_qd, v._h_w, v._h_f, v._v_file AS _h_vfile, v._v_line AS _h_vline
     FROM ${parsed} p POSITIONAL JOIN ${verdicts} v
     WHERE NOT p._blank`;
}

/**
 * Every figure of the quality report from one grouped scan of the bronze rows (a handful
 * of groups): per status, first reasons and failed checks, the newest promoted event
 * time, and the rows whose verdict is not beside them (none, or a runner bug). With
 * `perBatch` (a backlog), per batch (`bt`).
 */
export function countsSql(rows: string, evt: string, perBatch: boolean): string {
  const groups = `_quality_status, _h_ok, _h_qd[1], _h_w[1], list_concat(_h_qd, _h_w), _h_f`;
  return `SELECT ${perBatch ? '_batch_id AS bt, ' : ''}_quality_status AS st, _h_ok AS ok, _h_qd[1] AS rq, _h_w[1] AS rw, list_concat(_h_qd, _h_w) AS ids, _h_f AS f,
            count(*) AS n, count(_rescued) AS resc,
            CAST(max(max(${evt}) FILTER (WHERE _quality_status IN ('passed', 'warned'))) OVER (${perBatch ? 'PARTITION BY _batch_id' : ''}) AS VARCHAR) AS newest,
            sum(count(*) FILTER (WHERE _h_vline IS DISTINCT FROM _line_no OR _h_vfile IS DISTINCT FROM _source_file)) OVER () AS misaligned
     FROM ${rows} GROUP BY ${perBatch ? `_batch_id, ${groups}` : groups}`;
}

/** Helper columns of the in-memory bronze rows that never reach a file. */
export const BRONZE_HELPERS = ['_h_ok', '_h_qd', '_h_w', '_h_f', '_h_vfile', '_h_vline'] as const;

/**
 * The view of a dataset's bronze rows of the running batch (the partition's content plus
 * helper columns), held until its silver job and the partition writes have read them.
 */
export function bronzeBatchTable(dataset: string): string {
  return qi(`bronze_batch__${dataset}`);
}
/** The table of a dataset's parsed landing rows of the running batch (under the bronze view). */
function bronzeParsedTable(dataset: string): string {
  return qi(`bronze_parsed__${dataset}`);
}
/** The table of each parsed row's verdict (status, reasons), in the parsed table's row order. */
function bronzeVerdictTable(dataset: string): string {
  return qi(`bronze_verdict__${dataset}`);
}
/** Drops a dataset's bronze rows of the running batch: the view and the two tables under it. */
export function dropBronzeBatchSql(dataset: string): string {
  return `DROP VIEW IF EXISTS ${bronzeBatchTable(dataset)}; DROP TABLE IF EXISTS ${bronzeVerdictTable(dataset)}; DROP TABLE IF EXISTS ${bronzeParsedTable(dataset)}`;
}

/** The bronze relation a silver job reads: the in-memory rows when held, else the committed partition. */
export function bronzeBatchSql(held: boolean, dataset: string, file: string): string {
  return held ? `(SELECT * EXCLUDE (${BRONZE_HELPERS.join(', ')}) FROM ${bronzeBatchTable(dataset)})` : `read_parquet(${sqlStr(file)})`;
}

export function sortKeys<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1))) as T;
}

function duckType(c: ColumnSpec): string {
  const m = /^decimal\((\d+),(\d+)\)$/.exec(c.type);
  if (m) return `DECIMAL(${m[1]},${m[2]})`;
  return (
    { string: 'VARCHAR', integer: 'INTEGER', bigint: 'BIGINT', double: 'DOUBLE', boolean: 'BOOLEAN', date: 'DATE', timestamp: 'TIMESTAMP' } as Record<
      string,
      string
    >
  )[c.type]!;
}

/** JSON's insignificant whitespace (space, tab, line feed, carriage return). */
const JSON_WS = `' ' || chr(9) || chr(10) || chr(13)`;

/**
 * Whether a line is blank (NULL or only white space). trim() copies the whole line, a
 * sixth of the parse's time on JSONL files; a line that starts with "{" cannot be blank,
 * so trim runs only on the rare others (CASE evaluates its branch only where needed).
 */
const BLANK_LINE = `CASE WHEN starts_with(line, '{') THEN FALSE ELSE line IS NULL OR trim(line) = '' END`;
/** Whether a line's first non-blank character is "{" (the same short cut: no copy for lines that start with it). */
const OBJECT_LINE = `CASE WHEN starts_with(line, '{') THEN TRUE ELSE starts_with(ltrim(line, ${JSON_WS}), '{') END`;

/**
 * Every line of a file as text. Lines up to 16 MiB; the read buffer is set to 32 MiB,
 * because DuckDB's default is 16× the longest line (a 256 MiB block per open file, half
 * the runner's memory limit, twice over when the side lane reads a file at the same time).
 */
const LINE_READER = (abs: string, list = false): string =>
  `read_csv(${list ? abs : sqlStr(abs)},${list ? ' filename=true,' : ''} columns={'line': 'VARCHAR'}, header=false, delim=E'\\x1F', quote='', escape='', auto_detect=false, max_line_size=16777216, buffer_size=33554432)`;

/**
 * The keys of a JSON object line that the contract does not declare, from the line's one
 * parse (`_m`, the object as a map; NULL when the line is not one, `_ok`). Lines whose
 * keys are exactly the declared ones, in their order (a producer serialising its
 * records), skip the per-key filter: a list comparison, less than half the cost of
 * filtering every key with a lambda, for the same result.
 */
const UNKNOWN_KEYS = (declared: string): string =>
  `CASE WHEN _ok THEN (CASE WHEN map_keys(_m) = ${declared} THEN []::VARCHAR[] ELSE list_filter(map_keys(_m), k -> NOT list_contains(${declared}, k)) END) END`;

export async function countRows(duck: Duck, abs: string, rel: string, format: 'jsonl' | 'csv', header: boolean, lake: Lake): Promise<number> {
  if (statSync(abs).size === 0) return 0;
  let n = 0;
  await readTolerant(abs, rel, lake, async (path) => {
    n = Number(await duck.scalar(`SELECT count(*) FROM ${LINE_READER(path)} WHERE NOT (${BLANK_LINE})`, `count ${rel}`));
  });
  return format === 'csv' && header ? Math.max(0, n - 1) : n;
}

/**
 * Reads a landing file with `load` (given the path to read). When DuckDB refuses it and
 * some of its lines are not valid UTF-8, `load` reads a copy instead (in the lake's
 * `_state/utf8/`, removed after) in which those lines are decoded with U+FFFD
 * replacement characters; returns their line numbers (empty: the file was read as it is).
 * The statements `load` runs must fail as a whole (a failed one changes nothing).
 */
async function readTolerant(abs: string, rel: string, lake: Lake, load: (path: string) => Promise<void>): Promise<number[]> {
  try {
    await load(abs);
    return [];
  } catch (e) {
    const bad = invalidUtf8Lines(abs);
    if (bad.length === 0) throw e;
    const copy = tempFor(lake.path('_state', 'utf8', basename(rel)));
    try {
      writeUtf8Copy(abs, copy);
      await load(copy);
    } finally {
      rmSync(copy, { force: true });
    }
    return bad;
  }
}

/** Quarantines the parsed rows of `rel` read from lines that were not UTF-8: not parsed, reason encoding:invalid_utf8. */
async function markInvalidUtf8(duck: Duck, table: string, rel: string, lines: readonly number[], cols: readonly ColumnSpec[], notes: string[]): Promise<void> {
  if (lines.length === 0) return;
  notes.push(
    `${rel}: ${lines.length} line(s) not valid UTF-8 (${lines.slice(0, 5).join(', ')}${lines.length > 5 ? ', …' : ''}) quarantined as ${INVALID_UTF8_REASON}; the other lines were read`,
  );
  for (let i = 0; i < lines.length; i += 10_000)
    await duck.run(
      `UPDATE ${table} SET _ok = FALSE, _parse_error = ${sqlStr(INVALID_UTF8_REASON)}, _type_errors = []::VARCHAR[], _rescued = NULL, ${cols.map((c) => `${qi(c.name)} = NULL`).join(', ')}
       WHERE _source_file = ${sqlStr(rel)} AND _line_no IN (${lines.slice(i, i + 10_000).join(', ')})`,
      `quarantine invalid UTF-8 of ${rel}`,
    );
}

/**
 * Loads a JSONL file: one read of its lines; blank lines are kept flagged (`_blank`), to be
 * counted, never promoted; lines that are not UTF-8 quarantined (`readTolerant`).
 */
async function loadJsonl(duck: Duck, table: string, abs: string, rel: string, cols: readonly ColumnSpec[], lake: Lake, notes: string[]): Promise<void> {
  const bad = await readTolerant(abs, rel, lake, (path) =>
    duck.run(`CREATE OR REPLACE TEMP TABLE b_lines AS SELECT row_number() OVER () AS _line_no, line FROM ${LINE_READER(path)}`, `read ${rel}`),
  );
  await duck.run(jsonlInsertSql(table, sqlStr(rel), cols), `parse ${rel}`);
  await duck.run(`DROP TABLE b_lines`);
  await markInvalidUtf8(duck, table, rel, bad, cols, notes);
}

/**
 * Parses the lines of `b_lines` (`_line_no`, `line`, and `_sf` when `source` names it)
 * into the parsed table: `source` is the SQL of each row's source file.
 */
function jsonlInsertSql(table: string, source: string, cols: readonly ColumnSpec[]): string {
  const declared = `[${cols.map((c) => sqlStr(c.name)).join(', ')}]`;
  const typed = cols.map((c, i) => `${c.cast.duckdb.split('{{value}}').join(`_raw[${i + 1}]`)} AS ${qi(c.name)}`).join(',\n ');
  const typeErr = cols.map((c, i) => `CASE WHEN _raw[${i + 1}] IS NOT NULL AND ${qi(c.name)} IS NULL THEN ${sqlStr(`type:${c.name}`)} END`).join(', ');
  const anyTypeErr = cols.map((c, i) => `(_raw[${i + 1}] IS NOT NULL AND ${qi(c.name)} IS NULL)`).join(' OR ');
  // a valid JSON text whose first non-blank character is { is an object. An object is
  // parsed once, into a map of its keys to their values as text (strings unquoted, other
  // values as JSON, null as NULL: what json_extract_string gives per path): the declared
  // columns, the unknown keys and the type failures all come from that map
  // numbering the lines needs the file's order (one thread, b_lines); the parsing after it runs in parallel
  return `INSERT INTO ${table}
     WITH src AS (SELECT *, ${BLANK_LINE} AS _blank FROM b_lines),
     j AS (SELECT *, NOT _blank AND json_valid(line) AND ${OBJECT_LINE} AS _ok FROM src),
     m AS (SELECT *, CASE WHEN _ok THEN json_transform(line, '"MAP(VARCHAR, VARCHAR)"') END AS _m FROM j),
     x AS (SELECT *, CASE WHEN _ok THEN [_m[k] for k in ${declared}] END AS _raw,
                     ${UNKNOWN_KEYS(declared)} AS _extra FROM m),
     t AS (SELECT *, ${typed} FROM x)
     SELECT ${source}, _line_no, line, _blank, _ok, CASE WHEN NOT _ok THEN 'unparseable:not_a_json_object' END,
            ${cols.map((c) => qi(c.name)).join(', ')},
            CASE WHEN ${anyTypeErr} THEN list_filter([${typeErr}]::VARCHAR[], e -> e IS NOT NULL) ELSE []::VARCHAR[] END,
            CASE WHEN len(_extra) > 0 THEN CAST(to_json(map_from_entries(list_transform(_extra, k -> {'k': k, 'v': json_extract(line, '$."' || k || '"')}))) AS VARCHAR) END,
            CASE WHEN NOT _blank THEN sha256(line) END
     FROM t`;
}

/**
 * Loads several JSONL files (a backlog's, in order) with one read of their lines and one
 * parse, the same rows as `loadJsonl` file by file: each file's lines are numbered from
 * the first line the reader gave of it. Returns false, having loaded nothing, when the
 * reader refuses one of them (bytes that are not UTF-8): the caller then loads them one
 * by one (`loadJsonl` quarantines such lines).
 */
async function loadJsonlMany(duck: Duck, table: string, files: readonly { abs: string; rel: string }[], cols: readonly ColumnSpec[]): Promise<boolean> {
  const list = `[${files.map((f) => sqlStr(f.abs)).join(', ')}]`;
  try {
    await duck.run(
      `CREATE OR REPLACE TEMP TABLE b_many AS SELECT filename AS _f, row_number() OVER () AS _rn, line FROM ${LINE_READER(list, true)}`,
      `read ${files.length} files`,
    );
  } catch {
    await duck.run('DROP TABLE IF EXISTS b_many');
    return false;
  }
  // each file's first row number, from a narrow aggregate: the lines stay in reading order
  const first = new Map((await duck.rows(`SELECT _f, min(_rn) AS m FROM b_many GROUP BY 1`, 'file offsets')).map((r) => [String(r['_f']), Number(r['m'])]));
  const rel = `MAP {${files.map((f) => `${sqlStr(f.abs)}: ${sqlStr(f.rel)}`).join(', ')}}`;
  const offset = `MAP {${files.map((f) => `${sqlStr(f.abs)}: ${(first.get(f.abs) ?? 1) - 1}`).join(', ')}}`;
  await duck.run(`CREATE OR REPLACE TEMP TABLE b_lines AS SELECT ${rel}[_f] AS _sf, _rn - ${offset}[_f] AS _line_no, line FROM b_many`, 'number lines');
  await duck.run('DROP TABLE b_many');
  await duck.run(jsonlInsertSql(table, '_sf', cols), `parse ${files.length} files`);
  await duck.run('DROP TABLE b_lines');
  return true;
}

async function loadCsv(
  duck: Duck,
  table: string,
  abs: string,
  rel: string,
  cols: readonly ColumnSpec[],
  csv: { delimiter: string; header: boolean },
  fileNo: number,
  notes: string[],
  lake: Lake,
): Promise<void> {
  const declared = cols.map((c) => c.name);
  const header = csv.header ? splitHeader(firstLine(abs), csv.delimiter) : declared;
  const missing = declared.filter((c) => !header.includes(c));
  const missingRequired = cols.filter((c) => c.required && missing.includes(c.name)).map((c) => c.name);
  if (missingRequired.length > 0 || new Set(header).size !== header.length) {
    // a wrong header: every line of the file is quarantined with the reason, none is lost
    const why = missingRequired.length > 0 ? `file:wrong_header (missing ${missingRequired.join(', ')})` : 'file:wrong_header (duplicate column names)';
    notes.push(`${rel}: ${why}; header was "${header.join(csv.delimiter)}"`);
    const bad = await readTolerant(abs, rel, lake, (path) =>
      duck.run(
        `INSERT INTO ${table} (_source_file, _line_no, _raw_line, _blank, _ok, _parse_error, _type_errors, _record_hash)
       SELECT ${sqlStr(rel)}, _line_no, line, FALSE, FALSE, ${sqlStr(why)}, []::VARCHAR[], sha256(line)
       FROM (SELECT row_number() OVER () AS _line_no, line FROM ${LINE_READER(path)}) WHERE _line_no > ${csv.header ? 1 : 0} AND NOT (${BLANK_LINE})`,
        `quarantine ${rel}`,
      ),
    );
    await markInvalidUtf8(duck, table, rel, bad, cols, notes);
    return;
  }
  // a file of its header alone has no record: the reader's five statements would give none
  if (csv.header && headerOnly(abs)) return;
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
    `INSERT INTO ${table}
     WITH s AS (SELECT _line_no, ${header.map((h) => `${qi(h)} AS ${r(h)}`).join(', ')} FROM b_csv),
     t AS (SELECT *, ${typed} FROM s)
     SELECT ${sqlStr(rel)}, _line_no, ${rawLine}, FALSE, TRUE, NULL, ${cols.map((c) => `t.${qi(c.name)}`).join(', ')},
            list_filter([${typeErr}]::VARCHAR[], e -> e IS NOT NULL), ${rescued},
            sha256(concat_ws(chr(31), ${header.map((h) => `coalesce(${r(h)}, chr(0))`).join(', ')}))
     FROM t`,
    `parse ${rel}`,
  );
  // rows the CSV reader rejected (wrong column count, bad quoting, bytes that are not UTF-8): quarantined, with their text
  await duck.run(
    `INSERT INTO ${table} (_source_file, _line_no, _raw_line, _blank, _ok, _parse_error, _type_errors, _record_hash)
     SELECT ${sqlStr(rel)}, 1000000000 + CAST(line AS BIGINT), any_value(csv_line), FALSE, FALSE,
            CASE WHEN bool_or(error_type = 'INVALID ENCODING') THEN ${sqlStr(INVALID_UTF8_REASON)}
                 ELSE 'unparseable:' || lower(replace(any_value(error_type), ' ', '_')) END, []::VARCHAR[], sha256(any_value(csv_line))
     FROM ${rejTable} GROUP BY line`,
    `rejects of ${rel}`,
  );
  await recoverInvalidUtf8Rejects(duck, table, rel, abs, rejTable, notes);
}

/**
 * The reader gives the text of a record that is not UTF-8 with "?" for its bytes: replaced
 * by the record's own bytes read from the file, decoded with U+FFFD replacement characters
 * (as a JSONL line that is not UTF-8 is kept), and hashed from that text.
 */
async function recoverInvalidUtf8Rejects(duck: Duck, table: string, rel: string, abs: string, rejTable: string, notes: string[]): Promise<void> {
  const rows = await duck.rows(
    `SELECT CAST(line AS BIGINT) AS line, CAST(min(line_byte_position) AS BIGINT) AS pos, any_value(csv_line) AS text
     FROM ${rejTable} GROUP BY line HAVING bool_or(error_type = 'INVALID ENCODING') ORDER BY line`,
    `invalid UTF-8 rejects of ${rel}`,
  );
  if (rows.length === 0) return;
  const lines = rows.map((r) => Number(r['line']));
  notes.push(
    `${rel}: ${lines.length} record(s) not valid UTF-8 (line ${lines.slice(0, 5).join(', ')}${lines.length > 5 ? ', …' : ''}) quarantined as ${INVALID_UTF8_REASON}; the other records were read`,
  );
  const fd = openSync(abs, 'r');
  try {
    for (let i = 0; i < rows.length; i += 1000) {
      const values = rows.slice(i, i + 1000).map((r) => {
        // the reader's text may start with the line break before the record; its other line breaks are the record's
        const text = String(r['text'] ?? '').replace(/^[\r\n]+/, '');
        const newlines = (text.match(/\n/g) ?? []).length;
        return `(${1_000_000_000 + Number(r['line'])}, ${sqlStr(recordText(fd, Number(r['pos']), newlines + 1))})`;
      });
      await duck.run(
        `UPDATE ${table} SET _raw_line = v.text, _record_hash = sha256(v.text)
         FROM (VALUES ${values.join(', ')}) v(line_no, text) WHERE _source_file = ${sqlStr(rel)} AND _line_no = v.line_no`,
        `text of the invalid UTF-8 records of ${rel}`,
      );
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * COPY a query to Parquet under a temporary name, then rename it into place; returns the
 * rows written. `what` names the statement in errors (default: the file). zstd at
 * level 1: a fifth less CPU than the default level for files as small (here, smaller).
 */
export async function copyAtomic(duck: Duck, query: string, final: string, what = `write ${final}`): Promise<number> {
  const tmp = tempFor(final);
  const written = await duck.scalar(`COPY (${query}) TO ${sqlStr(tmp)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)`, what);
  commit(tmp, final);
  return Number(written);
}
