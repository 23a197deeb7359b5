import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContractsOrThrow, type ContractSet } from '@streampulse/contracts';
import { compileJobs } from '@streampulse/jobs';
import { BENCH_GOALS, benchGoals, ceilingFile, ceilingScript, ensureLanding, measureSide, landingDirFor, type BenchResult } from '@streampulse/bench';
import { Duck } from '@streampulse/engine';
import type { Manifest } from '@streampulse/sources';
import { benchReport } from '../src/bench-report.js';
import { batchRegex, floorScript, landingGlob } from '@streampulse/bench';
import { createStyle } from '../src/output.js';
import { ROOT, run } from './run.js';

/** Fields of a CSV line (RFC 4180 quotes: a doubled quote inside quotes is one). */
function csvFieldCount(line: string, delim: string): number {
  let n = 1;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') i++;
        else quoted = false;
      }
    } else if (c === '"') quoted = true;
    else if (c === delim) n++;
  }
  return n;
}

/** Lines of a landing file that parse, counted here without DuckDB: JSONL, a line that is a JSON object; CSV, a data line with the header's field count. */
function parsingLines(text: string, format: 'jsonl' | 'csv', csv: { header: boolean; delimiter: string }, columns: number): number {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (format === 'csv') return lines.slice(csv.header ? 1 : 0).filter((l) => l !== '' && csvFieldCount(l, csv.delimiter) === columns).length;
  return lines.filter((l) => {
    try {
      const v: unknown = JSON.parse(l);
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    } catch {
      return false;
    }
  }).length;
}

// The benchmark machinery at a tiny scale, every side in this process (no build
// needed). Figures are not checked — only the shape of the output and that the floor
// script does the same work as the runner (same bronze, quarantine, silver and mart row
// counts; the silver-only floor the same silver and marts), and that the ceiling wrote
// a row for every landing line that parses.
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
  }, 300_000);
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
    for (const side of [result.runner, result.floor, result.floor_silver_only, result.ceiling]) {
      expect(Object.keys(side.seconds).sort()).toEqual(['end_to_end', 'gold', 'landing_to_silver', 'publish']);
      expect(side.seconds.end_to_end).toBeGreaterThan(0);
      expect(side.mb_per_s).toBeGreaterThan(0);
      expect(side.peak_rss_mb).toBeGreaterThan(0);
      expect(side.cpu_seconds).toBeGreaterThan(0);
    }
    expect(result.floor.seconds.publish).toBe(0);
    expect(result.floor_silver_only.seconds.publish).toBe(0);
    expect(result.ceiling.seconds).toEqual({ ...result.ceiling.seconds, gold: 0, publish: 0 });
    expect(result.landing.rows).toBeGreaterThan(0);
    expect(result.landing.defect_lines).toBeGreaterThan(0);
    expect(result.ratio).toBeGreaterThan(0);
    expect(result.ratio_silver_only).toBeGreaterThan(0);
    // two rounds; the figures are the round with the median ratio (the lower of two)
    expect(result.rounds).toHaveLength(2);
    for (const x of result.rounds) {
      expect(Object.keys(x).sort()).toEqual(['ceiling', 'demo', 'floor', 'floor_silver_only', 'ratio', 'ratio_silver_only', 'runner', 'runner_share']);
      for (const v of Object.values(x)) expect(v).toBeGreaterThan(0);
    }
    expect(result.ratio).toBe(Math.min(...result.rounds.map((x) => x.ratio)));
    const median = result.rounds.find((x) => x.ratio === result.ratio)!;
    expect(median.runner).toBeCloseTo(result.runner.seconds.end_to_end, 2);
    expect(median.ratio_silver_only).toBe(result.ratio_silver_only);
    // issue 24's goals: the ones set at other scales are listed, not judged
    expect(result.goals.map((g) => g.id)).toEqual(['ceiling_share', 'ratio', 'ratio', 'demo', 'memory']);
    expect(result.goals.map((g) => g.target)).toEqual([0.4, 1, 2, 4, 1000]);
    expect(result.goals.map((g) => g.scale)).toEqual([
      { users: 100_000, days: 30 },
      { users: 100_000, days: 30 },
      { users: 300, days: 30 },
      { users: 1000, days: 14 },
      null,
    ]);
    expect(result.goals.map((g) => g.applies)).toEqual([false, false, false, true, true]);
    expect(result.goals.map((g) => g.met === null)).toEqual([true, true, true, false, false]);
    expect(result.goals[0]!.value).toBe(result.shares.runner);
    expect(result.goals[1]!.value).toBe(result.ratio);
    expect(result.goals[3]!.value).toBeCloseTo(result.demo!.seconds.end_to_end, 1);
  });

  it('prints every side’s landing → silver throughput as a share of the ceiling’s', () => {
    expect(Object.keys(result.shares).sort()).toEqual(['ceiling', 'floor', 'floor_silver_only', 'runner']);
    expect(result.shares.ceiling).toBe(1);
    for (const side of ['runner', 'floor', 'floor_silver_only'] as const)
      expect(result.shares[side]).toBeCloseTo(result[side].mb_per_s / result.ceiling.mb_per_s, 2);
    const median = result.rounds.find((x) => x.ratio === result.ratio)!;
    expect(median.runner_share).toBe(result.shares.runner);
  });

  /** Per dataset, the landing lines under `dir` that parse, counted from the files the manifest lists (not from the ceiling's globs). */
  const expectedRows = (set: ContractSet, dir: string, manifest: Manifest): Record<string, number> => {
    const rows: Record<string, number> = {};
    for (const d of set.datasets)
      rows[d.dataset] = manifest.files
        .filter((f) => f.dataset === d.dataset)
        .reduce(
          (a, f) =>
            a +
            parsingLines(
              readFileSync(join(dir, f.file), 'utf8'),
              d.source.format,
              { header: d.source.csv?.header ?? true, delimiter: d.source.csv?.delimiter ?? ',' },
              d.columns.length,
            ),
          0,
        );
    return rows;
  };

  /** Rows and column names of every ceiling file under a side's folder. */
  const ceilingFiles = async (set: ContractSet, dir: string): Promise<{ rows: Record<string, number>; columns: Record<string, string[]> }> => {
    const rows: Record<string, number> = {};
    const columns: Record<string, string[]> = {};
    const duck = await Duck.open({ threads: 1 });
    try {
      for (const d of set.datasets) {
        const file = ceilingFile(dir, d.dataset);
        expect(existsSync(file)).toBe(true);
        rows[d.dataset] = Number(await duck.scalar(`SELECT count(*) FROM read_parquet('${file}')`));
        columns[d.dataset] = (await duck.rows(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).map((c) => String(c['column_name']));
      }
    } finally {
      duck.close();
    }
    return { rows, columns };
  };

  it('the ceiling wrote one Parquet file per dataset holding a row for every landing line that parses, with the contract’s columns', async () => {
    const set = loadContractsOrThrow(join(ROOT, 'contracts', 'streampulse'));
    const manifest = JSON.parse(readFileSync(join(result.landing.dir, '_manifest.json'), 'utf8')) as Manifest;
    const ceilingDir = join(out, 'runs', 'ceiling');
    expect(readdirSync(join(ceilingDir, 'ceiling')).sort()).toEqual(set.datasets.map((d) => `${d.dataset}.parquet`).sort());
    const expected = expectedRows(set, result.landing.dir, manifest);
    const got = await ceilingFiles(set, ceilingDir);
    expect(got.rows).toEqual(expected);
    expect(result.ceiling.silver_rows).toEqual(expected);
    expect(Object.values(expected).every((n) => n > 0)).toBe(true);
    for (const d of set.datasets) expect(got.columns[d.dataset]).toEqual(d.columns.map((c) => c.name));
  });

  it('the ceiling makes no row of a broken, blank or over-long line (a copy of the landing with such lines added)', async () => {
    const set = loadContractsOrThrow(join(ROOT, 'contracts', 'streampulse'));
    const dir = join(out, 'broken-landing');
    rmSync(dir, { recursive: true, force: true });
    cpSync(result.landing.dir, dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dir, '_manifest.json'), 'utf8')) as Manifest;
    let added = 0;
    for (const d of set.datasets) {
      const f = manifest.files.find((x) => x.dataset === d.dataset && x.relanded_copy_of === undefined)!;
      const text = readFileSync(join(dir, f.file), 'utf8');
      const last = text.trimEnd().split('\n').at(-1)!;
      const broken = d.source.format === 'jsonl' ? [last.slice(0, Math.floor(last.length / 2)), '', '[1, 2]', '"text"', last] : [`${last},one,too many`, last];
      appendFileSync(join(dir, f.file), `${text.endsWith('\n') ? '' : '\n'}${broken.join('\n')}\n`);
      added++;
    }
    expect(added).toBe(set.datasets.length);
    const r = await measureSide(set, {
      side: 'ceiling',
      contractsDir: join(ROOT, 'contracts', 'streampulse'),
      landingDir: dir,
      workDir: join(out, 'runs', 'ceiling-broken'),
      salt: 's',
      dates: manifest.dates,
    });
    const expected = expectedRows(set, dir, manifest);
    // each dataset gained exactly one good line (the last one, again): the broken ones are no rows
    for (const d of set.datasets) expect(expected[d.dataset]).toBe(result.ceiling.silver_rows[d.dataset]! + 1);
    expect(r.silver_rows).toEqual(expected);
    expect((await ceilingFiles(set, join(out, 'runs', 'ceiling-broken'))).rows).toEqual(expected);
  });

  it('measures the demo’s daily batches through the local Data Factory executor, at the demo’s own scale', () => {
    const demo = result.demo!;
    expect(demo.scale).toEqual({ users: 1000, days: 14, seed: '42', start: '2026-01-25' });
    expect(demo.batches).toBe(14);
    expect(demo.landing_mb).toBeGreaterThan(0);
    expect(demo.seconds.end_to_end).toBeGreaterThan(0);
    expect(demo.seconds.publish).toBeGreaterThan(0);
    expect(Object.keys(demo.mart_rows).length).toBeGreaterThan(0);
    expect(existsSync(join(out, 'runs', 'demo', 'reports', 'adf'))).toBe(true);
    expect(existsSync(landingDirFor(out, { users: 1000, days: 14, seed: '42' }))).toBe(true);
  });

  it('measures the runner over clean landing beside the default one (the fast path against the defect path)', () => {
    const clean = result.clean!;
    expect(clean.landing.dir).toBe(landingDirFor(out, { users: 200, days: 2, seed: '7', defects: false }));
    expect(clean.landing.rows).toBeGreaterThan(0);
    const manifest = JSON.parse(readFileSync(join(clean.landing.dir, '_manifest.json'), 'utf8')) as Manifest;
    // no defective line; the re-landed file copies kept, so the files are the default landing's
    expect(manifest.defects.length).toBeGreaterThan(0);
    expect(manifest.defects.every((d) => d.kind === 'relanded_file')).toBe(true);
    expect(manifest.files.map((f) => f.file)).toEqual(
      (JSON.parse(readFileSync(join(result.landing.dir, '_manifest.json'), 'utf8')) as Manifest).files.map((f) => f.file),
    );
    expect(clean.runner.seconds.landing_to_silver).toBeGreaterThan(0);
    expect(clean.share).toBeGreaterThan(0);
    expect(clean.defect_lines).toBe(result.landing.defect_lines);
    expect(clean.defect_line_share).toBeCloseTo(result.landing.defect_lines / result.landing.rows, 4);
    expect(typeof clean.defect_path_seconds).toBe('number');
    expect(clean.defect_path_cpu_seconds).toBeNull(); // in process: the CPU seconds are the process's, not a side's
    // the clean runner promotes every line: nothing in quarantine
    expect(Object.values(clean.runner.quarantine_rows).reduce((a, x) => a + x, 0)).toBe(0);
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
      'share of the ceiling',
      'through the local Data Factory executor in',
      'no defective lines (fast path only)',
      'the defect path:',
    ])
      expect(text).toContain(label);
    expect(text).toMatch(/runner\s+floor\s+floor, silver only\s+ceiling/);
    expect(text).toContain('runner / silver-only floor:');
    expect(text).toContain('Goals (printed, not asserted)');
    expect(text).toMatch(/landing → silver ≥ 40% of the ceiling at 100,000 × 30\s+[\d.,]+%\s+n\/a: this run is 200 × 2/);
    expect(text).toMatch(/end to end ≤ 1\.0× the floor at 100,000 × 30\s+[\d.,]+×\s+n\/a/);
    expect(text).toMatch(/end to end ≤ 2\.0× the floor at 300 × 30\s+[\d.,]+×\s+n\/a/);
    expect(text).toMatch(/the demo's 14 daily batches via the local Data Factory executor < 4 s\s+[\d.,]+ s\s+(met|not met)/);
    expect(text).toMatch(/peak RSS < 1000 MB \(runner, clean runner, demo\)\s+[\d,]+ MB\s+(met|not met)/);
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

describe('the goals of issue 24', () => {
  const figures = {
    share: 0.5,
    ratio: 1.5,
    demoSeconds: 3,
    demo: { users: 1000, days: 14, seed: '42', start: '2026-01-25' },
    peakRssBytes: 5e8,
    rssOf: 'runner',
  };

  it('judge the goals set at the run’s scale and list the others unjudged', () => {
    const at300 = benchGoals({ users: 300, days: 30 }, figures);
    expect(at300.map((g) => [g.id, g.applies, g.met])).toEqual([
      ['ceiling_share', false, null],
      ['ratio', false, null],
      ['ratio', true, true],
      ['demo', true, true],
      ['memory', true, true],
    ]);
    const at100k = benchGoals({ users: 100_000, days: 30 }, figures);
    expect(at100k.map((g) => [g.id, g.applies, g.met])).toEqual([
      ['ceiling_share', true, true],
      ['ratio', true, false],
      ['ratio', false, null],
      ['demo', true, true],
      ['memory', true, true],
    ]);
  });

  it('say not met beyond a target, and leave an unmeasured demo unjudged', () => {
    const goals = benchGoals(BENCH_GOALS.minCeilingShare.scale, { ...figures, share: 0.39, demoSeconds: null, peakRssBytes: 1e9 });
    expect(goals.find((g) => g.id === 'ceiling_share')!.met).toBe(false);
    expect(goals.find((g) => g.id === 'demo')).toMatchObject({ value: null, applies: false, met: null });
    expect(goals.find((g) => g.id === 'memory')!.met).toBe(false);
  });
});

describe('the ceiling script', () => {
  const set = loadContractsOrThrow(join(ROOT, 'contracts', 'streampulse'));
  const statements = ceilingScript(compileJobs(set), { landingDir: '/l', outDir: '/o' });

  it('has one landing → Parquet statement per dataset, over the floors’ globs, with no hash, audit column, rule or dedupe', () => {
    expect(statements.map((s) => s.dataset).sort()).toEqual(set.datasets.map((d) => d.dataset).sort());
    for (const s of statements) {
      const d = set.datasets.find((x) => x.dataset === s.dataset)!;
      expect(s.sql).toContain(`'${landingGlob('/l', d.source.landing_path)}'`);
      expect(s.sql).toContain(`TO '/o/ceiling/${d.dataset}.parquet' (FORMAT parquet`);
      expect(s.sql.match(/\bCOPY\b/g)).toHaveLength(1);
      for (const not of ['sha256', 'hash(', '_batch_id', '_ingested_at', 'row_number', 'QUALIFY', 'JOIN', 'PARTITION_BY']) expect(s.sql).not.toContain(not);
      expect(s.sql).toContain(d.source.format === 'jsonl' ? 'json_transform(line' : 'read_csv(');
    }
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
