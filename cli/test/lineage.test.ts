import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { buildLineage, loadContractsOrThrow } from '@streampulse/contracts';
import { FIXTURES, VALID, run } from './run.js';

const lineage = (node: string, ...extra: string[]) => run(['contracts', 'lineage', node, '--dir', VALID, ...extra]);

interface Report {
  ok: boolean;
  node: { id: string; layer: string; table: string; column: string };
  inputs: { from: string; kind: string }[];
  consumers: { to: string; kind: string }[];
  upstream: string[];
  downstream: string[];
  cards: string[];
}

describe('streampulse contracts lineage <node-id>', () => {
  it('a source column: consumers, downstream grouped by layer in flow order, and the cards it feeds', async () => {
    const r = await lineage('source:playbacks.completion_pct');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out.split('\n')[0]).toBe('lineage of source:playbacks.completion_pct  (layer source, table playbacks, column completion_pct)');
    expect(r.out).toContain('(none: a source column, read from landing)');
    expect(r.out).toMatch(/^ {2}silver:playbacks\.completion_pct +ingest$/m);
    const silver = r.out.indexOf('  silver  playbacks.completion_pct');
    const gold = r.out.indexOf('  gold    fact_playback.is_completed');
    const mart = r.out.indexOf('  mart    analytics_watch_daily.completed_playbacks, analytics_watch_daily.completion_rate');
    expect(silver).toBeGreaterThan(0);
    expect(gold).toBeGreaterThan(silver);
    expect(mart).toBeGreaterThan(gold);
    expect(r.out).toMatch(/cards fed \(1\)\n {2}card:viewing_board\.completion_by_country\n/);
  });

  it('a pseudonymised PII column is marked, and goes no further than silver here', async () => {
    const r = await lineage('source:subscribers.email');
    expect(r.out).toMatch(/^ {2}silver:subscribers\.email +pseudonymise$/m);
    expect(r.out).toMatch(/cards fed \(0\)\n {2}\(none\)/);
  });

  it('a mart measure: direct inputs with how they are used, and everything upstream', async () => {
    const r = await lineage('mart:analytics_watch_daily.completion_rate');
    expect(r.out).toMatch(/^ {2}gold:fact_playback\.is_completed +expr$/m);
    expect(r.out).toMatch(/^ {2}gold:fact_playback\.subscriber_id +join$/m);
    expect(r.out).toMatch(/^ {2}source +.*playbacks\.completion_pct/m);
    expect(r.out).toMatch(/^ {2}card:viewing_board\.completion_by_country +card$/m);
  });

  it('--json agrees with the lineage graph of @streampulse/contracts', async () => {
    const r = await lineage('card:viewing_board.viewers_trend', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as Report;
    expect(Object.keys(doc)).toEqual(['cards', 'consumers', 'downstream', 'inputs', 'node', 'ok', 'upstream']);
    const graph = buildLineage(loadContractsOrThrow(join(FIXTURES, 'valid')));
    expect(doc.node).toEqual({ column: 'viewers_trend', id: 'card:viewing_board.viewers_trend', layer: 'card', table: 'viewing_board' });
    expect([...doc.upstream].sort()).toEqual(graph.upstream('card:viewing_board.viewers_trend'));
    expect(doc.upstream[0]?.startsWith('source:')).toBe(true); // flow order: source first
    expect(doc.upstream.at(-1)?.startsWith('mart:')).toBe(true);
    expect(doc.inputs).toEqual([
      { from: 'mart:analytics_watch_daily.play_date', kind: 'card' },
      { from: 'mart:analytics_watch_daily.viewers', kind: 'card' },
    ]);
    expect(doc.downstream).toEqual([]);
    const src = JSON.parse((await lineage('source:playbacks.subscriber_id', '--json')).out) as Report;
    expect([...src.downstream].sort()).toEqual(graph.downstream('source:playbacks.subscriber_id'));
    expect(src.cards).toEqual(graph.cardsFed('source:playbacks.subscriber_id'));
  });

  it('a bare table.column is accepted when only one layer has it; ambiguous otherwise', async () => {
    const one = await lineage('dim_subscriber.cohort_month');
    expect(one.code).toBe(0);
    expect(one.out.split('\n')[0]).toContain('lineage of gold:dim_subscriber.cohort_month');
    const two = await lineage('subscribers.email');
    expect(two.code).toBe(1);
    expect(two.err).toContain('CLI_AMBIGUOUS_NODE: "subscribers.email" exists in 2 layers: source:subscribers.email, silver:subscribers.email');
  });

  it('an unknown node: a "did you mean" and how nodes are named; exit 1', async () => {
    const r = await lineage('silver:subscribers.emial');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('CLI_UNKNOWN_NODE: no lineage node "silver:subscribers.emial" — did you mean "silver:subscribers.email"?');
    expect(r.err).toContain('<layer>:<table>.<column>');
    const dropped = await lineage('silver:subscribers.full_name'); // PII policy drop: never reaches silver
    expect(dropped.code).toBe(1);
  });
});
