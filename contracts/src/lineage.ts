/**
 * Column-level lineage across the contract set:
 * source column → silver column → gold column → mart column → dashboard card.
 *
 * Built purely from the contracts (expressions are parsed for their column
 * references), so it is exact for what the contracts declare. Later stages (the
 * breaking-change diff, impact reports) query it.
 */
import { SPINE_COLUMN, silverColumns } from './checks.js';
import { columnRefs, parseExpr } from './expr.js';
import { UNION_ALIAS, type ContractSet, type MartContract, type ModelContract } from './model.js';

type RelationLike = { readonly dataset?: string | undefined; readonly model?: string | undefined; readonly alias: string };

export type LineageLayer = 'source' | 'silver' | 'gold' | 'mart' | 'card';

export interface LineageNode {
  /** `layer:table.column`, or `card:dashboard.card_id` for cards. */
  readonly id: string;
  readonly layer: LineageLayer;
  readonly table: string;
  readonly column: string;
}

export type EdgeKind = 'ingest' | 'pseudonymise' | 'expr' | 'join' | 'filter' | 'card';

export interface LineageEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export const nodeId = (layer: LineageLayer, table: string, column: string): string => `${layer}:${table}.${column}`;

export class LineageGraph {
  private readonly out = new Map<string, LineageEdge[]>();
  private readonly in = new Map<string, LineageEdge[]>();

  constructor(
    readonly nodes: ReadonlyMap<string, LineageNode>,
    readonly edges: readonly LineageEdge[],
  ) {
    for (const e of edges) {
      (this.out.get(e.from) ?? this.out.set(e.from, []).get(e.from)!).push(e);
      (this.in.get(e.to) ?? this.in.set(e.to, []).get(e.to)!).push(e);
    }
  }

  node(id: string): LineageNode | undefined {
    return this.nodes.get(id);
  }

  /** Direct inputs of a node. */
  parents(id: string): LineageEdge[] {
    return this.in.get(id) ?? [];
  }

  /** Direct consumers of a node. */
  children(id: string): LineageEdge[] {
    return this.out.get(id) ?? [];
  }

  /** Every node that (transitively) feeds `id`, sorted. */
  upstream(id: string): string[] {
    return this.closure(id, (x) => this.parents(x).map((e) => e.from));
  }

  /** Every node that (transitively) depends on `id`, sorted. */
  downstream(id: string): string[] {
    return this.closure(id, (x) => this.children(x).map((e) => e.to));
  }

  /** The cards a source column ends up on, sorted. */
  cardsFed(id: string): string[] {
    return this.downstream(id).filter((x) => x.startsWith('card:'));
  }

  private closure(start: string, next: (id: string) => string[]): string[] {
    const seen = new Set<string>();
    const stack = [start];
    while (stack.length > 0) {
      const x = stack.pop()!;
      for (const n of next(x)) {
        if (!seen.has(n)) {
          seen.add(n);
          stack.push(n);
        }
      }
    }
    return [...seen].sort();
  }

  /**
   * The part of the graph around one node: the node, everything upstream and downstream
   * of it, and the edges between those nodes; the whole graph without a node. Nodes sorted
   * by id, edges by (from, to, kind): the same graph always gives the same output.
   */
  subgraph(id?: string): { nodes: LineageNode[]; edges: LineageEdge[] } {
    const keep = id === undefined ? undefined : new Set([id, ...this.upstream(id), ...this.downstream(id)]);
    const nodes = [...this.nodes.values()].filter((n) => keep === undefined || keep.has(n.id)).sort((a, b) => cmp(a.id, b.id));
    const edges = this.edges
      .filter((e) => keep === undefined || (keep.has(e.from) && keep.has(e.to)))
      .sort((a, b) => cmp(a.from, b.from) || cmp(a.to, b.to) || cmp(a.kind, b.kind));
    return { nodes, edges };
  }

  toJSON(): { nodes: LineageNode[]; edges: LineageEdge[] } {
    return { nodes: [...this.nodes.values()].sort((a, b) => (a.id < b.id ? -1 : 1)), edges: [...this.edges] };
  }
}

/** Builds the lineage graph of a validated contract set. */
export function buildLineage(set: ContractSet): LineageGraph {
  const nodes = new Map<string, LineageNode>();
  const edges: LineageEdge[] = [];
  const edgeKeys = new Set<string>();
  const add = (layer: LineageLayer, table: string, column: string): string => {
    const id = nodeId(layer, table, column);
    if (!nodes.has(id)) nodes.set(id, { id, layer, table, column });
    return id;
  };
  const link = (from: string, to: string, kind: EdgeKind): void => {
    const k = `${from}|${to}|${kind}`;
    if (edgeKeys.has(k)) return;
    edgeKeys.add(k);
    edges.push({ from, to, kind });
  };

  const datasetNames = new Set(set.datasets.map((d) => d.dataset));
  for (const d of set.datasets) {
    for (const c of d.columns) add('source', d.dataset, c.name);
    for (const c of silverColumns(d)) {
      const declared = d.columns.find((x) => x.name === c.name);
      const to = add('silver', d.dataset, c.name);
      if (declared) {
        link(nodeId('source', d.dataset, c.name), to, declared.pii?.policy === 'pseudonymise' ? 'pseudonymise' : 'ingest');
      } else if (d.silver.scd.type === 2) {
        // SCD2 validity columns derive from the ordering and the tracked columns.
        const inputs = [...d.silver.dedupe.order_by.map((o) => o.column), ...d.silver.scd.tracked_columns];
        for (const col of inputs) link(nodeId('source', d.dataset, col), to, 'expr');
      }
    }
  }

  const models = new Map(set.models.map((m) => [m.model, m]));
  type Rel = {
    alias: string;
    layer: 'silver' | 'gold' | 'spine' | 'union';
    table: string;
    columns: string[];
    branches?: { rels: Rel[]; select: Record<string, string>; extra: string[] }[];
  };
  const refRels = (refs: readonly RelationLike[]): Rel[] =>
    refs.map((r) => {
      if (r.dataset !== undefined && datasetNames.has(r.dataset)) {
        const d = set.datasets.find((y) => y.dataset === r.dataset)!;
        return { alias: r.alias, layer: 'silver' as const, table: r.dataset, columns: silverColumns(d).map((c) => c.name) };
      }
      const m = models.get(r.model ?? '');
      return { alias: r.alias, layer: 'gold' as const, table: r.model ?? '', columns: m ? m.columns.map((c) => c.name) : [] };
    });
  const relsOf = (x: ModelContract | MartContract): Rel[] => {
    if ('type' in x && x.type === 'date_dimension') return [{ alias: 'd', layer: 'spine', table: x.model, columns: [SPINE_COLUMN] }];
    if ('type' in x && x.union) {
      const branches = x.union.map((b) => {
        const rels = refRels([b.from, ...b.joins]);
        const extra = [...b.joins.map((j) => j.on), ...(b.filter ? [b.filter] : [])];
        return { rels, select: b.select, extra };
      });
      return [{ alias: UNION_ALIAS, layer: 'union', table: x.model, columns: Object.keys(x.union[0]!.select), branches }];
    }
    return refRels([...(x.from ? [x.from] : []), ...x.joins]);
  };
  const sourcesOf = (rels: Rel[], expr: string): string[] => {
    const out: string[] = [];
    for (const ref of columnRefs(parseExpr(expr))) {
      const rel = ref.table !== undefined ? rels.find((r) => r.alias === ref.table) : rels.find((r) => r.columns.includes(ref.name));
      if (!rel || rel.layer === 'spine') continue;
      if (rel.layer === 'union') {
        for (const b of rel.branches ?? []) {
          const e = b.select[ref.name];
          if (e !== undefined) out.push(...sourcesOf(b.rels, e));
          for (const x of b.extra) out.push(...sourcesOf(b.rels, x));
        }
        continue;
      }
      out.push(nodeId(rel.layer, rel.table, ref.name));
    }
    return out;
  };
  const relationInputs = (rels: Rel[], x: ModelContract | MartContract): { id: string; kind: EdgeKind }[] => [
    ...x.joins.flatMap((j) => sourcesOf(rels, j.on).map((id) => ({ id, kind: 'join' as const }))),
    ...(x.filter ? sourcesOf(rels, x.filter).map((id) => ({ id, kind: 'filter' as const })) : []),
  ];

  for (const m of set.models) {
    const rels = relsOf(m);
    const shared = relationInputs(rels, m);
    for (const c of m.columns) {
      const to = add('gold', m.model, c.name);
      const inputs = c.expr !== undefined ? sourcesOf(rels, c.expr) : sourcesOf(rels, c.name);
      for (const from of inputs) link(from, to, 'expr');
      for (const s of shared) link(s.id, to, s.kind);
    }
  }

  for (const mart of set.marts) {
    const rels = relsOf(mart);
    const shared = relationInputs(rels, mart);
    for (const f of [...mart.dimensions, ...mart.measures]) {
      const to = add('mart', mart.mart, f.name);
      for (const from of sourcesOf(rels, f.expr ?? f.name)) link(from, to, 'expr');
      for (const s of shared) link(s.id, to, s.kind);
    }
  }

  for (const dash of set.dashboards) {
    for (const card of dash.cards) {
      const to = add('card', dash.dashboard, card.id);
      const used = [...card.query.dimensions, ...card.query.measures, ...card.query.filters.map((f) => f.column)];
      for (const col of used) link(nodeId('mart', card.mart, col), to, 'card');
    }
  }
  return new LineageGraph(nodes, edges);
}
