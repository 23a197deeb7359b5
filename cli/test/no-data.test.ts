/**
 * A day without a file (issue 19): a source that sends nothing on a day is no data, not a
 * failure. `streampulse demo` (small, shipped contracts), one dataset's landing file removed
 * for its last day, then `streampulse run --date <that day>`: with `--freshness report` the
 * batch runs (exit 0) and its report says no data for the dataset; with `--freshness
 * enforce` the dataset's freshness rule stops it, with the rule's error, not a missing file's.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContractsOrThrow } from '@streampulse/contracts';
import type { BatchReport } from '@streampulse/engine';
import { ROOT, run } from './run.js';

const SHIPPED = join(ROOT, 'contracts', 'streampulse');
const SET = loadContractsOrThrow(SHIPPED);
const TMP = mkdtempSync(join(tmpdir(), 'sp-cli-nodata-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

// a dataset whose contract has a freshness rule of action fail shorter than a day: one day
// without its file is then stale at the end of that day
const quiet = SET.datasets.find((d) => d.quality.some((q) => q.rule === 'freshness' && q.action === 'fail' && q.max_age_hours < 24))!;
const rule = quiet.quality.find((q) => q.rule === 'freshness' && q.action === 'fail')!;

describe('a day without a file', () => {
  const lake = join(TMP, 'lake');
  const day = '2026-01-26';

  it('`run --freshness report` over a lake missing one landing file: exit 0, the report says no data for that dataset', async () => {
    expect(quiet).toBeDefined();
    const demo = await run(['demo', '--dir', SHIPPED, '--out', lake, '--users', '30', '--days', '2', '--no-progress', '--freshness', 'report']);
    expect([demo.code, demo.err]).toStrictEqual([0, '']);
    const file = quiet.source.landing_path.split('{date}').join(day);
    rmSync(join(lake, 'landing', file));

    const r = await run(['run', '--dir', SHIPPED, '--lake', lake, '--date', day, '--freshness', 'report', '--no-progress']);
    expect([r.code, r.err]).toStrictEqual([0, '']);
    expect(r.out).toContain(`    ${quiet.dataset}: no landing file for ${day} under ${file.slice(0, file.lastIndexOf('/'))}`);
    expect(r.out).toContain(`    ${quiet.dataset}: freshness rule ${rule.name ?? 'freshness'} failed: `);
    const report = JSON.parse(readFileSync(join(lake, 'reports', 'batches', `${day}.json`), 'utf8')) as BatchReport;
    const d = report.datasets.find((x) => x.dataset === quiet.dataset)!;
    expect([d.rows_in, d.promoted, d.quarantined, d.duplicates_dropped, d.conserved, d.no_data, d.files]).toStrictEqual([0, 0, 0, 0, true, true, []]);
    expect(d.rules.find((x) => x.rule === 'freshness')).toMatchObject({ id: rule.name ?? 'freshness', action: 'fail', failed: 1 });
    // every other dataset had its file; gold and the marts were built from the silver state
    expect(report.datasets.filter((x) => x.no_data).map((x) => x.dataset)).toStrictEqual([quiet.dataset]);
    expect(report.gold_built).toBe(true);
    expect(report.tables.length).toBe(SET.models.length + SET.marts.length);
    // Data Factory's record of the quiet source (the If Condition's false branch) instead of a copy
    const records = readFileSync(join(lake, 'reports', 'adf-pipeline-runs.jsonl'), 'utf8')
      .trim()
      .split('\n');
    const noData = records.map((l) => JSON.parse(l) as { RunDate: string; Status: string; Detail: string }).filter((x) => x.Status === 'NoData');
    expect(noData.map((x) => [x.RunDate, x.Detail.includes(`for dataset ${quiet.dataset} on ${day}`)])).toStrictEqual([[day, true]]);
  }, 120_000);

  it('`run --freshness enforce`: the freshness rule stops the batch with its own error, not "no file"', async () => {
    const before = readFileSync(join(lake, 'reports', 'batches', `${day}.json`), 'utf8');
    const r = await run(['run', '--dir', SHIPPED, '--lake', lake, '--date', day, '--freshness', 'enforce', '--no-progress']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `error ADF_RUN_FAILED: the daily batch ${day} failed in activity 'Bronze' of pl_ingest_dataset: ${quiet.dataset} batch ${day}: freshness rule ${rule.name ?? 'freshness'} failed: `,
    );
    expect(r.err).not.toContain('no file');
    expect(r.err).not.toContain('generate sources first');
    // the batch was not written: its report is the one of the run above
    expect(readFileSync(join(lake, 'reports', 'batches', `${day}.json`), 'utf8')).toBe(before);
  }, 120_000);
});
