import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { buildLineage, loadContracts } from '@streampulse/contracts';

// The StreamPulse contracts that ship in contracts/streampulse/ (contracts/README.md).
const SHIPPED = join(process.cwd(), 'contracts', 'streampulse');

describe('shipped StreamPulse contracts', () => {
  const result = loadContracts(SHIPPED);

  it('load with zero issues', () => {
    expect(result.issues).toEqual([]);
  });

  const set = result.contracts!;

  it('declare the source datasets of a subscription streaming business', () => {
    const names = set.datasets.map((d) => d.dataset);
    for (const n of ['users', 'plans', 'subscription_events', 'payments', 'playback_sessions', 'watch_events', 'content_catalog', 'funnel_events'])
      expect(names).toContain(n);
  });

  it('declare the gold model with dim_date, dim_user, dim_plan, dim_content and facts', () => {
    const names = set.models.map((m) => m.model);
    for (const n of ['dim_date', 'dim_user', 'dim_plan', 'dim_content']) expect(names).toContain(n);
    expect(names.filter((n) => n.startsWith('fact_')).length).toBeGreaterThanOrEqual(4);
  });

  it('declare exactly the seven serving marts', () => {
    expect(set.marts.map((m) => m.mart)).toEqual([
      'analytics_cohort_retention',
      'analytics_content_portfolio',
      'analytics_engagement_daily',
      'analytics_funnel_conversion',
      'analytics_kpi_monthly',
      'analytics_payment_quality',
      'analytics_subscription_health',
    ]);
  });

  it('declare the Growth & Retention Command Center with ten cards, each on a real mart', () => {
    expect(set.dashboards).toHaveLength(1);
    const board = set.dashboards[0]!;
    expect(board.title).toBe('Growth & Retention Command Center');
    expect(board.cards).toHaveLength(10);
    const marts = new Set(set.marts.map((m) => m.mart));
    for (const card of board.cards) expect(marts.has(card.mart)).toBe(true);
  });

  it('trace payments.amount_usd from the source column to a dashboard card', () => {
    const graph = buildLineage(set);
    const down = graph.downstream('source:payments.amount_usd');
    expect(down).toContain('silver:payments.amount_usd');
    expect(down.some((x) => x.startsWith('gold:'))).toBe(true);
    expect(down.some((x) => x.startsWith('mart:analytics_kpi_monthly.'))).toBe(true);
    expect(graph.cardsFed('source:payments.status')).toContain('card:growth_retention_command_center.payment_failure_rate_by_method');
  });

  it('feed every card from at least one source column', () => {
    const graph = buildLineage(set);
    const fed = new Set<string>();
    for (const d of set.datasets) for (const c of d.columns) for (const card of graph.cardsFed(`source:${d.dataset}.${c.name}`)) fed.add(card);
    expect([...fed].sort()).toEqual(set.dashboards[0]!.cards.map((c) => `card:growth_retention_command_center.${c.id}`).sort());
  });
});
