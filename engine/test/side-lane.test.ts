import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { loadContractsOrThrow, type ContractSet } from '@streampulse/contracts';
import { compileJobs } from '@streampulse/jobs';
import { Duck, Lake, LocalRunner, SideLane, type BatchReport } from '@streampulse/engine';
import { CONTRACTS, DATES, freshLake } from './fixture-lake.js';

/** Runs the batches; with `ahead`, each next batch is parsed on the side lane (and waited for) while the current one runs. */
async function run(
  set: ContractSet,
  lake: string,
  o: { sideLane: boolean; ahead: boolean; beforeBatch?: (d: string) => void },
): Promise<{ reports: BatchReport[]; prefetched: number }> {
  const runner = await LocalRunner.open(compileJobs(set), { lakeRoot: lake, salt: 'test-salt', threads: 1, sideLane: o.sideLane });
  let prefetched = 0;
  try {
    const reports: BatchReport[] = [];
    for (const [i, d] of DATES.entries()) {
      const next = DATES[i + 1];
      if (o.ahead && next !== undefined) runner.prefetch(next);
      if (o.ahead && i === 0) {
        runner.prefetch(d);
        prefetched += await runner.whenPrefetched(d);
      }
      if (o.ahead && i > 0) prefetched += await runner.whenPrefetched(d);
      o.beforeBatch?.(d);
      reports.push(await runner.runBatch(d));
    }
    return { reports, prefetched };
  } finally {
    await runner.close();
  }
}

let duck: DuckDBConnection;
/** Every Parquet file of the lake (bronze, silver, quarantine, gold) → its rows as text, ordered, without the wall-clock `_ingested_at`. */
async function lakeContent(lake: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = (d: string): string[] => readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
  for (const zone of ['bronze', 'silver', 'quarantine', 'gold'])
    for (const f of walk(join(lake, zone))
      .filter((p) => p.endsWith('.parquet'))
      .sort()) {
      const r = await duck.runAndReadAll(
        `SELECT string_agg(CAST(t AS VARCHAR), chr(10) ORDER BY _n) AS s FROM (SELECT COLUMNS(c -> c NOT IN ('_ingested_at', 'file_row_number')), file_row_number AS _n FROM read_parquet('${f}', file_row_number = true)) t`,
      );
      out[relative(lake, f)] = String(r.getRowObjectsJson()[0]?.['s'] ?? '');
    }
  return out;
}
const strip = (r: BatchReport[]): unknown => JSON.parse(JSON.stringify(r).replace(/"ingested_at":"[^"]*"/g, ''));

describe('side lane: a second DuckDB connection parses the next batch and writes bronze while the main one runs', () => {
  const set = loadContractsOrThrow(CONTRACTS);
  beforeAll(async () => {
    duck = await (await DuckDBInstance.create(':memory:')).connect();
  });
  afterAll(() => duck.closeSync());

  it('gives byte-for-byte the same partitions, quarantine, gold and reports as one connection', async () => {
    const one = freshLake('sp-lane');
    const two = freshLake('sp-lane');
    try {
      const a = await run(set, one, { sideLane: false, ahead: false });
      const b = await run(set, two, { sideLane: true, ahead: true });
      // every dataset of both batches was really parsed ahead (the fixture has 2 datasets)
      expect(b.prefetched).toBe(4);
      expect(strip(b.reports)).toEqual(strip(a.reports));
      const [ca, cb] = [await lakeContent(one), await lakeContent(two)];
      expect(Object.keys(cb)).toEqual(Object.keys(ca));
      expect(Object.keys(ca).length).toBeGreaterThan(8);
      expect(cb).toEqual(ca);
      // the ledger (re-landed file detection) is written after the bronze files, on the lane too
      expect(readFileSync(join(two, '_state', 'landing-ledger', 'payments.json'), 'utf8')).toBe(
        readFileSync(join(one, '_state', 'landing-ledger', 'payments.json'), 'utf8'),
      );
    } finally {
      rmSync(one, { recursive: true, force: true });
      rmSync(two, { recursive: true, force: true });
    }
  }, 120_000);

  it('parses a landing file again when it changed after it was parsed ahead', async () => {
    const changedLate = freshLake('sp-lane');
    const changedEarly = freshLake('sp-lane');
    const line = `{"user_id":"u-late","email":"late@example.com","full_name":"Late Arrival","country":"DE","signup_at":"2024-03-02T10:00:00Z","plan":"basic","marketing_opt_in":true,"updated_at":"2024-03-02T10:00:00Z"}\n`;
    const file = (lake: string): string => join(lake, 'landing', 'users', DATES[1]!, 'users.jsonl');
    try {
      // the file is parsed ahead, then a line lands in it before its batch runs
      const late = await run(set, changedLate, { sideLane: true, ahead: true, beforeBatch: (d) => d === DATES[1] && appendFileSync(file(changedLate), line) });
      expect(late.prefetched).toBe(4);
      appendFileSync(file(changedEarly), line);
      const early = await run(set, changedEarly, { sideLane: false, ahead: false });
      expect(strip(late.reports)).toEqual(strip(early.reports));
      expect(await lakeContent(changedLate)).toEqual(await lakeContent(changedEarly));
      const users = late.reports[1]!.datasets.find((d) => d.dataset === 'users')!;
      expect(users.files.find((f) => f.file.endsWith('users.jsonl'))?.rows).toBe(
        early.reports[1]!.datasets.find((d) => d.dataset === 'users')!.files.find((f) => f.file.endsWith('users.jsonl'))?.rows,
      );
    } finally {
      rmSync(changedLate, { recursive: true, force: true });
      rmSync(changedEarly, { recursive: true, force: true });
    }
  }, 120_000);

  it('waits for a silver partition the lane is still writing before rebuilding a state from it', async () => {
    // A batch re-run after its users file changed: the users state payments are checked
    // against is rebuilt from the partitions (the runner already held this batch's), so it
    // must wait for the new users partition, which the lane writes only after parsing a
    // big next day, not read the old file: u9 now exists, and payment p3 is no orphan.
    const busy = freshLake('sp-lane');
    const plain = freshLake('sp-lane');
    const u9 = `{"user_id":"u9","email":"n@x.com","region":"NA","signup_at":"2024-02-20T10:00:00Z","updated_at":"2024-02-29T13:00:00Z"}\n`;
    const big = Array.from(
      { length: 200_000 },
      (_, i) => `{"user_id":"b${i}","email":"b${i}@x.com","region":"NA","signup_at":"2024-03-01T10:00:00Z","updated_at":"2024-03-01T10:00:00Z"}`,
    ).join('\n');
    const users = (lake: string, d: string): string => join(lake, 'landing', 'users', d, 'users.jsonl');
    appendFileSync(users(busy, DATES[1]!), `${big}\n`);
    appendFileSync(users(plain, DATES[0]!), u9);
    try {
      const runner = await LocalRunner.open(compileJobs(set), { lakeRoot: busy, salt: 'test-salt', threads: 1 });
      let rerun: BatchReport;
      try {
        await runner.runBatch(DATES[0]!);
        appendFileSync(users(busy, DATES[0]!), u9);
        runner.prefetch(DATES[1]!);
        rerun = await runner.runBatch(DATES[0]!);
      } finally {
        await runner.close();
      }
      const runner2 = await LocalRunner.open(compileJobs(set), { lakeRoot: plain, salt: 'test-salt', threads: 1, sideLane: false });
      let reference: BatchReport;
      try {
        reference = await runner2.runBatch(DATES[0]!);
      } finally {
        await runner2.close();
      }
      const payments = rerun.datasets.find((d) => d.dataset === 'payments')!;
      expect(payments.quarantined_by_reason['referential:user_id']).toBeUndefined();
      expect(strip([rerun])).toEqual(strip([reference]));
    } finally {
      rmSync(busy, { recursive: true, force: true });
      rmSync(plain, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('SideLane queue', () => {
  it('runs write tasks before waiting prefetch tasks, one at a time; cancels tasks not started; keeps failures for the awaiter', async () => {
    const main = await Duck.open({ threads: 1 });
    const lane = new SideLane(await main.connect('side'));
    try {
      const order: string[] = [];
      let running = 0;
      let most = 0;
      const task =
        (name: string, fail = false) =>
        async (d: Duck): Promise<string> => {
          running++;
          most = Math.max(most, running);
          await d.run(`SELECT count(*) FROM range(20000)`);
          order.push(name);
          running--;
          if (fail) throw new Error(`${name} failed`);
          return name;
        };
      const p1 = lane.enqueue('prefetch', task('p1'));
      const p2 = lane.enqueue('prefetch', task('p2'));
      const p3 = lane.enqueue('prefetch', task('p3'));
      const w1 = lane.enqueue('write', task('w1'));
      const w2 = lane.enqueue('write', task('w2', true));
      expect(p1.started()).toBe(true);
      expect(p3.cancel()).toBe(true);
      expect(p1.cancel()).toBe(false);
      expect(await p1.promise).toBe('p1');
      expect(await w1.promise).toBe('w1');
      await expect(w2.promise).rejects.toThrow('w2 failed');
      expect(await p2.promise).toBe('p2');
      expect(await p3.promise).toBeUndefined();
      // p1 had started; the writes overtook the waiting p2; p3 never ran
      expect(order).toEqual(['p1', 'w1', 'w2', 'p2']);
      expect(most).toBe(1);
      const late = lane.enqueue('prefetch', task('late'));
      await lane.drain();
      expect(['late', undefined]).toContain(await late.promise);
    } finally {
      lane.duck.close();
      main.close();
    }
  });
});

describe('Lake: partitions being written on the side lane', () => {
  it('lists a partition being written as if committed, for its container and table only, until it settles', () => {
    const root = mkdtempSync(join(tmpdir(), 'sp-lake-writing-'));
    try {
      const lake = new Lake(root);
      const committed = lake.partitionFile('silver', 'users', '2024-03-01');
      mkdirSync(dirname(committed), { recursive: true });
      writeFileSync(committed, 'x');
      lake.writing('silver', 'users', '2024-03-03');
      lake.writing('silver', 'users_archive', '2024-03-04');
      lake.writing('bronze', 'users', '2024-03-05');
      expect(lake.batches('silver', 'users')).toEqual(['2024-03-01', '2024-03-03']);
      expect(lake.isWriting('silver', 'users', '2024-03-03')).toBe(true);
      expect(lake.isWriting('silver', 'users', '2024-03-01')).toBe(false);
      lake.settled('silver', 'users', '2024-03-03');
      expect(lake.batches('silver', 'users')).toEqual(['2024-03-01']);
      expect(lake.batches('silver', 'users_archive')).toEqual(['2024-03-04']);
      expect(lake.batches('bronze', 'users')).toEqual(['2024-03-05']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
