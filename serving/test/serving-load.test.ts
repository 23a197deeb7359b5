/**
 * The SQLite serving database and `serve load`'s orchestration on it: the views keep
 * the contract columns, a load is staged in batches and merged in one transaction,
 * re-loading changes nothing, a failed load leaves the views as they were and resumes,
 * a bad staging copy is refused with the failing check; and the dbt-style serving
 * tests generated from the contracts pass on good data and catch bad data.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { ContractSet, MartContract } from '@streampulse/contracts';
import { servingColumns, servingTests } from '@streampulse/sql';
import { loadServing, SqliteTarget, writeSqliteServing, type LoadEvent, type MartData, type ServingSource, type ServingTarget } from '@streampulse/serving';
import { findWorkspaceRoot, loadContractsOrThrow, STREAMPULSE_CONTRACTS_DIR } from '@streampulse/contracts';
/** The shipped contracts. */
const shipped = () => loadContractsOrThrow(join(findWorkspaceRoot(process.cwd())!, STREAMPULSE_CONTRACTS_DIR));

const SET = shipped();
const dirs: string[] = [];
const tmpDb = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'sp-serving-'));
  dirs.push(d);
  return join(d, 'serving', 'streampulse.sqlite');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Columns other marts reference (their calendar): filled with the first 24 months. */
const referenced = (set: ContractSet): Set<string> =>
  new Set(set.marts.flatMap((m) => m.dimensions.flatMap((d) => (d.references ? [`${d.references.mart}.${d.references.column}`] : []))));

/** Rows of the other grain columns per first-grain value (the product of the known domain sizes). */
const gridWidth = (set: ContractSet, m: MartContract): number =>
  servingColumns(set, m)
    .filter((c) => c.grain && c.name !== m.grain[0])
    .reduce((a, c) => a * (c.domain?.length ?? 1), 1);

/** A deterministic value for a column of row i (grain unique per row, domains and relationships respected). */
function value(set: ContractSet, m: MartContract, col: ReturnType<typeof servingColumns>[number], i: number, variant: number): unknown {
  if (col.domain) return col.grain ? col.domain[i % col.domain.length] : col.domain[(i + variant) % col.domain.length];
  const month = (k: number): string => `${2024 + Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, '0')}-01`;
  const day = (k: number): string => new Date(Date.UTC(2024, 0, 1 + k)).toISOString().slice(0, 10);
  switch (col.type) {
    case 'date':
      if (!col.grain) return month(i % 24);
      if (referenced(set).has(`${m.mart}.${col.name}`)) return month(i);
      return col.references ? month(Math.floor(i / gridWidth(set, m)) % 24) : day(i);
    case 'string':
      return col.grain ? `${col.name}-${i}` : `${col.name} ${i + variant}`;
    case 'boolean':
      return col.grain ? i % 2 === 0 : (i + variant) % 2 === 0;
    case 'integer':
    case 'bigint':
      return col.grain ? i : i * 10 + variant;
    default:
      return col.grain ? i : Number(((i + 1) * 1.25 + variant).toFixed(2));
  }
}

/** n rows per mart (a calendar mart: 24 months), `variant` changes only measures. */
function fakeLake(set: ContractSet, n: number, variant = 0): Map<string, MartData> {
  const out = new Map<string, MartData>();
  for (const m of set.marts) {
    const cols = servingColumns(set, m);
    const rows = referenced(set).has(`${m.mart}.${m.grain[0]}`) ? 24 : n;
    const data: unknown[][] = [];
    for (let i = 0; i < rows; i++) data.push(cols.map((c) => value(set, m, c, i, variant)));
    // lake column order differs from the contract: the loader maps by name
    out.set(m.mart, { columns: [...cols.map((c) => c.name)].reverse(), rows: data.map((r) => [...r].reverse()), fingerprint: `fp-${n}-${variant}` });
  }
  return out;
}

const sourceOf = (lake: Map<string, MartData>): ServingSource => ({ read: async (m) => lake.get(m.mart)! });

function viewRows(file: string, set: ContractSet = SET): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  try {
    return Object.fromEntries(
      set.marts.map((m) => [m.mart, db.prepare(`SELECT * FROM "${m.mart}" ORDER BY ${m.grain.map((g) => `"${g}"`).join(', ')}`).all()]),
    );
  } finally {
    db.close();
  }
}

/** A target that fails after `n` staged batches (a killed load). */
function failingAfter(target: ServingTarget, n: number): ServingTarget {
  let left = n;
  return new Proxy(target, {
    get(t, p, r) {
      if (p === 'stageBatch')
        return async (...args: Parameters<ServingTarget['stageBatch']>) => {
          if (left-- <= 0) throw new Error('connection lost (simulated)');
          return t.stageBatch(...args);
        };
      const v = Reflect.get(t, p, r) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

async function loadInto(
  file: string,
  lake: Map<string, MartData>,
  opts: { batchSize?: number; failAfter?: number; runDate?: string; onProgress?: (e: LoadEvent) => void } = {},
) {
  const plain = new SqliteTarget(file, SET);
  const target = opts.failAfter === undefined ? plain : failingAfter(plain, opts.failAfter);
  try {
    return await loadServing(SET, sourceOf(lake), target, {
      runDate: opts.runDate ?? '2026-02-07',
      batchSize: opts.batchSize ?? 7,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
  } finally {
    await plain.close();
  }
}

describe('serve load into SQLite', () => {
  it('serves every mart through its view with the contract columns, in batches with progress', async () => {
    const file = tmpDb();
    const lake = fakeLake(SET, 30);
    const events: LoadEvent[] = [];
    const r = await loadInto(file, lake, { onProgress: (e) => events.push(e) });
    const rows = viewRows(file);
    for (const m of SET.marts) {
      const cols = servingColumns(SET, m).map((c) => c.name);
      expect(Object.keys(rows[m.mart]![0] as object)).toStrictEqual(cols);
      expect(rows[m.mart]).toHaveLength(lake.get(m.mart)!.rows.length);
      const staged = events.filter((e) => e.phase === 'stage' && e.mart === m.mart);
      expect(staged.length).toBe(1 + Math.ceil(lake.get(m.mart)!.rows.length / 7)); // start + one per batch
    }
    expect(r.marts.every((m) => m.inserted === m.staged && m.updated === 0 && m.deleted === 0)).toBe(true);
    expect(events.at(-1)).toStrictEqual({ phase: 'merge', marts: SET.marts.length });
  });

  it('is idempotent: loading the same lake again changes nothing; a changed lake updates, inserts and deletes', async () => {
    const file = tmpDb();
    await loadInto(file, fakeLake(SET, 30));
    const before = viewRows(file);
    const again = await loadInto(file, fakeLake(SET, 30));
    expect(again.marts.map((m) => [m.inserted, m.updated, m.deleted, m.stagedNow])).toStrictEqual(SET.marts.map(() => [0, 0, 0, 0]));
    expect(viewRows(file)).toStrictEqual(before);
    const changed = await loadInto(file, fakeLake(SET, 20, 1));
    const kpi = changed.marts.find((m) => m.mart === 'analytics_kpi_monthly')!;
    expect(kpi).toMatchObject({ inserted: 0, deleted: 0, updated: 24 });
    const health = changed.marts.find((m) => m.mart === 'analytics_subscription_health')!;
    expect(health.deleted).toBe(10);
    const fresh = tmpDb();
    await loadInto(fresh, fakeLake(SET, 20, 1));
    expect(viewRows(file)).toStrictEqual(viewRows(fresh));
  });

  it('loads nothing partially: a load killed while staging leaves the views as they were, and resumes where it stopped', async () => {
    const file = tmpDb();
    await loadInto(file, fakeLake(SET, 30));
    const before = viewRows(file);
    const next = fakeLake(SET, 40, 2);
    await expect(loadInto(file, next, { failAfter: 9 })).rejects.toThrow('connection lost (simulated)');
    expect(viewRows(file)).toStrictEqual(before);
    const events: LoadEvent[] = [];
    const r = await loadInto(file, next, { onProgress: (e) => events.push(e) });
    // the first mart was staged completely before the failure, the second resumed mid-way
    expect(events.find((e) => e.phase === 'skip')).toMatchObject({ mart: SET.marts[0]!.mart });
    const resumed = r.marts.find((m) => m.resumedFrom > 0 && m.stagedNow > 0);
    expect(resumed).toBeDefined();
    expect(r.marts.reduce((a, m) => a + m.stagedNow, 0)).toBeLessThan(r.marts.reduce((a, m) => a + m.staged, 0));
    const fresh = tmpDb();
    await loadInto(fresh, next);
    expect(viewRows(file)).toStrictEqual(viewRows(fresh));
  });

  it('refuses a staging copy that breaks the contracts, naming the check, and merges nothing', async () => {
    const file = tmpDb();
    await loadInto(file, fakeLake(SET, 30));
    const before = viewRows(file);
    const bad = fakeLake(SET, 30, 1);
    const health = bad.get('analytics_subscription_health')!;
    const regionAt = health.columns.indexOf('region');
    bad.set('analytics_subscription_health', {
      ...health,
      rows: health.rows.map((r, i) => (i === 3 ? r.map((v, k) => (k === regionAt ? 'MARS' : v)) : r)),
      fingerprint: 'bad-region',
    });
    await expect(loadInto(file, bad)).rejects.toThrow(
      expect.objectContaining({ code: 'SERVING_CHECK_FAILED', message: expect.stringContaining('accepted_values:analytics_subscription_health.region') }),
    );
    const dup = fakeLake(SET, 30, 1);
    const kpi = dup.get('analytics_kpi_monthly')!;
    dup.set('analytics_kpi_monthly', { ...kpi, rows: [...kpi.rows, kpi.rows[0]!], fingerprint: 'dup' });
    await expect(loadInto(file, dup)).rejects.toThrow(
      expect.objectContaining({ code: 'SERVING_CHECK_FAILED', message: expect.stringContaining('unique:analytics_kpi_monthly.month') }),
    );
    expect(viewRows(file)).toStrictEqual(before);
  });

  it('names a lake mart that lacks a contract column, and a bad run date, before loading anything', async () => {
    const file = tmpDb();
    const lake = fakeLake(SET, 5);
    const kpi = lake.get('analytics_kpi_monthly')!;
    lake.set('analytics_kpi_monthly', { ...kpi, columns: kpi.columns.map((c) => (c === 'mrr' ? 'mrr_usd' : c)) });
    await expect(loadInto(file, lake)).rejects.toThrow(
      expect.objectContaining({ code: 'SERVING_COLUMN_MISSING', message: 'mart analytics_kpi_monthly has no column mrr in the lake' }),
    );
    await expect(loadInto(file, fakeLake(SET, 5), { runDate: '7 Feb' })).rejects.toThrow(expect.objectContaining({ code: 'SERVING_BAD_RUN_DATE' }));
  });

  it('converts a database of the earlier layout (marts as tables) and the demo writer produces the same views', async () => {
    const file = tmpDb();
    mkdirSync(dirname(file), { recursive: true });
    const lake = fakeLake(SET, 12);
    writeSqliteServing(file, SET, new Map([...lake].map(([k, v]) => [k, { columns: v.columns, rows: v.rows }])), [], '2026-02-07');
    const written = viewRows(file);
    const old = new Database(file);
    old.exec(`DROP VIEW "analytics_kpi_monthly"; CREATE TABLE "analytics_kpi_monthly" (x INTEGER)`);
    old.close();
    await loadInto(file, lake);
    expect(viewRows(file)).toStrictEqual(written);
  });

  it('never moves serving back in time: a load dated before the served marts is skipped, the merge and the publish refuse one', async () => {
    const file = tmpDb();
    await loadInto(file, fakeLake(SET, 30), { runDate: '2026-02-07' });
    const before = viewRows(file);
    const older = fakeLake(SET, 20, 1);
    // skipped before anything is staged: the served rows and the staging tables stay
    const skipped = await loadInto(file, older, { runDate: '2026-02-05' });
    expect(skipped).toStrictEqual({ runDate: '2026-02-05', loadId: '', marts: [], skipped: { servedAsOf: '2026-02-07' } });
    expect(viewRows(file)).toStrictEqual(before);
    const db = new Database(file, { readonly: true });
    expect(db.prepare(`SELECT count(*) AS n FROM "staging__analytics_subscription_health"`).get()).toStrictEqual({ n: 30 });
    expect(db.prepare(`SELECT DISTINCT as_of_batch FROM serving_marts`).all()).toStrictEqual([{ as_of_batch: '2026-02-07' }]);
    db.close();
    // a newer load merged between the check and the merge: the merge itself refuses, in its transaction
    const target = new SqliteTarget(file, SET);
    await target.prepare();
    try {
      expect(await target.servedAsOf()).toBe('2026-02-07');
      await expect(target.merge('2026-02-06', 'x')).rejects.toThrow(
        expect.objectContaining({
          code: 'SERVING_LOAD_OUTDATED',
          message: `${file}: the served marts are as of 2026-02-07; a load for 2026-02-06 would move them back in time. Nothing was merged.`,
        }),
      );
    } finally {
      await target.close();
    }
    expect(viewRows(file)).toStrictEqual(before);
    // the same date merges (re-loading the newest batch), and so does a later one
    expect((await loadInto(file, older, { runDate: '2026-02-07' })).marts.some((m) => m.updated > 0)).toBe(true);
    await loadInto(file, fakeLake(SET, 30), { runDate: '2026-02-08' });
    expect(viewRows(file)).toStrictEqual(before);
    // the demo's publish replaces the whole file: not with an older one
    const marts = new Map([...older].map(([k, v]) => [k, { columns: v.columns, rows: v.rows }]));
    expect(() => writeSqliteServing(file, SET, marts, [], '2026-02-07')).toThrow(
      expect.objectContaining({ code: 'SERVING_LOAD_OUTDATED', message: expect.stringContaining('the served marts are as of 2026-02-08') }),
    );
    expect(viewRows(file)).toStrictEqual(before);
    writeSqliteServing(file, SET, marts, [], '2026-02-08');
    expect(viewRows(file)).not.toStrictEqual(before);
  });

  it('stops at a safe point when aborted (between staging batches): the views stay, the same load resumes', async () => {
    const file = tmpDb();
    await loadInto(file, fakeLake(SET, 30));
    const before = viewRows(file);
    const next = fakeLake(SET, 40, 2);
    const ctl = new AbortController();
    const reason = new Error('interrupted (test)');
    let staged = 0;
    const done = new Map<string, number>();
    const target = new SqliteTarget(file, SET);
    await expect(
      loadServing(SET, sourceOf(next), target, {
        runDate: '2026-02-07',
        batchSize: 7,
        signal: ctl.signal,
        onProgress: (e) => {
          if (e.phase !== 'stage' || e.done === 0) return;
          done.set(e.mart, e.done);
          if (++staged === 8) ctl.abort(reason);
        },
      }),
    ).rejects.toBe(reason);
    await target.close();
    expect(viewRows(file)).toStrictEqual(before);
    const r = await loadInto(file, next);
    // the 8 batches staged before the abort are not staged again
    expect(r.marts.reduce((a, m) => a + m.stagedNow, 0)).toBe(r.marts.reduce((a, m) => a + m.staged, 0) - [...done.values()].reduce((a, n) => a + n, 0));
    const fresh = tmpDb();
    await loadInto(fresh, next);
    expect(viewRows(file)).toStrictEqual(viewRows(fresh));
  });
});

describe('serving tests (dbt style) on SQLite', () => {
  it('cover every mart grain: not_null and unique, accepted values where enforced, relationships where declared', () => {
    const ids = servingTests(SET).map((t) => t.id);
    for (const m of SET.marts) {
      for (const g of m.grain) expect(ids).toContain(`not_null:${m.mart}.${g}`);
      expect(ids).toContain(`unique:${m.mart}.${m.grain.join('+')}`);
    }
    expect(ids).toContain('accepted_values:analytics_subscription_health.region');
    expect(ids).toContain('relationships:analytics_subscription_health.month');
  });

  it('pass on a good load and catch a relationship and a value the contracts forbid', async () => {
    const file = tmpDb();
    await loadInto(file, fakeLake(SET, 30));
    const target = new SqliteTarget(file, SET);
    await target.prepare();
    try {
      const ok = await target.runTests(servingTests(SET));
      expect(ok.filter((r) => r.failures > 0)).toStrictEqual([]);
      const db = new Database(file);
      db.exec(
        `UPDATE "gold__analytics_subscription_health" SET region = 'MARS', month = '1999-01-01' WHERE (month, plan_tier, region) = (SELECT month, plan_tier, region FROM "gold__analytics_subscription_health" ORDER BY 1, 2, 3 LIMIT 1)`,
      );
      db.close();
      const bad = (await target.runTests(servingTests(SET))).filter((r) => r.failures > 0).map((r) => [r.id, r.sample]);
      expect(bad).toStrictEqual([
        ['accepted_values:analytics_subscription_health.region', [['MARS']]],
        ['relationships:analytics_subscription_health.month', [['1999-01-01']]],
      ]);
    } finally {
      await target.close();
    }
  });
});
