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
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { loadContractsOrThrow } from '@streampulse/contracts';
import type { BatchReport } from '@streampulse/engine';
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

/** Runs the built CLI; with `killWhen`, SIGKILLs it once the condition holds (checked every 20 ms). */
function cli(args: readonly string[], killWhen?: () => boolean): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1' };
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
          if (child.exitCode === null && killWhen()) child.kill('SIGKILL');
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
});
