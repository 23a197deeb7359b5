/**
 * A backfill (`streampulse run --from D1 --to D2`, rehearsal `runBatches`, engine
 * `LocalRunner.runBackfill`) over a generated landing with the default defects (re-sent
 * files included), spanning a month boundary, gives every output file that running the
 * days one by one through the Data Factory master pipeline gives: bronze, quarantine,
 * silver, gold, the batch reports, serving, the extracts and quality files. Then the
 * backfill's conservation, idempotency (run again, nothing changes) and crash safety (its
 * process SIGKILLed mid-way, the same command again ends at the same files).
 *
 * How files compare: byte for byte, except the one wall-clock value the daily runs differ
 * in too — `_ingested_at` (bronze and quarantine rows, the reports' `ingested_at`), the
 * instant each batch was opened. Those Parquet files are compared row by row in file
 * order with every other column, and the reports as JSON without `ingested_at`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { loadContractsOrThrow } from '@streampulse/contracts';
import { type BatchReport, LocalRunner } from '@streampulse/engine';
import { compileJobs } from '@streampulse/jobs';
import { generateSources, type Manifest } from '@streampulse/sources';
import { LOCAL_DEMO_SALT, prepareLake, runBatches, runDailyBatches } from '@streampulse/rehearsal';

const ROOT = process.cwd();
const BIN = join(ROOT, 'cli', 'dist', 'src', 'bin.js');
const SET = loadContractsOrThrow(join(ROOT, 'contracts', 'streampulse'));
const SMALL = { salt: LOCAL_DEMO_SALT, freshness: 'report', threads: 2 } as const;
const FROM = '2026-01-30';
const TO = '2026-02-02';

const tmp = (p: string): string => join(mkdtempSync(join(tmpdir(), `sp-bf-${p}-`)), 'lake');
/** A lake whose landing folder is a copy of `landing`'s. */
function lakeWith(landing: string, p: string): string {
  const lake = tmp(p);
  prepareLake(lake);
  cpSync(landing, join(lake, 'landing'), { recursive: true });
  return lake;
}

/** What only the Data Factory path writes (its control files, activity-run logs, run records, the dashboard page): not a batch's output. */
const ADF_ONLY = /^(\.streampulse-lake$|control\/|reports\/adf|dashboard\/)/;
/** Every output file of a lake (relative paths, sorted): all but landing, the runner's state and the Data Factory path's own files. */
function outputs(lake: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(lake, p));
    }
  };
  walk(lake);
  return out.filter((f) => !f.startsWith('landing/') && !f.startsWith('_state/') && !ADF_ONLY.test(f)).sort();
}

let duck: DuckDBConnection;
/** A Parquet file's schema and rows in file order without `_ingested_at` (their count and a SHA-256 of their text); and its distinct `_ingested_at` values. */
async function rowsOf(file: string): Promise<{ rows: string; ingested: number }> {
  const one = async (sql: string): Promise<Record<string, unknown>> => (await duck.runAndReadAll(sql)).getRowObjectsJson()[0]!;
  const rows = await one(
    `SELECT count(*) AS n, sha256(coalesce(string_agg(CAST(t AS VARCHAR), chr(10) ORDER BY _n), '')) AS h
     FROM (SELECT COLUMNS(c -> c NOT IN ('_ingested_at', 'file_row_number')), file_row_number AS _n FROM read_parquet('${file}', file_row_number = true)) t`,
  );
  const schema = await one(
    `SELECT string_agg(name || ' ' || type || ' ' || coalesce(CAST(logical_type AS VARCHAR), ''), ', ') AS s FROM parquet_schema('${file}')`,
  );
  const has = (await one(`SELECT count(*) AS n FROM parquet_schema('${file}') WHERE name = '_ingested_at'`))['n'];
  const ingested = Number(has) > 0 ? Number((await one(`SELECT count(DISTINCT _ingested_at) AS i FROM read_parquet('${file}')`))['i']) : 0;
  return { rows: `${String(schema['s'])}: ${String(rows['n'])} rows, sha256 ${String(rows['h'])}`, ingested };
}
const withoutIngestedAt = (text: string): unknown => JSON.parse(text.replace(/"ingested_at": "[^"]*",?/g, ''));

/**
 * Compares every output file of two lakes: the same names; byte-identical, or (only files
 * that carry `_ingested_at`) the same rows in the same order with one ingestion instant
 * per file, or (batch reports) the same JSON without `ingested_at`. Returns how each
 * file compared.
 */
async function sameOutputs(a: string, b: string): Promise<{ bytes: number; rows: number; reports: number }> {
  const files = outputs(a);
  expect(outputs(b)).toEqual(files);
  const n = { bytes: 0, rows: 0, reports: 0 };
  for (const f of files) {
    const x = readFileSync(join(a, f));
    const y = readFileSync(join(b, f));
    if (x.equals(y)) {
      n.bytes++;
      continue;
    }
    if (f.startsWith('reports/batches/')) {
      expect([f, withoutIngestedAt(y.toString())]).toEqual([f, withoutIngestedAt(x.toString())]);
      n.reports++;
      continue;
    }
    expect([f, /^(bronze|quarantine)\/.*\.parquet$/.test(f)]).toEqual([f, true]);
    const [rx, ry] = [await rowsOf(join(a, f)), await rowsOf(join(b, f))];
    expect([f, ry.rows]).toEqual([f, rx.rows]);
    expect([f, rx.ingested, ry.ingested]).toEqual([f, 1, 1]);
    n.rows++;
  }
  return n;
}

/** Runs the built CLI (with `extraEnv`); with `killWhen`, SIGKILLs it once the condition holds (checked every 20 ms, given the stderr so far). */
function cli(
  args: readonly string[],
  killWhen?: (stderr: string) => boolean,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1', ...extraEnv };
  delete env['STREAMPULSE_PII_SALT'];
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const timer =
    killWhen === undefined
      ? undefined
      : setInterval(() => {
          if (child.exitCode === null && killWhen(stderr)) child.kill('SIGKILL');
        }, 20);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearInterval(timer);
      resolve({ code, signal, stderr });
    }),
  );
}
const backfillArgs = (lake: string): string[] => ['run', '--lake', lake, '--from', FROM, '--to', TO, '--freshness', 'report', '--no-progress'];
const reported = (lake: string): string[] => (existsSync(join(lake, 'reports', 'batches')) ? readdirSync(join(lake, 'reports', 'batches')) : []);

describe('backfill (run --from --to) equals running the days one by one', () => {
  let landing: string;
  let manifest: Manifest;
  let daily: string;
  let backfilled: string;
  let reports: BatchReport[];

  beforeAll(async () => {
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    landing = join(mkdtempSync(join(tmpdir(), 'sp-bf-landing-')), 'landing');
    mkdirSync(landing);
    // the default defect rates, two re-sent (re-landed) files, four days across a month's end
    manifest = generateSources(SET, { outDir: landing, users: 150, days: 4, startDate: FROM, seed: '42', defects: { relanded_files: 2 } });
    daily = lakeWith(landing, 'daily');
    await runDailyBatches(SET, { lakeRoot: daily, dates: manifest.dates, ...SMALL });
    backfilled = lakeWith(landing, 'one');
    ({ reports } = await runBatches(SET, { lakeRoot: backfilled, dates: manifest.dates, tables: 'every-day', ...SMALL }));
  }, 300_000);
  afterAll(() => duck.closeSync());

  it('runs a landing with re-sent files across a month boundary (so the comparison is not vacuous)', () => {
    expect(manifest.dates).toEqual(['2026-01-30', '2026-01-31', '2026-02-01', '2026-02-02']);
    expect(manifest.defect_counts['relanded_file']).toBeGreaterThan(0);
    expect(reports.flatMap((r) => r.datasets).some((d) => d.files.some((f) => f.duplicateOf !== undefined))).toBe(true);
    expect(reports.flatMap((r) => r.datasets).reduce((a, d) => a + d.quarantined, 0)).toBeGreaterThan(0);
  });

  it('writes every file the daily runs write: bronze, quarantine, silver, gold, reports, serving, extracts (by bytes; by rows without _ingested_at)', async () => {
    const n = await sameOutputs(daily, backfilled);
    // silver, gold, serving and the extracts are byte-identical; only files with the wall-clock ingestion instant are compared by rows
    expect(n.bytes).toBeGreaterThan(0);
    expect(outputs(daily).filter((f) => /^(silver|gold)\//.test(f)).length).toBeGreaterThan(0);
    for (const f of outputs(daily).filter((x) => /^(silver|gold|serving)\//.test(x)))
      expect([f, readFileSync(join(backfilled, f)).equals(readFileSync(join(daily, f)))]).toEqual([f, true]);
    // every earlier day's report carries its gold and mart row counts as of that day, as the daily run's does
    for (const r of reports) expect([r.batch, r.gold_built, r.tables.length]).toEqual([r.batch, true, SET.models.length + SET.marts.length]);
  }, 120_000);

  it("with tables 'last-day' (the benchmark's), the same files but the earlier days' reports: gold not built, no table counts", async () => {
    const lastDay = lakeWith(landing, 'last-day');
    const r = await runBatches(SET, { lakeRoot: lastDay, dates: manifest.dates, ...SMALL });
    expect(r.reports.map((x) => [x.gold_built, x.tables.length])).toEqual(
      manifest.dates.map((_, i) => (i === 3 ? [true, SET.models.length + SET.marts.length] : [false, 0])),
    );
    const earlier = (f: string): boolean => /^reports\/batches\/2026-0(1-30|1-31|2-01)\.json$/.test(f);
    expect(outputs(lastDay)).toEqual(outputs(daily));
    for (const f of outputs(daily).filter(earlier)) {
      const strip = (x: string): unknown => {
        const { tables: _t, gold_built: _g, ...rest } = withoutIngestedAt(x) as Record<string, unknown>;
        return rest;
      };
      expect(strip(readFileSync(join(lastDay, f), 'utf8'))).toEqual(strip(readFileSync(join(daily, f), 'utf8')));
    }
    for (const f of outputs(daily).filter((x) => /^(silver|gold|serving)\//.test(x)))
      expect([f, readFileSync(join(lastDay, f)).equals(readFileSync(join(daily, f)))]).toEqual([f, true]);
  }, 120_000);

  it('writes every partition of a dataset and zone with one Parquet schema, an empty batch’s (no row: no checks run) included', async () => {
    const schemaOf = async (f: string): Promise<string> =>
      String(
        (
          await duck.runAndReadAll(
            `SELECT string_agg(name || ' ' || type || ' ' || coalesce(CAST(logical_type AS VARCHAR), ''), ', ') AS s FROM parquet_schema('${f}')`,
          )
        ).getRowObjectsJson()[0]!['s'],
      );
    const parts = outputs(backfilled).filter((f) => /^(bronze|quarantine|silver)\/.*\.parquet$/.test(f));
    const empty = reports.flatMap((r) => r.datasets.filter((d) => d.rows_in === 0).map((d) => `bronze/${d.dataset}/batch=${r.batch}/data.parquet`));
    expect(empty.length).toBeGreaterThan(0);
    const byTable = new Map<string, Set<string>>();
    for (const f of parts) {
      const t = f.split('/batch=')[0]!;
      byTable.set(t, (byTable.get(t) ?? new Set()).add(await schemaOf(join(backfilled, f))));
    }
    for (const [t, schemas] of byTable) expect([t, schemas.size]).toEqual([t, 1]);
  }, 60_000);

  it('conserves rows per batch and dataset: in = promoted + quarantined + duplicates', () => {
    expect(reports.map((r) => r.batch)).toEqual(manifest.dates);
    for (const r of reports)
      for (const d of r.datasets) {
        expect([r.batch, d.dataset, d.rows_in]).toEqual([r.batch, d.dataset, d.promoted + d.quarantined + d.duplicates_dropped]);
        expect(d.conserved).toBe(true);
      }
  });

  it('is idempotent: the backfill run again (the CLI, which resumes) skips every finished day, rewrites no partition or report, and serving stays the same', async () => {
    const again = lakeWith(landing, 'again');
    expect((await cli(backfillArgs(again))).code).toBe(0);
    const before = new Map(outputs(again).map((f) => [f, [readFileSync(join(again, f)), statSync(join(again, f)).mtimeMs] as const]));
    const second = await cli([...backfillArgs(again), '--json']);
    expect(second.code).toBe(0);
    for (const [f, [bytes, mtime]] of before)
      expect([
        f,
        readFileSync(join(again, f)).equals(bytes),
        !/^(bronze|quarantine|silver|gold|reports\/batches)\//.test(f) || statSync(join(again, f)).mtimeMs === mtime,
      ]).toEqual([f, true, true]);
    await sameOutputs(daily, again);
  }, 180_000);

  it('catches up after daily runs: the days already run are skipped, the rest backfilled, the same files as running every day', async () => {
    const extend = lakeWith(landing, 'extend');
    await runDailyBatches(SET, { lakeRoot: extend, dates: manifest.dates.slice(0, 2), ...SMALL });
    const r = await runBatches(SET, { lakeRoot: extend, dates: manifest.dates, resume: true, tables: 'every-day', ...SMALL });
    expect(r.skipped).toEqual(manifest.dates.slice(0, 2));
    expect(r.reports.map((x) => x.batch)).toEqual(manifest.dates);
    await sameOutputs(daily, extend);
  }, 180_000);

  it('refuses a range that is not one: --date with --from, only --from, --from after --to (RUN_BAD_RANGE, nothing run)', async () => {
    const lake = lakeWith(landing, 'bad-range');
    for (const args of [
      ['--date', FROM, '--from', FROM, '--to', TO],
      ['--from', FROM],
      ['--from', TO, '--to', FROM],
    ]) {
      const r = await cli(['run', '--lake', lake, ...args, '--no-progress']);
      expect([args, r.code, r.stderr]).toEqual([args, 1, expect.stringContaining('RUN_BAD_RANGE')]);
    }
    expect(reported(lake)).toEqual([]);
  }, 60_000);

  it('is crash-safe: SIGKILLed mid-way (a batch reported, not all), the same command again ends at the daily runs’ files', async () => {
    const killed = lakeWith(landing, 'killed');
    const r = await cli(backfillArgs(killed), () => reported(killed).length >= 2);
    expect(r.signal).toBe('SIGKILL');
    const left = reported(killed).length;
    expect(left).toBeGreaterThanOrEqual(2);
    expect(left).toBeLessThan(manifest.dates.length);
    expect((await cli(backfillArgs(killed))).code).toBe(0);
    await sameOutputs(daily, killed);
  }, 180_000);

  it('is crash-safe inside the one pass: SIGKILLed while a partitioned write renames its files into place (before any report), the same command again ends at the daily runs’ files', async () => {
    const killed = lakeWith(landing, 'killed-in-pass');
    const payments = join(killed, 'silver', 'payments');
    const leftovers = (): string[] => (existsSync(payments) ? readdirSync(payments).filter((f) => f.startsWith('.tmp-')) : []);
    // the test hook holds the process at the rename of the second day's silver partition of
    // payments (and says so on stderr): killed there, never earlier in the write
    const r = await cli(backfillArgs(killed), (stderr) => stderr.includes('HOLD '), {
      STREAMPULSE_TEST_HOLD_COMMIT: `silver/payments/batch=${manifest.dates[1]}/`,
    });
    expect(r.signal).toBe('SIGKILL');
    expect(reported(killed)).toEqual([]);
    expect(existsSync(join(payments, `batch=${manifest.dates[0]}`, 'data.parquet'))).toBe(true);
    expect(existsSync(join(payments, `batch=${manifest.dates[1]}`, 'data.parquet'))).toBe(false);
    expect(leftovers().length).toBe(1);
    expect((await cli(backfillArgs(killed))).code).toBe(0);
    expect(leftovers()).toEqual([]);
    await sameOutputs(daily, killed);
  }, 180_000);
});

/**
 * The backlog pass (engine backlog.ts: each bronze and silver job once over a chunk of
 * days) against the same runner running the days one by one (`onePass: false`), on
 * landings built to reach the pass's hard cases: chunks of one and two days, a record
 * re-sent after its batch superseded it (the silver verdicts' fixed point needs more than
 * one round), and a day that stops (the pass takes back what it wrote and the days run
 * one by one to the same stop).
 */
describe('the backlog pass equals the days one by one', () => {
  const PLAN = compileJobs(SET);
  let landing: string;
  let dates: readonly string[];

  /** Runs a backfill on the runner alone (no publish); returns its reports or its error's code and message. */
  async function backfill(lake: string, o: { onePass?: boolean; chunk?: number; freshness?: 'report' | 'enforce'; sideLane?: boolean } = {}): Promise<string> {
    const runner = await LocalRunner.open(PLAN, {
      lakeRoot: lake,
      salt: LOCAL_DEMO_SALT,
      threads: 2,
      ...(o.sideLane === false ? { sideLane: false } : {}),
      freshness: o.freshness ?? 'report',
      ...(o.chunk !== undefined ? { backlogChunkBytes: o.chunk } : {}),
    });
    try {
      const r = await runBackfill(runner, o.onePass);
      return r.reports.map((x) => x.batch).join(' ');
    } catch (e) {
      const err = e as { code?: string; message: string };
      return `${err.code ?? 'error'}: ${err.message}`;
    } finally {
      await runner.close();
    }
  }
  const runBackfill = (runner: LocalRunner, onePass: boolean | undefined) =>
    runner.runBackfill(dates, { tables: 'every-day', ...(onePass === false ? { onePass: false } : {}) });

  beforeAll(async () => {
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    landing = join(mkdtempSync(join(tmpdir(), 'sp-bl-landing-')), 'landing');
    mkdirSync(landing);
    dates = generateSources(SET, { outDir: landing, users: 120, days: 4, startDate: FROM, seed: '7', defects: { relanded_files: 1 } }).dates;
    // a payment (SCD1, the latest updated_at wins) in two versions on day 1: v1 is superseded there.
    // Day 2 re-sends both: v2 was merged by day 1 (a duplicate), v1 was not, so day 2 keeps v1;
    // day 3 re-sends v1, now merged by day 2 (a duplicate). Built from a real payment of day 1.
    const file = (d: string): string => {
      const dir = join(landing, 'payment-gateway', 'payments', d);
      return join(
        dir,
        readdirSync(dir)
          .filter((x) => x.endsWith('.csv'))
          .sort()[0]!,
      );
    };
    const base = readFileSync(file(dates[0]!), 'utf8').split('\n')[1]!.split(',');
    const version = (hour: string): string => [PAYMENT, ...base.slice(1, 13), `${dates[0]}T${hour}:00:00Z`].join(',');
    const add = (d: string, lines: string[]): void => {
      const f = file(d);
      const text = readFileSync(f, 'utf8');
      writeFileSync(f, `${text.endsWith('\n') ? text : `${text}\n`}${lines.join('\n')}\n`);
    };
    add(dates[0]!, [version('08'), version('09')]);
    add(dates[1]!, [version('08'), version('09')]);
    add(dates[2]!, [version('08')]);
  }, 120_000);
  afterAll(() => duck.closeSync());

  it('gives the same files in one pass, in passes of one day and of about two days, and without the side lane, as day by day — a superseded record re-sent included', async () => {
    const byDay = lakeWith(landing, 'by-day');
    expect(await backfill(byDay, { onePass: false })).toBe(dates.join(' '));
    // the hand-made record: kept on day 2 (the older version, never merged before), a duplicate on day 3
    const payments = (d: string): DatasetBatchReportLike =>
      (JSON.parse(readFileSync(join(byDay, 'reports', 'batches', `${d}.json`), 'utf8')) as { datasets: DatasetBatchReportLike[] }).datasets.find(
        (x) => x.dataset === 'payments',
      )!;
    expect(payments(dates[0]!).duplicates.superseded_versions).toBeGreaterThanOrEqual(1);
    const kept = (
      await duck.runAndReadAll(
        `SELECT _batch_id, CAST(updated_at AS VARCHAR) FROM read_parquet('${join(byDay, 'silver', 'payments')}/batch=*/data.parquet') WHERE payment_id = '${PAYMENT}' ORDER BY 1`,
      )
    ).getRowsJson();
    expect(kept.map((r) => [String(r[0]), String(r[1]).slice(11, 13)])).toEqual([
      [dates[0], '09'],
      [dates[1], '08'],
    ]);
    for (const [name, chunk, sideLane] of [
      ['one', undefined, true],
      ['chunk-1', 1, true],
      ['chunk-2', 2 * Math.ceil(dirBytes(landing) / dates.length), true],
      ['no-side-lane', undefined, false],
    ] as const) {
      const lake = lakeWith(landing, name);
      expect([name, await backfill(lake, { ...(chunk === undefined ? {} : { chunk }), sideLane })]).toEqual([name, dates.join(' ')]);
      await sameOutputs(byDay, lake);
    }
  }, 240_000);

  it('stops where the days one by one stop (a freshness rule enforced), having taken back what the pass wrote', async () => {
    // no account changes after the first day: the users' freshness rule (action fail) stops a later day
    const gap = lakeWith(landing, 'gap-src');
    for (const d of dates.slice(1)) rmSync(join(gap, 'landing', 'account-service', 'users', d), { recursive: true, force: true });
    const byDay = lakeWith(join(gap, 'landing'), 'gap-by-day');
    const one = lakeWith(join(gap, 'landing'), 'gap-one');
    const a = await backfill(byDay, { onePass: false, freshness: 'enforce' });
    expect(a).toMatch(/^QUALITY_FAILED: users batch \d{4}-\d{2}-\d{2}: freshness rule/);
    expect(await backfill(one, { freshness: 'enforce' })).toBe(a);
    expect(reported(one).length).toBeGreaterThan(0);
    await sameOutputs(byDay, one);
  }, 240_000);
});

const PAYMENT = 'p-backlog-1';
interface DatasetBatchReportLike {
  readonly dataset: string;
  readonly duplicates: { readonly superseded_versions: number };
}
/** Bytes of every file under a folder. */
function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size;
  return n;
}
