/**
 * Landing lines that are not UTF-8 (jobs/test/fixtures/invalid-utf8.json, which the PySpark
 * runtime's test_encoding.py runs too): quarantined line by line with the reason
 * encoding:invalid_utf8 and their text (invalid bytes as U+FFFD), the other lines of the
 * same file promoted, conservation kept — JSONL, CSV, a CSV with a wrong header and a
 * re-landed copy, parsed by the bronze job or ahead of it on the side lane.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { loadContractsOrThrow } from '@streampulse/contracts';
import { compileJobs } from '@streampulse/jobs';
import { LocalRunner } from '@streampulse/engine';

const ROOT = process.cwd();
interface Expected {
  readonly report: Record<string, unknown>;
  readonly quarantine: readonly { file: string; line: number; reason: string; raw: string }[];
  readonly silver: readonly string[];
}
const CASE = JSON.parse(readFileSync(join(ROOT, 'jobs', 'test', 'fixtures', 'invalid-utf8.json'), 'utf8')) as {
  contracts: string;
  batch: string;
  files: Record<string, string[]>;
  expect: Record<string, Expected>;
};
const set = loadContractsOrThrow(join(ROOT, CASE.contracts));
const KEYS: Record<string, string> = { users: 'user_id', payments: 'payment_id' };

/** A lake holding only the case's landing files, each line's characters written as bytes (latin1). */
function lake(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sp-utf8-'));
  for (const [rel, lines] of Object.entries(CASE.files)) {
    const file = join(dir, 'landing', rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, Buffer.from(`${lines.join('\n')}\n`, 'latin1'));
  }
  return dir;
}

let duck: DuckDBConnection;
const rows = async (sql: string): Promise<Record<string, unknown>[]> => (await duck.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];

describe('landing lines that are not UTF-8 (local runner)', () => {
  beforeAll(async () => {
    duck = await (await DuckDBInstance.create(':memory:')).connect();
  });
  afterAll(() => duck.closeSync());

  it.each([
    ['parsed by the bronze job', false],
    ['parsed ahead on the side lane', true],
  ])(
    'are quarantined line by line with their reason and text, the rest promoted, rows conserved (%s)',
    async (_how, sideLane) => {
      const root = lake();
      const runner = await LocalRunner.open(compileJobs(set), { lakeRoot: root, salt: 'test-salt', threads: 1 });
      try {
        if (sideLane) runner.prefetch(CASE.batch);
        const report = await runner.runBatch(CASE.batch);
        for (const [dataset, want] of Object.entries(CASE.expect)) {
          const d = report.datasets.find((x) => x.dataset === dataset)!;
          expect(Object.fromEntries(Object.keys(want.report).map((k) => [k, (d as unknown as Record<string, unknown>)[k]]))).toEqual(want.report);
          expect(d.rows_in).toBe(d.promoted + d.quarantined + d.duplicates_dropped);
          expect(d.notes.join('\n')).toContain('not valid UTF-8');
          const q = await rows(
            `SELECT _source_file AS file, _line_no AS line, _quarantine_reason AS reason, _raw_line AS raw FROM read_parquet('${root}/quarantine/${dataset}/batch=${CASE.batch}/data.parquet') ORDER BY 1, 2`,
          );
          expect(q.map((r) => ({ ...r, line: Number(r['line']) }))).toEqual(want.quarantine);
          const s = await rows(`SELECT ${KEYS[dataset]} AS k FROM read_parquet('${root}/silver/${dataset}/batch=${CASE.batch}/data.parquet') ORDER BY 1`);
          expect(s.map((r) => r['k'])).toEqual(want.silver);
        }
        // a valid multi-byte character is not an invalid one
        const u9 = await rows(`SELECT full_name FROM read_parquet('${root}/bronze/users/batch=${CASE.batch}/data.parquet') WHERE user_id = 'u9'`);
        expect(u9).toEqual([{ full_name: 'Zoë' }]);
      } finally {
        await runner.close();
        rmSync(root, { recursive: true, force: true });
      }
    },
    90_000,
  );
});
