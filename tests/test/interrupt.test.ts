/**
 * Interrupting a command (SIGINT, SIGTERM) and running it again gives what an
 * uninterrupted run gives (issue 19), for `demo`, `run` and `serve load` of the built
 * CLI (`tsc -b` first): each is killed mid-way, stops at a safe point with exit code
 * 130 / 143, a message and no stack, leaves no temporary file, and the same command
 * again ends with the served marts, the gold tables and the quality report of the
 * uninterrupted run.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Manifest } from '@streampulse/sources';
import { goldHashes, servedTables } from './lake-snapshot.js';

const ROOT = process.cwd();
const BIN = join(ROOT, 'cli', 'dist', 'src', 'bin.js');
const DEMO = ['--users', '150', '--days', '3', '--seed', 'interrupt', '--start', '2026-01-30', '--freshness', 'report'];
const SIGNALS = [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const;

const tmp = (p: string): string => join(mkdtempSync(join(tmpdir(), `sp-int-${p}-`)), 'lake');
const copyLake = (from: string, p: string): string => {
  const to = tmp(p);
  cpSync(from, to, { recursive: true });
  return to;
};

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Whether the signal was sent (the process had not ended before the trigger). */
  readonly sent: boolean;
}

/**
 * Runs the CLI; with `kill`, sends the signal once `when` holds — checked on each chunk of
 * stderr and every 20 ms (for conditions on the lake's files).
 */
function cli(args: readonly string[], kill?: { signal: NodeJS.Signals; when: (stderr: string) => boolean }): Promise<Exit> {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1' };
  delete env['STREAMPULSE_PII_SALT'];
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let sent = false;
  const check = (): void => {
    if (kill !== undefined && !sent && child.exitCode === null && kill.when(stderr)) sent = child.kill(kill.signal);
  };
  const timer = kill === undefined ? undefined : setInterval(check, 20);
  child.stdout.on('data', (b: Buffer) => {
    stdout += b.toString();
  });
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
    check();
  });
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearInterval(timer);
      resolve({ code, signal, stdout, stderr, sent });
    }),
  );
}

/** Every analytics_* view and table, serving_marts and quality_batches, each row as JSON in a fixed order. */
const served = (db: string): Record<string, string[]> => servedTables(db, ['serving_marts', 'quality_batches']);
const servedOf = (lake: string): Record<string, string[]> => served(join(lake, 'serving', 'streampulse.sqlite'));

/** Every file whose name marks it temporary, anywhere in the folder, and DuckDB's spill folder's content. */
function leftovers(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.startsWith('.tmp-') || e.name.endsWith('-journal') || p.includes('duckdb-spill')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Exit code 128 + n, the INTERRUPTED message, no stack trace, no temporary file. */
function expectStoppedCleanly(r: Exit, signal: NodeJS.Signals, code: number, dir: string): void {
  expect({ sent: r.sent, code: r.code, signal: r.signal }).toStrictEqual({ sent: true, code, signal: null });
  expect(r.stderr).toContain(`${signal}: stopping at the next safe point`);
  expect(r.stderr).toContain(`error INTERRUPTED: stopped by ${signal} at a safe point`);
  expect(r.stderr).toContain('fix: run the same command again');
  expect(r.stderr).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);
  expect(leftovers(dir)).toStrictEqual([]);
}

describe('interrupting a command and running it again gives the uninterrupted result', () => {
  let duck: DuckDBConnection;
  let clean: string;
  let dates: readonly string[];

  async function result(lake: string): Promise<{ served: Record<string, string[]>; gold: Record<string, string>; quality: string }> {
    return { served: servedOf(lake), gold: await goldHashes(duck, lake), quality: readFileSync(join(lake, 'reports', 'quality.json'), 'utf8') };
  }

  beforeAll(async () => {
    expect(existsSync(BIN)).toBe(true);
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    clean = tmp('clean');
    const r = await cli(['demo', '--out', clean, ...DEMO]);
    expect(r.code).toBe(0);
    dates = (JSON.parse(readFileSync(join(clean, 'landing', '_manifest.json'), 'utf8')) as Manifest).dates;
  }, 120_000);

  it.each(SIGNALS)(
    'demo, stopped by %s after the first batch',
    async (signal, code) => {
      const lake = tmp(`demo-${signal}`);
      const r = await cli(['demo', '--out', lake, ...DEMO], { signal, when: (err) => /^batch /m.test(err) });
      expectStoppedCleanly(r, signal, code, lake);
      const again = await cli(['demo', '--out', lake, ...DEMO, '--no-progress']);
      expect(again.code).toBe(0);
      expect(await result(lake)).toStrictEqual(await result(clean));
    },
    120_000,
  );

  describe('run --date <an earlier day> over a corrected landing file', () => {
    let day: string;
    let expected: Awaited<ReturnType<typeof result>>;
    // the correction: the second day's first watch event removed (the later days are replayed)
    const correct = (lake: string): void => {
      const file = join(lake, 'landing', 'player-telemetry', 'watch-events', day, 'watch_events.jsonl');
      writeFileSync(file, readFileSync(file, 'utf8').split('\n').slice(1).join('\n'));
    };

    beforeAll(async () => {
      day = dates[1]!;
      const lake = copyLake(clean, 'run');
      correct(lake);
      const r = await cli(['run', '--lake', lake, '--date', day, '--freshness', 'report', '--no-progress']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(
        `re-ran batch ${day}; replayed the later batch ${dates[2]}, which reads what it changed; gold rebuilt and the served marts stay as of ${dates[2]}`,
      );
      expected = await result(lake);
      // the engagement mart still has a row per day: serving stayed as of the newest batch
      expect(expected.served['analytics_engagement_daily']!.length).toBe(servedOf(clean)['analytics_engagement_daily']!.length);
    }, 120_000);

    it.each(SIGNALS)(
      'stopped by %s once the day is being rewritten',
      async (signal, code) => {
        const lake = copyLake(clean, `run-${signal}`);
        correct(lake);
        const partition = join(lake, 'silver', 'watch_events', `batch=${day}`, 'data.parquet');
        const was = statSync(partition).mtimeMs;
        const args = ['run', '--lake', lake, '--date', day, '--freshness', 'report', '--no-progress'];
        const r = await cli(args, { signal, when: () => statSync(partition, { throwIfNoEntry: false })?.mtimeMs !== was });
        expectStoppedCleanly(r, signal, code, lake);
        expect(existsSync(join(lake, '_state', 'rerun.json'))).toBe(true);
        const again = await cli(args);
        expect(again.code).toBe(0);
        expect(await result(lake)).toStrictEqual(expected);
      },
      120_000,
    );
  });

  describe('serve load into a new SQLite file', () => {
    let expected: Record<string, string[]>;
    // one row per staging transaction: after the first mart, hundreds of transactions are left for the signal to land in
    const args = (lake: string, db: string): string[] => ['serve', 'load', '--lake', lake, '--sqlite', db, '--batch-size', '1'];

    beforeAll(async () => {
      const db = join(mkdtempSync(join(tmpdir(), 'sp-int-load-')), 'serving.sqlite');
      const r = await cli([...args(clean, db), '--no-progress']);
      expect(r.code).toBe(0);
      expected = served(db);
    }, 60_000);

    it.each(SIGNALS)(
      'stopped by %s after the first mart is staged',
      async (signal, code) => {
        const dir = mkdtempSync(join(tmpdir(), `sp-int-load-${signal}-`));
        const db = join(dir, 'serving.sqlite');
        const r = await cli(args(clean, db), { signal, when: (err) => /rows staged/.test(err) });
        expectStoppedCleanly(r, signal, code, dir);
        const again = await cli(args(clean, db));
        expect(again.code).toBe(0);
        // it resumed: the marts staged before the signal were not staged again
        expect(again.stderr).toMatch(/rows already staged \(resumed\)/);
        expect(served(db)).toStrictEqual(expected);
      },
      60_000,
    );
  });
});
