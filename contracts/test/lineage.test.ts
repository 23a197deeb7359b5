import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { buildLineage, loadContractsOrThrow } from '@streampulse/contracts';

const VALID = join(process.cwd(), 'contracts', 'test', 'fixtures', 'valid');

describe('lineage graph (source → silver → gold → mart → card)', () => {
  const graph = buildLineage(loadContractsOrThrow(VALID));

  it('follows a source column through every layer to the card', () => {
    expect(graph.downstream('source:payments.amount')).toEqual([
      'card:revenue_board.revenue_trend',
      'gold:fact_payments.amount',
      'mart:analytics_revenue.revenue',
      'silver:payments.amount',
    ]);
    expect(graph.cardsFed('source:payments.status')).toEqual(['card:revenue_board.revenue_trend']);
  });

  it('marks pseudonymisation, and a dropped PII column reaches nothing past the source', () => {
    expect(graph.parents('silver:users.email')).toEqual([{ from: 'source:users.email', to: 'silver:users.email', kind: 'pseudonymise' }]);
    expect(graph.node('silver:users.full_name')).toBeUndefined();
    expect(graph.downstream('source:users.full_name')).toEqual([]);
  });

  it('records join and filter inputs, and SCD2 validity columns derive from ordering and tracked columns', () => {
    const regionInputs = graph.parents('mart:analytics_revenue.region');
    expect(regionInputs).toContainEqual({ from: 'gold:dim_user.region', to: 'mart:analytics_revenue.region', kind: 'expr' });
    expect(regionInputs).toContainEqual({ from: 'gold:fact_payments.user_id', to: 'mart:analytics_revenue.region', kind: 'join' });
    expect(
      graph
        .parents('gold:dim_user.user_id')
        .map((e) => `${e.from} ${e.kind}`)
        .sort(),
    ).toEqual(['silver:users._is_current filter', 'silver:users.user_id expr']);
    expect(graph.upstream('silver:users._is_current')).toEqual(['source:users.region', 'source:users.updated_at']);
  });

  it('serialises deterministically', () => {
    const again = buildLineage(loadContractsOrThrow(VALID));
    expect(JSON.stringify(again.toJSON())).toBe(JSON.stringify(graph.toJSON()));
    expect(graph.toJSON().nodes.map((n) => n.id)).toEqual([...graph.nodes.keys()].sort());
  });
});
