/**
 * Where the time of the daily batches through the local Data Factory executor goes
 * (`runDailyBatches`, issue 24): the run's seconds split into the runner's turns (the
 * Databricks activities' jobs and batch reports), serving (the MERGE procedure's
 * publications) and the rest (the executor, the other bindings, control files, run logs),
 * on a small lake with the real runner (DuckDB) and SQLite.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContractsOrThrow } from '@streampulse/contracts';
import type { ActivityRun } from '@streampulse/pipelines';
import { generateSources } from '@streampulse/sources';
import { LOCAL_DEMO_SALT, prepareLake, runDailyBatches, type AdfBatchesResult } from '@streampulse/rehearsal';

const SET = loadContractsOrThrow(join(process.cwd(), 'contracts', 'streampulse'));
const TMP = mkdtempSync(join(tmpdir(), 'sp-adf-seconds-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe('runDailyBatches: the seconds by part', () => {
  let result: AdfBatchesResult;
  let wall = 0;
  let jobSeconds = 0;
  const runs: ActivityRun[] = [];

  beforeAll(async () => {
    const lake = join(TMP, 'lake');
    prepareLake(lake);
    const manifest = generateSources(SET, { outDir: join(lake, 'landing'), users: 40, days: 2, startDate: '2026-01-30', seed: 'seconds', defects: false });
    const started = new Map<string, number>();
    const t0 = performance.now();
    result = await runDailyBatches(SET, {
      lakeRoot: lake,
      dates: manifest.dates,
      salt: LOCAL_DEMO_SALT,
      // 40 users are too few for the shipped freshness rules: reported, not enforced
      freshness: 'report',
      onJob: (e) => {
        if (e.kind === 'job-start') started.set(`${e.batch}/${e.job}`, performance.now());
        else jobSeconds += (performance.now() - started.get(`${e.batch}/${e.job}`)!) / 1000;
      },
      onActivityRun: (r) => runs.push(r),
    });
    wall = (performance.now() - t0) / 1000;
  }, 180_000);

  it('splits the run into the runner and the rest, serving apart, within the wall-clock time of the call', () => {
    const s = result.seconds;
    expect(result.runs.map((r) => r.status)).toEqual(['Succeeded', 'Succeeded']);
    expect(s.runner + s.executor).toBeCloseTo(s.run, 9);
    expect(s.executor).toBeGreaterThanOrEqual(0);
    expect(s.publish).toBeGreaterThan(0);
    // turns on the runner are taken one at a time: their seconds add up to no more than the call's
    expect(s.run + s.publish).toBeLessThanOrEqual(wall);
    // every job ran inside a runner turn (its progress events are emitted in runJobs)
    expect(s.runner).toBeGreaterThanOrEqual(jobSeconds);
    expect(jobSeconds).toBeGreaterThan(0);
  });

  it("counts as serving the MERGE procedure's publications, no more than the MERGE activities' durations", () => {
    const merges = runs.filter((r) => r.activityName === 'Merge serving' && r.status === 'Succeeded');
    expect(merges).toHaveLength(2);
    // activity durations are whole milliseconds (ADF's durationInMs): one of rounding each
    expect(result.seconds.publish).toBeLessThanOrEqual(merges.reduce((a, r) => a + r.durationInMs + 1, 0) / 1000);
  });
});
