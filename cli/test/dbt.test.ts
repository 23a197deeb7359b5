/**
 * `streampulse dbt test` without running dbt: the summary of a run_results.json (dbt's
 * documented artifact: `results[]` with `unique_id`, `status`, `failures`, `message`), and the
 * user errors before dbt starts — no serving database, no dbt in the workspace's .venv, an
 * unknown target, Azure SQL without its names. The runs of the real dbt are
 * tests/test/dbt.test.ts.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summariseRunResults } from '../src/commands/dbt.js';
import { run, tempWorkspace } from './run.js';

const TMP = mkdtempSync(join(tmpdir(), 'sp-cli-dbt-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe('summariseRunResults', () => {
  it('keeps the tests (not the exposures), names them without the project prefix and dbt hash, counts by status and names the failed', () => {
    const s = summariseRunResults({
      results: [
        { unique_id: 'exposure.streampulse_serving.mrr_this_month', status: 'no-op', failures: 0, message: 'NO-OP' },
        {
          unique_id: 'test.streampulse_serving.unique__analytics_kpi_monthly__month.0123456789',
          status: 'fail',
          failures: 2,
          message: 'Got 2 results, configured to fail if != 0',
        },
        { unique_id: 'test.streampulse_serving.not_null__analytics_kpi_monthly__month.abcdef0123', status: 'pass', failures: 0, message: null },
        {
          unique_id: 'test.streampulse_serving.accepted_values__analytics_subscription_health__plan_tier',
          status: 'error',
          failures: null,
          message: 'no such column',
        },
        { unique_id: 'test.streampulse_serving.relationships__x__month.aaaaaaaaaa', status: 'warn', failures: 1, message: 'Got 1 result' },
      ],
    });
    expect(s.tests.map((t) => [t.name, t.status, t.failures])).toEqual([
      ['accepted_values__analytics_subscription_health__plan_tier', 'error', 0],
      ['not_null__analytics_kpi_monthly__month', 'pass', 0],
      ['relationships__x__month', 'warn', 1],
      ['unique__analytics_kpi_monthly__month', 'fail', 2],
    ]);
    expect(s.tests[0]!.message).toBe('no such column');
    expect(s.tests[1]!.message).toBeUndefined();
    expect(s.totals).toEqual({ total: 4, pass: 1, fail: 1, warn: 1, error: 1, skipped: 0 });
    expect(s.failed).toEqual(['accepted_values__analytics_subscription_health__plan_tier', 'unique__analytics_kpi_monthly__month']);
  });

  it('refuses a file without a results array', () => {
    expect(() => summariseRunResults({ metadata: {} })).toThrow('run_results.json has no results array');
  });
});

describe('streampulse dbt test: user errors before dbt runs', () => {
  it('no serving database: names the path and how to make one (dbt-sqlite would create an empty file)', async () => {
    const ws = tempWorkspace();
    try {
      const missing = join(ws.root, 'nowhere.sqlite');
      const r = await run(['dbt', 'test', '--db', missing], { cwd: ws.root });
      expect(r.code).toBe(1);
      expect(r.err).toContain('error DBT_NO_SERVING_DB: no SQLite serving database at nowhere.sqlite');
      expect(r.err).toContain('streampulse demo');
      expect(existsSync(missing)).toBe(false);
    } finally {
      ws.cleanup();
    }
  });

  it('no dbt in the workspace: the remedy is bash scripts/setup.sh', async () => {
    const ws = tempWorkspace();
    try {
      const db = join(ws.root, 'serving.sqlite');
      writeFileSync(db, '');
      const r = await run(['dbt', 'test', '--db', db], { cwd: ws.root });
      expect(r.code).toBe(1);
      expect(r.err).toContain("error DBT_NOT_INSTALLED: dbt is not installed in the workspace's Python environment (.venv/bin/dbt)");
      expect(r.err).toContain('fix: bash scripts/setup.sh');
    } finally {
      ws.cleanup();
    }
  });

  it('dbt that stops before any test (no run_results.json): DBT_FAILED with its exit code, its log on stderr; the temporary project removed', async () => {
    const ws = tempWorkspace();
    try {
      const db = join(ws.root, 'serving.sqlite');
      writeFileSync(db, '');
      // a dbt that fails at once, as dbt does on a broken profile (exit 2, a message on stderr)
      mkdirSync(join(ws.root, '.venv', 'bin'), { recursive: true });
      const exe = join(ws.root, '.venv', 'bin', 'dbt');
      writeFileSync(exe, '#!/bin/sh\necho "Encountered an error: Runtime Error" >&2\nexit 2\n');
      chmodSync(exe, 0o755);
      const r = await run(['dbt', 'test', '--db', db], { cwd: ws.root, env: { TMPDIR: TMP } });
      expect(r.code).toBe(1);
      expect(r.err).toContain('Encountered an error: Runtime Error');
      expect(r.err).toContain('error DBT_FAILED: dbt build exited with 2 before it ran any test (no target/run_results.json)');
      expect(readdirSync(TMP).filter((f) => f.startsWith('streampulse-dbt-'))).toEqual([]);
    } finally {
      ws.cleanup();
    }
  });

  it('an unknown target, Azure SQL without its server and database, Azure SQL with --db', async () => {
    const unknown = await run(['dbt', 'test', '--target', 'snowflake']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain("error DBT_UNKNOWN_TARGET: --target 'snowflake' is not a target of the dbt project");
    const unnamed = await run(['dbt', 'test', '--target', 'azure', '--sql-server', 'x.database.windows.net']);
    expect(unnamed.code).toBe(1);
    expect(unnamed.err).toContain('error DBT_AZURE_UNNAMED: --target azure needs the server and the database (database missing)');
    const both = await run(['dbt', 'test', '--target', 'azure', '--sql-server', 's', '--sql-database', 'd', '--db', join(TMP, 'x.sqlite')]);
    expect(both.code).toBe(1);
    expect(both.err).toContain('error DBT_TWO_TARGETS');
  });
});
