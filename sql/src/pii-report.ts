/**
 * The PII report (pure): every source column the contracts classify as personal data,
 * what silver does with it, where it flows (the lineage graph of @streampulse/contracts,
 * which follows pseudonymise edges: a pseudonym is still personal data), which served
 * columns carry its value (`servingColumns`: the same tracing that decides masking — an
 * aggregate such as `count(distinct x)` reaches a mart but serves no value), the mask
 * Azure SQL puts on each such column (`maskFor`, as 0006_masking does) and which roles
 * can read it, masked or not (`servingGrants`, as 0007_roles_and_grants grants).
 *
 * Reading rules (Azure SQL dynamic data masking): a mask is on the gold table's column
 * and applies to every query a principal without UNMASK runs, the serving views
 * included; administrators (server admin, Entra admin, db_owner) always see the value.
 * The staging tables (Data Factory's copy targets) carry the same masks as gold: a role
 * that can SELECT from staging without UNMASK sees the masks there too.
 */
import { buildLineage, type ContractSet, type PII_CLASSES, type PII_POLICIES } from '@streampulse/contracts';
import { quoteIdent } from './dialect.js';
import { maskFor } from './masking.js';
import { servingColumns } from './serving-columns.js';
import { servingName } from './serving-names.js';
import { type ServingGrant, type ServingOptions, servingGrants } from './serving-tsql.js';

/** Who can read a served column: a role through one of its grants, or the administrators. */
export interface PiiReader {
  /** A generated role, or `administrators` (server admin, Entra admin, db_owner). */
  readonly role: string;
  /** The object it reads the column through (T-SQL name). */
  readonly via: string;
  /** True when it sees the mask, false when it sees the value. */
  readonly masked: boolean;
}

export interface PiiServedColumn {
  readonly mart: string;
  readonly column: string;
  /** The serving view Metabase reads (T-SQL name). */
  readonly view: string;
  /**
   * True when the column's value is (derived from) the PII value; false when the lineage
   * reaches the column only through an aggregate (`count`, `sum`, `avg`), a predicate, a
   * grouping or window partition, a join or a filter: the value itself is not served.
   */
  readonly carriesValue: boolean;
  /** The masking function on `[gold].[<mart>].[<column>]` and its staging twin; set exactly when `carriesValue`. */
  readonly mask?: string;
  /** Who can read the value, masked or not (only when `carriesValue`). */
  readonly readers: readonly PiiReader[];
}

export interface PiiColumn {
  /** `dataset.column`. */
  readonly id: string;
  readonly dataset: string;
  readonly column: string;
  readonly class: (typeof PII_CLASSES)[number];
  readonly policy: (typeof PII_POLICIES)[number];
  /** What silver holds: `pseudonymised` (salted SHA-256), `dropped` (not in silver), `kept` (the value). */
  readonly silver: 'pseudonymised' | 'dropped' | 'kept';
  /** Lineage downstream of the source column (node ids), per layer, sorted. */
  readonly reaches: { readonly silver: string[]; readonly gold: string[]; readonly marts: string[]; readonly cards: string[] };
  /** Every mart column the lineage reaches, with what is served. */
  readonly served: readonly PiiServedColumn[];
  /** True when any served column carries the value (masked or not). */
  readonly valueServed: boolean;
}

export interface PiiReport {
  readonly columns: readonly PiiColumn[];
  /** The roles of the serving database and what they can read at all (from the grants). */
  readonly roles: readonly { role: string; kind: ServingGrant['kind']; selects: string[]; unmask: boolean }[];
}

/** Principals that always see unmasked data (Azure SQL dynamic data masking overview). */
export const ADMINISTRATORS = 'administrators';

const SILVER: Readonly<Record<PiiColumn['policy'], PiiColumn['silver']>> = { pseudonymise: 'pseudonymised', drop: 'dropped', keep: 'kept' };

const securable = (g: ServingGrant): string => (g.object === undefined ? `SCHEMA::${quoteIdent(g.schema, 'tsql')}` : servingName(g.schema, g.object, 'tsql'));

/** The PII report of a contract set (deterministic: datasets and columns sorted). */
export function piiReport(set: ContractSet, options: ServingOptions = {}): PiiReport {
  const graph = buildLineage(set);
  const grants = servingGrants(options);
  const unmask = new Set(grants.filter((g) => g.permissions.includes('UNMASK')).map((g) => g.role));
  const selects = (g: ServingGrant): boolean => g.permissions.includes('SELECT') || g.permissions.includes('CONTROL');
  const marts = new Map(set.marts.map((m) => [m.mart, m]));

  /** Who reads a mart's column: SELECT on serving (the view), gold or staging (the tables) sees the mask without UNMASK. */
  const readersOf = (mart: string): PiiReader[] => {
    const out: PiiReader[] = [];
    for (const g of grants) {
      if (!selects(g)) continue;
      const masked = !unmask.has(g.role);
      if (g.schema === 'serving' && g.object === undefined) out.push({ role: g.role, via: servingName('serving', mart, 'tsql'), masked });
      else if (g.schema === 'gold' && (g.object === undefined || g.object === mart)) out.push({ role: g.role, via: servingName('gold', mart, 'tsql'), masked });
      else if (g.schema === 'staging' && (g.object === undefined || g.object === mart))
        out.push({ role: g.role, via: servingName('staging', mart, 'tsql'), masked });
    }
    out.push({ role: ADMINISTRATORS, via: servingName('gold', mart, 'tsql'), masked: false });
    return out;
  };

  const columns: PiiColumn[] = [];
  for (const d of [...set.datasets].sort((a, b) => (a.dataset < b.dataset ? -1 : 1))) {
    for (const c of [...d.columns].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (!c.pii) continue;
      const source = `${d.dataset}.${c.name}`;
      const down = graph.downstream(`source:${source}`);
      const layer = (l: string): string[] => down.filter((id) => id.startsWith(`${l}:`));
      const served: PiiServedColumn[] = layer('mart').map((id) => {
        const node = graph.node(id)!;
        const mart = marts.get(node.table)!;
        const facts = servingColumns(set, mart).find((f) => f.name === node.column)!;
        const carriesValue = facts.pii.some((p) => p.source === source);
        const mask = carriesValue ? maskFor(facts) : undefined;
        return {
          mart: node.table,
          column: node.column,
          view: servingName('serving', node.table, 'tsql'),
          carriesValue,
          ...(mask === undefined ? {} : { mask }),
          readers: carriesValue ? readersOf(node.table) : [],
        };
      });
      columns.push({
        id: source,
        dataset: d.dataset,
        column: c.name,
        class: c.pii.class,
        policy: c.pii.policy,
        silver: SILVER[c.pii.policy],
        reaches: { silver: layer('silver'), gold: layer('gold'), marts: layer('mart'), cards: layer('card') },
        served,
        valueServed: served.some((s) => s.carriesValue),
      });
    }
  }
  const roles = [...new Set(grants.map((g) => g.role))].map((role) => {
    const mine = grants.filter((g) => g.role === role);
    return { role, kind: mine[0]!.kind, selects: mine.filter(selects).map(securable), unmask: unmask.has(role) };
  });
  return { columns, roles };
}
