/**
 * `contracts lineage [node] --format mermaid|dot|json`: the lineage graph (the whole graph,
 * or one node with everything upstream and downstream of it) as a Mermaid flowchart, a
 * Graphviz DOT digraph or JSON. Pure functions of the graph: nodes grouped by layer in flow
 * order, sorted by id, edges sorted by (from, to, kind) — the same contracts always give
 * the same text.
 */
import type { EdgeKind, LineageEdge, LineageGraph, LineageLayer, LineageNode } from '@streampulse/contracts';
import { LAYERS } from './lineage.js';

export const LINEAGE_FORMATS = ['text', 'mermaid', 'dot', 'json'] as const;
export type LineageFormat = (typeof LINEAGE_FORMATS)[number];

export interface LineageView {
  /** The node the view is centred on; undefined: the whole graph. */
  readonly focus?: string | undefined;
  readonly nodes: readonly LineageNode[];
  readonly edges: readonly LineageEdge[];
}

/** The view of the whole graph (no focus) or of one node's upstream and downstream closure. */
export function lineageView(graph: LineageGraph, focus?: string): LineageView {
  const { nodes, edges } = graph.subgraph(focus);
  return { ...(focus === undefined ? {} : { focus }), nodes, edges };
}

const byLayer = (nodes: readonly LineageNode[]): [LineageLayer, LineageNode[]][] =>
  LAYERS.map((layer) => [layer, nodes.filter((n) => n.layer === layer)] as [LineageLayer, LineageNode[]]).filter(([, ns]) => ns.length > 0);

/** JSON: `{ focus?, nodes, edges }`, both sorted. */
export function lineageJson(v: LineageView): { focus?: string; nodes: LineageNode[]; edges: LineageEdge[] } {
  return {
    ...(v.focus === undefined ? {} : { focus: v.focus }),
    nodes: v.nodes.map((n) => ({ id: n.id, layer: n.layer, table: n.table, column: n.column })),
    edges: v.edges.map((e) => ({ from: e.from, to: e.to, kind: e.kind })),
  };
}

/**
 * Mermaid ids: letters, digits and `_` only (a lineage id holds `:` and `.`, which Mermaid
 * reads as syntax). Every other character becomes `_`; a clash (e.g. `a_b.c` and `a.b_c`)
 * gets a numeric suffix, assigned in sorted order, so the mapping is deterministic. The
 * layer prefix keeps an id from ever being a Mermaid keyword (`end`, `graph`, …).
 */
export function mermaidIds(ids: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const id of [...ids].sort()) {
    const base = id.replace(/[^A-Za-z0-9_]/g, '_');
    let safe = base;
    for (let i = 2; used.has(safe); i++) safe = `${base}_${i}`;
    used.add(safe);
    out.set(id, safe);
  }
  return out;
}

/** Text inside a Mermaid `["…"]` label: quotes and `#` as entity codes, nothing else special. */
const mermaidLabel = (s: string): string => s.replace(/#/g, '#35;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');

const MERMAID_ARROW: Readonly<Record<EdgeKind, string>> = {
  ingest: '-->',
  pseudonymise: '==>',
  expr: '-->',
  join: '-.->',
  filter: '-.->',
  card: '-->',
};

/** A Mermaid flowchart (left to right), one subgraph per layer; edges labelled with their kind. */
export function lineageMermaid(v: LineageView): string {
  const ids = mermaidIds(v.nodes.map((n) => n.id));
  const lines = ['flowchart LR'];
  for (const [layer, nodes] of byLayer(v.nodes)) {
    lines.push(`  subgraph layer_${layer}["${layer}"]`, '    direction TB');
    for (const n of nodes) lines.push(`    ${ids.get(n.id)}["${mermaidLabel(n.id)}"]`);
    lines.push('  end');
  }
  for (const e of v.edges) lines.push(`  ${ids.get(e.from)} ${MERMAID_ARROW[e.kind]}|${e.kind}| ${ids.get(e.to)}`);
  lines.push('  classDef pii stroke:#c0392b,stroke-width:2px');
  lines.push('  classDef focus fill:#fff3b0,stroke:#333,stroke-width:3px');
  const pii = [...new Set(v.edges.filter((e) => e.kind === 'pseudonymise').flatMap((e) => [e.from, e.to]))].sort();
  if (pii.length > 0) lines.push(`  class ${pii.map((id) => ids.get(id)).join(',')} pii`);
  if (v.focus !== undefined && ids.has(v.focus)) lines.push(`  class ${ids.get(v.focus)} focus`);
  return `${lines.join('\n')}\n`;
}

/** A DOT double-quoted string: backslash and quote escaped, newlines as `\n`. */
export const dotString = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;

const DOT_EDGE_STYLE: Readonly<Record<EdgeKind, string>> = {
  ingest: '',
  pseudonymise: ', color="#c0392b", penwidth=2',
  expr: '',
  join: ', style=dashed',
  filter: ', style=dotted',
  card: '',
};

/** A Graphviz digraph (left to right), one cluster per layer; every id quoted. */
export function lineageDot(v: LineageView): string {
  const lines = ['digraph lineage {', '  rankdir=LR;', '  node [shape=box, fontname="Helvetica"];', '  edge [fontname="Helvetica", fontsize=10];'];
  for (const [layer, nodes] of byLayer(v.nodes)) {
    lines.push(`  subgraph ${dotString(`cluster_${layer}`)} {`, `    label=${dotString(layer)};`);
    for (const n of nodes) lines.push(`    ${dotString(n.id)}${n.id === v.focus ? ' [style="filled,bold", fillcolor="#fff3b0"]' : ''};`);
    lines.push('  }');
  }
  for (const e of v.edges) lines.push(`  ${dotString(e.from)} -> ${dotString(e.to)} [label=${dotString(e.kind)}${DOT_EDGE_STYLE[e.kind]}];`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** Plain text for the whole graph: node counts per layer, then every edge. */
export function lineageText(v: LineageView): string[] {
  const counts = byLayer(v.nodes).map(([layer, ns]) => `${layer} ${ns.length}`);
  const width = Math.max(0, ...v.edges.map((e) => e.from.length));
  return [
    `lineage graph: ${v.nodes.length} nodes (${counts.join(', ')}), ${v.edges.length} edges`,
    '',
    ...v.edges.map((e) => `  ${e.from.padEnd(width)}  ──${e.kind}──►  ${e.to}`),
  ];
}
