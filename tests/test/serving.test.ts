/**
 * The serving layer end to end on a generated lake: `serve load` into SQLite serves the
 * gold marts of the lake row for row through the analytics_* views; the serving tests
 * generated from the contracts pass; the Data Factory pipeline calls exactly the
 * procedures the migrations create; and `serve load` / `sql apply` report a bad
 * connection string, a refused connection (a closed port on 127.0.0.1), a refused login
 * (a minimal TDS responder on 127.0.0.1) and a missing table as clear errors, loading
 * nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { loadContractsOrThrow, parseLogicalType } from '@streampulse/contracts';
import { compileJobs } from '@streampulse/jobs';
import { generateFactory, NAMES } from '@streampulse/pipelines';
import { SERVING_OBJECTS, servingColumns, servingMigrations } from '@streampulse/sql';
import { main } from '@streampulse/cli';
import { LOCAL_DEMO_SALT, runDemo } from '@streampulse/rehearsal';
import { refusingSqlServer } from './tds-responder.js';

const ROOT = process.cwd();
const SET = loadContractsOrThrow(join(ROOT, 'contracts', 'streampulse'));
const TMP = mkdtempSync(join(tmpdir(), 'sp-serving-e2e-'));
const LAKE = join(TMP, 'lake');
let duck: DuckDBConnection;

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { cwd: ROOT, env: {}, color: false, stdout: (s) => void (out += s), stderr: (s) => void (err += s) });
  return { code, out, err };
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A value as the SQLite view holds it, for comparison with the lake's Parquet. */
function normal(v: unknown, type: string): unknown {
  if (v === null || v === undefined) return null;
  switch (parseLogicalType(type).base) {
    case 'boolean':
      return v === true || v === 1 ? 1 : 0;
    case 'string':
    case 'date':
    case 'timestamp':
      return String(v);
    default:
      return Number(v);
  }
}

beforeAll(async () => {
  duck = await (await DuckDBInstance.create(':memory:')).connect();
  // 150 users are too few for the shipped freshness rules: reported, not enforced
  await runDemo(SET, { lakeRoot: LAKE, users: 150, days: 5, seed: 'serving', startDate: '2026-01-29', salt: LOCAL_DEMO_SALT, threads: 1, freshness: 'report' });
}, 240_000);

afterAll(() => {
  duck?.closeSync();
  rmSync(TMP, { recursive: true, force: true });
});

describe('serve load into SQLite on a generated lake', () => {
  const file = join(TMP, 'serving-load.sqlite');

  it('serves every gold mart of the lake row for row through its analytics_* view', async () => {
    const r = await cli(['serve', 'load', '--lake', LAKE, '--sqlite', file, '--batch-size', '25', '--json']);
    expect(r.err).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as { runDate: string; marts: { mart: string; staged: number; inserted: number }[] };
    expect(summary.runDate).toBe('2026-02-02');
    const db = new Database(file, { readonly: true });
    try {
      for (const m of SET.marts) {
        const cols = servingColumns(SET, m);
        const order = m.grain.map((g) => `"${g}"`).join(', ');
        const lake = (
          await duck.runAndReadAll(
            `SELECT ${cols.map((c) => `"${c.name}"`).join(', ')} FROM read_parquet('${join(LAKE, 'gold', m.mart, 'data.parquet')}') ORDER BY ${order}`,
          )
        ).getRowsJson() as unknown[][];
        const served = db.prepare(`SELECT * FROM "${m.mart}" ORDER BY ${order}`).raw().all() as unknown[][];
        expect({ mart: m.mart, rows: served.length }).toStrictEqual({ mart: m.mart, rows: lake.length });
        const norm = (rows: unknown[][]): unknown[][] =>
          rows.map((row) =>
            row.map((v, i) => {
              const x = normal(v, cols[i]!.type);
              return typeof x === 'number' && !Number.isInteger(x) ? Number(x.toPrecision(12)) : x;
            }),
          );
        expect({ mart: m.mart, rows: norm(served) }).toStrictEqual({ mart: m.mart, rows: norm(lake) });
        expect(summary.marts.find((x) => x.mart === m.mart)).toMatchObject({ staged: lake.length, inserted: lake.length });
      }
    } finally {
      db.close();
    }
  }, 60_000);

  it('gives the same view rows as the demo publish, and the serving tests pass', async () => {
    const view = (f: string): Record<string, unknown[]> => {
      const db = new Database(f, { readonly: true });
      try {
        return Object.fromEntries(
          SET.marts.map((m) => [m.mart, db.prepare(`SELECT * FROM "${m.mart}" ORDER BY ${m.grain.map((g) => `"${g}"`).join(', ')}`).all()]),
        );
      } finally {
        db.close();
      }
    };
    expect(view(file)).toStrictEqual(view(join(LAKE, 'serving', 'streampulse.sqlite')));
    const t = await cli(['serve', 'test', '--lake', LAKE, '--sqlite', file]);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/\n(\d+) passed, 0 failed \(/);
    expect(t.out).toContain('pass  relationships:analytics_subscription_health.month');
  }, 60_000);
});

describe('the Data Factory pipeline calls what the migrations create', () => {
  it('names the same procedures and passes their parameters', () => {
    expect(NAMES.spMerge).toBe(SERVING_OBJECTS.mergeProcedure);
    expect(NAMES.spRecordRun).toBe(SERVING_OBJECTS.recordRunProcedure);
    expect(NAMES.sqlStagingSchema).toBe(SERVING_OBJECTS.stagingSchema);
    const load = servingMigrations(SET).find((m) => m.id === '0005_load_procedures')!.text;
    const params = (proc: string): string[] => {
      const head = new RegExp(`CREATE OR ALTER PROCEDURE ${proc.replace(/[[\].]/g, '\\$&')}\\n((?:  @\\w+ [^\\n]*\\n)+)`).exec(load)![1]!;
      return [...head.matchAll(/@(\w+)/g)].map((x) => x[1]!).sort();
    };
    const factory = JSON.stringify(generateFactory(SET, compileJobs(SET)).files);
    const calls = [...factory.matchAll(/"storedProcedureName":"([^"]+)","storedProcedureParameters":\{(.*?)\}\}/g)].map((x) => ({
      proc: x[1]!,
      params: [...x[2]!.matchAll(/"(\w+)":\{"value"/g)].map((p) => p[1]!).sort(),
    }));
    expect(calls.length).toBeGreaterThanOrEqual(3);
    for (const c of calls) expect({ proc: c.proc, params: c.params }).toStrictEqual({ proc: c.proc, params: params(c.proc) });
    // every mart's staging table is what the copy writes into
    for (const m of SET.marts) expect(servingMigrations(SET)[1]!.text).toContain(`CREATE TABLE [${NAMES.sqlStagingSchema}].[${m.mart}]`);
  });
});

describe('clear errors, nothing loaded (sql apply / serve load)', () => {
  const noStack = (err: string): void => expect(err).not.toMatch(/\n\s+at /);

  it('a bad connection string', async () => {
    for (const args of [
      ['serve', 'load', '--lake', LAKE, '--connection', 'Sever=127.0.0.1;Database=x'],
      ['sql', 'apply', '--connection', 'Sever=127.0.0.1;Database=x'],
    ]) {
      const r = await cli(args);
      expect(r.code).toBe(1);
      expect(r.err).toContain('error SQL_BAD_CONNECTION_STRING: unknown connection-string key "sever" — did you mean "server"?');
      expect(r.err).toContain('fix: use the keys: Server, Database');
      noStack(r.err);
    }
    const none = await cli(['sql', 'apply']);
    expect([none.code, none.err.split('\n')[0]]).toStrictEqual([
      1,
      'error SQL_NO_CONNECTION: no connection string: pass --connection "<conn>" or set STREAMPULSE_SQL_CONNECTION',
    ]);
  });

  it('a refused connection (closed port on 127.0.0.1)', async () => {
    const port = await closedPort();
    const conn = `Server=127.0.0.1,${port};Database=serving;User Id=loader;Password=secret-pw;Encrypt=false;Connection Timeout=5`;
    for (const args of [
      ['serve', 'load', '--lake', LAKE, '--connection', conn],
      ['sql', 'apply', '--connection', conn],
    ]) {
      const r = await cli(args);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`error SQL_CONNECTION_REFUSED: cannot reach SQL Server at 127.0.0.1,${port}/serving while connecting`);
      expect(r.err).not.toContain('secret-pw');
      noStack(r.err);
    }
  }, 30_000);

  it('a refused login (a TDS responder on 127.0.0.1 answering ERROR 18456)', async () => {
    const server = await refusingSqlServer('loader');
    try {
      const conn = `Server=127.0.0.1,${server.port};Database=serving;User Id=loader;Password=wrong-pw;Encrypt=false;Connection Timeout=5`;
      const target = join(TMP, 'never-login.sqlite');
      for (const args of [
        ['serve', 'load', '--lake', LAKE, '--connection', conn],
        ['sql', 'apply', '--connection', conn],
      ]) {
        const r = await cli(args);
        expect(r.code).toBe(1);
        expect(r.err).toContain(`error SQL_LOGIN_FAILED: SQL Server at 127.0.0.1,${server.port}/serving refused the login: Login failed for user 'loader'.`);
        expect(r.err).toContain('fix: check User Id / Password');
        expect(r.err).not.toContain('wrong-pw');
        noStack(r.err);
      }
      expect(existsSync(target)).toBe(false);
    } finally {
      await server.close();
    }
  }, 30_000);

  it('a missing table: a lake without the gold marts loads nothing', async () => {
    const empty = join(TMP, 'empty-lake');
    mkdirSync(join(empty, 'gold'), { recursive: true });
    const target = join(TMP, 'never.sqlite');
    const r = await cli(['serve', 'load', '--lake', empty, '--sqlite', target]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error SERVING_MART_MISSING: the lake .*empty-lake has no gold table for analytics_cohort_retention, /);
    expect(r.err).toContain('fix: build the marts first');
    noStack(r.err);
    expect(existsSync(target)).toBe(false);
  });
});
