/**
 * `contracts show <name>`: finds one contract by name and renders it for a human
 * (or as JSON). Works for every kind: dataset, model, mart, dashboard and `metrics`.
 */
import {
  BUILTIN_PARAMETERS,
  UNION_ALIAS,
  StreamPulseError,
  closest,
  silverColumns,
  type Column,
  type ContractSet,
  type DashboardContract,
  type DatasetContract,
  type Join,
  type MartContract,
  type MetricsContract,
  type ModelContract,
  type QualityRule,
  type RelationRef,
} from '@streampulse/contracts';
import { count, listOf, table, type Style } from '../output.js';

/** The name `contracts show` accepts for the one metrics contract. */
export const METRICS_NAME = 'metrics';

export type FoundContract =
  | { kind: 'dataset'; name: string; file: string; contract: DatasetContract }
  | { kind: 'model'; name: string; file: string; contract: ModelContract }
  | { kind: 'mart'; name: string; file: string; contract: MartContract }
  | { kind: 'metrics'; name: string; file: string; contract: MetricsContract }
  | { kind: 'dashboard'; name: string; file: string; contract: DashboardContract };

/** Removes the loader's `file` field so the contract reads as its YAML did. */
function strip<T extends { file: string }>(c: T): Omit<T, 'file'> {
  const { file: _file, ...rest } = c;
  return rest;
}

export function allContracts(set: ContractSet): FoundContract[] {
  return [
    ...set.datasets.map((c) => ({ kind: 'dataset' as const, name: c.dataset, file: c.file, contract: strip(c) })),
    ...set.models.map((c) => ({ kind: 'model' as const, name: c.model, file: c.file, contract: strip(c) })),
    ...set.marts.map((c) => ({ kind: 'mart' as const, name: c.mart, file: c.file, contract: strip(c) })),
    { kind: 'metrics' as const, name: METRICS_NAME, file: set.metrics.file, contract: strip(set.metrics) },
    ...set.dashboards.map((c) => ({ kind: 'dashboard' as const, name: c.dashboard, file: c.file, contract: strip(c) })),
  ];
}

/** The contract called `name`, or a CLI_UNKNOWN_CONTRACT error with a "did you mean". */
export function findContract(set: ContractSet, name: string): FoundContract {
  const all = allContracts(set);
  const found = all.find((c) => c.name === name);
  if (found) return found;
  const names = all.map((c) => c.name);
  const guess = closest(name, names);
  throw new StreamPulseError('CLI_UNKNOWN_CONTRACT', `no contract named "${name}"${guess === undefined ? '' : ` — did you mean "${guess}"?`}`, {
    remedy: `give the name of a dataset, model, mart or dashboard, or "${METRICS_NAME}": ${listOf(names)}`,
  });
}

/** Key/value lines with the keys aligned. */
function fields(pairs: readonly (readonly [string, string | undefined])[], style: Style, minWidth = 0): string[] {
  const shown = pairs.filter((p): p is readonly [string, string] => p[1] !== undefined && p[1] !== '');
  const width = Math.max(minWidth, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `  ${style.dim(k.padEnd(width))}  ${v}`);
}

function section(title: string, style: Style): string {
  return style.bold(title);
}

function header(kind: string, name: string, extra: string, file: string, description: string | undefined, style: Style): string[] {
  return [
    `${kind === '' ? '' : `${style.dim(kind)} `}${style.bold(style.cyan(name))}${extra === '' ? '' : `  ${extra}`}`,
    `${style.dim('file')} ${file}`,
    ...(description === undefined ? [] : [description]),
    '',
  ];
}

const relation = (r: RelationRef | Join): string =>
  r.dataset !== undefined ? `silver dataset ${r.dataset} as ${r.alias}` : `gold model ${r.model ?? '?'} as ${r.alias}`;
const joinText = (j: Join): string => `${j.type} join ${relation(j)} on ${j.on}`;

function piiText(c: Column): string {
  return c.pii === undefined ? '' : `${c.pii.class}/${c.pii.policy}`;
}

function constraintText(c: Column): string {
  const k = c.constraints;
  if (k === undefined) return '';
  const parts: string[] = [];
  if (k.max_length !== undefined) parts.push(`max length ${k.max_length}`);
  if (k.min !== undefined) parts.push(`min ${k.min}`);
  if (k.max !== undefined) parts.push(`max ${k.max}`);
  if (k.accepted_values !== undefined) parts.push(`in (${k.accepted_values.join(', ')})`);
  if (k.pattern !== undefined) parts.push(`pattern ${k.pattern}`);
  return parts.join(', ');
}

function ruleCheck(r: QualityRule): string {
  switch (r.rule) {
    case 'not_null':
      return `${r.column} is not null`;
    case 'unique':
      return `(${r.columns.join(', ')}) is unique`;
    case 'range':
      return [r.min !== undefined ? `${r.min} <=` : '', r.column, r.max !== undefined ? `<= ${r.max}` : ''].filter((s) => s !== '').join(' ');
    case 'accepted_values':
      return `${r.column} in (${r.values.join(', ')})`;
    case 'regex':
      return `${r.column} matches ${r.pattern}`;
    case 'referential':
      return `${r.column} exists in ${r.references.dataset}.${r.references.column}`;
    case 'freshness':
      return `newest record at most ${r.max_age_hours} h old`;
  }
}

function renderDataset(d: DatasetContract, file: string, style: Style): string[] {
  const s = d.source;
  const source = [
    s.system,
    s.format + (s.csv ? ` (delimiter "${s.csv.delimiter}", ${s.csv.header ? 'with' : 'no'} header)` : ''),
    s.landing_path,
    s.schedule,
    s.stream_topic ? `stream topic ${s.stream_topic}` : '',
  ]
    .filter((x) => x !== '')
    .join(' · ');
  const r = d.retention;
  const silver = silverColumns(d).map((c) => c.name);
  const dropped = d.columns.filter((c) => c.pii?.policy === 'drop').map((c) => c.name);
  const scd =
    d.silver.scd.type === 2
      ? `type 2, tracking ${d.silver.scd.tracked_columns.join(', ')} (adds _valid_from, _valid_to, _is_current)`
      : 'type 1 (latest version only)';
  const conform = d.silver.conform.map((c) => {
    const ops = [c.trim ? 'trim' : '', c.case ? `${c.case} case` : '', c.default !== undefined ? `default ${JSON.stringify(c.default)}` : ''].filter(
      (x) => x !== '',
    );
    return `${c.column}: ${ops.join(', ')}`;
  });
  return [
    ...header('dataset', d.dataset, `v${d.version}`, file, d.description, style),
    ...fields(
      [
        ['owner', d.owner],
        ['domain', d.domain],
        ['source', source],
        ['sla', `fresh within ${d.sla.freshness_hours} h, ${d.sla.completeness_pct}% complete`],
        ['primary key', d.primary_key.join(', ')],
        ['event time', `${d.event_time} (late data merged up to ${d.watermark.max_delay_hours} h)`],
        ['retention', `landing ${r.landing_days} d, bronze ${r.bronze_days} d, silver ${r.silver_days} d, quarantine ${r.quarantine_days} d`],
      ],
      style,
    ),
    '',
    section(`columns (${d.columns.length})`, style),
    ...table(
      ['NAME', 'TYPE', 'REQUIRED', 'PII (CLASS/POLICY)', 'CONSTRAINTS', 'DESCRIPTION'],
      d.columns.map((c) => [c.name, c.type, c.required ? 'yes' : 'no', piiText(c), constraintText(c), c.description]),
      style,
      '  ',
    ),
    '',
    section(`quality rules (${d.quality.length})`, style),
    ...(d.quality.length === 0
      ? ['  (none)']
      : table(
          ['RULE', 'CHECK', 'ACTION', 'NAME'],
          d.quality.map((q) => [q.rule, ruleCheck(q), q.action, q.name ?? '']),
          style,
          '  ',
        )),
    '',
    section('silver', style),
    ...fields(
      [
        ['dedupe', `key ${d.silver.dedupe.key.join(', ')}; latest wins by ${d.silver.dedupe.order_by.map((o) => `${o.column} ${o.direction}`).join(', ')}`],
        ['conform', conform.join('; ')],
        ['scd', scd],
        ['columns', silver.join(', ')],
        ['dropped', dropped.join(', ')],
      ],
      style,
    ),
  ];
}

function renderModel(m: ModelContract, file: string, style: Style): string[] {
  const lines = [
    ...header('model', m.model, `v${m.version}  (${m.type})`, file, m.description, style),
    ...fields(
      [
        ['owner', m.owner],
        ['domain', m.domain],
        ['grain', m.grain],
        ['primary key', m.primary_key.join(', ')],
        ['spine', m.spine ? `${m.spine.start} … ${m.spine.end} (column d.date_day)` : undefined],
        ['from', m.from ? relation(m.from) : undefined],
        ...m.joins.map((j) => ['join', joinText(j)] as const),
        ['filter', m.filter],
      ],
      style,
    ),
  ];
  if (m.union) {
    lines.push('', section(`union all (${count(m.union.length, 'branch', 'branches')}, read as alias ${UNION_ALIAS})`, style));
    m.union.forEach((b, i) => {
      lines.push(`  ${i + 1}. from ${relation(b.from)}`);
      for (const j of b.joins) lines.push(`     ${joinText(j)}`);
      if (b.filter !== undefined) lines.push(`     where ${b.filter}`);
      for (const [col, expr] of Object.entries(b.select)) lines.push(`     ${col} = ${expr}`);
    });
  }
  lines.push(
    '',
    section(`columns (${m.columns.length})`, style),
    ...table(
      ['NAME', 'TYPE', 'REQUIRED', 'EXPR', 'DESCRIPTION'],
      m.columns.map((c) => [c.name, c.type, c.required ? 'yes' : 'no', c.expr ?? '(same name)', c.description]),
      style,
      '  ',
    ),
  );
  return lines;
}

function renderMart(m: MartContract, file: string, set: ContractSet, style: Style): string[] {
  const cards = set.dashboards.flatMap((d) => d.cards.filter((c) => c.mart === m.mart).map((c) => `${d.dashboard}.${c.id}`));
  return [
    ...header('mart', m.mart, `v${m.version}`, file, m.description, style),
    ...fields(
      [
        ['owner', m.owner],
        ['domain', m.domain],
        ['grain', m.grain.join(', ')],
        ['from', relation(m.from)],
        ...m.joins.map((j) => ['join', joinText(j)] as const),
        ['filter', m.filter],
        [
          'row security',
          m.row_level_security ? `rows filtered by ${m.row_level_security.column} = claim "${m.row_level_security.principal_claim}"` : undefined,
        ],
        ['used by', cards.length === 0 ? 'no card' : cards.join(', ')],
      ],
      style,
    ),
    '',
    section(`dimensions (${m.dimensions.length})`, style),
    ...table(
      ['NAME', 'TYPE', 'EXPR', 'DESCRIPTION'],
      m.dimensions.map((d) => [d.name, d.type, d.expr ?? '(same name)', d.description]),
      style,
      '  ',
    ),
    '',
    section(`measures (${m.measures.length})`, style),
    ...table(
      ['NAME', 'TYPE', 'EXPR', 'METRIC', 'DEFINITION'],
      m.measures.map((x) => [x.name, x.type, x.expr, x.metric ?? '', x.definition]),
      style,
      '  ',
    ),
  ];
}

function renderMetrics(m: MetricsContract, file: string, set: ContractSet, style: Style): string[] {
  const measuresOf = (metric: string): string =>
    set.marts.flatMap((mart) => mart.measures.filter((x) => x.metric === metric).map((x) => `${mart.mart}.${x.name}`)).join(', ');
  const params = Object.entries(m.parameters).sort(([a], [b]) => (a < b ? -1 : 1));
  return [
    ...header('', METRICS_NAME, style.dim('(metric definitions and parameters)'), file, undefined, style),
    section(`metrics (${m.metrics.length})`, style),
    ...table(
      ['NAME', 'LABEL', 'KIND', 'UNIT', 'DEPENDS ON', 'MEASURES', 'DEFINITION'],
      m.metrics.map((x) => [
        x.name,
        x.label,
        x.kind,
        x.unit,
        x.depends_on.join(', '),
        measuresOf(x.name),
        x.formula === undefined ? x.definition : `${x.definition} Formula: ${x.formula}`,
      ]),
      style,
      '  ',
    ),
    '',
    section(`parameters (${params.length} + built in)`, style),
    ...table(
      ['NAME', 'VALUE'],
      [...params.map(([k, v]) => [`$${k}`, JSON.stringify(v)]), ...Object.entries(BUILTIN_PARAMETERS).map(([k, v]) => [`$${k}`, `(built in) ${v}`])],
      style,
      '  ',
    ),
  ];
}

function renderDashboard(d: DashboardContract, file: string, style: Style): string[] {
  const filter = (f: DashboardContract['cards'][number]['query']['filters'][number]): string =>
    `${f.column} ${f.op} ${Array.isArray(f.value) ? `(${f.value.join(', ')})` : String(f.value)}`;
  const lines = [
    ...header('dashboard', d.dashboard, `"${d.title}"`, file, d.description, style),
    ...fields([['owner', d.owner]], style),
    '',
    section(`cards (${d.cards.length})`, style),
  ];
  for (const c of d.cards) {
    const q = c.query;
    const by = q.dimensions.length === 0 ? '' : ` by ${q.dimensions.join(', ')}`;
    const sort = [...q.sort.map((x) => `${x.column} ${x.direction}`), ...(q.limit !== undefined ? [`limit ${q.limit}`] : [])].join(', ');
    lines.push(
      `  ${style.bold(c.id)}  "${c.title}"`,
      ...fields(
        [
          ['shows', `${c.visualization} of ${q.measures.join(', ')}${by}`],
          ['from', c.mart],
          ['filters', q.filters.map(filter).join('; ')],
          ['sort', sort],
          ['layout', `row ${c.layout.row}, col ${c.layout.col}, ${c.layout.width}x${c.layout.height} (24-column grid)`],
          ['about', c.description],
        ],
        style,
        'filters'.length,
      ).map((l) => `  ${l}`),
    );
  }
  return lines;
}

/** A readable rendering of one contract. `file` is the path as shown to the user. */
export function renderContract(found: FoundContract, file: string, set: ContractSet, style: Style): string[] {
  switch (found.kind) {
    case 'dataset':
      return renderDataset(found.contract, file, style);
    case 'model':
      return renderModel(found.contract, file, style);
    case 'mart':
      return renderMart(found.contract, file, set, style);
    case 'metrics':
      return renderMetrics(found.contract, file, set, style);
    case 'dashboard':
      return renderDashboard(found.contract, file, style);
  }
}
