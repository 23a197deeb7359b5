import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS, VERSION, buildProgram } from '@streampulse/cli';
import { createContext } from '../src/context.js';
import { colorWanted, count, createStyle, stableJson, table } from '../src/output.js';
import { BROKEN, CLI_DIR, ROOT, VALID, run } from './run.js';

describe('--help and --version', () => {
  const pages: [string[], string][] = [
    [['--help'], 'Usage: streampulse [options] [command]'],
    [['contracts', '--help'], 'Usage: streampulse contracts [options] [command]'],
    [['contracts', 'validate', '--help'], 'Usage: streampulse contracts validate [options] [dir]'],
    [['contracts', 'show', '--help'], 'Usage: streampulse contracts show [options] <name>'],
    [['contracts', 'lineage', '-h'], 'Usage: streampulse contracts lineage [options] [node-id]'],
    [['demo', '--help'], 'Usage: streampulse demo [options]'],
    [['help', 'contracts'], 'Usage: streampulse contracts [options] [command]'],
  ];
  it.each(pages)('%j prints its help on stdout; exit 0', async (args, usage) => {
    const r = await run(args);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out.split('\n')[0]).toBe(usage);
  });

  it('every command has a description and every option a help text', () => {
    const style = createStyle(false);
    const program = buildProgram(createContext({ cwd: CLI_DIR, env: {}, stdout: () => {}, stderr: () => {}, style, errStyle: style }));
    const all = [program, ...program.commands, ...program.commands.flatMap((c) => c.commands)];
    for (const c of all) {
      expect(c.description().length).toBeGreaterThan(30);
      for (const o of c.options) expect(o.description.length).toBeGreaterThan(5);
    }
    expect(program.commands.map((c) => c.name())).toEqual(COMMANDS.map((c) => c.name));
    expect(program.commands.find((c) => c.name() === 'contracts')?.commands.map((c) => c.name())).toEqual([
      'validate',
      'show',
      'lineage',
      'pii',
      'diff',
      'export',
    ]);
  });

  it('the top-level help lists the commands, exit codes and examples', async () => {
    const r = await run(['--help']);
    expect(r.out).toMatch(/^ {2}demo \[options\] +the local lakehouse end to end/m);
    expect(r.out).toMatch(/^ {2}run \[options\] +run one daily batch/m);
    expect(r.out).toMatch(/^ {2}contracts +validate, inspect and trace/m);
    expect(r.out).toContain('Exit codes: 0 success, 1 failure');
    expect(r.out).toContain('$ streampulse contracts validate');
  });

  it('--version prints the version of cli/package.json', async () => {
    const pkg = JSON.parse(readFileSync(join(CLI_DIR, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    for (const flag of ['--version', '-V']) {
      const r = await run([flag]);
      expect(r).toEqual({ code: 0, out: `${pkg.version}\n`, err: '' });
    }
  });
});

describe('usage errors exit 2 with a hint on stderr', () => {
  it.each([
    [[], 'Usage: streampulse [options] [command]'],
    [['contracts'], 'Usage: streampulse contracts [options] [command]'],
    [['contract', 'validate'], "error: unknown command 'contract'\n(Did you mean contracts?)"],
    [['contracts', 'validate', '--jsn'], "error: unknown option '--jsn'\n(Did you mean --json?)"],
    [['contracts', 'show'], "error: missing required argument 'name'"],
    [
      ['contracts', 'lineage', '--format', 'png'],
      "error: option '--format <format>' argument 'png' is invalid. --format must be one of text, mermaid, dot, json, got \"png\"",
    ],
    [['contracts', 'validate', 'a', 'b'], 'error: too many arguments'],
  ])('%j', async (args, message) => {
    const r = await run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain(message);
  });
});

describe('streampulse demo / run (real DuckDB and SQLite, fixture contracts)', () => {
  const lake = join(mkdtempSync(join(tmpdir(), 'sp-cli-demo-')), 'lake');

  it('generates sources, runs every batch, publishes serving and says where to look; exit 0', async () => {
    const r = await run(['demo', '--dir', VALID, '--out', lake, '--users', '60', '--days', '3', '--no-progress']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('StreamPulse demo: the local lakehouse on DuckDB');
    expect(r.out).toMatch(/3 batches: [\d,]+ rows in = [\d,]+ promoted \+ [\d,]+ quarantined \+ [\d,]+ duplicates \(conserved in every batch and dataset\)/);
    expect(r.out).toMatch(/^ {2}analytics_watch_daily +\d+$/m);
    expect(r.out).toContain(`serving database  ${join(lake, 'serving', 'streampulse.sqlite')}`);
    expect(existsSync(join(lake, 'serving', 'extracts', 'analytics_watch_daily.csv'))).toBe(true);
    expect(existsSync(join(lake, 'reports', 'quality.md'))).toBe(true);
  }, 60_000);

  it('prints progress per batch on stderr unless --no-progress; --json gives the summary on stdout', async () => {
    const r = await run(['demo', '--dir', VALID, '--out', lake, '--users', '30', '--days', '2', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { ok: boolean; batches: number; rows: { conserved: boolean } };
    expect([j.ok, j.batches, j.rows.conserved]).toEqual([true, 2, true]);
    const p = await run(['demo', '--dir', VALID, '--out', lake, '--users', '30', '--days', '2']);
    expect(p.err).toMatch(/^generate \[#+\] day 2\/2 /m);
    expect(p.err).toMatch(/^batch \d{4}-\d{2}-\d{2} \[#+\] 2\/2 {2}in \d+/m);
  }, 60_000);

  it('enforces the shipped freshness rules (a clear error naming --freshness report); with it, reports them in the summary', async () => {
    const shipped = join(ROOT, 'contracts', 'streampulse');
    const small = join(mkdtempSync(join(tmpdir(), 'sp-cli-fresh-')), 'lake');
    // 30 users: too few payments for the 30-hour rule on the first day
    const stopped = await run(['demo', '--dir', shipped, '--out', small, '--users', '30', '--days', '3', '--no-progress']);
    expect(stopped.code).toBe(1);
    expect(stopped.err).toContain(
      "error ADF_RUN_FAILED: the daily batch 2026-01-25 failed in activity 'Bronze' of pl_ingest_dataset: payments batch 2026-01-25: freshness rule payments_feed_fresh failed",
    );
    expect(stopped.err).toContain('run with --freshness report');
    const reported = await run(['demo', '--dir', shipped, '--out', small, '--users', '30', '--days', '3', '--no-progress', '--freshness', 'report']);
    expect(reported.code).toBe(0);
    expect(reported.out).toMatch(
      /^ {2}freshness rules: 24 evaluations, 1 failed and noted \(1 of action fail, not enforced: --freshness report\); see the quality report$/m,
    );
  }, 90_000);

  it('`run --date` re-runs one batch of an existing lake and prints its table', async () => {
    const r = await run(['run', '--dir', VALID, '--lake', lake, '--date', '2026-01-26', '--no-progress']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ {2}dataset +in +promoted +quarantined +duplicates +conserved +fresh$/m);
    const missing = await run(['run', '--dir', VALID, '--lake', join(lake, 'nowhere'), '--date', '2026-01-26']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('error RUN_NO_LANDING: ');
  }, 60_000);

  it('refuses to wipe a folder it did not create, and rejects bad options as usage errors', async () => {
    const mine = mkdtempSync(join(tmpdir(), 'sp-cli-notours-'));
    writeFileSync(join(mine, 'precious.txt'), 'keep me');
    const r = await run(['demo', '--dir', VALID, '--out', mine, '--days', '1']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error LAKE_NOT_OURS: ');
    expect(readFileSync(join(mine, 'precious.txt'), 'utf8')).toBe('keep me');
    const bad = await run(['demo', '--users', '0']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--users must be a whole number from 1 to 10000000, got "0"');
    const date = await run(['run', '--date', '2026-02-30']);
    expect(date.code).toBe(2);
    expect(date.err).toContain('"2026-02-30" is not a YYYY-MM-DD date');
    const fresh = await run(['run', '--date', '2026-02-01', '--freshness', 'sometimes']);
    expect(fresh.code).toBe(2);
    expect(fresh.err).toContain('--freshness must be one of enforce, report, got "sometimes"');
  });

  it('stops at invalid contracts with every issue and runs nothing; exit 1', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sp-cli-broken-')), 'lake');
    const r = await run(['demo', '--dir', BROKEN, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('[CONTRACT_UNKNOWN_COLUMN]');
    expect(existsSync(out)).toBe(false);
  });
});

describe('output helpers', () => {
  it('colour only on a terminal with NO_COLOR unset', () => {
    expect(colorWanted(true, {})).toBe(true);
    expect(colorWanted(true, { NO_COLOR: '1' })).toBe(false);
    expect(colorWanted(true, { NO_COLOR: '' })).toBe(false);
    expect(colorWanted(false, {})).toBe(false);
    expect(colorWanted(undefined, {})).toBe(false);
  });

  it('tables align on plain text, JSON keys are sorted at every level, nouns are counted', () => {
    expect(
      table(
        ['A', 'BB'],
        [
          ['xxx', 'y'],
          ['z', ''],
        ],
        createStyle(false),
      ),
    ).toEqual(['A    BB', 'xxx  y', 'z']);
    expect(stableJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe(
      '{\n  "a": {\n    "d": [\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n',
    );
    expect([count(1, 'mart'), count(7, 'mart'), count(2, 'branch', 'branches')]).toEqual(['1 mart', '7 marts', '2 branches']);
  });
});

describe('the built binary (cli/dist/src/bin.js)', () => {
  const bin = join(ROOT, 'cli', 'dist', 'src', 'bin.js');
  it('runs `contracts validate <fixture>` as a process with the same output and exit codes', async () => {
    if (!existsSync(bin)) throw new Error(`${bin} does not exist: build first with \`node_modules/.bin/tsc -b\` (scripts/test.sh does)`);
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env['INIT_CWD'];
    const ok = spawnSync(process.execPath, [bin, 'contracts', 'validate', VALID], { cwd: CLI_DIR, encoding: 'utf8', env });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe((await run(['contracts', 'validate', VALID])).out);
    const bad = spawnSync(process.execPath, [bin, 'contracts', 'validate', BROKEN], { cwd: CLI_DIR, encoding: 'utf8', env });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('test/fixtures/broken/gold/fact_playback.yaml:22:19');
    const usage = spawnSync(process.execPath, [bin, 'nope'], { cwd: CLI_DIR, encoding: 'utf8', env });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("error: unknown command 'nope'");
    expect(usage.stderr).not.toMatch(/^\s+at /m);
  });
});
