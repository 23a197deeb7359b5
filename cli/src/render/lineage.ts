/**
 * `contracts lineage <node-id>`: what feeds a column and what it feeds, down to the
 * dashboard cards, from the lineage graph of @streampulse/contracts.
 */
import { StreamPulseError, closest, type LineageGraph, type LineageLayer, type LineageNode } from '@streampulse/contracts';
import { count, listOf, table, type Style } from '../output.js';

/** Layers in flow order: how lineage lists are grouped and sorted. */
export const LAYERS: readonly LineageLayer[] = ['source', 'silver', 'gold', 'mart', 'card'];

const layerRank = (id: string): number => {
  const i = LAYERS.indexOf(id.slice(0, id.indexOf(':')) as LineageLayer);
  return i === -1 ? LAYERS.length : i;
};

/** Sorts node ids by layer (flow order), then by id. */
export function byFlow(ids: readonly string[]): string[] {
  return [...ids].sort((a, b) => layerRank(a) - layerRank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The node a user means. Takes a full id (`silver:users.email`); a bare
 * `table.column` is accepted when exactly one layer has it.
 */
export function resolveNode(graph: LineageGraph, given: string): LineageNode {
  const exact = graph.node(given);
  if (exact) return exact;
  const ids = [...graph.nodes.keys()];
  if (!given.includes(':')) {
    const matches = byFlow(ids.filter((id) => id.slice(id.indexOf(':') + 1) === given));
    const only = matches.length === 1 ? graph.node(matches[0]!) : undefined;
    if (only) return only;
    if (matches.length > 1)
      throw new StreamPulseError('CLI_AMBIGUOUS_NODE', `"${given}" exists in ${count(matches.length, 'layer')}: ${matches.join(', ')}`, {
        remedy: `prefix the layer, e.g. ${matches[0]}`,
      });
  }
  const guess = closest(given, ids);
  throw new StreamPulseError('CLI_UNKNOWN_NODE', `no lineage node "${given}"${guess === undefined ? '' : ` — did you mean "${guess}"?`}`, {
    remedy:
      'name a node as <layer>:<table>.<column> with layer source, silver, gold or mart (cards: card:<dashboard>.<card_id>); ' +
      `for example ${listOf(byFlow(ids).slice(0, 3), 3)}`,
  });
}

export interface LineageReport {
  node: LineageNode;
  /** Direct inputs, with how each one is used (expr, join, filter, ingest, pseudonymise, card). */
  inputs: { from: string; kind: string }[];
  /** Direct consumers. */
  consumers: { to: string; kind: string }[];
  /** Everything that feeds the node, transitively (flow order). */
  upstream: string[];
  /** Everything that depends on it, transitively, cards included (flow order). */
  downstream: string[];
  /** The dashboard cards it ends up on. */
  cards: string[];
}

export function lineageReport(graph: LineageGraph, node: LineageNode): LineageReport {
  return {
    node,
    inputs: graph
      .parents(node.id)
      .map((e) => ({ from: e.from, kind: e.kind }))
      .sort((a, b) => layerRank(a.from) - layerRank(b.from) || (a.from < b.from ? -1 : a.from > b.from ? 1 : a.kind < b.kind ? -1 : 1)),
    consumers: graph
      .children(node.id)
      .map((e) => ({ to: e.to, kind: e.kind }))
      .sort((a, b) => layerRank(a.to) - layerRank(b.to) || (a.to < b.to ? -1 : a.to > b.to ? 1 : a.kind < b.kind ? -1 : 1)),
    upstream: byFlow(graph.upstream(node.id)),
    downstream: byFlow(graph.downstream(node.id)),
    cards: byFlow(graph.cardsFed(node.id)),
  };
}

function grouped(ids: readonly string[], style: Style): string[] {
  if (ids.length === 0) return ['  (none)'];
  const lines: string[] = [];
  for (const layer of LAYERS) {
    const inLayer = ids.filter((id) => id.startsWith(`${layer}:`));
    if (inLayer.length > 0) lines.push(`  ${style.dim(layer.padEnd(6))}  ${inLayer.map((id) => id.slice(layer.length + 1)).join(', ')}`);
  }
  return lines;
}

export function renderLineage(r: LineageReport, style: Style): string[] {
  const n = r.node;
  const columns = r.downstream.filter((id) => !id.startsWith('card:'));
  return [
    `${style.dim('lineage of')} ${style.bold(style.cyan(n.id))}  ${style.dim(`(layer ${n.layer}, table ${n.table}, ${n.layer === 'card' ? 'card' : 'column'} ${n.column})`)}`,
    '',
    style.bold(`direct inputs (${r.inputs.length})`),
    ...(r.inputs.length === 0
      ? [n.layer === 'source' ? '  (none: a source column, read from landing)' : '  (none)']
      : table(
          ['NODE', 'USED AS'],
          r.inputs.map((e) => [e.from, e.kind]),
          style,
          '  ',
        )),
    '',
    style.bold(`direct consumers (${r.consumers.length})`),
    ...(r.consumers.length === 0
      ? ['  (none)']
      : table(
          ['NODE', 'USED AS'],
          r.consumers.map((e) => [e.to, e.kind]),
          style,
          '  ',
        )),
    '',
    style.bold(`upstream (${r.upstream.length})`),
    ...grouped(r.upstream, style),
    '',
    style.bold(`downstream columns (${columns.length})`),
    ...grouped(columns, style),
    '',
    style.bold(`cards fed (${r.cards.length})`),
    ...(r.cards.length === 0 ? ['  (none)'] : r.cards.map((c) => `  ${c}`)),
  ];
}
