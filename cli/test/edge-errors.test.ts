/**
 * Errors at the edges (issue 19): bytes that are not UTF-8 in a landing file are quarantined
 * line by line (the batch runs, exit 0); an output folder the file system refuses (ENOTDIR,
 * read-only, a path under /proc) is a user error with the path and the fix, at once, never
 * "internal error" with a stack; a failed daily batch (ADF_RUN_FAILED) names the failed
 * activity's error code and gives its remedy, with --lake in the command it suggests.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatchReport } from '@streampulse/engine';
import { Duck } from '@streampulse/engine';
import { CLI_DIR, ROOT, run, VALID } from './run.js';

const TMP = mkdtempSync(join(tmpdir(), 'sp-cli-edges-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
const lake = join(TMP, 'lake');
const DAY = '2026-01-26';
const file = join(TMP, 'a-file');

beforeAll(async () => {
  const demo = await run(['demo', '--dir', VALID, '--out', lake, '--users', '40', '--days', '2', '--no-progress']);
  expect([demo.code, demo.err]).toStrictEqual([0, '']);
  writeFileSync(file, 'not a folder\n');
}, 120_000);

/** No stack trace and no "internal error": the way a user error is printed. */
const userError = (err: string): void => {
  expect(err).not.toContain('internal error');
  expect(err).not.toMatch(/^\s+at /m);
};

describe('a landing file with bytes that are not UTF-8', () => {
  it('`run --date`: exit 0, those lines quarantined with encoding:invalid_utf8 and their text, the rest promoted, rows conserved', async () => {
    const jsonl = join(lake, 'landing', 'subscribers', DAY, 'subscribers.jsonl');
    const csv = join(lake, 'landing', 'playbacks', DAY, 'playbacks.csv');
    const lines = readFileSync(jsonl, 'utf8').split('\n').length - 1;
    appendFileSync(jsonl, Buffer.from('{"subscriber_id":"s-latin1","country":"Espa\xf1a"}\nbad \xff\xfe bytes\n', 'latin1'));
    appendFileSync(csv, Buffer.from('pb-bad,s1,d\xe9vice,2026-01-26 10:00:00,3,50\n', 'latin1'));
    const r = await run(['run', '--dir', VALID, '--lake', lake, '--date', DAY, '--no-progress', '--json']);
    expect([r.code, r.err]).toStrictEqual([0, '']);
    const report = (JSON.parse(r.out) as { report: BatchReport }).report;
    for (const d of report.datasets)
      expect([d.dataset, d.conserved, d.rows_in]).toStrictEqual([d.dataset, true, d.promoted + d.quarantined + d.duplicates_dropped]);
    const subscribers = report.datasets.find((d) => d.dataset === 'subscribers')!;
    expect(subscribers.quarantined_by_reason['encoding:invalid_utf8']).toBe(2);
    expect(subscribers.promoted).toBeGreaterThan(0);
    expect(subscribers.notes.join('\n')).toContain(`2 line(s) not valid UTF-8 (${lines + 1}, ${lines + 2}) quarantined as encoding:invalid_utf8`);
    expect(report.datasets.find((d) => d.dataset === 'playbacks')!.quarantined_by_reason['encoding:invalid_utf8']).toBe(1);
    const duck = await Duck.open({ threads: 1 });
    try {
      const q = await duck.rows(
        `SELECT CAST(_line_no AS INTEGER) AS n, _raw_line AS raw FROM read_parquet('${lake}/quarantine/subscribers/batch=${DAY}/data.parquet') WHERE _quarantine_reason = 'encoding:invalid_utf8' ORDER BY 1`,
      );
      expect(q).toStrictEqual([
        { n: lines + 1, raw: '{"subscriber_id":"s-latin1","country":"Espa\ufffda"}' },
        { n: lines + 2, raw: 'bad \ufffd\ufffd bytes' },
      ]);
      const p = await duck.rows(
        `SELECT _raw_line AS raw FROM read_parquet('${lake}/quarantine/playbacks/batch=${DAY}/data.parquet') WHERE _quarantine_reason = 'encoding:invalid_utf8'`,
      );
      expect(p).toStrictEqual([{ raw: 'pb-bad,s1,d\ufffdvice,2026-01-26 10:00:00,3,50' }]);
    } finally {
      duck.close();
    }
  }, 60_000);
});

describe('an output the file system refuses is a user error with the path and the fix', () => {
  const below = join(file, 'x');
  it.each([
    ['generate', ['generate', '--out', below], 'GENERATE_CANNOT_WRITE'],
    ['adf generate', ['adf', 'generate', '--out', below], 'GENERATE_CANNOT_WRITE'],
    ['sql generate', ['sql', 'generate', '--out', below], 'GENERATE_CANNOT_WRITE'],
    ['sources generate', ['sources', 'generate', '--dir', VALID, '--out', below, '--no-progress'], 'SOURCES_CANNOT_WRITE'],
    ['dashboard build', ['dashboard', 'build', '--dir', VALID, '--db', join(lake, 'serving', 'streampulse.sqlite'), '--out', below], 'DASHBOARD_WRITE_FAILED'],
    ['demo', ['demo', '--dir', VALID, '--out', below, '--no-progress'], 'LAKE_CANNOT_WRITE'],
    ['bench', ['bench', '--dir', VALID, '--out', below, '--in-process', '--no-progress'], 'BENCH_CANNOT_WRITE'],
    ['adf run --lake', ['adf', 'run', 'pl_daily_master', '--contracts', VALID, '--lake', below, '--param', `runDate=${DAY}`], 'ADF_CANNOT_WRITE'],
    ['serve load --sqlite', ['serve', 'load', '--dir', VALID, '--lake', lake, '--sqlite', join(below, 's.sqlite'), '--no-progress'], 'SERVE_CANNOT_WRITE'],
  ])(
    '%s under a file (ENOTDIR)',
    async (_name, args, code) => {
      const r = await run(args);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(new RegExp(`^error ${code}: cannot write ${file}(/x)? \\(ENOTDIR\\)$`, 'm'));
      expect(r.err).toContain('fix: a part of the path is a file, not a folder');
      userError(r.err);
    },
    30_000,
  );

  it('read-only: a folder without write permission (EACCES), or for root, who may write anywhere else, sysfs (EPERM)', async () => {
    const root = process.getuid?.() === 0;
    if (!root) mkdirSync(join(TMP, 'ro'), { mode: 0o555 });
    const target = root ? '/sys/streampulse-test' : join(TMP, 'ro', 'out');
    for (const [args, code] of [
      [['demo', '--dir', VALID, '--out', target, '--no-progress'], 'LAKE_CANNOT_WRITE'],
      [['generate', '--out', target], 'GENERATE_CANNOT_WRITE'],
      [['sources', 'generate', '--dir', VALID, '--out', target, '--no-progress'], 'SOURCES_CANNOT_WRITE'],
    ] as const) {
      const r = await run(args);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`error ${code}: cannot write ${target} (${root ? 'EPERM' : 'EACCES'})`);
      expect(r.err).toContain('fix: you may not write there');
      userError(r.err);
    }
    expect(existsSync(target)).toBe(false);
  }, 30_000);

  it('a path no command wraps (`sql apply --from <a file>`) is a user error too, not a bug', async () => {
    const r = await run(['sql', 'apply', '--from', file, '--connection', 'Server=tcp:nowhere,1433;Database=x']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error CLI_FILE_SYSTEM: cannot scandir ${file} (ENOTDIR)`);
    userError(r.err);
  });

  it('--out under /proc: every command fails within seconds (Node’s recursive mkdir spins there forever), as a process', () => {
    const bin = join(ROOT, 'cli', 'dist', 'src', 'bin.js');
    if (!existsSync(bin)) throw new Error(`${bin} does not exist: build first with \`node_modules/.bin/tsc -b\` (scripts/test.sh does)`);
    const proc = '/proc/streampulse-test/out';
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env['INIT_CWD'];
    for (const args of [
      ['generate', '--out', proc],
      ['sources', 'generate', '--dir', VALID, '--out', proc, '--no-progress'],
      ['demo', '--dir', VALID, '--out', proc, '--no-progress'],
      ['dashboard', 'build', '--dir', VALID, '--db', join(lake, 'serving', 'streampulse.sqlite'), '--out', proc],
      ['bench', '--dir', VALID, '--out', proc, '--in-process', '--no-progress'],
      ['adf', 'run', 'pl_daily_master', '--contracts', VALID, '--lake', proc, '--param', `runDate=${DAY}`],
      ['serve', 'load', '--dir', VALID, '--lake', lake, '--sqlite', join(proc, 's.sqlite'), '--no-progress'],
      ['serve', 'test', '--dir', VALID, '--lake', lake, '--sqlite', join(proc, 's.sqlite')],
    ]) {
      const t0 = Date.now();
      const p = spawnSync(process.execPath, [bin, ...args], { cwd: CLI_DIR, encoding: 'utf8', env, timeout: 30_000 });
      expect([args.slice(0, 2).join(' '), p.signal, p.status]).toStrictEqual([args.slice(0, 2).join(' '), null, 1]);
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(p.stderr).toContain('cannot write /proc/streampulse-test (ENOENT)');
      expect(p.stderr).toContain('such as anything under /proc');
      userError(p.stderr);
    }
  }, 240_000);
});

describe('a failed daily batch (ADF_RUN_FAILED)', () => {
  it("names the activity and its error's code, and gives its remedy with --lake in the command it suggests", async () => {
    // a playback id seen again with other content: the unique rule of action fail stops the batch
    const csv = join(lake, 'landing', 'playbacks', DAY, 'playbacks.csv');
    const first = readFileSync(csv, 'utf8').split('\n')[1]!;
    const [id, ...rest] = first.split(',');
    appendFileSync(csv, `${id},${rest.map((v, i) => (i === 3 ? '999' : v)).join(',')}\n`);
    const r = await run(['run', '--dir', VALID, '--lake', lake, '--date', DAY, '--no-progress']);
    expect(r.code).toBe(1);
    const [message, ...more] = r.err.trim().split('\n');
    expect(message).toMatch(
      new RegExp(
        `^error ADF_RUN_FAILED: the daily batch ${DAY} failed in activity 'Bronze' of pl_ingest_dataset: playbacks batch ${DAY}: a check with action "fail" failed: .* \\[QUALITY_FAILED\\]$`,
      ),
    );
    // the inner remedy is the fix, not part of the message
    expect(message).not.toContain('Fix:');
    const fix = more.find((l) => l.startsWith('  fix: '))!;
    expect(fix).toContain("Fix the source data or relax the rule's action in");
    expect(fix).toContain(`then re-run the batch: \`streampulse run --date ${DAY} --lake ${lake}\``);
    expect(fix).toContain(`activity-run log: ${join(lake, 'reports', 'adf', `pl_daily_master-${DAY}.json`)}`);
    userError(r.err);
    const json = await run(['run', '--dir', VALID, '--lake', lake, '--date', DAY, '--no-progress', '--json']);
    const e = (JSON.parse(json.out) as { error: { code: string; message: string; remedy: string } }).error;
    expect([json.code, e.code, e.message.endsWith('[QUALITY_FAILED]'), e.remedy.includes(`--lake ${lake}`)]).toStrictEqual([1, 'ADF_RUN_FAILED', true, true]);
  }, 60_000);
});
