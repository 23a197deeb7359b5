/**
 * The dashboard model and the card SQL compiler: each card's SQLite query runs on a
 * real SQLite database holding hand-made mart rows, and returns the figures worked out
 * by hand here; the T-SQL rendering is the same query in Azure SQL's syntax.
 */
import { describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadContractsOrThrow, loadContracts } from '@streampulse/contracts';
import { cardSql, dashboardModel, type ResolvedCard } from '@streampulse/dashboards';
import { findWorkspaceRoot } from '@streampulse/contracts';

const root = findWorkspaceRoot() ?? process.cwd();
const contractsDir = join(root, 'contracts', 'streampulse');
const set = loadContractsOrThrow(contractsDir);
const model = dashboardModel(set);
const card = (id: string): ResolvedCard => {
  const c = model.cards.find((x) => x.card.id === id);
  if (c === undefined) throw new Error(`no card ${id}`);
  return c;
};

/** An in-memory SQLite database with the served views as plain tables of the given rows. */
function db(tables: Record<string, Record<string, unknown>[]>): Database.Database {
  const d = new Database(':memory:');
  for (const [name, rows] of Object.entries(tables)) {
    const cols = Object.keys(rows[0] ?? {});
    d.exec(`CREATE TABLE "${name}" (${cols.map((c) => `"${c}"`).join(', ')})`);
    const ins = d.prepare(`INSERT INTO "${name}" VALUES (${cols.map(() => '?').join(', ')})`);
    for (const r of rows) ins.run(...cols.map((c) => r[c] as never));
  }
  return d;
}

describe('dashboard model', () => {
  it('resolves every card of the shipped dashboard in layout order', () => {
    expect(model.cards).toHaveLength(10);
    const order = model.cards.map((c) => [c.card.layout.row, c.card.layout.col]);
    expect(order).toEqual([...order].sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0) || (a[1] ?? 0) - (b[1] ?? 0)));
    expect(model.title).toBe('Growth & Retention Command Center');
  });

  it("takes each measure's label and definition from the metric catalogue", () => {
    const mrr = card('mrr_this_month').measures[0];
    const metric = set.metrics.metrics.find((m) => m.name === 'mrr');
    expect(mrr?.label).toBe(metric?.label);
    expect(mrr?.definition).toBe(metric?.definition.trim().replace(/\s+/g, ' '));
    expect(mrr?.format).toBe('currency');
    expect(card('churn_rate_this_month').measures[0]?.format).toBe('percent');
    expect(card('active_users_this_month').measures[0]?.format).toBe('integer');
  });

  it('number cards trend on the column of their period filter', () => {
    for (const c of model.cards.filter((x) => x.card.visualization === 'number')) {
      expect(c.trendColumn).toBe('month');
      expect(c.dimensions.map((d) => d.name)).toEqual(['month']);
    }
    expect(card('mrr_and_subscribers_trend').trendColumn).toBeUndefined();
  });

  it('binds the date range to each card and the plan filter only where the mart has plan_tier', () => {
    for (const c of model.cards) expect(c.filters.find((f) => f.filter === 'date_range')?.column).toBeDefined();
    expect(model.cards.filter((c) => c.filters.some((f) => f.filter === 'plan')).map((c) => c.card.id)).toEqual(['subscriber_flow_by_tier']);
    expect(card('daily_engagement').filters.find((f) => f.filter === 'date_range')?.column).toBe('activity_date');
    expect(card('cohort_retention_grid').filters.find((f) => f.filter === 'date_range')?.column).toBe('cohort_month');
  });

  it('a dashboard filter on a column no card has is a contract error naming the file and field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-dash-'));
    try {
      cpSync(contractsDir, dir, { recursive: true });
      const file = join(dir, 'dashboard.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('column: plan_tier', 'column: plan_teir'));
      const r = loadContracts(dir);
      expect(r.contracts).toBeUndefined();
      const issue = r.issues.find((i) => i.code === 'CONTRACT_UNKNOWN_COLUMN');
      expect(issue?.path).toMatch(/filters.*1.*column/);
      expect(issue?.message).toContain('plan_teir');
      expect(issue?.message).toContain('plan_tier');
      expect(issue?.file).toContain('dashboard.yaml');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('card SQL on SQLite (hand-made rows, hand-worked figures)', () => {
  it('a number card reads the newest month and the one before, counting back from the data, not the clock', () => {
    const d = db({
      analytics_kpi_monthly: [
        { month: '2025-11-01', mrr: 10 },
        { month: '2025-12-01', mrr: 20 },
        { month: '2026-01-01', mrr: 30.5 },
      ],
    });
    expect(d.prepare(cardSql(card('mrr_this_month'), 'sqlite')).all()).toEqual([
      { month: '2025-12-01', mrr: 20 },
      { month: '2026-01-01', mrr: 30.5 },
    ]);
  });

  it('rolls regions up per month and tier, summing additive counts', () => {
    const d = db({
      analytics_subscription_health: [
        { month: '2026-01-01', plan_tier: 'basic', region: 'eu', new_subscribers: 3, churned_subscribers: 1 },
        { month: '2026-01-01', plan_tier: 'basic', region: 'us', new_subscribers: 4, churned_subscribers: 0 },
        { month: '2026-01-01', plan_tier: 'premium', region: 'eu', new_subscribers: 2, churned_subscribers: 2 },
        // 13 months before the newest: outside "last 12 months"
        { month: '2024-12-01', plan_tier: 'basic', region: 'eu', new_subscribers: 99, churned_subscribers: 99 },
      ],
    });
    expect(d.prepare(cardSql(card('subscriber_flow_by_tier'), 'sqlite')).all()).toEqual([
      { month: '2026-01-01', plan_tier: 'basic', new_subscribers: 7, churned_subscribers: 1 },
      { month: '2026-01-01', plan_tier: 'premium', new_subscribers: 2, churned_subscribers: 2 },
    ]);
  });

  it('sums the funnel over three months and every channel (journeys counted once: additive)', () => {
    // the card's steps are nested: visits, signups, trials, paid after trial (direct purchases are no step)
    const row = (month: string, channel: string, n: number) => ({ month, channel, visits: n, signups: n - 1, trials: n - 2, paid_after_trial: n - 3 });
    const d = db({
      analytics_funnel_conversion: [
        row('2026-01-01', 'organic', 10),
        row('2025-12-01', 'paid_search', 5),
        row('2025-11-01', 'organic', 4),
        row('2025-10-01', 'organic', 100),
      ],
    });
    expect(d.prepare(cardSql(card('acquisition_funnel'), 'sqlite')).all()).toEqual([{ visits: 19, signups: 16, trials: 13, paid_after_trial: 10 }]);
  });

  it('shows a ratio only where one mart row makes the group, never a sum of ratios', () => {
    const title = (content_id: string, display_title: string, watch_hours: number, share: number) => ({
      month: '2026-01-01',
      content_id,
      display_title,
      content_type: 'movie',
      genre: 'drama',
      is_original: 0,
      watch_hours,
      watch_time_share: share,
      unique_viewers: 3,
      plays: 4,
      completion_rate: 0.5,
    });
    const d = db({
      analytics_content_portfolio: [
        title('c1', 'Alpha', 5, 0.5),
        title('c2', 'Beta', 2, 0.2),
        title('c3', 'Beta', 3, 0.3),
        { ...title('c4', 'Old', 50, 1), month: '2025-12-01' },
      ],
    });
    expect(d.prepare(cardSql(card('top_titles_this_month'), 'sqlite')).all()).toEqual([
      {
        display_title: 'Alpha',
        content_type: 'movie',
        genre: 'drama',
        is_original: 0,
        watch_hours: 5,
        watch_time_share: 0.5,
        unique_viewers: 3,
        plays: 4,
        completion_rate: 0.5,
      },
      {
        display_title: 'Beta',
        content_type: 'movie',
        genre: 'drama',
        is_original: 0,
        watch_hours: 5,
        watch_time_share: null,
        unique_viewers: null,
        plays: 8,
        completion_rate: null,
      },
    ]);
  });

  it('counts days back from the newest served day', () => {
    const days = Array.from({ length: 100 }, (_, i) => ({
      activity_date: new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10),
      active_users: i,
      watch_hours: i / 2,
    }));
    const rows = db({ analytics_engagement_daily: days })
      .prepare(cardSql(card('daily_engagement'), 'sqlite'))
      .all() as { activity_date: string }[];
    expect(rows).toHaveLength(90);
    expect(rows[0]?.activity_date).toBe('2026-01-11');
    expect(rows.at(-1)?.activity_date).toBe('2026-04-10');
  });
});

describe('card SQL on Azure SQL (T-SQL rendering; syntax checked against the documented forms)', () => {
  const all = model.cards.map((c) => cardSql(c, 'tsql', { templateTags: true }));

  it('reads only the served [serving].[analytics_*] views', () => {
    for (const sql of all) {
      const views = [...sql.matchAll(/FROM ([^\s)]+)/g)].map((m) => m[1]);
      expect(views.length).toBeGreaterThan(0);
      for (const v of views) expect(v).toMatch(/^\[serving\]\.\[analytics_[a-z0-9_]+\]$/);
    }
  });

  it('limits with TOP (n) (T-SQL has no LIMIT) and counts months from DATEFROMPARTS of the newest month', () => {
    const top = cardSql(card('top_titles_this_month'), 'tsql');
    expect(top.startsWith('SELECT TOP (20)\n')).toBe(true);
    expect(top).not.toMatch(/\bLIMIT\b/);
    expect(cardSql(card('mrr_and_subscribers_trend'), 'tsql')).toContain(
      '[month] >= DATEADD(month, -11, DATEFROMPARTS(YEAR((SELECT MAX([month]) FROM [serving].[analytics_kpi_monthly])), MONTH((SELECT MAX([month]) FROM [serving].[analytics_kpi_monthly])), 1))',
    );
  });

  it('gives Metabase one optional field-filter clause per bound dashboard filter', () => {
    const flow = cardSql(card('subscriber_flow_by_tier'), 'tsql', { templateTags: true });
    expect(flow).toContain('  [[AND {{date_range}}]]\n  [[AND {{plan}}]]');
    expect(cardSql(card('subscriber_flow_by_tier'), 'tsql')).not.toContain('{{');
  });

  it('is deterministic', () => {
    expect(model.cards.map((c) => cardSql(c, 'tsql', { templateTags: true }))).toEqual(all);
  });
});
