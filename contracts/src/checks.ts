/**
 * Cross-contract checks: every reference between contracts (datasets, columns,
 * models, marts, metrics, parameters, cards) must resolve, names must be unique and
 * expressions must parse and call known functions.
 */
import type { ContractIssue } from './errors.js';
import { columnRefs, ExprSyntaxError, FUNCTIONS, isAggregate, parseExpr, walkExpr, type Expr } from './expr.js';
import { analyzeFormula, type FormulaRef } from './formula.js';
import type { LoadedFile } from './loader.js';
import { BUILTIN_PARAMETERS, relationsRead, RLS_TYPES, UNION_ALIAS } from './model.js';
import type { ContractSet, DashboardContract, DatasetContract, MartContract, MetricsContract, MetricsFile, ModelContract, SourceRef } from './model.js';
import { formatPath } from './schema-issues.js';
import { didYouMean, listOf } from './suggest.js';
import type { YamlSource } from './yaml-source.js';

type Path = readonly (string | number)[];

/** Validity columns that silver adds to a dataset with `scd: { type: 2 }`. */
export const SCD2_COLUMNS = [
  { name: '_valid_from', type: 'timestamp' },
  { name: '_valid_to', type: 'timestamp' },
  { name: '_is_current', type: 'boolean' },
] as const;

/**
 * Columns a silver dataset exposes: every column except those whose PII policy is
 * `drop`, plus the SCD2 validity columns when the dataset keeps history.
 */
export function silverColumns(d: DatasetContract): { name: string; type: string }[] {
  const cols = d.columns.filter((c) => c.pii?.policy !== 'drop').map((c) => ({ name: c.name, type: c.type }));
  return d.silver.scd.type === 2 ? [...cols, ...SCD2_COLUMNS] : cols;
}

/** The only column of a date_dimension's generated spine. */
export const SPINE_COLUMN = 'date_day';

/** Names whose contract file is itself invalid; references to them are not reported again. */
let brokenNames: ReadonlySet<string> = new Set();

class Reporter {
  readonly issues: ContractIssue[] = [];
  constructor(private readonly f: { file: string; src: YamlSource }) {}
  add(code: string, path: Path, message: string, remedy: string, opts: { key?: boolean; exprOffset?: number } = {}): void {
    const pos = opts.exprOffset !== undefined ? this.f.src.posInScalar(path, opts.exprOffset) : this.f.src.posAt(path, opts.key ?? false);
    this.issues.push({ code, file: this.f.file, line: pos.line, column: pos.column, path: formatPath(path), message, remedy });
  }
}

interface Relation {
  alias: string;
  kind: 'dataset' | 'model' | 'spine';
  name: string;
  columns: Map<string, string>;
  /** The contract behind it is itself invalid: accept any column, report nothing. */
  opaque?: boolean;
}

export function crossCheck(
  files: readonly LoadedFile[],
  root: string,
  broken: ReadonlySet<string> = new Set(),
): { issues: ContractIssue[]; contracts?: ContractSet } {
  brokenNames = broken;
  const issues: ContractIssue[] = [];
  const byKind = <K extends LoadedFile['kind']>(k: K) => files.filter((f) => f.kind === k);
  const datasetFiles = byKind('dataset');
  const modelFiles = byKind('model');
  const martFiles = byKind('mart');
  const metricsFiles = byKind('metrics');
  const dashboardFiles = byKind('dashboard');

  // ---- unique names per kind (datasets and models share one namespace: both are tables)
  const seen = new Map<string, LoadedFile>();
  for (const f of [...datasetFiles, ...modelFiles, ...martFiles, ...dashboardFiles]) {
    const other = seen.get(f.name);
    if (other) {
      const r = new Reporter(f);
      r.add(
        'CONTRACT_DUPLICATE_NAME',
        [f.kind],
        `${f.kind} name "${f.name}" is already used by the ${other.kind} in ${other.file}`,
        'rename one of them or delete the duplicate file',
      );
      issues.push(...r.issues);
    } else seen.set(f.name, f);
  }
  if (metricsFiles.length !== 1) {
    const f = metricsFiles[1];
    issues.push({
      code: metricsFiles.length === 0 ? 'CONTRACT_METRICS_MISSING' : 'CONTRACT_DUPLICATE_NAME',
      file: f ? f.file : root,
      line: 1,
      column: 1,
      path: '',
      message:
        metricsFiles.length === 0
          ? 'no metrics contract (a file starting with "metrics:") was found'
          : `a second metrics contract; the first is ${metricsFiles[0]!.file}`,
      remedy: metricsFiles.length === 0 ? 'add metrics.yaml with the metric definitions and parameters' : 'merge the metric lists into one metrics file',
    });
  }

  // the first file with a name wins; later duplicates were reported above
  const firstByName = <T>(fs: LoadedFile[]): Map<string, T> => {
    const m = new Map<string, T>();
    for (const f of fs) if (!m.has(f.name)) m.set(f.name, f.value as T);
    return m;
  };
  const datasets = firstByName<DatasetContract>(datasetFiles);
  const models = firstByName<ModelContract>(modelFiles);
  const marts = firstByName<MartContract>(martFiles);
  const metrics = metricsFiles[0]?.value as MetricsFile | undefined;
  const params = new Set([...Object.keys(metrics?.parameters ?? {}), ...Object.keys(BUILTIN_PARAMETERS)]);
  const metricNames = new Set(metrics?.metrics.map((m) => m.name) ?? []);

  for (const f of datasetFiles) issues.push(...checkDataset(f, datasets));
  // every mart measure that serves a metric, by metric name: "mart.measure"
  const servedBy = new Map<string, string[]>();
  for (const [mart, m] of marts) for (const x of m.measures) servedBy.set(x.name, [...(servedBy.get(x.name) ?? []), `${mart}.${x.name}`]);
  let formulas: FormulaCatalog = new Map();
  for (const f of metricsFiles.slice(0, 1)) {
    const checked = checkMetrics(f, servedBy);
    issues.push(...checked.issues);
    formulas = checked.formulas;
  }
  const modelOrder = orderModels(modelFiles, issues);
  for (const f of modelFiles) issues.push(...checkModel(f, datasets, models, params));
  for (const f of martFiles) issues.push(...checkMart(f, datasets, models, params, metricNames, formulas));
  for (const f of martFiles) issues.push(...checkMartReferences(f, marts));
  for (const f of dashboardFiles) issues.push(...checkDashboard(f, marts));

  if (issues.length > 0 || !metrics || !metricsFiles[0]) return { issues };
  // Object.assign, not an object spread: the same own properties in the same order, several times faster in V8 (one per contract)
  const withFile = <T>(f: LoadedFile): T & SourceRef => Object.assign({}, f.value as T, { file: f.file });
  const byName = <T extends { file: string }>(xs: T[], key: (x: T) => string): T[] => xs.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return {
    issues,
    contracts: {
      root,
      datasets: byName(
        datasetFiles.map((f) => withFile<DatasetContract>(f)),
        (d) => d.dataset,
      ),
      // models are in dependency order (a model after everything it reads), ties by name
      models: modelOrder.map((f) => withFile<ModelContract>(f)),
      marts: byName(
        martFiles.map((f) => withFile<MartContract>(f)),
        (m) => m.mart,
      ),
      metrics: {
        ...metrics,
        metrics: metrics.metrics.map(({ depends_on: _given, ...x }) => ({ ...x, depends_on: formulas.get(x.name)?.names ?? [] })),
        file: metricsFiles[0].file,
      } satisfies MetricsContract & SourceRef,
      dashboards: byName(
        dashboardFiles.map((f) => withFile<DashboardContract>(f)),
        (d) => d.dashboard,
      ),
    },
  };
}

function checkUniqueNames(r: Reporter, items: readonly { name: string }[], listPath: string, what: string): void {
  const seen = new Set<string>();
  items.forEach((c, i) => {
    if (seen.has(c.name))
      r.add('CONTRACT_DUPLICATE_NAME', [listPath, i, 'name'], `${what} "${c.name}" is declared twice`, `rename or remove the second "${c.name}"`);
    seen.add(c.name);
  });
}

function checkDataset(f: LoadedFile, datasets: Map<string, DatasetContract>): ContractIssue[] {
  const d = f.value as DatasetContract;
  const r = new Reporter(f);
  checkUniqueNames(r, d.columns, 'columns', 'column');
  const cols = new Map(d.columns.map((c) => [c.name, c]));
  const names = [...cols.keys()];
  const needColumn = (path: Path, col: string, why: string): boolean => {
    if (cols.has(col)) return true;
    r.add(
      'CONTRACT_UNKNOWN_COLUMN',
      path,
      `${why} "${col}" is not a declared column${didYouMean(col, names)}`,
      `declare "${col}" under columns, or use one of: ${listOf(names)}`,
    );
    return false;
  };
  d.primary_key.forEach((k, i) => {
    if (!cols.has(k))
      r.add(
        'CONTRACT_KEY_NOT_DECLARED',
        ['primary_key', i],
        `primary key column "${k}" is not declared under columns${didYouMean(k, names)}`,
        `add a column named "${k}" (required: true) or fix the key`,
      );
    else if (!cols.get(k)!.required)
      r.add('CONTRACT_KEY_NOT_REQUIRED', ['primary_key', i], `primary key column "${k}" is not marked required`, `set "required: true" on column "${k}"`);
    else if (cols.get(k)!.pii?.policy === 'drop')
      r.add(
        'CONTRACT_KEY_DROPPED',
        ['primary_key', i],
        `primary key column "${k}" has PII policy "drop", so silver could not key on it`,
        `use policy "pseudonymise" for "${k}"`,
      );
  });
  if (needColumn(['event_time'], d.event_time, 'event_time')) {
    const t = cols.get(d.event_time)!.type;
    if (t !== 'timestamp' && t !== 'date')
      r.add('CONTRACT_WRONG_TYPE', ['event_time'], `event_time column "${d.event_time}" has type ${t}`, 'point event_time at a timestamp or date column');
  }
  d.silver.dedupe.key.forEach((k, i) => needColumn(['silver', 'dedupe', 'key', i], k, 'dedupe key'));
  d.silver.dedupe.order_by.forEach((o, i) => needColumn(['silver', 'dedupe', 'order_by', i, 'column'], o.column, 'dedupe order_by column'));
  d.silver.conform.forEach((c, i) => needColumn(['silver', 'conform', i, 'column'], c.column, 'conform column'));
  if (d.silver.scd.type === 2) d.silver.scd.tracked_columns.forEach((c, i) => needColumn(['silver', 'scd', 'tracked_columns', i], c, 'SCD2 tracked column'));
  if (d.source.stream_key !== undefined) {
    if (d.source.stream_topic === undefined)
      r.add(
        'CONTRACT_MISSING_FIELD',
        ['source', 'stream_key'],
        'a stream_key without a stream_topic keys nothing',
        'add "stream_topic:" under source, or remove "stream_key"',
      );
    if (needColumn(['source', 'stream_key'], d.source.stream_key, 'stream_key') && !cols.get(d.source.stream_key)!.required)
      r.add(
        'CONTRACT_INVALID_VALUE',
        ['source', 'stream_key'],
        `stream_key column "${d.source.stream_key}" is not marked required: a record without it would have no key`,
        `set "required: true" on column "${d.source.stream_key}", or key on a required column`,
      );
  }
  if (d.source.format === 'csv' && !d.source.csv)
    r.add('CONTRACT_MISSING_FIELD', ['source'], 'a csv source needs its csv options', 'add "csv: { delimiter: ",", header: true }" under source');
  if (d.source.format !== 'csv' && d.source.csv)
    r.add('CONTRACT_INVALID_VALUE', ['source', 'csv'], `csv options on a ${d.source.format} source`, 'remove "csv" or set format: csv');
  d.quality.forEach((q, i) => {
    const base: (string | number)[] = ['quality', i];
    if ('column' in q) needColumn([...base, 'column'], q.column, `${q.rule} rule column`);
    if (q.rule === 'unique') q.columns.forEach((c, j) => needColumn([...base, 'columns', j], c, 'unique rule column'));
    if (q.rule === 'range' && q.min === undefined && q.max === undefined)
      r.add('CONTRACT_MISSING_FIELD', base, 'a range rule needs min, max or both', 'add "min:" and/or "max:"');
    if (q.rule === 'regex') {
      try {
        new RegExp(q.pattern);
      } catch (e) {
        r.add(
          'CONTRACT_INVALID_VALUE',
          [...base, 'pattern'],
          `pattern is not a valid regular expression (${(e as Error).message})`,
          'fix the regular expression',
        );
      }
    }
    if (q.rule === 'freshness' && q.action !== 'warn' && q.action !== 'fail')
      r.add(
        'CONTRACT_INVALID_VALUE',
        [...base, 'action'],
        `a freshness rule judges the whole dataset once per batch, not a row, so there is no row to ${q.action}`,
        'use action "fail" (the batch stops before it is written) or "warn" (reported and noted)',
      );
    if (q.rule === 'referential') {
      const target = datasets.get(q.references.dataset);
      if (!target && brokenNames.has(q.references.dataset)) return;
      if (!target)
        r.add(
          'CONTRACT_UNKNOWN_DATASET',
          [...base, 'references', 'dataset'],
          `referenced dataset "${q.references.dataset}" does not exist${didYouMean(q.references.dataset, datasets.keys())}`,
          `use one of: ${listOf(datasets.keys())}`,
        );
      else if (!target.columns.some((c) => c.name === q.references.column))
        r.add(
          'CONTRACT_UNKNOWN_COLUMN',
          [...base, 'references', 'column'],
          `dataset "${q.references.dataset}" has no column "${q.references.column}"${didYouMean(
            q.references.column,
            target.columns.map((c) => c.name),
          )}`,
          `use one of: ${listOf(target.columns.map((c) => c.name))}`,
        );
    }
  });
  return r.issues;
}

/** Per derived metric whose formula is valid: the metric names it uses (its `depends_on`) and the formula text. */
type FormulaCatalog = Map<string, { names: readonly string[]; formula: string }>;

/**
 * The metrics file: unique names; a derived metric has a formula, a base metric none;
 * each formula is an expression over declared metric names (formula.ts), without
 * cycles; a given `depends_on` lists exactly the metrics the formula names.
 */
function checkMetrics(f: LoadedFile, servedBy: Map<string, string[]>): { issues: ContractIssue[]; formulas: FormulaCatalog } {
  const m = f.value as MetricsFile;
  const r = new Reporter(f);
  checkUniqueNames(r, m.metrics, 'metrics', 'metric');
  const names = m.metrics.map((x) => x.name);
  const formulas: FormulaCatalog = new Map();
  const refsOf = new Map<string, { i: number; refs: readonly FormulaRef[] }>();
  m.metrics.forEach((x, i) => {
    const formulaPath: Path = ['metrics', i, 'formula'];
    x.depends_on?.forEach((dep, j) => {
      if (!names.includes(dep))
        r.add(
          'CONTRACT_UNKNOWN_METRIC',
          ['metrics', i, 'depends_on', j],
          `metric "${dep}" does not exist${didYouMean(dep, names)}`,
          `use one of: ${listOf(names)}`,
        );
    });
    if (x.kind === 'base') {
      if (x.formula !== undefined)
        r.add(
          'CONTRACT_INVALID_VALUE',
          formulaPath,
          `base metric "${x.name}" has a formula; a base metric is measured from the data, not computed from other metrics`,
          'remove "formula:", or set "kind: derived" when it is arithmetic over other metrics',
        );
      else if (x.depends_on !== undefined && x.depends_on.length > 0)
        r.add(
          'CONTRACT_DEPENDS_ON_MISMATCH',
          ['metrics', i, 'depends_on'],
          `base metric "${x.name}" lists depends_on, but only a derived metric's formula depends on other metrics`,
          'remove "depends_on:" (say in the definition what the metric is measured from)',
        );
      return;
    }
    if (x.formula === undefined) {
      r.add(
        'CONTRACT_MISSING_FIELD',
        ['metrics', i],
        `derived metric "${x.name}" has no formula`,
        'add "formula:", an expression over the names of declared metrics, e.g. churned_subscribers / opening_subscribers',
      );
      return;
    }
    const a = analyzeFormula(x.formula);
    for (const p of a.problems) r.add(p.code, formulaPath, `formula of ${x.name}: ${p.message}`, p.remedy, { exprOffset: p.offset });
    let known = a.problems.length === 0;
    for (const ref of a.refs) {
      if (names.includes(ref.name)) continue;
      known = false;
      const measures = servedBy.get(ref.name);
      r.add(
        'CONTRACT_UNKNOWN_METRIC',
        formulaPath,
        `formula of ${x.name}: "${ref.name}" is not a declared metric${
          measures === undefined ? didYouMean(ref.name, names) : ` (it is a mart measure: ${measures.join(', ')}; a formula names metrics, not measures)`
        }`,
        measures === undefined
          ? `use one of: ${listOf(names, 40)}`
          : `name the metric that measure serves (its "metric:"), or declare "${ref.name}" as a metric`,
        { exprOffset: ref.offset },
      );
    }
    if (known) {
      formulas.set(x.name, { names: a.names, formula: x.formula.trim() });
      refsOf.set(x.name, { i, refs: a.refs });
    }
    if (known && x.depends_on !== undefined) {
      const given = new Set(x.depends_on);
      const missing = a.names.filter((n) => !given.has(n));
      const extra = [...given].filter((n) => !a.names.includes(n));
      if (missing.length > 0 || extra.length > 0)
        r.add(
          'CONTRACT_DEPENDS_ON_MISMATCH',
          ['metrics', i, 'depends_on'],
          `depends_on of ${x.name} is [${x.depends_on.join(', ')}] but its formula uses [${a.names.join(', ')}]${
            missing.length > 0 ? `; missing: ${missing.join(', ')}` : ''
          }${extra.length > 0 ? `; not in the formula: ${extra.join(', ')}` : ''}`,
          `remove "depends_on:" (it is derived from the formula) or set it to [${a.names.join(', ')}]`,
        );
    }
  });
  // formulas may not depend on themselves, directly or through other metrics
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, stack: string[]): void => {
    const entry = refsOf.get(name);
    if (entry === undefined || state.get(name) === 'done') return;
    state.set(name, 'visiting');
    for (const ref of entry.refs) {
      if (state.get(ref.name) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(ref.name)), name, ref.name];
        r.add(
          'CONTRACT_CYCLE',
          ['metrics', entry.i, 'formula'],
          `formula of ${name}: metrics are defined in a cycle: ${(stack.includes(ref.name) ? cycle : [name, ref.name]).join(' → ')}`,
          'define one of them from base metrics, not from a metric that depends on it',
          { exprOffset: ref.offset },
        );
        formulas.delete(name);
      } else visit(ref.name, [...stack, name]);
    }
    state.set(name, 'done');
  };
  for (const name of [...refsOf.keys()].sort()) visit(name, []);
  return { issues: r.issues, formulas };
}

/** Models sorted so each comes after the models it reads; reports cycles. */
function orderModels(modelFiles: readonly LoadedFile[], issues: ContractIssue[]): LoadedFile[] {
  const byName = new Map(modelFiles.map((f) => [f.name, f]));
  const deps = (m: ModelContract): string[] =>
    relationsRead(m)
      .map((r) => r.model)
      .filter((x): x is string => x !== undefined && byName.has(x));
  const out: LoadedFile[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (f: LoadedFile, stack: string[]): void => {
    const st = state.get(f.name);
    if (st === 'done') return;
    if (st === 'visiting') {
      const r = new Reporter(f);
      r.add(
        'CONTRACT_CYCLE',
        ['from'],
        `models read each other in a cycle: ${[...stack.slice(stack.indexOf(f.name)), f.name].join(' → ')}`,
        'break the cycle: a model may only read datasets and models built before it',
      );
      issues.push(...r.issues);
      return;
    }
    state.set(f.name, 'visiting');
    for (const d of deps(f.value as ModelContract).sort()) visit(byName.get(d)!, [...stack, f.name]);
    state.set(f.name, 'done');
    out.push(f);
  };
  for (const f of [...modelFiles].sort((a, b) => (a.name < b.name ? -1 : 1))) visit(f, []);
  return out;
}

type RelRef = { dataset?: string | undefined; model?: string | undefined; alias: string };

function resolveRelations(
  r: Reporter,
  refs: { ref: RelRef; path: Path }[],
  datasets: Map<string, DatasetContract>,
  models: Map<string, ModelContract>,
): Relation[] {
  const rels: Relation[] = [];
  const aliases = new Set<string>();
  for (const { ref, path } of refs) {
    if (aliases.has(ref.alias)) r.add('CONTRACT_DUPLICATE_NAME', [...path, 'alias'], `alias "${ref.alias}" is used twice`, 'give every relation its own alias');
    aliases.add(ref.alias);
    if (ref.dataset !== undefined) {
      const d = datasets.get(ref.dataset);
      if (!d && brokenNames.has(ref.dataset)) {
        rels.push({ alias: ref.alias, kind: 'dataset', name: ref.dataset, columns: new Map(), opaque: true });
        continue;
      }
      if (!d) {
        r.add(
          'CONTRACT_UNKNOWN_DATASET',
          [...path, 'dataset'],
          `dataset "${ref.dataset}" does not exist${didYouMean(ref.dataset, datasets.keys())}`,
          `use one of: ${listOf(datasets.keys())}`,
        );
        rels.push({ alias: ref.alias, kind: 'dataset', name: ref.dataset, columns: new Map(), opaque: true });
        continue;
      }
      rels.push({ alias: ref.alias, kind: 'dataset', name: ref.dataset, columns: new Map(silverColumns(d).map((c) => [c.name, c.type])) });
    } else if (ref.model !== undefined) {
      const m = models.get(ref.model);
      if (!m && brokenNames.has(ref.model)) {
        rels.push({ alias: ref.alias, kind: 'model', name: ref.model, columns: new Map(), opaque: true });
        continue;
      }
      if (!m) {
        r.add(
          'CONTRACT_UNKNOWN_MODEL',
          [...path, 'model'],
          `model "${ref.model}" does not exist${didYouMean(ref.model, models.keys())}`,
          `use one of: ${listOf(models.keys())}`,
        );
        rels.push({ alias: ref.alias, kind: 'model', name: ref.model, columns: new Map(), opaque: true });
        continue;
      }
      rels.push({ alias: ref.alias, kind: 'model', name: ref.model, columns: new Map(m.columns.map((c) => [c.name, c.type])) });
    } else {
      r.add('CONTRACT_MISSING_FIELD', path, 'a join needs `dataset` or `model`', 'add "dataset: <name>" or "model: <name>"');
    }
  }
  return rels;
}

interface ExprContext {
  r: Reporter;
  rels: Relation[];
  params: Set<string>;
  /** Extra bare names that may be referenced (e.g. a mart measure's sibling names). */
  extra?: Set<string>;
  datasets: Map<string, DatasetContract>;
}

/** Parses and checks one expression; returns the AST or null when it does not parse. */
function checkExpr(ctx: ExprContext, path: Path, src: string, opts: { aggregate: 'forbidden' | 'required' | 'allowed'; what: string }): Expr | null {
  let e: Expr;
  try {
    e = parseExpr(src);
  } catch (err) {
    if (err instanceof ExprSyntaxError) {
      ctx.r.add('CONTRACT_EXPR_SYNTAX', path, `${opts.what}: ${err.message}`, 'fix the expression; the grammar is described in contracts/README.md', {
        exprOffset: err.offset,
      });
      return null;
    }
    throw err;
  }
  for (const ref of columnRefs(e)) {
    if (ref.table !== undefined) {
      const rel = ctx.rels.find((x) => x.alias === ref.table);
      if (!rel) {
        ctx.r.add(
          'CONTRACT_UNKNOWN_ALIAS',
          path,
          `${opts.what}: "${ref.table}" is not a relation alias here${didYouMean(
            ref.table,
            ctx.rels.map((x) => x.alias),
          )}`,
          `use one of the aliases: ${listOf(ctx.rels.map((x) => x.alias))}`,
          { exprOffset: ref.offset },
        );
        continue;
      }
      if (!rel.opaque && !rel.columns.has(ref.name))
        ctx.r.add(
          'CONTRACT_UNKNOWN_COLUMN',
          path,
          `${opts.what}: ${rel.kind} "${rel.name}" (alias ${rel.alias}) has no column "${ref.name}"${missingHint(ctx, rel, ref.name)}`,
          `use one of: ${listOf(rel.columns.keys())}`,
          { exprOffset: ref.offset },
        );
    } else {
      const owners = ctx.rels.filter((x) => x.columns.has(ref.name));
      if (owners.length === 0 && ctx.rels.some((x) => x.opaque)) continue;
      if (owners.length === 0 && !ctx.extra?.has(ref.name)) {
        const all = new Set([...ctx.rels.flatMap((x) => [...x.columns.keys()]), ...(ctx.extra ?? [])]);
        const rel = ctx.rels.length === 1 ? ctx.rels[0] : undefined;
        ctx.r.add(
          'CONTRACT_UNKNOWN_COLUMN',
          path,
          `${opts.what}: no relation here has a column "${ref.name}"${rel ? missingHint(ctx, rel, ref.name) : didYouMean(ref.name, all)}`,
          `use one of: ${listOf(all)}`,
          { exprOffset: ref.offset },
        );
      } else if (owners.length > 1)
        ctx.r.add(
          'CONTRACT_AMBIGUOUS_COLUMN',
          path,
          `${opts.what}: column "${ref.name}" exists in ${owners.map((o) => o.alias).join(' and ')}`,
          `qualify it, e.g. ${owners[0]!.alias}.${ref.name}`,
          { exprOffset: ref.offset },
        );
    }
  }
  walkExpr(e, (n) => {
    if (n.kind === 'param' && !ctx.params.has(n.name))
      ctx.r.add(
        'CONTRACT_UNKNOWN_PARAMETER',
        path,
        `${opts.what}: parameter $${n.name} is not defined${didYouMean(n.name, ctx.params)}`,
        'define it under "parameters:" in metrics.yaml',
        { exprOffset: n.offset },
      );
    if (n.kind === 'call') {
      const sig = FUNCTIONS[n.name];
      if (!sig) {
        ctx.r.add(
          'CONTRACT_UNKNOWN_FUNCTION',
          path,
          `${opts.what}: unknown function ${n.name}()${didYouMean(n.name, Object.keys(FUNCTIONS))}`,
          `use a portable function: ${listOf(Object.keys(FUNCTIONS), 40)}`,
          { exprOffset: n.offset },
        );
        return;
      }
      if (n.args.length < sig.minArgs || n.args.length > sig.maxArgs)
        ctx.r.add(
          'CONTRACT_FUNCTION_ARITY',
          path,
          `${opts.what}: ${n.name}() takes ${sig.minArgs === sig.maxArgs ? sig.minArgs : `${sig.minArgs} to ${sig.maxArgs}`} argument(s), got ${n.args.length}`,
          `call it as: ${n.name} — ${sig.description}`,
          { exprOffset: n.offset },
        );
      if (sig.kind === 'window' && !n.over)
        ctx.r.add(
          'CONTRACT_WINDOW_REQUIRED',
          path,
          `${opts.what}: ${n.name}() needs an OVER (...) clause`,
          `write ${n.name}(...) over (partition by ... order by ...)`,
          { exprOffset: n.offset },
        );
      if (n.distinct && n.name !== 'count')
        ctx.r.add('CONTRACT_INVALID_VALUE', path, `${opts.what}: DISTINCT is only supported in count(distinct ...)`, 'remove DISTINCT', {
          exprOffset: n.offset,
        });
      if (n.args.some((a) => a.kind === 'star') && n.name !== 'count')
        ctx.r.add('CONTRACT_INVALID_VALUE', path, `${opts.what}: * is only allowed in count(*)`, 'name a column instead', { exprOffset: n.offset });
      const arg = n.args[0];
      if ((n.name === 'sum' || n.name === 'avg') && arg !== undefined && isDoubleValued(ctx, arg))
        ctx.r.add(
          'CONTRACT_ORDER_DEPENDENT_SUM',
          path,
          `${opts.what}: ${n.name}() over a double adds floating-point values in whatever order the engine's threads reach them, so two runs of the same data can differ in the last digits (gold would not be byte-identical)`,
          `sum an exact type instead, e.g. ${n.name}(cast(<expr> as decimal(18,4))), or sum integers and divide after`,
          { exprOffset: n.offset },
        );
    }
  });
  const agg = isAggregate(e);
  if (opts.aggregate === 'forbidden' && agg)
    ctx.r.add('CONTRACT_AGGREGATE_NOT_ALLOWED', path, `${opts.what} may not aggregate`, 'move the aggregate into a measure');
  if (opts.aggregate === 'required' && !agg)
    ctx.r.add(
      'CONTRACT_AGGREGATE_REQUIRED',
      path,
      `${opts.what} must aggregate (sum, count, avg, min, max)`,
      'wrap the expression in an aggregate, or make it a dimension',
    );
  return e;
}

/** Whether an expression's value is a double (a double column, a cast to double, a division): its sum depends on the order of addition. */
function isDoubleValued(ctx: ExprContext, e: Expr): boolean {
  const isDouble = (t: string | undefined): boolean => t === 'double' || t === 'float';
  switch (e.kind) {
    case 'column': {
      const rel = e.table !== undefined ? ctx.rels.find((x) => x.alias === e.table) : ctx.rels.find((x) => x.columns.has(e.name));
      return isDouble(rel?.columns.get(e.name));
    }
    case 'cast':
      return isDouble(e.type.toLowerCase());
    case 'binary':
      return e.op === '/' || ((e.op === '+' || e.op === '-' || e.op === '*') && (isDoubleValued(ctx, e.left) || isDoubleValued(ctx, e.right)));
    case 'unary':
      return isDoubleValued(ctx, e.operand);
    case 'call':
      return (
        e.name === 'safe_divide' ||
        ((e.name === 'coalesce' || e.name === 'nullif' || e.name === 'abs' || e.name === 'round') && e.args.some((a) => isDoubleValued(ctx, a)))
      );
    default:
      return false;
  }
}

function missingHint(ctx: ExprContext, rel: Relation, col: string): string {
  if (rel.kind === 'dataset') {
    const d = ctx.datasets.get(rel.name);
    const c = d?.columns.find((x) => x.name === col);
    if (c?.pii?.policy === 'drop') return ` (its PII policy "drop" removes it in silver)`;
  }
  return didYouMean(col, rel.columns.keys());
}

function checkModel(f: LoadedFile, datasets: Map<string, DatasetContract>, models: Map<string, ModelContract>, params: Set<string>): ContractIssue[] {
  const m = f.value as ModelContract;
  const r = new Reporter(f);
  checkUniqueNames(r, m.columns, 'columns', 'column');
  const colNames = m.columns.map((c) => c.name);
  m.primary_key.forEach((k, i) => {
    if (!colNames.includes(k))
      r.add(
        'CONTRACT_KEY_NOT_DECLARED',
        ['primary_key', i],
        `primary key column "${k}" is not declared under columns${didYouMean(k, colNames)}`,
        `add a column named "${k}" or fix the key`,
      );
  });
  let rels: Relation[];
  if (m.type === 'date_dimension') {
    if (!m.spine) r.add('CONTRACT_MISSING_FIELD', ['spine'], 'a date_dimension needs a spine', 'add "spine: { start: YYYY-MM-DD, end: YYYY-MM-DD }"');
    if (m.from) r.add('CONTRACT_INVALID_VALUE', ['from'], 'a date_dimension is built from its spine, not from another relation', 'remove "from"');
    if (m.spine && m.spine.start > m.spine.end) r.add('CONTRACT_INVALID_VALUE', ['spine'], 'spine start is after its end', 'swap start and end');
    rels = [{ alias: 'd', kind: 'spine', name: 'spine', columns: new Map([[SPINE_COLUMN, 'date']]) }];
  } else {
    if (m.spine) r.add('CONTRACT_INVALID_VALUE', ['spine'], 'only a date_dimension has a spine', 'remove "spine" or set type: date_dimension');
    if (m.from && m.union) {
      r.add('CONTRACT_INVALID_VALUE', ['union'], 'a model reads either "from" or "union", not both', 'remove one of them');
      return r.issues;
    }
    if (m.union) {
      const first = Object.keys(m.union[0]!.select);
      m.union.forEach((b, i) => {
        const bp: Path = ['union', i];
        const brels = resolveRelations(
          r,
          [{ ref: b.from, path: [...bp, 'from'] }, ...b.joins.map((j, k) => ({ ref: j, path: [...bp, 'joins', k] as Path }))],
          datasets,
          models,
        );
        const bctx: ExprContext = { r, rels: brels, params, datasets };
        b.joins.forEach((j, k) => checkExpr(bctx, [...bp, 'joins', k, 'on'], j.on, { aggregate: 'forbidden', what: 'join condition' }));
        if (b.filter) checkExpr(bctx, [...bp, 'filter'], b.filter, { aggregate: 'forbidden', what: 'filter' });
        const keys = Object.keys(b.select);
        if (keys.join(',') !== first.join(','))
          r.add(
            'CONTRACT_UNION_MISMATCH',
            [...bp, 'select'],
            `union branch selects (${keys.join(', ')}) but the first branch selects (${first.join(', ')})`,
            'select the same column names in the same order in every branch',
          );
        for (const k of keys) checkExpr(bctx, [...bp, 'select', k], b.select[k]!, { aggregate: 'forbidden', what: `union column ${k}` });
      });
      rels = [{ alias: UNION_ALIAS, kind: 'model', name: `${m.model} (union)`, columns: new Map(first.map((k) => [k, 'unknown'])) }];
    } else if (m.from) {
      rels = resolveRelations(r, [{ ref: m.from, path: ['from'] }, ...m.joins.map((j, i) => ({ ref: j, path: ['joins', i] as Path }))], datasets, models);
    } else {
      r.add(
        'CONTRACT_MISSING_FIELD',
        ['from'],
        `a ${m.type} model needs "from" (or "union")`,
        'add "from: { dataset: <name>, alias: <a> }" or "from: { model: <name>, alias: <a> }"',
      );
      return r.issues;
    }
  }
  const ctx: ExprContext = { r, rels, params, datasets };
  m.joins.forEach((j, i) => checkExpr(ctx, ['joins', i, 'on'], j.on, { aggregate: 'forbidden', what: 'join condition' }));
  if (m.filter) checkExpr(ctx, ['filter'], m.filter, { aggregate: 'forbidden', what: 'filter' });
  m.columns.forEach((c, i) => {
    if (c.expr) checkExpr(ctx, ['columns', i, 'expr'], c.expr, { aggregate: 'allowed', what: `column ${c.name}` });
    else if (!rels.some((x) => x.opaque)) {
      const owners = rels.filter((x) => x.columns.has(c.name));
      if (owners.length !== 1)
        r.add(
          owners.length === 0 ? 'CONTRACT_UNKNOWN_COLUMN' : 'CONTRACT_AMBIGUOUS_COLUMN',
          ['columns', i, 'name'],
          owners.length === 0
            ? `column "${c.name}" has no expr and no relation has a column of that name`
            : `column "${c.name}" has no expr and exists in ${owners.map((o) => o.alias).join(' and ')}`,
          'add "expr:" saying how the column is computed',
        );
    }
  });
  return r.issues;
}

function checkMart(
  f: LoadedFile,
  datasets: Map<string, DatasetContract>,
  models: Map<string, ModelContract>,
  params: Set<string>,
  metricNames: Set<string>,
  formulas: FormulaCatalog,
): ContractIssue[] {
  const m = f.value as MartContract;
  const r = new Reporter(f);
  checkUniqueNames(r, m.dimensions, 'dimensions', 'dimension');
  checkUniqueNames(r, m.measures, 'measures', 'measure');
  const dimNames = m.dimensions.map((d) => d.name);
  m.measures.forEach((x, i) => {
    if (dimNames.includes(x.name))
      r.add('CONTRACT_DUPLICATE_NAME', ['measures', i, 'name'], `measure "${x.name}" has the name of a dimension`, 'rename the measure');
  });
  m.grain.forEach((g, i) => {
    if (!dimNames.includes(g))
      r.add(
        'CONTRACT_UNKNOWN_DIMENSION',
        ['grain', i],
        `grain "${g}" is not one of the mart's dimensions${didYouMean(g, dimNames)}`,
        `use one of: ${listOf(dimNames)}`,
      );
  });
  dimNames.forEach((d, i) => {
    if (!m.grain.includes(d))
      r.add(
        'CONTRACT_GRAIN_INCOMPLETE',
        ['dimensions', i, 'name'],
        `dimension "${d}" is not part of the grain, so rows would not be unique by the grain`,
        `add "${d}" to grain`,
      );
  });
  const rels = resolveRelations(r, [{ ref: m.from, path: ['from'] }, ...m.joins.map((j, i) => ({ ref: j, path: ['joins', i] as Path }))], datasets, models);
  const ctx: ExprContext = { r, rels, params, datasets };
  m.joins.forEach((j, i) => checkExpr(ctx, ['joins', i, 'on'], j.on, { aggregate: 'forbidden', what: 'join condition' }));
  if (m.filter) checkExpr(ctx, ['filter'], m.filter, { aggregate: 'forbidden', what: 'filter' });
  m.dimensions.forEach((d, i) => {
    if (d.expr) checkExpr(ctx, ['dimensions', i, 'expr'], d.expr, { aggregate: 'forbidden', what: `dimension ${d.name}` });
    else if (!rels.some((x) => x.columns.has(d.name) || x.opaque))
      r.add(
        'CONTRACT_UNKNOWN_COLUMN',
        ['dimensions', i, 'name'],
        `dimension "${d.name}" has no expr and no relation has a column of that name`,
        'add "expr:" saying how the dimension is computed',
      );
  });
  m.measures.forEach((x, i) => {
    checkExpr(ctx, ['measures', i, 'expr'], x.expr, { aggregate: 'required', what: `measure ${x.name}` });
    if (x.metric !== undefined && !metricNames.has(x.metric))
      r.add(
        'CONTRACT_UNKNOWN_METRIC',
        ['measures', i, 'metric'],
        `metric "${x.metric}" is not defined in metrics.yaml${didYouMean(x.metric, metricNames)}`,
        `use one of: ${listOf(metricNames)}`,
      );
    // a derived metric is served next to its inputs, so a reader can check the figure against them
    const formula = x.metric === undefined ? undefined : formulas.get(x.metric);
    const missing = formula?.names.filter((n) => !m.measures.some((y) => y.metric === n)) ?? [];
    if (formula !== undefined && missing.length > 0)
      r.add(
        'CONTRACT_METRIC_INPUT_NOT_SERVED',
        ['measures', i, 'metric'],
        `measure "${x.name}" serves derived metric "${x.metric}" = ${formula.formula}, but no measure of this mart serves ${missing
          .map((n) => `"${n}"`)
          .join(', ')}`,
        `add a measure with ${missing.map((n) => `"metric: ${n}"`).join(' and ')} to ${m.mart}, or link "${x.name}" to another metric`,
      );
  });
  if (m.row_level_security && !dimNames.includes(m.row_level_security.column))
    r.add(
      'CONTRACT_UNKNOWN_DIMENSION',
      ['row_level_security', 'column'],
      `row-level security column "${m.row_level_security.column}" is not a dimension${didYouMean(m.row_level_security.column, dimNames)}`,
      `use one of: ${listOf(dimNames)}`,
    );
  else if (m.row_level_security) {
    const t = m.dimensions.find((d) => d.name === m.row_level_security!.column)!.type;
    if (!(RLS_TYPES as readonly string[]).includes(t))
      r.add(
        'CONTRACT_RLS_COLUMN_TYPE',
        ['row_level_security', 'column'],
        `row-level security column "${m.row_level_security.column}" is a ${t}; principals are granted ${RLS_TYPES.join(', ')} values`,
        `filter rows by a ${RLS_TYPES.join(' / ')} dimension (e.g. region or tenant)`,
      );
  }
  return r.issues;
}

/** `dimensions[].references`: the target mart exists, has the column as its whole grain, with the same type. */
function checkMartReferences(f: LoadedFile, marts: Map<string, MartContract>): ContractIssue[] {
  const m = f.value as MartContract;
  const r = new Reporter(f);
  m.dimensions.forEach((d, i) => {
    const ref = d.references;
    if (!ref) return;
    const path: Path = ['dimensions', i, 'references'];
    const target = marts.get(ref.mart);
    if (!target) {
      if (!brokenNames.has(ref.mart))
        r.add(
          'CONTRACT_UNKNOWN_MART',
          [...path, 'mart'],
          `dimension "${d.name}" references mart "${ref.mart}", which does not exist${didYouMean(ref.mart, [...marts.keys()])}`,
          `use one of: ${listOf([...marts.keys()])}`,
        );
      return;
    }
    const col = target.dimensions.find((x) => x.name === ref.column);
    const targetDims = target.dimensions.map((x) => x.name);
    if (!col)
      r.add(
        'CONTRACT_UNKNOWN_DIMENSION',
        [...path, 'column'],
        `mart "${ref.mart}" has no dimension "${ref.column}"${didYouMean(ref.column, targetDims)}`,
        `use one of: ${listOf(targetDims)}`,
      );
    else if (target.grain.length !== 1 || target.grain[0] !== ref.column)
      r.add(
        'CONTRACT_REFERENCE_NOT_UNIQUE',
        [...path, 'column'],
        `"${ref.mart}.${ref.column}" is not unique: that mart's grain is (${target.grain.join(', ')})`,
        `reference a mart whose grain is [${ref.column}] alone, or remove "references"`,
      );
    else if (col.type !== d.type)
      r.add(
        'CONTRACT_REFERENCE_TYPE',
        [...path, 'column'],
        `dimension "${d.name}" is a ${d.type} but "${ref.mart}.${ref.column}" is a ${col.type}`,
        'reference a column of the same logical type',
      );
  });
  return r.issues;
}

function checkDashboard(f: LoadedFile, marts: Map<string, MartContract>): ContractIssue[] {
  const d = f.value as DashboardContract;
  const r = new Reporter(f);
  const ids = new Set<string>();
  d.cards.forEach((c, i) => {
    if (ids.has(c.id)) r.add('CONTRACT_DUPLICATE_NAME', ['cards', i, 'id'], `card id "${c.id}" is used twice`, 'give every card its own id');
    ids.add(c.id);
    const mart = marts.get(c.mart);
    if (!mart && brokenNames.has(c.mart)) return;
    if (!mart) {
      r.add(
        'CONTRACT_UNKNOWN_MART',
        ['cards', i, 'mart'],
        `card "${c.id}" reads mart "${c.mart}", which does not exist${didYouMean(c.mart, marts.keys())}`,
        `use one of: ${listOf(marts.keys())}`,
      );
      return;
    }
    const dims = mart.dimensions.map((x) => x.name);
    const meas = mart.measures.map((x) => x.name);
    const fields = [...dims, ...meas];
    c.query.dimensions.forEach((x, j) => {
      if (!dims.includes(x))
        r.add(
          'CONTRACT_UNKNOWN_DIMENSION',
          ['cards', i, 'query', 'dimensions', j],
          `mart "${c.mart}" has no dimension "${x}"${didYouMean(x, dims)}`,
          `use one of: ${listOf(dims)}`,
        );
    });
    c.query.measures.forEach((x, j) => {
      if (!meas.includes(x))
        r.add(
          'CONTRACT_UNKNOWN_MEASURE',
          ['cards', i, 'query', 'measures', j],
          `mart "${c.mart}" has no measure "${x}"${didYouMean(x, meas)}`,
          `use one of: ${listOf(meas)}`,
        );
    });
    c.query.filters.forEach((x, j) => {
      if (!fields.includes(x.column))
        r.add(
          'CONTRACT_UNKNOWN_COLUMN',
          ['cards', i, 'query', 'filters', j, 'column'],
          `mart "${c.mart}" has no column "${x.column}"${didYouMean(x.column, fields)}`,
          `use one of: ${listOf(fields)}`,
        );
    });
    c.query.sort.forEach((x, j) => {
      if (!fields.includes(x.column))
        r.add(
          'CONTRACT_UNKNOWN_COLUMN',
          ['cards', i, 'query', 'sort', j, 'column'],
          `mart "${c.mart}" has no column "${x.column}"${didYouMean(x.column, fields)}`,
          `use one of: ${listOf(fields)}`,
        );
    });
  });
  const filterIds = new Set<string>();
  const cardMarts = d.cards.map((c) => marts.get(c.mart)).filter((m): m is MartContract => m !== undefined);
  d.filters.forEach((f, i) => {
    if (filterIds.has(f.id)) r.add('CONTRACT_DUPLICATE_NAME', ['filters', i, 'id'], `filter id "${f.id}" is used twice`, 'give every filter its own id');
    filterIds.add(f.id);
    if (f.type === 'category' && f.column === undefined)
      r.add(
        'CONTRACT_MISSING_FIELD',
        ['filters', i, 'column'],
        `category filter "${f.id}" names no column`,
        'add `column:` with the mart column it filters (e.g. plan_tier)',
      );
    if (f.column === undefined || cardMarts.length === 0) return;
    const col = f.column;
    const dimsOf = (m: MartContract): string[] => m.dimensions.map((x) => x.name);
    if (!cardMarts.some((m) => dimsOf(m).includes(col))) {
      const all = [...new Set(cardMarts.flatMap(dimsOf))].sort();
      r.add(
        'CONTRACT_UNKNOWN_COLUMN',
        ['filters', i, 'column'],
        `filter "${f.id}" filters column "${col}", which no card's mart has as a dimension${didYouMean(col, all)}`,
        `use a dimension of a card's mart: ${listOf(all)}`,
      );
    }
    if (f.type === 'date_range')
      for (const m of cardMarts) {
        const dim = m.dimensions.find((x) => x.name === col);
        if (dim !== undefined && dim.type !== 'date' && dim.type !== 'timestamp')
          r.add(
            'CONTRACT_INVALID_VALUE',
            ['filters', i, 'column'],
            `date_range filter "${f.id}" filters "${col}", which is ${dim.type} in mart "${m.mart}"`,
            'point a date_range filter at a date column',
          );
      }
  });
  return r.issues;
}
