/**
 * Re-running an earlier batch (issue 19): a re-run repairs that batch's bronze and
 * silver, replays the later batches when what they read of it changed, and keeps gold
 * and serving as of the newest batch — never as of the re-run one. Over unchanged
 * landing files the served marts stay byte for byte; over a corrected file the lake ends
 * exactly where running every batch in order over the corrected files ends, and the
 * difference is the one the correction makes (computed by hand below). An interrupted
 * re-run, run again (or followed by another batch), ends there too.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { loadContractsOrThrow, StreamPulseError } from '@streampulse/contracts';
import type { BatchReport, DatasetBatchReport } from '@streampulse/engine';
import { DEFECT_KINDS, type Manifest } from '@streampulse/sources';
import { LOCAL_DEMO_SALT, prepareLake, runDailyBatches, runDemo } from '@streampulse/rehearsal';
import { goldHashes, servedTables } from './lake-snapshot.js';

const ROOT = process.cwd();
const SET = loadContractsOrThrow(join(ROOT, 'contracts', 'streampulse'));
const HIGH_RATES = { ...Object.fromEntries(DEFECT_KINDS.map((k) => [k, 0.01])), relanded_files: 2 };
const DEMO = { users: 150, days: 5, seed: 'rerun', startDate: '2026-01-29', defects: HIGH_RATES, salt: LOCAL_DEMO_SALT, freshness: 'report' } as const;
const RUN = { salt: LOCAL_DEMO_SALT, freshness: 'report' } as const;

const tmp = (p: string): string => join(mkdtempSync(join(tmpdir(), `sp-rerun-${p}-`)), 'lake');
const copyLake = (from: string, p: string): string => {
  const to = tmp(p);
  cpSync(from, to, { recursive: true });
  return to;
};

/** Every analytics_* view and table of the serving database, each row as JSON in a fixed order, and what serving_marts says of them. */
const served = (lake: string): Record<string, string[]> => servedTables(join(lake, 'serving', 'streampulse.sqlite'));
function quality(lake: string): Record<string, unknown>[] {
  const db = new Database(join(lake, 'serving', 'streampulse.sqlite'), { readonly: true });
  try {
    return db.prepare(`SELECT * FROM quality_batches ORDER BY batch, dataset`).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}
const reportOf = (lake: string, batch: string): BatchReport =>
  JSON.parse(readFileSync(join(lake, 'reports', 'batches', `${batch}.json`), 'utf8')) as BatchReport;
const counts = (d: DatasetBatchReport) => ({ rows_in: d.rows_in, promoted: d.promoted, quarantined: d.quarantined, duplicates: d.duplicates });
/** A landing line's record (undefined for a malformed line). */
const record = (l: string): Record<string, unknown> | undefined => {
  try {
    return l.startsWith('{') ? (JSON.parse(l) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};
const landing = (lake: string, ds: string, batch: string): string =>
  join(
    lake,
    'landing',
    SET.datasets
      .find((d) => d.dataset === ds)!
      .source.landing_path.split('{date}')
      .join(batch),
  );

describe('re-running an earlier batch keeps gold and serving as of the newest batch', () => {
  let duck: DuckDBConnection;
  let base: string;
  let manifest: Manifest;
  let newest: string;

  beforeAll(async () => {
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    base = tmp('base');
    manifest = (await runDemo(SET, { lakeRoot: base, ...DEMO })).manifest;
    newest = manifest.dates.at(-1)!;
  }, 120_000);

  it('over unchanged landing files: every served mart, gold table and quality row stays as it was; nothing later is replayed', async () => {
    const lake = copyLake(base, 'same');
    const second = manifest.dates[1]!;
    const before = { served: served(lake), quality: quality(lake), gold: await goldHashes(duck, lake) };
    const laterSilver = (): number[] =>
      manifest.dates.filter((d) => d > second).map((d) => statSync(join(lake, 'silver', 'watch_events', `batch=${d}`, 'data.parquet')).mtimeMs);
    const silverLater = laterSilver();
    // the issue's case: the engagement mart has a row per day, and kept them all
    expect(before.served['analytics_engagement_daily']!.length).toBeGreaterThanOrEqual(manifest.dates.length);
    const r = await runDailyBatches(SET, { lakeRoot: lake, dates: [second], ...RUN });
    expect(r.reports[0]).toMatchObject({ batch: second, gold_built: true, gold_as_of: newest });
    expect(r.reports[0]!.replayed).toBeUndefined();
    expect(served(lake)).toStrictEqual(before.served);
    expect(quality(lake)).toStrictEqual(before.quality);
    expect(await goldHashes(duck, lake)).toStrictEqual(before.gold);
    // the later batches' silver partitions were not rewritten; the re-run's record is gone
    expect(laterSilver()).toStrictEqual(silverLater);
    expect(existsSync(join(lake, '_state', 'rerun.json'))).toBe(false);
  }, 60_000);

  it('over a corrected file whose identical copy landed beside it: the copy is read, not taken for a re-landing of the corrected file', async () => {
    const copy = manifest.files.find((f) => f.relanded_copy_of !== undefined && f.batch < newest && f.rows > 1)!;
    expect(copy).toBeDefined();
    const correct = (lake: string): void => {
      const file = join(lake, 'landing', copy.relanded_copy_of!);
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.splice(1, 1); // the first row after the CSV header
      writeFileSync(file, lines.join('\n'));
    };
    const lake = copyLake(base, 'relanded');
    const before = { served: served(lake), report: reportOf(lake, copy.batch).datasets.find((d) => d.dataset === copy.dataset)! };
    correct(lake);
    await runDailyBatches(SET, { lakeRoot: lake, dates: [copy.batch], ...RUN });
    const fresh = tmp('relanded-fresh');
    prepareLake(fresh);
    cpSync(join(base, 'landing'), join(fresh, 'landing'), { recursive: true });
    correct(fresh);
    await runDailyBatches(SET, { lakeRoot: fresh, dates: manifest.dates, ...RUN });
    expect(served(lake)).toStrictEqual(served(fresh));
    expect(quality(lake)).toStrictEqual(quality(fresh));
    // by hand: one line fewer in; the copy's other rows are exact duplicates of the corrected file's, and the
    // removed row still arrives through the copy, so nothing else changes — the served marts stay as they were
    const now = reportOf(lake, copy.batch).datasets.find((d) => d.dataset === copy.dataset)!;
    expect({ ...counts(now), duplicates_dropped: now.duplicates_dropped }).toStrictEqual({
      ...counts(before.report),
      rows_in: before.report.rows_in - 1,
      duplicates_dropped: before.report.duplicates_dropped - 1,
      duplicates: {
        ...before.report.duplicates,
        relanded_file_rows: before.report.duplicates.relanded_file_rows - copy.rows,
        in_batch: before.report.duplicates.in_batch + copy.rows - 1,
      },
    });
    expect(served(lake)).toStrictEqual(before.served);
  }, 90_000);

  describe('over a corrected landing file', () => {
    // the correction, in batch `day`: a leaf dataset's record that was re-sent the next day
    // is removed where it first landed (it belongs to the next day only), and one promoted
    // watch event is removed altogether
    let day: string;
    let resent: { dataset: string; line: string };
    let watch: { line: string; started: string };
    let fresh: string;

    const correct = (lake: string): void => {
      const drop = (file: string, line: string): void => {
        const lines = readFileSync(file, 'utf8').split('\n');
        const at = lines.indexOf(line);
        expect(at).toBeGreaterThanOrEqual(0);
        lines.splice(at, 1);
        writeFileSync(file, lines.join('\n'));
      };
      drop(landing(lake, resent.dataset, day), resent.line);
      drop(landing(lake, 'watch_events', day), watch.line);
    };

    beforeAll(async () => {
      // datasets no referential rule looks up: moving a record's first landing moves nothing else
      const parents = new Set(SET.datasets.flatMap((d) => d.quality.flatMap((q) => (q.rule === 'referential' ? [q.references.dataset] : []))));
      const relanded = new Set(manifest.files.flatMap((f) => (f.relanded_copy_of !== undefined ? [f.relanded_copy_of] : [])));
      const candidates = manifest.defects.filter(
        (d) => d.kind === 'resent_duplicate' && !parents.has(d.dataset) && d.batch !== manifest.dates[0] && d.batch < newest,
      );
      const pick = candidates.find((d) => {
        const prev = manifest.dates[manifest.dates.indexOf(d.batch) - 1]!;
        return (
          !relanded.has(landing('', d.dataset, prev).slice('landing/'.length)) && !relanded.has(landing('', 'watch_events', prev).slice('landing/'.length))
        );
      });
      expect(pick).toBeDefined();
      day = manifest.dates[manifest.dates.indexOf(pick!.batch) - 1]!;
      const keyCol = SET.datasets.find((d) => d.dataset === pick!.dataset)!.primary_key[0]!;
      const line = readFileSync(landing(base, pick!.dataset, day), 'utf8')
        .split('\n')
        .find((l) => record(l) !== undefined && String(record(l)![keyCol]) === pick!.key);
      expect(line).toBeDefined();
      resent = { dataset: pick!.dataset, line: line! };
      // a watch event of `day` promoted there, whose key lands nowhere else
      const keyed = new Map<string, number>();
      for (const d of manifest.dates)
        for (const l of readFileSync(landing(base, 'watch_events', d), 'utf8').split('\n')) {
          const id = record(l)?.['watch_id'];
          if (id !== undefined) keyed.set(String(id), (keyed.get(String(id)) ?? 0) + 1);
        }
      const promoted = new Set(
        (
          await duck.runAndReadAll(
            `SELECT watch_id FROM read_parquet('${join(base, 'bronze', 'watch_events', `batch=${day}`, 'data.parquet')}') WHERE _quality_status = 'passed' ORDER BY watch_id`,
          )
        )
          .getRowsJson()
          .map((r) => String(r[0])),
      );
      const w = readFileSync(landing(base, 'watch_events', day), 'utf8')
        .split('\n')
        .filter((l) => record(l) !== undefined)
        .map((l) => ({ line: l, row: record(l)! }))
        .find((x) => promoted.has(String(x.row['watch_id'])) && keyed.get(String(x.row['watch_id'])) === 1 && x.line !== resent.line);
      expect(w).toBeDefined();
      watch = { line: w!.line, started: String(w!.row['started_at']).slice(0, 10) };
      // what running every batch in order over the corrected landing files gives
      fresh = tmp('fresh');
      prepareLake(fresh);
      cpSync(join(base, 'landing'), join(fresh, 'landing'), { recursive: true });
      correct(fresh);
      await runDailyBatches(SET, { lakeRoot: fresh, dates: manifest.dates, ...RUN });
    }, 120_000);

    it('changes exactly what the correction changes: the same lake as running every batch in order over the corrected files', async () => {
      const lake = copyLake(base, 'fixed');
      const before = { served: served(lake), reports: manifest.dates.map((d) => reportOf(lake, d)) };
      correct(lake);
      const r = await runDailyBatches(SET, { lakeRoot: lake, dates: [day], ...RUN });
      const later = manifest.dates.filter((d) => d > day);
      // the re-sent record's next day reads it as new now: every later batch was replayed
      expect(r.reports[0]).toMatchObject({ batch: day, gold_as_of: newest, replayed: later });
      expect(served(lake)).toStrictEqual(served(fresh));
      expect(quality(lake)).toStrictEqual(quality(fresh));
      expect(await goldHashes(duck, lake)).toStrictEqual(await goldHashes(duck, fresh));
      // every batch report's datasets too (what gold was built with differs: once as of the newest batch, or after every batch)
      for (const d of manifest.dates) expect({ d, datasets: reportOf(lake, d).datasets }).toStrictEqual({ d, datasets: reportOf(fresh, d).datasets });

      // by hand: the corrected day lost the two lines (promoted there); the next day promotes the re-sent record instead of dropping it
      const next = later[0]!;
      const delta = (b: string, ds: string) => {
        const was = counts(before.reports.find((x) => x.batch === b)!.datasets.find((x) => x.dataset === ds)!);
        const now = counts(reportOf(lake, b).datasets.find((x) => x.dataset === ds)!);
        return {
          rows_in: now.rows_in - was.rows_in,
          promoted: now.promoted - was.promoted,
          quarantined: now.quarantined - was.quarantined,
          of_earlier_batches: now.duplicates.of_earlier_batches - was.duplicates.of_earlier_batches,
        };
      };
      expect(delta(day, resent.dataset)).toStrictEqual({ rows_in: -1, promoted: -1, quarantined: 0, of_earlier_batches: 0 });
      expect(delta(next, resent.dataset)).toStrictEqual({ rows_in: 0, promoted: 1, quarantined: 0, of_earlier_batches: -1 });
      expect(delta(day, 'watch_events')).toStrictEqual({ rows_in: -1, promoted: -1, quarantined: 0, of_earlier_batches: 0 });
      for (const b of manifest.dates)
        for (const ds of SET.datasets.map((d) => d.dataset))
          if (!((b === day || b === next) && ds === resent.dataset) && !(b === day && ds === 'watch_events'))
            expect({ b, ds, ...delta(b, ds) }).toStrictEqual({ b, ds, rows_in: 0, promoted: 0, quarantined: 0, of_earlier_batches: 0 });
      // one play fewer on the removed watch event's day, nowhere else
      const plays = (s: Record<string, string[]>): Record<string, number> => {
        const out: Record<string, number> = {};
        for (const row of s['analytics_engagement_daily']!) {
          const r = JSON.parse(row) as unknown[];
          out[String(r[0])] = Number(r[3]);
        }
        return out;
      };
      const was = plays(before.served);
      expect(plays(served(lake))).toStrictEqual({ ...was, [watch.started]: was[watch.started]! - 1 });
      expect(existsSync(join(lake, '_state', 'rerun.json'))).toBe(false);
    }, 90_000);

    it('an interrupted re-run, run again, or followed by the newest batch, ends at the same lake', async () => {
      const reason = new StreamPulseError('INTERRUPTED', 'stopped (test)', { remedy: 'run it again' });
      const interrupted = async (p: string): Promise<string> => {
        const lake = copyLake(base, p);
        correct(lake);
        const ctl = new AbortController();
        let replayedJobs = 0;
        // stop while the later batches are being replayed
        const run = runDailyBatches(SET, {
          lakeRoot: lake,
          dates: [day],
          ...RUN,
          signal: ctl.signal,
          onJob: (e) => {
            if (e.kind === 'job-done' && e.batch > day && ++replayedJobs === 12) ctl.abort(reason);
          },
        });
        await expect(run).rejects.toBe(reason);
        expect(JSON.parse(readFileSync(join(lake, '_state', 'rerun.json'), 'utf8'))).toMatchObject({ from: day, through: newest });
        // serving was not touched: still as of the newest batch, with the uncorrected data
        expect(served(lake)).toStrictEqual(served(base));
        return lake;
      };
      const again = await interrupted('again');
      await runDailyBatches(SET, { lakeRoot: again, dates: [day], ...RUN });
      expect(served(again)).toStrictEqual(served(fresh));
      expect(quality(again)).toStrictEqual(quality(fresh));
      expect(await goldHashes(duck, again)).toStrictEqual(await goldHashes(duck, fresh));

      // the daily run of the newest batch first replays what the unfinished re-run left stale
      const other = await interrupted('other');
      await runDailyBatches(SET, { lakeRoot: other, dates: [newest], ...RUN });
      expect(served(other)).toStrictEqual(served(fresh));
      expect(quality(other)).toStrictEqual(quality(fresh));
      expect(existsSync(join(other, '_state', 'rerun.json'))).toBe(false);
    }, 120_000);
  });
});
