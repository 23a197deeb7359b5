/**
 * Stream micro-batches in the engine (stream.ts, LocalRunner.runMicroBatch): a batch of its
 * own after the daily ones, over the landing files it is given — the daily batch's rules,
 * the watermark measured from the micro-batch's instant, re-sent records as duplicates of
 * earlier batches, conservation — and removing what an uncommitted micro-batch left.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadContractsOrThrow } from '@streampulse/contracts';
import { ageHours, compileJobs, type JobPlan } from '@streampulse/jobs';
import {
  discardStreamBatchesAfter,
  isStreamBatchId,
  Lake,
  LocalRunner,
  landingFiles,
  streamBatchId,
  streamBatches,
  streamLandingDir,
} from '@streampulse/engine';
import { CONTRACTS, DATES, freshLake } from './fixture-lake.js';

const ID1 = '2024-03-03T06:00:00.000';
const ID2 = '2024-03-03T06:00:01.000';
let lake: string;
let plan: JobPlan;
let runner: LocalRunner;

/** Lands lines as a micro-batch's file of the users dataset; returns its path. */
function land(id: string, lines: readonly string[]): string {
  const dir = join(streamLandingDir(new Lake(lake), plan.jobs.find((j) => j.id === 'bronze.users')!, id.slice(0, 10)), id);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `users-p0-0-${lines.length - 1}.jsonl`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

beforeAll(async () => {
  lake = freshLake('sp-stream');
  plan = compileJobs(loadContractsOrThrow(CONTRACTS));
  runner = await LocalRunner.open(plan, { lakeRoot: lake, salt: 'test-salt', threads: 1, freshness: 'report' });
  for (const d of DATES) await runner.runBatch(d);
}, 120_000);

afterAll(async () => {
  await runner.close();
  rmSync(lake, { recursive: true, force: true });
});

describe('stream micro-batch ids', () => {
  it('are the instant a micro-batch was cut, and sort after their day', () => {
    expect(streamBatchId(Date.parse('2024-03-03T06:00:00Z'))).toBe(ID1);
    expect(isStreamBatchId(ID1)).toBe(true);
    expect(isStreamBatchId('2024-03-03')).toBe(false);
    expect(['2024-03-04', ID1, '2024-03-03'].sort()).toEqual(['2024-03-03', ID1, '2024-03-04']);
  });
  it('measure freshness at the instant (a day at its end)', () => {
    expect(ageHours(ID1, '2024-03-03 05:00:00')).toBe(1);
    expect(ageHours('2024-03-03', '2024-03-03 05:00:00')).toBe(19);
  });
});

describe('LocalRunner.runMicroBatch', () => {
  it('runs the daily bronze and silver over the given files: watermark from the instant, re-sends as duplicates, conservation', async () => {
    // u2's record of 2024-03-02 (updated 2024-03-01 09:00, inside the watermark) sent again
    const resent = readFileSync(join(lake, 'landing', 'users', '2024-03-02', 'users.jsonl'), 'utf8').split('\n')[1]!;
    expect(resent).toContain('"u2"');
    const file = land(ID1, [
      '{"user_id":"u90","email":"n@x.com","full_name":"New","region":"APAC","signup_at":"2024-03-03T05:00:00Z","updated_at":"2024-03-03T05:59:00Z"}',
      // 47 h before the instant: inside the 48 h watermark
      '{"user_id":"u91","email":"o@x.com","full_name":"Old","region":"NA","signup_at":"2024-03-01T07:00:00Z","updated_at":"2024-03-01T07:00:00Z"}',
      // 49 h before the instant: beyond it
      '{"user_id":"u92","email":"l@x.com","full_name":"Late","region":"NA","signup_at":"2024-03-01T05:00:00Z","updated_at":"2024-03-01T05:00:00Z"}',
      resent,
    ]);
    const report = await runner.runMicroBatch(ID1, new Map([['users', [file]]]));
    const users = report.datasets.find((d) => d.dataset === 'users')!;
    expect(report.batch).toBe(ID1);
    expect(users.rows_in).toBe(4);
    expect(users.conserved).toBe(true);
    expect(users.quarantined_by_reason).toEqual({ 'late:beyond_watermark': 1 });
    expect(users.duplicates.of_earlier_batches).toBe(1);
    expect(users.promoted).toBe(2);
    for (const c of ['bronze', 'quarantine', 'silver']) expect(existsSync(join(lake, c, 'users', `batch=${ID1}`, 'data.parquet'))).toBe(true);
    expect(existsSync(join(lake, 'reports', 'stream', `${ID1}.json`))).toBe(true);
    // a daily batch of that day never lists the stream's files
    expect(landingFiles(new Lake(lake), 'users/{date}/users.jsonl', '2024-03-03')).toEqual([]);
    // gold as of the micro-batch: the new user is there
    await runner.buildTables(['gold.dim_user'], ID1);
    const dim = await runner.martRows('dim_user');
    expect(dim.rows.some((r) => r.includes('u90'))).toBe(true);
  }, 60_000);

  it('refuses an id that is not an instant', async () => {
    await expect(runner.runMicroBatch('2024-03-03', new Map())).rejects.toMatchObject({ code: 'STREAM_BAD_BATCH' });
  });
});

describe('discardStreamBatchesAfter', () => {
  it('removes the partitions, report, ledger entries and landing folder of the micro-batches after the last commit, and nothing else', async () => {
    const file = land(ID2, [
      '{"user_id":"u93","email":"p@x.com","full_name":"P","region":"NA","signup_at":"2024-03-03T09:00:00Z","updated_at":"2024-03-03T09:00:00Z"}',
    ]);
    await runner.runMicroBatch(ID2, new Map([['users', [file]]]));
    expect(streamBatches(new Lake(lake))).toEqual([ID1, ID2]);
    const ledger = (): string[] =>
      Object.values(JSON.parse(readFileSync(join(lake, '_state', 'landing-ledger', 'users.json'), 'utf8')) as Record<string, { batch: string }>).map(
        (e) => e.batch,
      );
    expect(ledger()).toContain(ID2);
    expect(discardStreamBatchesAfter(plan, new Lake(lake), ID1)).toEqual([ID2]);
    expect(streamBatches(new Lake(lake))).toEqual([ID1]);
    expect(ledger()).not.toContain(ID2);
    expect(ledger()).toContain(ID1);
    expect(existsSync(join(lake, 'bronze', 'users', `batch=${ID2}`))).toBe(false);
    expect(existsSync(join(lake, 'silver', 'users', `batch=${ID2}`))).toBe(false);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(join(lake, 'bronze', 'users', `batch=${ID1}`, 'data.parquet'))).toBe(true);
    for (const d of DATES) expect(existsSync(join(lake, 'bronze', 'users', `batch=${d}`, 'data.parquet'))).toBe(true);
  }, 60_000);
});
