/**
 * What the contracts say about each column of a serving mart, traced through the gold
 * models down to the source datasets (pure): the bound on its string length, the
 * values it can take when the pipeline enforces them, and the PII classes its value
 * derives from. The serving DDL (types, CHECK constraints, masking), the load checks
 * and the dbt-style serving tests are all generated from these facts.
 *
 * Tracing rules (conservative where privacy is concerned):
 *  - a column reference resolves like the loader does: `alias.col`, or the only
 *    relation that has `col`; a model column is traced through its own expression;
 *  - a value domain is known only where the pipeline *enforces* it: an
 *    `accepted_values` quality rule whose action quarantines, drops or fails (a `warn`
 *    rule lets other values through), adjusted by silver's `conform` (case, default),
 *    plus string literals (e.g. `coalesce(region, 'UNKNOWN')`);
 *  - PII flows through every expression except the aggregates that hide values
 *    (`count`, `sum`, `avg`) and predicates (a yes/no answer is not the value); a
 *    pseudonymised column still carries its class (pseudonymised data is personal
 *    data); a dropped column never reaches silver.
 */
import {
  parseExpr,
  parseLogicalType,
  silverColumns,
  SPINE_COLUMN,
  UNION_ALIAS,
  type ContractSet,
  type DatasetContract,
  type DimensionReference,
  type Expr,
  type MartContract,
  type ModelContract,
  type PII_CLASSES,
  type PII_POLICIES,
} from '@streampulse/contracts';

export type PiiClass = (typeof PII_CLASSES)[number];
export type PiiPolicy = (typeof PII_POLICIES)[number];

export interface PiiSource {
  readonly class: PiiClass;
  readonly policy: PiiPolicy;
  /** `dataset.column` the value derives from. */
  readonly source: string;
}

export interface ColumnFacts {
  readonly name: string;
  /** Logical type from the mart contract. */
  readonly type: string;
  readonly role: 'dimension' | 'measure';
  /** Part of the mart's grain (the primary key of the served table). */
  readonly grain: boolean;
  readonly description: string;
  /** Longest string value, when the contracts bound it (max_length, enforced values, literals). */
  readonly maxLength?: number;
  /** Every value the column can hold (besides NULL), when the pipeline enforces it. Sorted. */
  readonly domain?: readonly (string | number)[];
  /** PII classes the value derives from (sorted by source). Empty: no personal data. */
  readonly pii: readonly PiiSource[];
  readonly references?: DimensionReference;
}

interface Facts {
  maxLength?: number | undefined;
  domain?: (string | number)[] | undefined;
  pii: PiiSource[];
}

const NONE: Facts = { pii: [] };
/** Aggregates whose result does not reveal any single input value. */
const HIDING_AGGREGATES = new Set(['count', 'sum', 'avg']);
/** Functions that return one of their (first) arguments' values. */
const VALUE_PASSING = new Set(['coalesce', 'min', 'max', 'first_value', 'lag', 'lead', 'greatest', 'least', 'trim']);
const ENFORCING = new Set(['quarantine', 'drop', 'fail']);
/** Length of a pseudonym (hex SHA-256) in silver. */
export const PSEUDONYM_LENGTH = 64;

/** Union of facts: a domain/length only when every input has one. */
function union(xs: readonly Facts[]): Facts {
  if (xs.length === 0) return NONE;
  const domains = xs.map((x) => x.domain);
  const lengths = xs.map((x) => x.maxLength);
  return {
    domain: domains.every((d) => d !== undefined) ? [...new Set(domains.flatMap((d) => d!))] : undefined,
    maxLength: lengths.every((l) => l !== undefined) ? Math.max(...(lengths as number[])) : undefined,
    pii: xs.flatMap((x) => x.pii),
  };
}

const piiOnly = (xs: readonly Facts[]): Facts => ({ pii: xs.flatMap((x) => x.pii) });

interface Rel {
  readonly alias: string;
  readonly columns: readonly string[];
  readonly facts: (column: string) => Facts;
}

/** Traces column facts over a contract set; memoised per model column. */
class Tracer {
  private readonly datasets: Map<string, DatasetContract>;
  private readonly models: Map<string, ModelContract>;
  private readonly memo = new Map<string, Facts>();

  constructor(set: ContractSet) {
    this.datasets = new Map(set.datasets.map((d) => [d.dataset, d]));
    this.models = new Map(set.models.map((m) => [m.model, m]));
  }

  datasetColumn(d: DatasetContract, column: string): Facts {
    const c = d.columns.find((x) => x.name === column);
    if (!c) return NONE; // SCD2 validity columns: timestamps, no domain, no PII
    let domain: (string | number)[] | undefined;
    for (const rule of d.quality) {
      if (rule.rule !== 'accepted_values' || rule.column !== column || !ENFORCING.has(rule.action)) continue;
      domain = domain === undefined ? [...rule.values] : domain.filter((v) => rule.values.includes(v));
    }
    const conform = d.silver.conform.find((x) => x.column === column);
    if (domain && conform?.case) domain = domain.map((v) => (typeof v === 'string' ? (conform.case === 'lower' ? v.toLowerCase() : v.toUpperCase()) : v));
    if (domain && conform?.trim) domain = domain.map((v) => (typeof v === 'string' ? v.trim() : v));
    if (domain && conform?.default !== undefined && typeof conform.default !== 'boolean') domain = [...domain, conform.default];
    const pii = c.pii && c.pii.policy !== 'drop' ? [{ class: c.pii.class, policy: c.pii.policy, source: `${d.dataset}.${column}` }] : [];
    // silver holds a pseudonym (hex SHA-256): none of the source's values, always 64 characters
    if (c.pii?.policy === 'pseudonymise') return { maxLength: PSEUDONYM_LENGTH, pii };
    const lengths = [c.constraints?.max_length, domain ? Math.max(0, ...domain.map((v) => String(v).length)) : undefined].filter(
      (x): x is number => x !== undefined,
    );
    return {
      domain,
      maxLength: lengths.length > 0 ? Math.min(...lengths) : undefined,
      pii,
    };
  }

  modelColumn(m: ModelContract, column: string): Facts {
    const key = `${m.model}.${column}`;
    const hit = this.memo.get(key);
    if (hit) return hit;
    this.memo.set(key, NONE); // models are acyclic (checked by the loader); this only guards
    const c = m.columns.find((x) => x.name === column);
    const facts = c ? this.expr(parseExpr(c.expr ?? c.name), this.relsOf(m)) : NONE;
    this.memo.set(key, facts);
    return facts;
  }

  private relRef(r: { dataset?: string | undefined; model?: string | undefined; alias: string }): Rel {
    if (r.dataset !== undefined) {
      const d = this.datasets.get(r.dataset);
      return { alias: r.alias, columns: d ? silverColumns(d).map((c) => c.name) : [], facts: (col) => (d ? this.datasetColumn(d, col) : NONE) };
    }
    const m = this.models.get(r.model ?? '');
    return { alias: r.alias, columns: m ? m.columns.map((c) => c.name) : [], facts: (col) => (m ? this.modelColumn(m, col) : NONE) };
  }

  relsOf(x: ModelContract | MartContract): Rel[] {
    if ('type' in x && x.type === 'date_dimension') return [{ alias: 'd', columns: [SPINE_COLUMN], facts: () => NONE }];
    if ('type' in x && x.union) {
      const branches = x.union.map((b) => ({ rels: [b.from, ...b.joins].map((r) => this.relRef(r)), select: b.select }));
      return [
        {
          alias: UNION_ALIAS,
          columns: Object.keys(x.union[0]!.select),
          facts: (col) => union(branches.map((b) => (b.select[col] !== undefined ? this.expr(parseExpr(b.select[col]!), b.rels) : NONE))),
        },
      ];
    }
    return [...(x.from ? [x.from] : []), ...x.joins].map((r) => this.relRef(r));
  }

  expr(e: Expr, rels: readonly Rel[]): Facts {
    const sub = (x: Expr): Facts => this.expr(x, rels);
    switch (e.kind) {
      case 'literal':
        if (typeof e.value === 'string') return { domain: [e.value], maxLength: e.value.length, pii: [] };
        if (typeof e.value === 'number') return { domain: [e.value], pii: [] };
        if (e.value === null) return { domain: [], maxLength: 0, pii: [] };
        return NONE;
      case 'column': {
        const rel = e.table !== undefined ? rels.find((r) => r.alias === e.table) : rels.find((r) => r.columns.includes(e.name));
        return rel ? rel.facts(e.name) : NONE;
      }
      case 'param':
      case 'star':
        return NONE;
      case 'unary':
        return e.op === 'not' ? NONE : piiOnly([sub(e.operand)]);
      case 'binary':
        return ['+', '-', '*', '/', '%'].includes(e.op) ? piiOnly([sub(e.left), sub(e.right)]) : NONE;
      case 'is_null':
      case 'in':
      case 'between':
      case 'like':
        return NONE;
      case 'case':
        return union([...e.whens.map((w) => sub(w.then)), e.else ? sub(e.else) : { domain: [], maxLength: 0, pii: [] }]);
      case 'cast': {
        const f = sub(e.operand);
        return e.type === 'string'
          ? { pii: f.pii, domain: f.domain?.map(String), maxLength: f.domain ? Math.max(0, ...f.domain.map((v) => String(v).length)) : f.maxLength }
          : piiOnly([f]);
      }
      case 'call': {
        if (HIDING_AGGREGATES.has(e.name)) return NONE;
        const args = e.args.map(sub);
        if (VALUE_PASSING.has(e.name)) return union(e.name === 'lag' || e.name === 'lead' ? args.slice(0, 1) : args);
        if (e.name === 'nullif') return union(args.slice(0, 1));
        if (e.name === 'lower' || e.name === 'upper') {
          const f = args[0] ?? NONE;
          return { ...f, domain: f.domain?.map((v) => (typeof v === 'string' ? (e.name === 'lower' ? v.toLowerCase() : v.toUpperCase()) : v)) };
        }
        if (e.name === 'concat') {
          const lengths = args.map((a) => a.maxLength);
          return {
            pii: args.flatMap((a) => a.pii),
            maxLength: lengths.every((l) => l !== undefined) ? (lengths as number[]).reduce((a, b) => a + b, 0) : undefined,
          };
        }
        return piiOnly(args);
      }
    }
  }
}

function sortDomain(d: readonly (string | number)[]): (string | number)[] {
  return [...new Set(d)].sort((a, b) => (typeof a === typeof b ? (a < b ? -1 : a > b ? 1 : 0) : typeof a === 'number' ? -1 : 1));
}

function dedupePii(xs: readonly PiiSource[]): PiiSource[] {
  const seen = new Map<string, PiiSource>();
  for (const x of xs) seen.set(`${x.source}|${x.class}|${x.policy}`, x);
  return [...seen.values()].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
}

const CACHE = new WeakMap<ContractSet, WeakMap<MartContract, ColumnFacts[]>>();

/** The facts of every column of a mart, dimensions then measures, in contract order (memoised per set). */
export function servingColumns(set: ContractSet, mart: MartContract): ColumnFacts[] {
  let perSet = CACHE.get(set);
  if (!perSet) CACHE.set(set, (perSet = new WeakMap()));
  const hit = perSet.get(mart);
  if (hit) return hit;
  const facts = traceMart(set, mart);
  perSet.set(mart, facts);
  return facts;
}

function traceMart(set: ContractSet, mart: MartContract): ColumnFacts[] {
  const tracer = new Tracer(set);
  const rels = tracer.relsOf(mart);
  const cols = [
    ...mart.dimensions.map((d) => ({
      name: d.name,
      type: d.type,
      expr: d.expr ?? d.name,
      role: 'dimension' as const,
      description: d.description,
      references: d.references,
    })),
    ...mart.measures.map((m) => ({ name: m.name, type: m.type, expr: m.expr, role: 'measure' as const, description: m.definition, references: undefined })),
  ];
  return cols.map((c) => {
    const f = tracer.expr(parseExpr(c.expr), rels);
    const isString = c.type === 'string';
    return {
      name: c.name,
      type: c.type,
      role: c.role,
      grain: mart.grain.includes(c.name),
      description: c.description.trim(),
      ...(isString && f.maxLength !== undefined && f.maxLength > 0 ? { maxLength: f.maxLength } : {}),
      ...(f.domain !== undefined && f.domain.length > 0 ? { domain: sortDomain(f.domain) } : {}),
      pii: dedupePii(f.pii),
      ...(c.references ? { references: c.references } : {}),
    };
  });
}

/**
 * A lake value (as the Parquet reader hands it over) in the JS form of its logical type,
 * before a serving target converts it further: numbers (null when not finite), booleans,
 * text for everything else; null stays null.
 */
export function lakeScalar(v: unknown, type: string): number | boolean | string | null {
  if (v === null || v === undefined) return null;
  switch (parseLogicalType(type).base) {
    case 'integer':
    case 'bigint':
    case 'double':
    case 'decimal': {
      const n = Number(v);
      return Number.isFinite(n) ? n : null;
    }
    case 'boolean':
      return v === true || v === 'true' || v === 1;
    default:
      return String(v);
  }
}
