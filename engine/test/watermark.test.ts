import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { loadContractsOrThrow } from '@streampulse/contracts';
import { compileJobs } from '@streampulse/jobs';
import { LocalRunner } from '@streampulse/engine';

// The watermark's boundary: rows at, just inside and just beyond it (see the fixture's
// "about"); jobs/python/tests/test_watermark.py holds the PySpark runtime to the same rows.
const ROOT = process.cwd();
const CASE = JSON.parse(readFileSync(join(ROOT, 'jobs', 'test', 'fixtures', 'watermark-boundary.json'), 'utf8')) as {
  contracts: string;
  dataset: string;
  batch: string;
  landing: string;
  lines: string[];
  expect: { user_id: string; status: string; reason: string | null }[];
};

describe('the watermark boundary (local runner on DuckDB)', () => {
  let lake: string;
  let duck: DuckDBConnection;
  beforeAll(async () => {
    lake = mkdtempSync(join(tmpdir(), 'sp-watermark-'));
    const file = join(lake, 'landing', CASE.landing);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${CASE.lines.join('\n')}\n`);
    const runner = await LocalRunner.open(compileJobs(loadContractsOrThrow(join(ROOT, CASE.contracts))), { lakeRoot: lake, salt: 'test-salt', threads: 1 });
    try {
      await runner.runJobs(CASE.batch, [`bronze.${CASE.dataset}`, `silver.${CASE.dataset}`]);
    } finally {
      await runner.close();
    }
    duck = await (await DuckDBInstance.create(':memory:')).connect();
  }, 60_000);
  afterAll(() => {
    duck.closeSync();
    rmSync(lake, { recursive: true, force: true });
  });

  const rows = async (sql: string): Promise<Record<string, unknown>[]> => (await duck.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];

  it('promotes an event exactly at the watermark and quarantines one a second or a millisecond beyond it', async () => {
    const partition = (zone: string): string => `read_parquet('${lake}/${zone}/${CASE.dataset}/batch=${CASE.batch}/data.parquet')`;
    const bronze = await rows(`SELECT user_id, _quality_status AS status, _quarantine_reason AS reason FROM ${partition('bronze')} ORDER BY _line_no`);
    expect(bronze).toStrictEqual(CASE.expect);
    const silver = await rows(`SELECT user_id FROM ${partition('silver')} ORDER BY user_id`);
    expect(silver.map((r) => r['user_id'])).toStrictEqual(
      CASE.expect
        .filter((r) => r.status === 'passed')
        .map((r) => r.user_id)
        .sort(),
    );
  });
});
