import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContractsOrThrow } from '@streampulse/contracts';
import { compileJobs } from '@streampulse/jobs';
import { ensureLanding, landingDirFor, type BenchResult } from '@streampulse/bench';
import { benchReport } from '../src/bench-report.js';
import { batchRegex, floorScript, landingGlob } from '@streampulse/bench';
import { createStyle } from '../src/output.js';
import { ROOT, run } from './run.js';

// The benchmark machinery at a tiny scale, every side in this process (no build
// needed). Figures are not checked — only the shape of the output and that the floor
// script does the same work as the runner (same bronze, quarantine, silver and mart row
// counts; the silver-only floor the same silver and marts).
describe('streampulse bench (200 users × 2 days, in process)', () => {
  let out: string;
  let result: BenchResult;
  let code: number;
  let err: string;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'streampulse-bench-'));
    const r = await run(['bench', '--users', '200', '--days', '2', '--seed', '7', '--out', out, '--in-process', '--rounds', '2', '--json'], { cwd: ROOT });
    code = r.code;
    err = r.err;
    result = JSON.parse(r.out) as BenchResult;
  }, 120_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('exits 0 and prints the result as JSON with every figure', () => {
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(result.ok).toBe(true);
    expect(result.scale).toEqual({ users: 200, days: 2, seed: '7', start: '2026-01-25' });
    expect(result.isolated).toBe(false);
    expect(result.landing.dir).toBe(landingDirFor(out, { users: 200, days: 2, seed: '7' }));
    expect(result.landing.bytes).toBeGreaterThan(0);
    expect(result.landing.reused).toBe(false);
    for (const side of [result.runner, result.floor, result.floor_silver_only]) {
      expect(Object.keys(side.seconds).sort()).toEqual(['end_to_end', 'gold', 'landing_to_silver', 'publish']);
      expect(side.seconds.end_to_end).toBeGreaterThan(0);
      expect(side.mb_per_s).toBeGreaterThan(0);
      expect(side.peak_rss_mb).toBeGreaterThan(0);
      expect(side.cpu_seconds).toBeGreaterThan(0);
    }
    expect(result.floor.seconds.publish).toBe(0);
    expect(result.floor_silver_only.seconds.publish).toBe(0);
    expect(result.ratio).toBeGreaterThan(0);
    expect(result.ratio_silver_only).toBeGreaterThan(0);
    // two rounds; the figures are the round with the median ratio (the lower of two)
    expect(result.rounds).toHaveLength(2);
    for (const x of result.rounds) for (const v of Object.values(x)) expect(v).toBeGreaterThan(0);
    expect(result.ratio).toBe(Math.min(...result.rounds.map((x) => x.ratio)));
    const median = result.rounds.find((x) => x.ratio === result.ratio)!;
    expect(median.runner).toBeCloseTo(result.runner.seconds.end_to_end, 2);
    expect(median.ratio_silver_only).toBe(result.ratio_silver_only);
    expect(result.goals.map((g) => g.id)).toEqual(['throughput', 'ratio', 'memory']);
    expect(result.goals.map((g) => g.target)).toEqual([115, 1.3, 1000]);
    for (const g of result.goals) expect(typeof g.met).toBe('boolean');
  });

  it('the floor produces the same silver row counts per dataset (and mart row counts) as the runner', () => {
    const set = loadContractsOrThrow(join(ROOT, 'contracts', 'streampulse'));
    expect(Object.keys(result.runner.silver_rows).sort()).toEqual(set.datasets.map((d) => d.dataset).sort());
    expect(result.floor.silver_rows).toEqual(result.runner.silver_rows);
    expect(result.floor_silver_only.silver_rows).toEqual(result.runner.silver_rows);
    expect(Object.values(result.runner.silver_rows).some((n) => n > 0)).toBe(true);
    expect(result.silver_rows_match).toBe(true);
    expect(result.floor.mart_rows).toEqual(result.runner.mart_rows);
    expect(result.mart_rows_match).toBe(true);
    expect(Object.keys(result.runner.mart_rows).sort()).toEqual(set.marts.map((m) => m.mart).sort());
  });

  it('the floor writes as many bronze and quarantine rows per dataset as the runner; the silver-only floor writes none', () => {
    const set = loadContractsOrThrow(join(ROOT, 'contracts', 'streampulse'));
    expect(Object.keys(result.runner.bronze_rows).sort()).toEqual(set.datasets.map((d) => d.dataset).sort());
    expect(result.floor.bronze_rows).toEqual(result.runner.bronze_rows);
    expect(result.floor.quarantine_rows).toEqual(result.runner.quarantine_rows);
    // the generator's defects land in quarantine: the comparison is not of zeros
    expect(Object.values(result.runner.quarantine_rows).reduce((a, n) => a + n, 0)).toBeGreaterThan(0);
    expect(result.bronze_rows_match).toBe(true);
    expect(result.floor_silver_only.bronze_rows).toEqual({});
    expect(existsSync(join(out, 'runs', 'floor_silver_only', 'bronze'))).toBe(false);
  });

  it('writes the floor scripts and every side’s outputs under <out>/runs', () => {
    const sql = readFileSync(join(out, 'runs', 'floor', 'floor.sql'), 'utf8');
    expect(sql).toContain('json_extract_string(_raw_line'); // JSONL read as lines, as the runner does
    expect(sql).toContain('sha256(_raw_line) AS _record_hash');
    expect(sql).toContain('PARTITION_BY (_batch_id)');
    expect(sql).toContain('read_csv(');
    expect(sql).not.toContain('read_json(');
    const lower = readFileSync(join(out, 'runs', 'floor_silver_only', 'floor.sql'), 'utf8');
    expect(lower).toContain('json_extract_string(line');
    expect(lower).not.toContain('PARTITION_BY');
    expect(existsSync(join(out, 'runs', 'runner', 'serving', 'streampulse.sqlite'))).toBe(true);
  });

  it('reuses the cached landing files when the manifest matches, and regenerates them when it does not', () => {
    const set = loadContractsOrThrow(join(ROOT, 'contracts', 'streampulse'));
    const again = ensureLanding(set, { outDir: out, users: 200, days: 2, seed: '7', start: '2026-01-25' });
    expect(again.reused).toBe(true);
    expect(again.generateSeconds).toBeNull();
    expect(again.bytes).toBe(result.landing.bytes);
    const other = ensureLanding(set, { outDir: out, users: 200, days: 2, seed: '7', start: '2026-01-26' });
    expect(other.reused).toBe(false);
    expect(other.dir).toBe(again.dir);
    expect(other.dates[0]).toBe('2026-01-26');
  });

  it('prints a table with every side and the goals, met or not met', () => {
    const lines = benchReport(result, createStyle(false));
    const text = lines.join('\n');
    expect(lines[0]).toBe('StreamPulse local benchmark: 200 users × 2 days, seed 7');
    for (const label of [
      'landing → silver (s)',
      'landing → silver (MB/s)',
      'gold + marts (s)',
      'end to end (s)',
      'CPU user+sys (s)',
      'peak RSS (MB)',
      'runner / floor end to end:',
    ])
      expect(text).toContain(label);
    expect(text).toMatch(/runner\s+floor\s+floor, silver only/);
    expect(text).toContain('runner / silver-only floor:');
    expect(text).toContain('Goals (printed, not asserted)');
    expect(text).toMatch(/landing → silver ≥ 115 MB\/s\s+[\d.,]+ MB\/s\s+(met|not met)/);
    expect(text).toMatch(/end to end ≤ 1\.3× the floor\s+[\d.,]+×\s+(met|not met)/);
    expect(text).toMatch(/runner peak RSS < 1000 MB\s+[\d,]+ MB\s+(met|not met)/);
    expect(text).toContain(
      'silver rows per dataset: the same on every side; bronze and quarantine rows: the same in the runner and the floor; mart rows: the same',
    );
    expect(text).toContain('--in-process');
    expect(text).toMatch(/2 rounds \(figures above: the round with the median ratio\): runner \/ floor [\d.]+×, [\d.]+×/);
  });

  it('refuses --rounds 0 as a usage error', async () => {
    const r = await run(['bench', '--rounds', '0', '--out', out], { cwd: ROOT });
    expect(r.code).toBe(2);
    expect(r.err).toContain('--rounds must be a whole number from 1 to 99, got "0"');
  });

  it('says so, with the counts, when the floor wrote other bronze rows than the runner', () => {
    const [first] = Object.keys(result.runner.bronze_rows).sort();
    const other: BenchResult = { ...result, bronze_rows_match: false, floor: { ...result.floor, bronze_rows: { ...result.floor.bronze_rows, [first!]: 1 } } };
    const text = benchReport(other, createStyle(false)).join('\n');
    expect(text).toContain('bronze and quarantine rows: DIFFERENT');
    expect(text).toMatch(new RegExp(`${first!}\\s+[\\d,]+ / [\\d,]+\\s+1 / `));
  });
});

describe('the floor script', () => {
  const set = loadContractsOrThrow(join(ROOT, 'contracts', 'streampulse'));
  const statements = floorScript(compileJobs(set), { landingDir: '/l', outDir: '/o', salt: 's', runDate: '2026-02-01' });

  it('has one landing → silver statement per dataset, then every gold model and mart', () => {
    expect(
      statements
        .filter((s) => s.phase === 'silver')
        .map((s) => s.label)
        .sort(),
    ).toEqual(set.datasets.map((d) => `silver.${d.dataset}`).sort());
    expect(statements.filter((s) => s.phase === 'gold')).toHaveLength(set.models.length + set.marts.length);
    const firstGold = statements.findIndex((s) => s.phase === 'gold');
    expect(statements.slice(firstGold).every((s) => s.phase === 'gold')).toBe(true);
    for (const s of statements) expect(s.sql).not.toMatch(/\{\{/);
  });

  it('writes every dataset’s bronze and quarantine, a file per batch, as the runner does; with bronze: false, silver and gold only', () => {
    const lower = floorScript(compileJobs(set), { landingDir: '/l', outDir: '/o', salt: 's', runDate: '2026-02-01', bronze: false });
    for (const d of set.datasets) {
      const sql = statements.find((s) => s.label === `silver.${d.dataset}`)!.sql;
      expect(sql).toContain(`TO '/o/bronze/${d.dataset}' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, PARTITION_BY (_batch_id)`);
      expect(sql).toContain(`TO '/o/quarantine/${d.dataset}' (FORMAT parquet`);
      expect(sql).toContain(`TO '/o/silver/${d.dataset}.parquet'`);
      expect(sql).toContain('GROUP BY sha256(content)'); // a file landed again with the same content is read once
      const silverOnly = lower.find((s) => s.label === `silver.${d.dataset}`)!.sql;
      expect(silverOnly).toContain(`TO '/o/silver/${d.dataset}.parquet'`);
      expect(silverOnly).not.toContain('/o/bronze/');
      expect(silverOnly).not.toContain('/o/quarantine/');
    }
  });

  it('reads all days of a dataset at once and finds the batch in the path', () => {
    expect(landingGlob('/l', 'sys/feed/{date}/feed.jsonl')).toBe('/l/sys/feed/*/*.jsonl');
    const re = new RegExp(batchRegex('sys/feed/{date}/feed.jsonl'));
    expect(re.exec('/l/sys/feed/2026-01-25/feed_relanded.jsonl')?.[1]).toBe('2026-01-25');
  });
});
