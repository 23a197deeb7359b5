/**
 * The SQLite load target merges every mart in ONE transaction: a failure injected in
 * the middle of the merge (a trigger on the second mart's gold table raising, after the
 * first mart was merged) leaves every served row, the served-marts table and the load
 * journal as they were; the same load merges once the failure is gone.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { findWorkspaceRoot, loadContractsOrThrow, type ContractSet } from '@streampulse/contracts';
import { loadServing, SqliteTarget, type MartData } from '@streampulse/serving';

const ROOT = findWorkspaceRoot(process.cwd())!;
const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'sp-merge-tx-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The fixture contracts (one mart, analytics_revenue) plus a second mart over the same model. */
function twoMarts(): ContractSet {
  const dir = tmp();
  cpSync(join(ROOT, 'contracts', 'test', 'fixtures', 'valid'), dir, { recursive: true });
  writeFileSync(
    join(dir, 'analytics_revenue_monthly.yaml'),
    `mart: analytics_revenue_monthly
version: 1.0.0
owner: analytics@example.test
domain: billing
description: Revenue per month.
grain: [month]
from:
  model: fact_payments
  alias: f
dimensions:
  - name: month
    type: date
    expr: f.payment_month
    description: Calendar month.
measures:
  - name: revenue
    type: decimal(14,2)
    expr: sum(case when f.is_successful then f.amount else 0 end)
    definition: Sum of successful payments.
`,
  );
  return loadContractsOrThrow(dir);
}

const MONTHS = ['2024-01-01', '2024-02-01', '2024-03-01'];
/** The lake's two marts; `k` changes every measure. */
function lake(k: number): Map<string, MartData> {
  return new Map<string, MartData>([
    [
      'analytics_revenue',
      {
        columns: ['month', 'region', 'revenue', 'payers'],
        rows: MONTHS.flatMap((m, i) => ['EMEA', 'NA'].map((r, j) => [m, r, 100 * k + 10 * i + j, k + i + j])),
        fingerprint: `revenue-${k}`,
      },
    ],
    ['analytics_revenue_monthly', { columns: ['month', 'revenue'], rows: MONTHS.map((m, i) => [m, 1000 * k + i]), fingerprint: `monthly-${k}` }],
  ]);
}

function snapshot(file: string, set: ContractSet): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  try {
    return {
      ...Object.fromEntries(set.marts.map((m) => [m.mart, db.prepare(`SELECT * FROM "${m.mart}" ORDER BY 1, 2`).all()])),
      serving_marts: db.prepare('SELECT * FROM serving_marts ORDER BY mart').all(),
      serving_loads: db.prepare('SELECT run_date, mart, staged_rows, inserted, updated, deleted FROM "ops__serving_loads" ORDER BY load_no').all(),
    };
  } finally {
    db.close();
  }
}

async function load(set: ContractSet, file: string, k: number, runDate: string) {
  const target = new SqliteTarget(file, set);
  try {
    return await loadServing(set, { read: async (m) => lake(k).get(m.mart)! }, target, { runDate });
  } finally {
    await target.close();
  }
}

describe('serve load into SQLite: the merge is one transaction', () => {
  it('a failure in the last mart of the merge leaves the first mart, the served-marts table and the load journal unchanged', async () => {
    const set = twoMarts();
    expect(set.marts.map((m) => m.mart)).toStrictEqual(['analytics_revenue', 'analytics_revenue_monthly']);
    const file = join(tmp(), 'serving.sqlite');
    await load(set, file, 1, '2026-02-06');
    const before = snapshot(file, set);
    expect(before['serving_loads']).toHaveLength(2);

    // the second mart's gold table refuses every change: its MERGE fails after the first mart's ran
    const db = new Database(file);
    for (const op of ['INSERT', 'UPDATE', 'DELETE'])
      db.exec(`CREATE TRIGGER "fail_${op}" BEFORE ${op} ON "gold__analytics_revenue_monthly" BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END`);
    db.close();
    // better-sqlite3's error may come from another realm than jest's (the native module is
    // shared by the test files of a worker), so its message is compared, not its class
    const failure = await load(set, file, 2, '2026-02-07').then(
      () => 'no error',
      (e: unknown) => (e as { message?: string }).message,
    );
    expect(failure).toBe('disk full (simulated)');
    expect(snapshot(file, set)).toStrictEqual(before);

    // the failure gone, the same load merges both marts (from the staging it left)
    const fixed = new Database(file);
    for (const op of ['INSERT', 'UPDATE', 'DELETE']) fixed.exec(`DROP TRIGGER "fail_${op}"`);
    fixed.close();
    const r = await load(set, file, 2, '2026-02-07');
    expect(r.marts.map((m) => [m.mart, m.stagedNow, m.updated])).toStrictEqual([
      ['analytics_revenue', 0, 6],
      ['analytics_revenue_monthly', 0, 3],
    ]);
    const after = snapshot(file, set);
    expect(after['analytics_revenue_monthly']).toStrictEqual(MONTHS.map((month, i) => ({ month, revenue: 2000 + i })));
    expect(after['serving_loads']).toHaveLength(4);
  });
});
