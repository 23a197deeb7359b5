import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildLineage, LineageGraph, loadContractsOrThrow, type LineageEdge, type LineageNode } from '@streampulse/contracts';
import { lineageDot, lineageJson, lineageMermaid, lineageView, mermaidIds } from '../src/render/lineage-graph.js';
import { CLI_DIR, FIXTURES, ROOT, VALID, run } from './run.js';

/**
 * Lays a DOT text out with real Graphviz (the WebAssembly build, @hpcc-js/wasm-graphviz; ESM
 * only, so in a child node process) in its `plain` output format: a syntax error fails, and
 * the node and edge lines say what Graphviz understood.
 */
function graphviz(dot: string): { nodes: string[]; edges: [string, string][] } {
  const script =
    "import { Graphviz } from '@hpcc-js/wasm-graphviz'; const g = await Graphviz.load(); let s = ''; for await (const c of process.stdin) s += c; process.stdout.write(g.layout(s, 'plain', 'dot'));";
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: CLI_DIR, input: dot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`graphviz rejected the DOT: ${r.stderr}`);
  // plain: `node <name> x y w h <label> …` / `edge <tail> <head> n x1 y1 …`; names quoted when not plain ids
  const tokens = (line: string): string[] => [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
  const lines = r.stdout.split('\n').map(tokens);
  return {
    nodes: lines.filter((t) => t[0] === 'node').map((t) => t[1]!),
    edges: lines.filter((t) => t[0] === 'edge').map((t) => [t[1]!, t[2]!] as [string, string]),
  };
}

/**
 * Mermaid has no parser that runs without a browser DOM here (`mermaid` needs one;
 * `@mermaid-js/parser` covers other diagram types, not flowcharts), so here the flowchart is
 * checked against the flowchart grammar's shapes we emit (Mermaid itself parses and draws
 * it in chromium: tests/test/lineage-mermaid-chromium.test.ts): the header, subgraph blocks,
 * `id["label"]` nodes, `a -->|kind| b` edges with ids of letters, digits and `_`, and
 * every edge's ends declared.
 */
function checkMermaid(text: string): { nodes: Map<string, string>; edges: [string, string, string][] } {
  const lines = text.trimEnd().split('\n');
  expect(lines[0]).toBe('flowchart LR');
  const nodes = new Map<string, string>();
  const edges: [string, string, string][] = [];
  let depth = 0;
  for (const line of lines.slice(1)) {
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^ {2}subgraph layer_[a-z]+\["[a-z]+"\]$/))) depth++;
    else if (line === '    direction TB') expect(depth).toBe(1);
    else if (line === '  end') depth--;
    else if ((m = line.match(/^ {4}([A-Za-z0-9_]+)\["([^"]+)"\]$/))) nodes.set(m[1]!, m[2]!);
    else if ((m = line.match(/^ {2}([A-Za-z0-9_]+) (-->|==>|-\.->)\|([a-z]+)\| ([A-Za-z0-9_]+)$/))) edges.push([m[1]!, m[4]!, m[3]!]);
    else expect(line).toMatch(/^ {2}(classDef [a-z]+ [^;]+|class [A-Za-z0-9_,]+ (pii|focus))$/);
  }
  expect(depth).toBe(0);
  for (const [a, b] of edges) {
    expect(nodes.has(a)).toBe(true);
    expect(nodes.has(b)).toBe(true);
  }
  return { nodes, edges };
}

// a small graph: a pseudonymised key, a join, a card
const N = (layer: LineageNode['layer'], table: string, column: string): LineageNode => ({ id: `${layer}:${table}.${column}`, layer, table, column });
const SMALL_NODES = [
  N('source', 'users', 'user_id'),
  N('silver', 'users', 'user_id'),
  N('source', 'plays', 'user_id'),
  N('silver', 'plays', 'user_id'),
  N('gold', 'fact_play', 'plays'),
  N('mart', 'daily', 'plays'),
  N('card', 'board', 'plays_card'),
];
const SMALL_EDGES: LineageEdge[] = [
  { from: 'mart:daily.plays', to: 'card:board.plays_card', kind: 'card' },
  { from: 'source:users.user_id', to: 'silver:users.user_id', kind: 'pseudonymise' },
  { from: 'source:plays.user_id', to: 'silver:plays.user_id', kind: 'pseudonymise' },
  { from: 'silver:plays.user_id', to: 'gold:fact_play.plays', kind: 'expr' },
  { from: 'silver:users.user_id', to: 'gold:fact_play.plays', kind: 'join' },
  { from: 'gold:fact_play.plays', to: 'mart:daily.plays', kind: 'expr' },
];
const small = (): LineageGraph => new LineageGraph(new Map(SMALL_NODES.map((n) => [n.id, n])), SMALL_EDGES);

describe('lineage renderings of a small graph (pure)', () => {
  it('Mermaid: flowchart LR, a subgraph per layer in flow order, escaped ids, edges sorted and labelled with their kind', () => {
    expect(lineageMermaid(lineageView(small()))).toBe(`flowchart LR
  subgraph layer_source["source"]
    direction TB
    source_plays_user_id["source:plays.user_id"]
    source_users_user_id["source:users.user_id"]
  end
  subgraph layer_silver["silver"]
    direction TB
    silver_plays_user_id["silver:plays.user_id"]
    silver_users_user_id["silver:users.user_id"]
  end
  subgraph layer_gold["gold"]
    direction TB
    gold_fact_play_plays["gold:fact_play.plays"]
  end
  subgraph layer_mart["mart"]
    direction TB
    mart_daily_plays["mart:daily.plays"]
  end
  subgraph layer_card["card"]
    direction TB
    card_board_plays_card["card:board.plays_card"]
  end
  gold_fact_play_plays -->|expr| mart_daily_plays
  mart_daily_plays -->|card| card_board_plays_card
  silver_plays_user_id -->|expr| gold_fact_play_plays
  silver_users_user_id -.->|join| gold_fact_play_plays
  source_plays_user_id ==>|pseudonymise| silver_plays_user_id
  source_users_user_id ==>|pseudonymise| silver_users_user_id
  classDef pii stroke:#c0392b,stroke-width:2px
  classDef focus fill:#fff3b0,stroke:#333,stroke-width:3px
  class silver_plays_user_id,silver_users_user_id,source_plays_user_id,source_users_user_id pii
`);
  });

  it('Mermaid ids: ":" and "." become "_"; a clash gets a suffix, deterministically', () => {
    const ids = mermaidIds(['gold:a_b.c', 'gold:a.b_c', 'source:end.x']);
    expect([...ids.entries()]).toEqual([
      ['gold:a.b_c', 'gold_a_b_c'],
      ['gold:a_b.c', 'gold_a_b_c_2'],
      ['source:end.x', 'source_end_x'],
    ]);
    expect(mermaidIds(['gold:a_b.c', 'gold:a.b_c']).get('gold:a_b.c')).toBe('gold_a_b_c_2'); // order of input does not matter
  });

  it('DOT: a digraph with quoted ids, one cluster per layer; real Graphviz lays out exactly its nodes and edges', () => {
    const dot = lineageDot(lineageView(small(), 'gold:fact_play.plays'));
    expect(dot.startsWith('digraph lineage {\n  rankdir=LR;\n')).toBe(true);
    expect(dot).toContain('  subgraph "cluster_gold" {\n    label="gold";\n    "gold:fact_play.plays" [style="filled,bold", fillcolor="#fff3b0"];\n  }');
    expect(dot).toContain('  "source:users.user_id" -> "silver:users.user_id" [label="pseudonymise", color="#c0392b", penwidth=2];');
    expect(dot).toContain('  "silver:users.user_id" -> "gold:fact_play.plays" [label="join", style=dashed];');
    const laid = graphviz(dot);
    expect(laid.nodes.sort()).toEqual(SMALL_NODES.map((n) => n.id).sort());
    expect(laid.edges.sort()).toEqual(SMALL_EDGES.map((e) => [e.from, e.to]).sort());
  });

  it('DOT: a quote or backslash in a name stays inside its string (Graphviz reads the same name back)', () => {
    const odd = N('gold', 'we"ird', 'c\\x');
    const g = new LineageGraph(new Map([[odd.id, odd]]), []);
    expect(graphviz(lineageDot(lineageView(g))).nodes).toEqual(['gold:we\\"ird.c\\\\x']);
  });

  it('one node: only its upstream and downstream closure and the edges among them', () => {
    const v = lineageJson(lineageView(small(), 'silver:plays.user_id'));
    expect(v.focus).toBe('silver:plays.user_id');
    expect(v.nodes.map((n) => n.id)).toEqual([
      'card:board.plays_card',
      'gold:fact_play.plays',
      'mart:daily.plays',
      'silver:plays.user_id',
      'source:plays.user_id',
    ]); // not the users side, which only joins in
    expect(v.edges).toEqual([
      { from: 'gold:fact_play.plays', to: 'mart:daily.plays', kind: 'expr' },
      { from: 'mart:daily.plays', to: 'card:board.plays_card', kind: 'card' },
      { from: 'silver:plays.user_id', to: 'gold:fact_play.plays', kind: 'expr' },
      { from: 'source:plays.user_id', to: 'silver:plays.user_id', kind: 'pseudonymise' },
    ]);
    expect(lineageMermaid(lineageView(small(), 'silver:plays.user_id'))).toContain('  class silver_plays_user_id focus\n');
  });
});

describe('streampulse contracts lineage [node] --format mermaid|dot|json', () => {
  const SHIPPED = join(ROOT, 'contracts', 'streampulse');
  const shipped = () => buildLineage(loadContractsOrThrow(SHIPPED));

  it('one node of the shipped contracts as DOT: its closure, and Graphviz reads every node and edge', async () => {
    const r = await run(['contracts', 'lineage', 'mart:analytics_content_portfolio.completion_rate', '--dir', SHIPPED, '--format', 'dot']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const g = shipped();
    const want = g.subgraph('mart:analytics_content_portfolio.completion_rate');
    expect(want.nodes.length).toBeGreaterThan(5);
    const laid = graphviz(r.out);
    expect(laid.nodes.sort()).toEqual(want.nodes.map((n) => n.id).sort());
    expect(laid.edges.sort()).toEqual(want.edges.map((e) => [e.from, e.to] as [string, string]).sort());
    expect(laid.nodes).toContain('source:watch_events.completion_pct');
    expect(laid.nodes.some((n) => n.startsWith('card:'))).toBe(true);
  });

  it('the same node as Mermaid: every node declared once with its id as label, every edge of the closure', async () => {
    const r = await run(['contracts', 'lineage', 'mart:analytics_content_portfolio.completion_rate', '--dir', SHIPPED, '--format', 'mermaid']);
    expect(r.code).toBe(0);
    const { nodes, edges } = checkMermaid(r.out);
    const want = shipped().subgraph('mart:analytics_content_portfolio.completion_rate');
    expect([...nodes.values()].sort()).toEqual(want.nodes.map((n) => n.id));
    const label = (id: string): string => nodes.get(id)!;
    expect(edges.map(([a, b, k]) => `${label(a)} ${k} ${label(b)}`).sort()).toEqual(want.edges.map((e) => `${e.from} ${e.kind} ${e.to}`).sort());
    expect(r.out).toContain('  class mart_analytics_content_portfolio_completion_rate focus\n');
  });

  it('the whole graph (no node): JSON equals the graph, Mermaid and DOT hold every node and edge; the same output twice', async () => {
    const json = await run(['contracts', 'lineage', '--dir', VALID, '--format', 'json']);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.out) as { ok: boolean; focus?: string; nodes: LineageNode[]; edges: LineageEdge[] };
    const g = buildLineage(loadContractsOrThrow(join(FIXTURES, 'valid')));
    expect(doc.ok).toBe(true);
    expect(doc.focus).toBeUndefined();
    expect(doc.nodes).toEqual(g.subgraph().nodes);
    expect(doc.edges).toEqual(g.subgraph().edges);
    expect(doc.nodes.length).toBe(g.nodes.size);
    expect(doc.edges.length).toBe(g.edges.length);
    expect((await run(['contracts', 'lineage', '--dir', VALID, '--json'])).out).toBe(json.out);
    const dot = await run(['contracts', 'lineage', '--dir', VALID, '--format', 'dot']);
    const laid = graphviz(dot.out);
    expect(laid.nodes.length).toBe(g.nodes.size);
    expect(laid.edges.length).toBe(g.edges.length);
    const mermaid = await run(['contracts', 'lineage', '--dir', VALID, '--format', 'mermaid']);
    const m = checkMermaid(mermaid.out);
    expect(m.nodes.size).toBe(g.nodes.size);
    expect(m.edges.length).toBe(g.edges.length);
    expect((await run(['contracts', 'lineage', '--dir', VALID, '--format', 'mermaid'])).out).toBe(mermaid.out);
  });

  it('text without a node: counts per layer and every edge; --json with a node keeps the report; bad options are usage errors (exit 2)', async () => {
    const text = await run(['contracts', 'lineage', '--dir', VALID]);
    const g = buildLineage(loadContractsOrThrow(join(FIXTURES, 'valid')));
    expect(text.out.split('\n')[0]).toBe(
      `lineage graph: ${g.nodes.size} nodes (${['source', 'silver', 'gold', 'mart', 'card']
        .map((l) => `${l} ${[...g.nodes.values()].filter((n) => n.layer === l).length}`)
        .join(', ')}), ${g.edges.length} edges`,
    );
    expect(text.out).toMatch(/^ {2}source:subscribers\.email +──pseudonymise──► {2}silver:subscribers\.email$/m);
    const report = JSON.parse((await run(['contracts', 'lineage', 'source:subscribers.email', '--dir', VALID, '--json'])).out) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual(['cards', 'consumers', 'downstream', 'inputs', 'node', 'ok', 'upstream']);
    const bad = await run(['contracts', 'lineage', '--dir', VALID, '--format', 'svg']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--format must be one of text, mermaid, dot, json, got "svg"');
    const both = await run(['contracts', 'lineage', '--dir', VALID, '--json', '--format', 'dot']);
    expect(both.code).toBe(2);
    expect(both.err).toContain('--json and --format dot ask for different outputs');
    const unknown = await run(['contracts', 'lineage', 'silver:subscribers.emial', '--dir', VALID, '--format', 'dot']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('CLI_UNKNOWN_NODE');
  });
});
