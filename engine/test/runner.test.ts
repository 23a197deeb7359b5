import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { loadContractsOrThrow, type ContractSet } from '@streampulse/contracts';
import { compileJobs } from '@streampulse/jobs';
import { LocalRunner, type BatchReport } from '@streampulse/engine';
import { CONTRACTS, DATES, GOLD, freshLake } from './fixture-lake.js';

const ROOT = process.cwd();

async function runAll(set: ContractSet, lake: string, dates = DATES): Promise<BatchReport[]> {
  const runner = await LocalRunner.open(compileJobs(set), { lakeRoot: lake, salt: 'test-salt', threads: 1 });
  try {
    const reports: BatchReport[] = [];
    for (const d of dates) reports.push(await runner.runBatch(d));
    await runner.publish(set, reports);
    return reports;
  } finally {
    await runner.close();
  }
}

let duck: DuckDBConnection;
/** Content hash of a Parquet table: its rows, ordered, as text. */
async function tableHash(file: string): Promise<string> {
  const r = await duck.runAndReadAll(
    `SELECT sha256(coalesce(string_agg(CAST(t AS VARCHAR), chr(10) ORDER BY CAST(t AS VARCHAR)), '')) AS h, count(*) AS n FROM read_parquet('${file}') t`,
  );
  const row = r.getRowObjectsJson()[0]!;
  return `${String(row['n'])}:${String(row['h'])}`;
}
async function goldHashes(lake: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of GOLD) out[t] = await tableHash(join(lake, 'gold', t, 'data.parquet'));
  return out;
}
function servingRows(lake: string): unknown[] {
  const db = new Database(join(lake, 'serving', 'streampulse.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT * FROM analytics_revenue ORDER BY month, region').all();
  } finally {
    db.close();
  }
}
async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await duck.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

describe('local runner on DuckDB (fixture contracts, hand-made landing files)', () => {
  const set = loadContractsOrThrow(CONTRACTS);
  let lake: string;
  let reports: BatchReport[];

  beforeAll(async () => {
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    lake = freshLake('sp-lake');
    reports = await runAll(set, lake);
  }, 60_000);
  afterAll(() => duck.closeSync());

  const ds = (batch: string, name: string) => reports.find((r) => r.batch === batch)!.datasets.find((d) => d.dataset === name)!;

  it('conserves rows per batch and dataset, with the hand-counted numbers', () => {
    const table = reports.flatMap((r) => r.datasets.map((d) => [r.batch, d.dataset, d.rows_in, d.promoted, d.quarantined, d.duplicates_dropped, d.conserved]));
    expect(table).toEqual([
      ['2024-03-01', 'users', 8, 3, 4, 1, true],
      ['2024-03-01', 'payments', 5, 1, 4, 0, true],
      ['2024-03-02', 'users', 3, 2, 0, 1, true],
      ['2024-03-02', 'payments', 9, 2, 0, 7, true],
    ]);
  });

  it('quarantines every defect with its reason and keeps the raw record', async () => {
    expect(ds('2024-03-01', 'users').quarantined_by_reason).toEqual({
      'late:beyond_watermark': 1,
      'required:user_id': 1,
      'type:signup_at': 1,
      'unparseable:not_a_json_object': 1,
    });
    expect(ds('2024-03-01', 'payments').quarantined_by_reason).toEqual({
      'range:amount': 1,
      'referential:user_id': 1,
      'type:amount': 1,
      'unparseable:too_many_columns': 1,
    });
    const q = await rows(
      `SELECT _quarantine_reason AS r, _raw_line AS raw FROM read_parquet('${lake}/quarantine/users/batch=*/data.parquet') ORDER BY _line_no`,
    );
    // every failed check is listed; the first one is the row's primary reason in the report
    expect(q.map((x) => x['r'])).toEqual([
      'required:user_id; not_null:user_id',
      'type:signup_at; required:signup_at',
      'unparseable:not_a_json_object',
      'late:beyond_watermark; accepted_values:region',
    ]);
    expect(q[2]!['raw']).toBe('garbage line');
  });

  it('tells duplicates apart: exact in-batch, re-sent from an earlier batch, a re-landed identical file', () => {
    expect(ds('2024-03-01', 'users').duplicates).toEqual({ in_batch: 1, of_earlier_batches: 0, superseded_versions: 0, relanded_file_rows: 0 });
    expect(ds('2024-03-02', 'users').duplicates).toEqual({ in_batch: 0, of_earlier_batches: 1, superseded_versions: 0, relanded_file_rows: 0 });
    expect(ds('2024-03-02', 'payments').duplicates).toEqual({ in_batch: 1, of_earlier_batches: 1, superseded_versions: 0, relanded_file_rows: 5 });
    expect(ds('2024-03-02', 'payments').files.find((f) => f.file.endsWith('payments_resend.csv'))!.duplicateOf).toBe('payments/2024-03-01/payments.csv');
  });

  it('keeps one copy of an exactly duplicated row of an SCD1 dataset (the copy never supersedes it)', async () => {
    const p7 = await rows(`SELECT payment_id, _batch_id FROM read_parquet('${lake}/silver/payments/*/*.parquet') WHERE payment_id = 'p7'`);
    expect(p7).toEqual([{ payment_id: 'p7', _batch_id: '2024-03-02' }]);
  });

  it('keeps unknown fields in a rescued column and adds the bronze audit columns', async () => {
    const b = await rows(
      `SELECT user_id, _rescued, _batch_id, CAST(length(_record_hash) AS INTEGER) AS hl, _quality_status AS s FROM read_parquet('${lake}/bronze/users/batch=2024-03-01/data.parquet') WHERE _rescued IS NOT NULL ORDER BY _line_no`,
    );
    expect(b).toEqual([
      { user_id: 'u2', _rescued: '{"utm":"x"}', _batch_id: '2024-03-01', hl: 64, s: 'passed' },
      { user_id: 'u2', _rescued: '{"utm":"x"}', _batch_id: '2024-03-01', hl: 64, s: 'passed' },
    ]);
  });

  it('pseudonymises e-mail with the salt, drops full_name, and keeps SCD2 history', async () => {
    const s = await rows(`SELECT * FROM read_parquet('${lake}/silver/users/batch=*/data.parquet') ORDER BY user_id, updated_at`);
    expect(Object.keys(s[0]!)).not.toContain('full_name');
    expect(s[0]!['email']).toMatch(/^[0-9a-f]{64}$/);
    expect(s.map((x) => [x['user_id'], x['region']])).toEqual([
      ['u1', 'EMEA'],
      ['u2', 'NA'],
      ['u2', 'APAC'],
      ['u2', 'EMEA'],
      ['u6', 'LATAM'],
    ]);
    const [h] = await rows(`SELECT sha256('test-salt' || 'a@x.com') AS h`);
    expect(s[0]!['email']).toBe(h!['h']);
  });

  it('builds gold and marts, and serves the same rows from SQLite and the CSV extract', async () => {
    expect(await rows(`SELECT * FROM read_parquet('${lake}/gold/dim_user/data.parquet') ORDER BY user_id`)).toEqual([
      { user_id: 'u1', region: 'EMEA', cohort_month: '2024-02-01' },
      { user_id: 'u2', region: 'EMEA', cohort_month: '2024-02-01' },
      { user_id: 'u6', region: 'LATAM', cohort_month: '2024-03-01' },
    ]);
    expect(servingRows(lake)).toEqual([
      { month: '2024-02-01', region: 'EMEA', revenue: 9.99, payers: 1 },
      { month: '2024-03-01', region: 'EMEA', revenue: 9.99, payers: 1 },
      { month: '2024-03-01', region: 'LATAM', revenue: 19.99, payers: 1 },
    ]);
    expect(readFileSync(join(lake, 'serving', 'extracts', 'analytics_revenue.csv'), 'utf8')).toBe(
      'month,region,revenue,payers\n2024-02-01,EMEA,9.99,1\n2024-03-01,EMEA,9.99,1\n2024-03-01,LATAM,19.99,1\n',
    );
    const md = readFileSync(join(lake, 'reports', 'quality.md'), 'utf8');
    expect(md).toContain('| payments | 14 | 3 | 4 | 7 | 0 | 0 | yes |');
  });

  it('is idempotent: re-running a batch, or the whole run in a new lake, gives identical gold and serving rows', async () => {
    const before = await goldHashes(lake);
    const serving = servingRows(lake);
    await runAll(set, lake, ['2024-03-02']);
    expect(await goldHashes(lake)).toEqual(before);
    const other = freshLake('sp-lake');
    await runAll(set, other);
    expect(await goldHashes(other)).toEqual(before);
    expect(servingRows(other)).toEqual(serving);
    rmSync(other, { recursive: true, force: true });
  }, 60_000);

  it('survives a process killed while committing a gold file: nothing partial is read, the re-run matches', async () => {
    const expected = await goldHashes(lake);
    const crashed = freshLake('sp-lake');
    const child = spawn(process.execPath, [join(ROOT, 'engine', 'test', 'helpers', 'run-batches.mjs'), CONTRACTS, crashed, ...DATES], {
      env: { ...process.env, STREAMPULSE_TEST_HOLD_COMMIT: `gold/fact_payments/data.parquet` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let held = '';
    let stderr = '';
    // the child stops right before renaming its first fact_payments file into place; kill it there
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child never reached the hold point: ${stderr}`)), 60_000);
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString();
        if (stderr.includes('HOLD ')) {
          held = stderr;
          child.kill('SIGKILL');
        }
      });
      child.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    expect(held).toContain('HOLD');
    expect(child.signalCode).toBe('SIGKILL');
    // the temporary file is there, the final one is not: no reader can see a partial table
    const goldDir = join(crashed, 'gold', 'fact_payments');
    expect(readdirSync(goldDir).some((f) => f.startsWith('.tmp-'))).toBe(true);
    expect(existsSync(join(goldDir, 'data.parquet'))).toBe(false);
    // re-run everything: the leftovers are swept and the result equals the uninterrupted run
    await runAll(set, crashed);
    expect(readdirSync(goldDir).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
    expect(await goldHashes(crashed)).toEqual(expected);
    expect(servingRows(crashed)).toEqual(servingRows(lake));
    rmSync(crashed, { recursive: true, force: true });
  }, 90_000);
});

describe('per-job entry point (runJobs + finishBatch), as the Data Factory activities call it', () => {
  const set = loadContractsOrThrow(CONTRACTS);
  beforeAll(async () => {
    duck = await (await DuckDBInstance.create(':memory:')).connect();
  });
  afterAll(() => duck.closeSync());

  it('running each job as its own call, dataset by dataset, gives the same reports and gold as runBatch', async () => {
    const whole = freshLake('sp-lake');
    const perJob = freshLake('sp-lake');
    try {
      const expected = await runAll(set, whole);
      const plan = compileJobs(set);
      const runner = await LocalRunner.open(plan, { lakeRoot: perJob, salt: 'test-salt', threads: 1 });
      const got: BatchReport[] = [];
      try {
        for (const d of DATES) {
          // one dataset at a time (bronze then silver), parents first, as the ingestion waves do
          for (const j of plan.jobs.filter((x) => x.layer === 'bronze')) {
            await runner.runJobs(d, [j.id]);
            await runner.runJobs(d, [`silver.${j.name}`]);
          }
          await runner.runJobs(
            d,
            plan.jobs.filter((x) => x.layer === 'gold' || x.layer === 'mart').map((x) => x.id),
          );
          got.push(await runner.finishBatch(d));
        }
        await runner.publish(set, got);
      } finally {
        await runner.close();
      }
      const strip = (r: BatchReport[]) => JSON.parse(JSON.stringify(r).replace(/"ingested_at":"[^"]*"/g, '')) as unknown;
      expect(strip(got)).toEqual(strip(expected));
      expect(await goldHashes(perJob)).toEqual(await goldHashes(whole));
      expect(servingRows(perJob)).toEqual(servingRows(whole));
    } finally {
      rmSync(whole, { recursive: true, force: true });
      rmSync(perJob, { recursive: true, force: true });
    }
  }, 120_000);

  it('counts blank lines apart, parses an object after leading spaces, quarantines JSON that is not an object', async () => {
    const lake = freshLake('sp-lake');
    const day = '2024-03-03';
    mkdirSync(join(lake, 'landing', 'users', day), { recursive: true });
    const lines = [
      '{"user_id":"u7","region":"NA","signup_at":"2024-03-02T10:00:00Z","updated_at":"2024-03-02T10:00:00Z"}',
      '   ',
      '',
      '   {"user_id":"u8","region":"NA","signup_at":"2024-03-02T11:00:00Z","updated_at":"2024-03-02T11:00:00Z"}',
      '[1, 2]',
      '"a string"',
      // not blank: trim removes spaces only (DuckDB's and Spark's alike), and a tab is no JSON object
      '\t',
    ];
    writeFileSync(join(lake, 'landing', 'users', day, 'users.jsonl'), `${lines.join('\n')}\n`);
    try {
      const all = await runAll(set, lake, [...DATES, day]);
      const users = all.find((r) => r.batch === day)!.datasets.find((d) => d.dataset === 'users')!;
      expect([users.blank_lines, users.rows_in, users.promoted, users.quarantined, users.conserved]).toEqual([2, 5, 2, 3, true]);
      expect(users.quarantined_by_reason).toEqual({ 'unparseable:not_a_json_object': 3 });
      const q = await rows(`SELECT _raw_line AS raw, _line_no AS n FROM read_parquet('${lake}/quarantine/users/batch=${day}/data.parquet') ORDER BY _line_no`);
      expect(q.map((x) => [x['raw'], Number(x['n'])])).toEqual([
        ['[1, 2]', 5],
        ['"a string"', 6],
        ['\t', 7],
      ]);
      const s = await rows(`SELECT user_id FROM read_parquet('${lake}/silver/users/batch=${day}/data.parquet') ORDER BY 1`);
      expect(s.map((x) => x['user_id'])).toEqual(['u7', 'u8']);
    } finally {
      rmSync(lake, { recursive: true, force: true });
    }
  }, 60_000);

  it('rescues the undeclared keys of a JSON line whatever the order of its declared ones', async () => {
    const lake = freshLake('sp-lake');
    const day = '2024-03-03';
    const parse = compileJobs(set)
      .jobs.find((j) => j.id === 'bronze.users')!
      .steps.find((st) => st.op === 'parse');
    const declared = parse?.op === 'parse' ? parse.columns.map((c) => c.name) : [];
    expect(declared.length).toBeGreaterThan(2);
    const obj = (keys: readonly string[]): string => `{${keys.map((k) => `"${k}":"${k === 'user_id' ? 'u9' : 'v'}"`).join(',')}}`;
    const lines = [
      obj(declared), // every declared key, in the declared order: nothing to rescue
      obj([...declared].reverse()), // the same keys in another order
      obj([...declared, 'utm']), // an undeclared key after them
      obj(['utm', ...declared.slice(1)]), // an undeclared key first, a declared one missing
      obj(declared.slice(0, 2)), // declared keys only, some missing
    ];
    mkdirSync(join(lake, 'landing', 'users', day), { recursive: true });
    writeFileSync(join(lake, 'landing', 'users', day, 'users.jsonl'), `${lines.join('\n')}\n`);
    try {
      await runAll(set, lake, [...DATES, day]);
      const b = await rows(`SELECT _line_no AS n, _rescued AS r FROM read_parquet('${lake}/bronze/users/batch=${day}/data.parquet') ORDER BY _line_no`);
      expect(b.map((x) => [Number(x['n']), x['r']])).toEqual([
        [1, null],
        [2, null],
        [3, '{"utm":"v"}'],
        [4, '{"utm":"v"}'],
        [5, null],
      ]);
    } finally {
      rmSync(lake, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses a silver job before its bronze job, an unknown job, and a report of an incomplete batch', async () => {
    const lake = freshLake('sp-lake');
    const plan = compileJobs(set);
    const runner = await LocalRunner.open(plan, { lakeRoot: lake, salt: 'test-salt', threads: 1 });
    try {
      const silver = plan.jobs.find((j) => j.layer === 'silver')!;
      await expect(runner.runJobs(DATES[0]!, [silver.id])).rejects.toMatchObject({ code: 'RUN_JOB_ORDER' });
      await expect(runner.runJobs(DATES[0]!, ['bronze.no_such_dataset'])).rejects.toMatchObject({
        code: 'RUN_UNKNOWN_JOB',
        message: expect.stringContaining("'bronze.no_such_dataset'"),
      });
      await runner.runJobs(DATES[0]!, [`bronze.${silver.name}`]);
      await expect(runner.finishBatch(DATES[0]!)).rejects.toMatchObject({ code: 'RUN_BATCH_INCOMPLETE' });
      expect(existsSync(join(lake, 'reports', 'batches', `${DATES[0]}.json`))).toBe(false);
    } finally {
      await runner.close();
      rmSync(lake, { recursive: true, force: true });
    }
  }, 60_000);
});
