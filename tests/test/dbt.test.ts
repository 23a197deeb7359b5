/**
 * `streampulse dbt test` with the real dbt (dbt-core + dbt-sqlite from the workspace's .venv,
 * installed by scripts/setup.sh) on a small demo lake's SQLite serving database: the
 * generated project parses (dbt build parses it first) and every test passes; in a copy of
 * the database with three seeded defects — a duplicate grain row, a NULL grain key, an
 * unknown plan tier — exactly the matching tests fail and the summary names them, and `serve
 * test` fails the same checks with the same failing rows (one definition). Two dbt runs in all
 * (a run takes a few seconds; the demo lake is shared).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { main } from '@streampulse/cli';
import { loadContractsOrThrow } from '@streampulse/contracts';
import { LOCAL_DEMO_SALT, runDemo } from '@streampulse/rehearsal';
import { dbtTestName, servingTests } from '@streampulse/sql';

const ROOT = process.cwd();
const SET = loadContractsOrThrow(join(ROOT, 'contracts', 'streampulse'));
const TMP = mkdtempSync(join(tmpdir(), 'sp-dbt-'));
const DBT = join(ROOT, '.venv', 'bin', 'dbt');
let lake: string;
let sqlite: string;

interface Summary {
  ok: boolean;
  tests: { name: string; status: string; failures: number }[];
  totals: { total: number; pass: number; fail: number; error: number };
  failed: string[];
}

async function dbtTest(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const env = { PATH: process.env['PATH'], HOME: process.env['HOME'] ?? TMP, LANG: 'C.UTF-8' };
  const code = await main(['dbt', 'test', ...args], {
    cwd: ROOT,
    env,
    color: false,
    workspaceRoot: ROOT,
    stdout: (s) => void (out += s),
    stderr: (s) => void (err += s),
  });
  return { code, out, err };
}

/**
 * The gold table `gold__<mart>` rebuilt without its key and NOT NULL constraints (the view
 * is unchanged), so rows a broken load could leave behind can be written into it.
 */
function loosen(db: Database.Database, mart: string): void {
  const view = (db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?`).get(mart) as { sql: string }).sql;
  db.exec(`DROP VIEW "${mart}"`);
  db.exec(`CREATE TABLE "loose" AS SELECT * FROM "gold__${mart}"`);
  db.exec(`DROP TABLE "gold__${mart}"`);
  db.exec(`ALTER TABLE "loose" RENAME TO "gold__${mart}"`);
  db.exec(view);
}

beforeAll(async () => {
  if (!existsSync(DBT)) throw new Error(`${DBT} is missing: run "bash scripts/setup.sh" (it installs jobs/python/requirements.lock, with dbt, into .venv)`);
  lake = join(TMP, 'lake');
  const demo = await runDemo(SET, {
    lakeRoot: lake,
    users: 300,
    days: 10,
    seed: 'dbt',
    startDate: '2026-01-25',
    salt: LOCAL_DEMO_SALT,
    threads: 2,
    freshness: 'report',
  });
  sqlite = demo.publish.sqlite;
}, 300_000);

afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe('streampulse dbt test (real dbt-core + dbt-sqlite)', () => {
  it('parses the generated project and passes every test on the demo serving database', async () => {
    const r = await dbtTest(['--lake', lake, '--json']);
    expect(r.err).toContain('Running with dbt=1.10.23');
    expect(r.err).toContain('Registered adapter: sqlite=1.10.0');
    const s = JSON.parse(r.out) as Summary;
    // one dbt test per serving check (`serve test`'s list), all run, all passed
    expect(s.tests.map((t) => t.name)).toEqual(servingTests(SET).map(dbtTestName).sort());
    expect(s.totals).toMatchObject({ total: servingTests(SET).length, pass: servingTests(SET).length, fail: 0, error: 0 });
    expect(s.failed).toEqual([]);
    expect(s.ok).toBe(true);
    expect(r.code).toBe(0);
  }, 120_000);

  it('fails exactly the matching tests on seeded defects (duplicate grain row, NULL key, unknown plan) and names them', async () => {
    const copy = join(TMP, 'defects.sqlite');
    copyFileSync(sqlite, copy);
    const db = new Database(copy);
    try {
      loosen(db, 'analytics_kpi_monthly');
      loosen(db, 'analytics_subscription_health');
      // a duplicate grain row: one month twice
      db.exec(`INSERT INTO gold__analytics_kpi_monthly SELECT * FROM gold__analytics_kpi_monthly ORDER BY month LIMIT 1`);
      // a NULL key: a row without its region
      db.exec(`INSERT INTO gold__analytics_subscription_health SELECT * FROM gold__analytics_subscription_health ORDER BY month, plan_tier, region LIMIT 1`);
      db.exec(`UPDATE gold__analytics_subscription_health SET region = NULL WHERE rowid = (SELECT max(rowid) FROM gold__analytics_subscription_health)`);
      // an unknown plan: a tier no plan contract knows
      db.exec(
        `INSERT INTO gold__analytics_subscription_health SELECT * FROM gold__analytics_subscription_health WHERE region IS NOT NULL ORDER BY month, plan_tier, region LIMIT 1`,
      );
      db.exec(
        `UPDATE gold__analytics_subscription_health SET plan_tier = 'platinum' WHERE rowid = (SELECT max(rowid) FROM gold__analytics_subscription_health)`,
      );
    } finally {
      db.close();
    }
    const r = await dbtTest(['--db', copy]);
    expect(r.code).toBe(1);
    const failing = [
      'accepted_values__analytics_subscription_health__plan_tier',
      'not_null__analytics_subscription_health__region',
      'unique__analytics_kpi_monthly__month',
    ];
    for (const name of failing) expect(r.out).toContain(`FAIL  ${name}  1 failing rows`);
    expect(r.out).toContain(`failed: ${failing.join(', ')}`);
    const total = servingTests(SET).length;
    expect(r.out).toContain(`${total - 3} passed, 3 failed, 0 errors, 0 warnings, 0 skipped of ${total} dbt tests`);
    expect(r.out.split('\n').filter((l) => l.startsWith('FAIL'))).toHaveLength(3);
    // one definition: `serve test` (failingRowsSql) fails the same checks with the same failing rows, on another copy
    const again = join(TMP, 'defects-serve.sqlite');
    copyFileSync(copy, again);
    let out = '';
    const code = await main(['serve', 'test', '--sqlite', again, '--json'], {
      cwd: ROOT,
      env: {},
      color: false,
      workspaceRoot: ROOT,
      stdout: (t) => void (out += t),
      stderr: () => undefined,
    });
    expect(code).toBe(1);
    const serve = (JSON.parse(out) as { results: { id: string; failures: number }[] }).results.filter((x) => x.failures > 0);
    const byName = (id: string) => servingTests(SET).find((c) => c.id === id)!;
    expect(serve.map((x) => [dbtTestName(byName(x.id)), x.failures]).sort()).toEqual(failing.map((n) => [n, 1]));
  }, 120_000);
});
