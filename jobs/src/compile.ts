/**
 * The job-spec compiler: contracts in, an ordered JobPlan out. Pure — no I/O, no
 * clock, deterministic output. Nothing here names a dataset: every job comes from a
 * contract.
 */
import {
  parseExpr,
  SPINE_COLUMN,
  StreamPulseError,
  UNION_ALIAS,
  isAggregate,
  type ContractSet,
  type DatasetContract,
  type Expr,
  type MartContract,
  type ModelContract,
  type QualityRule,
} from '@streampulse/contracts';
import { dateLiteral, mapType, quoteIdent, renderPredicate, renderValue, stringLiteral, type Dialect } from '@streampulse/sql';
import {
  AUDIT_COLUMNS,
  ENGINES,
  SPEC_VERSION,
  type ColumnSpec,
  type Engine,
  type EngineSql,
  type JobPlan,
  type JobSpec,
  type QualityCheck,
  type Step,
} from './spec.js';
import { PII_SALT } from './deploy-names.js';

/** The secret (Databricks secret scope key / env var) that holds the pseudonymisation salt. */
export const PII_SALT_SECRET: string = PII_SALT.key;

const perEngine = (f: (d: Engine) => string): EngineSql => ({ duckdb: f('duckdb'), spark: f('spark') });

export function tableRef(layer: 'silver' | 'gold', name: string): string {
  return `{{${layer}.${name}}}`;
}
export const RUN_DATE_PLACEHOLDER = '{{param:run_date}}';

/** Binds `{{param:run_date}}` for a dialect. */
export function bindRunDate(sql: string, runDate: string, dialect: Dialect): string {
  return sql.split(RUN_DATE_PLACEHOLDER).join(dateLiteral(runDate, dialect));
}

function castSql(type: string, d: Engine): string {
  const t = mapType(type, d);
  if (type === 'boolean') {
    // JSON/CSV booleans arrive as text; accept the usual spellings only
    return `CASE WHEN lower({{value}}) IN ('true', '1') THEN TRUE WHEN lower({{value}}) IN ('false', '0') THEN FALSE END`;
  }
  if (type === 'timestamp' && d === 'duckdb') return `TRY_CAST(TRY_CAST({{value}} AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP)`;
  return d === 'duckdb' ? `TRY_CAST({{value}} AS ${t})` : `try_cast({{value}} AS ${t})`;
}

/**
 * The cast of a logical type per engine, made once per type: thousands of columns share a
 * handful of types. A function of the type string alone; frozen, since every column of the
 * type (in every plan) holds the same object.
 */
const CASTS = new Map<string, EngineSql>();
function castFor(type: string): EngineSql {
  let cast = CASTS.get(type);
  if (cast === undefined) {
    cast = Object.freeze(perEngine((d) => castSql(type, d)));
    if (CASTS.size < 1000) CASTS.set(type, cast);
  }
  return cast;
}

function lit(v: string | number, d: Engine): string {
  return typeof v === 'number' ? String(v) : stringLiteral(v, d);
}

/**
 * Every check starts with rule, action, description (the spec files' key order), then its
 * own fields. Written out per case, without an object spread: at 5,000 datasets this runs
 * for tens of thousands of rules, and V8 spends microseconds on each `{ ...base, … }`.
 */
function checkFor(rule: QualityRule, ds: DatasetContract): QualityCheck {
  const q = (c: string, d: Engine): string => quoteIdent(c, d);
  const given = rule.description ?? '';
  switch (rule.rule) {
    case 'not_null':
      return {
        rule: rule.rule,
        action: rule.action,
        description: given || `${rule.column} is present`,
        id: rule.name ?? `not_null:${rule.column}`,
        passes: perEngine((d) => `${q(rule.column, d)} IS NOT NULL`),
      };
    case 'range': {
      const conds = (d: Engine): string => {
        const lo = rule.min !== undefined ? `${q(rule.column, d)} >= ${rule.min}` : undefined;
        const hi = rule.max !== undefined ? `${q(rule.column, d)} <= ${rule.max}` : undefined;
        return lo !== undefined && hi !== undefined ? `${lo} AND ${hi}` : (lo ?? hi ?? '');
      };
      return {
        rule: rule.rule,
        action: rule.action,
        description: given || `${rule.column} within [${rule.min ?? '-∞'}, ${rule.max ?? '∞'}]`,
        id: rule.name ?? `range:${rule.column}`,
        passes: perEngine((d) => `(${q(rule.column, d)} IS NULL OR (${conds(d)}))`),
      };
    }
    case 'accepted_values':
      return {
        rule: rule.rule,
        action: rule.action,
        description: given || `${rule.column} in (${rule.values.join(', ')})`,
        id: rule.name ?? `accepted_values:${rule.column}`,
        passes: perEngine((d) => `(${q(rule.column, d)} IS NULL OR ${q(rule.column, d)} IN (${rule.values.map((v) => lit(v, d)).join(', ')}))`),
      };
    case 'regex':
      return {
        rule: rule.rule,
        action: rule.action,
        description: given || `${rule.column} matches /${rule.pattern}/`,
        id: rule.name ?? `regex:${rule.column}`,
        passes: {
          duckdb: `(${q(rule.column, 'duckdb')} IS NULL OR regexp_full_match(CAST(${q(rule.column, 'duckdb')} AS VARCHAR), ${stringLiteral(rule.pattern, 'duckdb')}))`,
          spark: `(${q(rule.column, 'spark')} IS NULL OR CAST(${q(rule.column, 'spark')} AS STRING) RLIKE ${stringLiteral(`^(?:${rule.pattern})$`, 'spark')})`,
        },
      };
    case 'unique':
      return {
        rule: rule.rule,
        action: rule.action,
        description: given || `(${rule.columns.join(', ')}) unique`,
        id: rule.name ?? `unique:${rule.columns.join('+')}`,
        columns: rule.columns,
      };
    case 'referential':
      return {
        rule: rule.rule,
        action: rule.action,
        description: given || `${rule.column} exists in ${rule.references.dataset}.${rule.references.column}`,
        id: rule.name ?? `referential:${rule.column}`,
        columns: [rule.column],
        references: { table: tableRef('silver', rule.references.dataset), column: rule.references.column },
      };
    case 'freshness':
      return {
        rule: rule.rule,
        action: rule.action,
        description: given || `newest ${ds.event_time} at most ${rule.max_age_hours}h old`,
        id: rule.name ?? 'freshness',
        maxAgeHours: rule.max_age_hours,
        columns: [ds.event_time],
      };
  }
}

export function compileBronze(ds: DatasetContract & { file: string }): JobSpec {
  const columns: ColumnSpec[] = ds.columns.map((c) => ({ name: c.name, type: c.type, required: c.required, cast: castFor(c.type) }));
  const required: QualityCheck[] = ds.columns
    .filter((c) => c.required)
    .map((c) => ({
      id: `required:${c.name}`,
      rule: 'not_null',
      action: 'quarantine',
      passes: perEngine((d) => `${quoteIdent(c.name, d)} IS NOT NULL`),
      description: `required column ${c.name} is present`,
    }));
  const parents = [
    ...new Set(ds.quality.filter((q): q is Extract<QualityRule, { rule: 'referential' }> => q.rule === 'referential').map((q) => q.references.dataset)),
  ]
    .filter((p) => p !== ds.dataset)
    .sort();
  const steps: Step[] = [
    ds.source.csv
      ? { op: 'read_landing', format: ds.source.format, path: ds.source.landing_path, csv: ds.source.csv }
      : { op: 'read_landing', format: ds.source.format, path: ds.source.landing_path },
    { op: 'parse', columns, rescue_unknown_fields: true },
    { op: 'audit', columns: [...AUDIT_COLUMNS] },
    { op: 'watermark', event_time: ds.event_time, max_delay_hours: ds.watermark.max_delay_hours },
    { op: 'quality', checks: [...required, ...ds.quality.map((q) => checkFor(q, ds))], freshness_sla_hours: ds.sla.freshness_hours },
    { op: 'write_bronze' },
  ];
  return {
    spec_version: SPEC_VERSION,
    id: `bronze.${ds.dataset}`,
    layer: 'bronze',
    name: ds.dataset,
    contract: ds.file,
    depends_on: parents.map((p) => `silver.${p}`),
    steps,
  };
}

export function compileSilver(ds: DatasetContract & { file: string }): JobSpec {
  const conform = ds.silver.conform.map((c) => {
    const sql = (d: Engine): string => {
      let s = quoteIdent(c.column, d);
      if (c.trim) s = `TRIM(${s})`;
      if (c.case === 'lower') s = `LOWER(${s})`;
      if (c.case === 'upper') s = `UPPER(${s})`;
      if (c.default !== undefined) s = `COALESCE(${s}, ${typeof c.default === 'string' ? stringLiteral(c.default, d) : String(c.default).toUpperCase()})`;
      return s;
    };
    return { name: c.column, sql: perEngine(sql) };
  });
  const pseudo = ds.columns.filter((c) => c.pii?.policy === 'pseudonymise').map((c) => c.name);
  const dropped = ds.columns.filter((c) => c.pii?.policy === 'drop').map((c) => c.name);
  const kept = ds.columns.filter((c) => c.pii?.policy !== 'drop').map((c) => c.name);
  const steps: Step[] = [
    { op: 'read_bronze', statuses: ['passed', 'warned'] },
    ...(conform.length > 0 ? [{ op: 'conform' as const, columns: conform }] : []),
    ...(pseudo.length > 0 ? [{ op: 'pseudonymise' as const, columns: pseudo, algorithm: 'sha256' as const, salt_secret: PII_SALT_SECRET }] : []),
    ...(dropped.length > 0 ? [{ op: 'drop_columns' as const, columns: dropped }] : []),
    { op: 'dedupe', key: ds.silver.dedupe.key, order_by: ds.silver.dedupe.order_by },
    ds.silver.scd.type === 2
      ? {
          op: 'merge',
          mode: 'scd2',
          key: ds.silver.dedupe.key,
          order_by: ds.silver.dedupe.order_by,
          tracked_columns: ds.silver.scd.tracked_columns,
          columns: kept,
        }
      : { op: 'merge', mode: 'scd1', key: ds.silver.dedupe.key, order_by: ds.silver.dedupe.order_by, columns: kept },
  ];
  return {
    spec_version: SPEC_VERSION,
    id: `silver.${ds.dataset}`,
    layer: 'silver',
    name: ds.dataset,
    contract: ds.file,
    depends_on: [`bronze.${ds.dataset}`],
    steps,
  };
}

type RelRef = { readonly dataset?: string | undefined; readonly model?: string | undefined; readonly alias: string };

function relSql(r: RelRef): string {
  return r.dataset !== undefined ? tableRef('silver', r.dataset) : tableRef('gold', r.model!);
}
function relDep(r: RelRef): string {
  return r.dataset !== undefined ? `silver.${r.dataset}` : `gold.${r.model!}`;
}

interface SelectParts {
  from: RelRef;
  joins: readonly { dataset?: string | undefined; model?: string | undefined; alias: string; type: 'inner' | 'left'; on: string }[];
  filter?: string | undefined;
}

function renderFrom(parts: SelectParts, d: Engine, params: (name: string) => string): string {
  const ctx = { dialect: d, param: params };
  const lines = [`FROM ${relSql(parts.from)} AS ${quoteIdent(parts.from.alias, d)}`];
  for (const j of parts.joins)
    lines.push(`${j.type === 'left' ? 'LEFT JOIN' : 'JOIN'} ${relSql(j)} AS ${quoteIdent(j.alias, d)} ON ${renderPredicate(parseExpr(j.on), ctx)}`);
  if (parts.filter) lines.push(`WHERE ${renderPredicate(parseExpr(parts.filter), ctx)}`);
  return lines.join('\n');
}

/** SELECT list + GROUP BY for named expressions; non-aggregates are grouped when anything aggregates. */
function renderSelect(
  cols: readonly { name: string; expr: Expr; type: string }[],
  d: Engine,
  params: (name: string) => string,
  forceGroup = false,
): { select: string; groupBy: string } {
  const ctx = { dialect: d, param: params };
  const anyAgg = forceGroup || cols.some((c) => isAggregate(c.expr));
  const select = cols.map((c) => `CAST(${renderValue(c.expr, ctx)} AS ${mapType(c.type, d)}) AS ${quoteIdent(c.name, d)}`).join(',\n  ');
  const groups = anyAgg ? cols.filter((c) => !isAggregate(c.expr) && !(c.expr.kind === 'call' && c.expr.over)).map((c) => renderValue(c.expr, ctx)) : [];
  return { select, groupBy: groups.length > 0 ? `\nGROUP BY ${groups.join(', ')}` : '' };
}

function paramsFor(set: ContractSet, d: Engine): (name: string) => string {
  return (name) => {
    if (name === 'run_date') return RUN_DATE_PLACEHOLDER;
    const v = set.metrics.parameters[name];
    if (v === undefined)
      throw new StreamPulseError('JOBS_UNKNOWN_PARAMETER', `parameter $${name} is not defined`, { remedy: 'define it under parameters: in metrics.yaml' });
    return typeof v === 'number' ? String(v) : stringLiteral(v, d);
  };
}

export function compileModel(set: ContractSet, m: ModelContract & { file: string }): JobSpec {
  const cols = m.columns.map((c) => ({ name: c.name, type: c.type, expr: parseExpr(c.expr ?? c.name) }));
  const deps = new Set<string>();
  const sql = perEngine((d) => {
    const params = paramsFor(set, d);
    const { select, groupBy } = renderSelect(cols, d, params);
    if (m.type === 'date_dimension') {
      const spine = m.spine!;
      const gen =
        d === 'duckdb'
          ? `(SELECT CAST(range AS DATE) AS ${quoteIdent(SPINE_COLUMN, d)} FROM range(DATE '${spine.start}', DATE '${spine.end}' + INTERVAL 1 DAY, INTERVAL 1 DAY))`
          : `(SELECT explode(sequence(DATE '${spine.start}', DATE '${spine.end}', INTERVAL 1 DAY)) AS ${quoteIdent(SPINE_COLUMN, d)})`;
      return `SELECT\n  ${select}\nFROM ${gen} AS ${quoteIdent('d', d)}${groupBy}`;
    }
    if (m.union) {
      const branches = m.union.map((b) => {
        const ctx = { dialect: d, param: params };
        const sel = Object.entries(b.select)
          .map(([k, e]) => `${renderValue(parseExpr(e), ctx)} AS ${quoteIdent(k, d)}`)
          .join(', ');
        [b.from, ...b.joins].forEach((r) => deps.add(relDep(r)));
        return `SELECT ${sel}\n${renderFrom({ from: b.from, joins: b.joins, filter: b.filter }, d, params)}`;
      });
      return `SELECT\n  ${select}\nFROM (\n${branches.join('\nUNION ALL\n')}\n) AS ${quoteIdent(UNION_ALIAS, d)}${groupBy}`;
    }
    [m.from!, ...m.joins].forEach((r) => deps.add(relDep(r)));
    return `SELECT\n  ${select}\n${renderFrom({ from: m.from!, joins: m.joins, filter: m.filter }, d, params)}${groupBy}`;
  });
  return {
    spec_version: SPEC_VERSION,
    id: `gold.${m.model}`,
    layer: 'gold',
    name: m.model,
    contract: m.file,
    depends_on: [...deps].sort(),
    steps: [{ op: 'build', sql, columns: m.columns.map((c) => ({ name: c.name, type: c.type })) }],
  };
}

export function compileMart(set: ContractSet, m: MartContract & { file: string }): JobSpec {
  const cols = [
    ...m.dimensions.map((x) => ({ name: x.name, type: x.type, expr: parseExpr(x.expr ?? x.name) })),
    ...m.measures.map((x) => ({ name: x.name, type: x.type, expr: parseExpr(x.expr) })),
  ];
  const deps = new Set<string>([m.from, ...m.joins].map(relDep));
  const sql = perEngine((d) => {
    const params = paramsFor(set, d);
    const { select, groupBy } = renderSelect(cols, d, params, true);
    return `SELECT\n  ${select}\n${renderFrom({ from: m.from, joins: m.joins, filter: m.filter }, d, params)}${groupBy}`;
  });
  return {
    spec_version: SPEC_VERSION,
    id: `mart.${m.mart}`,
    layer: 'mart',
    name: m.mart,
    contract: m.file,
    depends_on: [...deps].sort(),
    steps: [{ op: 'build', sql, columns: cols.map((c) => ({ name: c.name, type: c.type })) }],
  };
}

/** Every job of the contract set, dependencies first; ties broken by id. */
export function compileJobs(set: ContractSet): JobPlan {
  const jobs: JobSpec[] = [
    ...set.datasets.flatMap((d) => [compileBronze(d), compileSilver(d)]),
    ...set.models.map((m) => compileModel(set, m)),
    ...set.marts.map((m) => compileMart(set, m)),
  ];
  return { spec_version: SPEC_VERSION, jobs: topoSort(jobs) };
}

function topoSort(jobs: JobSpec[]): JobSpec[] {
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const out: JobSpec[] = [];
  const state = new Map<string, 1 | 2>();
  // the ids being visited, outermost first: one stack pushed and popped (a copy per visit
  // made the sort quadratic in the depth of long referential chains)
  const path: string[] = [];
  const visit = (j: JobSpec): void => {
    if (state.get(j.id) === 2) return;
    if (state.get(j.id) === 1)
      throw new StreamPulseError('JOBS_CYCLE', `jobs depend on each other in a cycle: ${[...path, j.id].join(' → ')}`, {
        remedy: 'a referential rule between two datasets in both directions makes a cycle: keep it on one side only',
      });
    state.set(j.id, 1);
    path.push(j.id);
    for (const dep of [...j.depends_on].sort()) {
      const dj = byId.get(dep);
      if (dj) visit(dj);
    }
    path.pop();
    state.set(j.id, 2);
    out.push(j);
  };
  for (const j of [...jobs].sort((a, b) => (a.id < b.id ? -1 : 1))) visit(j);
  return out;
}

export { ENGINES };
