/**
 * The breaking-change classifier: two contract sets in, every change between them out,
 * each with a class (breaking or compatible), where it is (file:line), what changed and
 * what it reaches through the lineage graph, plus the version gate per contract.
 *
 * Pure: no file system, no git. The CLI (`streampulse contracts diff`) loads the two sets.
 *
 * Every field of the contract model has a rule in `DIFF_FIELD_RULES` (keyed by field
 * path: `dataset.columns[].type`; `[]` is a list item, `[]+` / `[]-` / `[]~` an added,
 * removed or renamed one, `{}` a map entry). A field without a rule makes the diff throw
 * (CONTRACT_DIFF_UNCLASSIFIED) instead of passing silently, and a test walks the zod
 * schemas so a new field cannot be added without classifying it.
 */
import { isDeepStrictEqual } from 'node:util';
import { StreamPulseError } from './errors.js';
import { buildLineage, type LineageGraph } from './lineage.js';
import { type ContractKind, type ContractSet, parseLogicalType } from './model.js';
import { YamlSource } from './yaml-source.js';

export type ChangeClass = 'breaking' | 'compatible';
export type ChangeOp = 'added' | 'removed' | 'changed' | 'renamed';

/** What a change reaches downstream: table names per layer, cards as `dashboard.card_id`. */
export interface ChangeImpact {
  readonly silver: readonly string[];
  readonly gold: readonly string[];
  /** Marts; each is served as the view `serving.<mart>` (analytics_*). */
  readonly marts: readonly string[];
  readonly cards: readonly string[];
}

export interface ContractRef {
  readonly kind: ContractKind;
  readonly name: string;
  /** The file in the head set (the base set's file for a removed contract). */
  readonly file: string;
}

export interface ContractChange {
  readonly class: ChangeClass;
  /** The field-path rule that classified the change, e.g. `dataset.columns[].type`. */
  readonly rule: string;
  readonly op: ChangeOp;
  readonly contract: ContractRef;
  /** Readable path inside the contract, list items by name: `columns.email.type`. */
  readonly path: string;
  /** 1-based line in `contract.file` (the base file's line for a removal). */
  readonly line: number;
  /** One line for a person: what changed and why it has its class. */
  readonly what: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly impact: ChangeImpact;
}

export type VersionStatus = 'ok' | 'major_not_bumped' | 'not_bumped' | 'removed' | 'removed_allowed' | 'added';

export interface ContractVerdict {
  readonly contract: ContractRef;
  readonly base: string | null;
  readonly head: string | null;
  readonly breaking: number;
  readonly compatible: number;
  readonly status: VersionStatus;
  /** Why the status, and the fix when it fails or warns. */
  readonly message: string;
}

export interface ContractDiff {
  readonly changes: readonly ContractChange[];
  /** One entry per contract with changes, sorted by kind and name. */
  readonly contracts: readonly ContractVerdict[];
  readonly gate: { readonly pass: boolean; readonly failures: readonly string[]; readonly warnings: readonly string[] };
  readonly summary: { readonly breaking: number; readonly compatible: number };
}

/** One side of the diff: the set, and optionally the file texts (keyed like `set.*.file`) for line numbers. */
export interface DiffSide {
  readonly set: ContractSet;
  readonly texts?: ReadonlyMap<string, string>;
}

export interface DiffOptions {
  /** Names of contracts whose removal is acknowledged: their removal does not fail the gate. */
  readonly allowRemoved?: readonly string[];
}

interface Verdict {
  readonly cls: ChangeClass;
  readonly note?: string;
}
/** A classification rule: a function of the value before and after (undefined when absent), or a marker. */
export type FieldRule =
  | ((before: unknown, after: unknown) => Verdict)
  /** the contract's version: checked by the gate, not a change */
  | 'version'
  /** the name that identifies a contract or list item: a different name is a removal plus an addition */
  | 'identity'
  /** computed from another field that has its own rule */
  | 'derived';

const breaking = (note: string) => (): Verdict => ({ cls: 'breaking', note });
const compatible = (note: string) => (): Verdict => ({ cls: 'compatible', note });
const TEXT = compatible('documentation text');

/** A number where a larger value weakens what consumers get (e.g. freshness hours). */
const higherIsWeaker =
  (what: string) =>
  (a: unknown, b: unknown): Verdict =>
    typeof a === 'number' && typeof b === 'number' && b < a ? { cls: 'compatible', note: `${what} tightened` } : { cls: 'breaking', note: `${what} loosened` };
/** A number where a smaller value weakens what consumers get (e.g. retention days). */
const lowerIsWeaker =
  (what: string) =>
  (a: unknown, b: unknown): Verdict =>
    typeof a === 'number' && typeof b === 'number' && b > a ? { cls: 'compatible', note: `${what} raised` } : { cls: 'breaking', note: `${what} lowered` };

/**
 * Whether a value of logical type `from` always fits `to` without loss: integer → bigint,
 * integer → double (53-bit mantissa), integer/bigint → decimal with enough integer digits
 * (10 / 19), decimal(p,s) → decimal(p',s') with p'-s' ≥ p-s and s' ≥ s. Nothing else widens:
 * in particular anything → string is a changed type (consumers that compare, sum or sort
 * the values break), and date ↔ timestamp changes meaning.
 */
export function isWidening(from: string, to: string): boolean {
  if (from === to) return false;
  const a = parseLogicalType(from);
  const b = parseLogicalType(to);
  if (a.base === 'integer' && (b.base === 'bigint' || b.base === 'double')) return true;
  if (b.base === 'decimal') {
    const intDigits = b.precision! - b.scale!;
    if (a.base === 'integer') return intDigits >= 10;
    if (a.base === 'bigint') return intDigits >= 19;
    if (a.base === 'decimal') return intDigits >= a.precision! - a.scale! && b.scale! >= a.scale!;
  }
  return false;
}

const typeRule = (a: unknown, b: unknown): Verdict => {
  if (typeof a !== 'string' || typeof b !== 'string') return { cls: 'breaking', note: 'changed type' };
  if (isWidening(a, b)) return { cls: 'compatible', note: 'widened type' };
  return { cls: 'breaking', note: isWidening(b, a) ? 'narrowed type' : 'changed type' };
};

const addedDatasetColumn = (_a: unknown, b: unknown): Verdict =>
  (b as { required?: boolean } | undefined)?.required === true
    ? { cls: 'breaking', note: 'new required column: producers must send it, records without it are rejected' }
    : { cls: 'compatible', note: 'new optional column' };

type RuleLike = { action?: string; description?: string } | undefined;
/**
 * A quality rule that holds records back or fails the run (quarantine, drop, fail) changes
 * which rows consumers get when it is added, removed or changed; a `warn` rule only reports.
 * A changed description alone is documentation.
 */
const qualityRule = (a: unknown, b: unknown): Verdict => {
  const ra = a as RuleLike;
  const rb = b as RuleLike;
  if (ra && rb && isDeepStrictEqual({ ...ra, description: undefined }, { ...rb, description: undefined }))
    return { cls: 'compatible', note: 'rule description' };
  const enforcing = (r: RuleLike): boolean => r !== undefined && r.action !== 'warn';
  if (enforcing(ra) || enforcing(rb))
    return {
      cls: 'breaking',
      note: `quality rule ${ra && rb ? 'changed' : ra ? 'removed' : 'added'}: it ${rb ? rb.action : ra?.action} records, so the rows consumers get change`,
    };
  return { cls: 'compatible', note: 'warn-only quality rule (reports, holds nothing back)' };
};

const modelColumnRequired = (a: unknown, b: unknown): Verdict =>
  a === true && b !== true ? { cls: 'breaking', note: 'no longer guaranteed non-null' } : { cls: 'compatible', note: 'now guaranteed non-null' };

const KINDS = ['dataset', 'model', 'mart', 'metrics', 'dashboard'] as const;

/** The classification of every field path of the contract model. */
export const DIFF_FIELD_RULES: Readonly<Record<string, FieldRule>> = {
  ...Object.fromEntries(KINDS.flatMap((k) => [[`${k}+`, compatible(`new ${k}`)] as const, [`${k}-`, breaking(`removed ${k}`)] as const])),

  'dataset.dataset': 'identity',
  'dataset.version': 'version',
  'dataset.owner': TEXT,
  'dataset.domain': compatible('domain (grouping of pipelines and folders)'),
  'dataset.description': TEXT,
  'dataset.source.system': TEXT,
  'dataset.source.format': breaking('landing file format: producers must write the new format'),
  'dataset.source.landing_path': breaking('landing path: producers must write to the new path'),
  'dataset.source.schedule': compatible('load schedule (freshness is promised by the SLA)'),
  'dataset.source.stream_topic': breaking('stream topic: producers and the stream consumer move'),
  'dataset.source.stream_key': breaking('stream record key: per-key ordering changes'),
  'dataset.source.csv': breaking('CSV dialect: producers must write the new dialect'),
  'dataset.sla.freshness_hours': higherIsWeaker('freshness SLA'),
  'dataset.sla.completeness_pct': lowerIsWeaker('completeness SLA'),
  'dataset.primary_key': breaking('changed key'),
  'dataset.event_time': breaking('event time: incremental loads and partitions move'),
  'dataset.watermark.max_delay_hours': lowerIsWeaker('late-arrival window'),
  'dataset.retention.landing_days': lowerIsWeaker('landing retention'),
  'dataset.retention.bronze_days': lowerIsWeaker('bronze retention'),
  'dataset.retention.silver_days': lowerIsWeaker('silver retention'),
  'dataset.retention.quarantine_days': lowerIsWeaker('quarantine retention'),
  'dataset.columns[]+': addedDatasetColumn,
  'dataset.columns[]-': breaking('removed column'),
  'dataset.columns[]~': breaking('renamed column (a removal plus an addition)'),
  'dataset.columns[].name': 'identity',
  'dataset.columns[].type': typeRule,
  'dataset.columns[].required': breaking('changed required: producers or consumers relied on it'),
  'dataset.columns[].description': TEXT,
  'dataset.columns[].pii': breaking('PII class or policy: what consumers of the column see (hashed, dropped, masked) changes'),
  'dataset.columns[].constraints': breaking('changed constraints: which records are valid changes'),
  'dataset.quality[]+': qualityRule,
  'dataset.quality[]-': qualityRule,
  'dataset.quality[]': qualityRule,
  'dataset.silver.dedupe': breaking('changed dedupe key or order: which record survives in silver'),
  'dataset.silver.conform': breaking('changed conforming: silver values change'),
  'dataset.silver.scd': breaking('changed history (SCD) handling: silver rows and validity columns change'),

  'model.model': 'identity',
  'model.version': 'version',
  'model.owner': TEXT,
  'model.domain': compatible('domain (grouping)'),
  'model.description': TEXT,
  'model.type': breaking('changed model type'),
  'model.grain': breaking('changed grain'),
  'model.primary_key': breaking('changed key'),
  'model.spine': breaking('changed calendar range'),
  'model.from': breaking('changed definition: rows come from elsewhere'),
  'model.union': breaking('changed definition: union branches'),
  'model.joins': breaking('changed definition: joins'),
  'model.filter': breaking('changed definition: filter'),
  'model.columns[]+': compatible('new column'),
  'model.columns[]-': breaking('removed column'),
  'model.columns[]~': breaking('renamed column (a removal plus an addition)'),
  'model.columns[].name': 'identity',
  'model.columns[].type': typeRule,
  'model.columns[].description': TEXT,
  'model.columns[].expr': breaking('changed column definition'),
  'model.columns[].required': modelColumnRequired,

  'mart.mart': 'identity',
  'mart.version': 'version',
  'mart.owner': TEXT,
  'mart.domain': compatible('domain (grouping)'),
  'mart.description': TEXT,
  'mart.grain': breaking('changed grain'),
  'mart.from': breaking('changed definition: rows come from elsewhere'),
  'mart.joins': breaking('changed definition: joins'),
  'mart.filter': breaking('changed definition: filter'),
  'mart.stream_refresh': compatible('refresh cadence'),
  'mart.row_level_security': breaking('row-level security: who sees which rows changes'),
  'mart.dimensions[]+': compatible('new dimension'),
  'mart.dimensions[]-': breaking('removed dimension'),
  'mart.dimensions[]~': breaking('renamed dimension (a removal plus an addition)'),
  'mart.dimensions[].name': 'identity',
  'mart.dimensions[].type': typeRule,
  'mart.dimensions[].expr': breaking('changed dimension definition'),
  'mart.dimensions[].description': TEXT,
  'mart.dimensions[].references': compatible('relationship test on the serving database'),
  'mart.measures[]+': compatible('new measure'),
  'mart.measures[]-': breaking('removed measure'),
  'mart.measures[]~': breaking('renamed measure (a removal plus an addition)'),
  'mart.measures[].name': 'identity',
  'mart.measures[].type': typeRule,
  'mart.measures[].expr': breaking('changed measure formula'),
  'mart.measures[].definition': breaking('changed measure definition'),
  'mart.measures[].metric': breaking('measure now implements another metric'),
  'mart.measures[].additive': breaking('changed additivity: roll-ups on cards change'),

  'metrics.version': 'version',
  'metrics.metrics[]+': compatible('new metric'),
  'metrics.metrics[]-': breaking('removed metric'),
  'metrics.metrics[].name': 'identity',
  'metrics.metrics[].label': TEXT,
  'metrics.metrics[].definition': breaking('changed metric definition'),
  'metrics.metrics[].unit': breaking('changed metric unit'),
  'metrics.metrics[].kind': breaking('changed metric kind'),
  'metrics.metrics[].formula': breaking('changed metric formula'),
  'metrics.metrics[].depends_on': 'derived',
  'metrics.parameters{}+': compatible('new parameter'),
  'metrics.parameters{}-': breaking('removed parameter'),
  'metrics.parameters{}': breaking('changed parameter value: the numbers that use it change'),

  'dashboard.dashboard': 'identity',
  'dashboard.version': 'version',
  'dashboard.title': TEXT,
  'dashboard.description': TEXT,
  'dashboard.owner': TEXT,
  'dashboard.filters[]+': compatible('new dashboard filter'),
  'dashboard.filters[]-': breaking('removed dashboard filter'),
  'dashboard.filters[].id': 'identity',
  'dashboard.filters[].label': TEXT,
  'dashboard.filters[].type': breaking('changed dashboard filter type'),
  'dashboard.filters[].column': breaking('dashboard filter narrows another column'),
  'dashboard.cards[]+': compatible('new card'),
  'dashboard.cards[]-': breaking('removed card'),
  'dashboard.cards[].id': 'identity',
  'dashboard.cards[].title': TEXT,
  'dashboard.cards[].description': TEXT,
  'dashboard.cards[].mart': breaking('card reads another mart'),
  'dashboard.cards[].visualization': compatible('presentation'),
  'dashboard.cards[].query': breaking('changed card query: the card shows other numbers'),
  'dashboard.cards[].layout': compatible('presentation'),
};

type Item = Record<string, unknown>;
/** Lists matched item by item, and how an item is identified. */
export const DIFF_LIST_KEYS: Readonly<Record<string, (item: Item) => string>> = {
  'dataset.columns': (c) => String(c.name),
  'dataset.quality': (r) =>
    typeof r.name === 'string'
      ? r.name
      : [r.rule, r.column ?? (Array.isArray(r.columns) ? r.columns.join('+') : undefined)].filter((x) => x !== undefined).join(':'),
  'model.columns': (c) => String(c.name),
  'mart.dimensions': (c) => String(c.name),
  'mart.measures': (c) => String(c.name),
  'metrics.metrics': (m) => String(m.name),
  'dashboard.filters': (f) => String(f.id),
  'dashboard.cards': (c) => String(c.id),
};
/** Maps compared entry by entry. */
export const DIFF_MAP_PATTERNS: ReadonlySet<string> = new Set(['metrics.parameters']);
/** Lists where a removed and an added item of the same type are reported as one "renamed?" change. */
const RENAME_LISTS = new Set(['dataset.columns', 'model.columns', 'mart.dimensions', 'mart.measures']);

type Loc = (string | number)[];
interface RawChange {
  rule: string;
  op: ChangeOp;
  verdict: Verdict;
  label: string;
  /** Where: the head file's path, or the base file's for a removal. */
  loc: Loc;
  side: 'base' | 'head';
  before?: unknown;
  after?: unknown;
  /** The list item name the change is about, for impact (`columns.email` → `email`). */
  item?: { list: string; key: string; key2?: string };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function unclassified(pattern: string): never {
  throw new StreamPulseError('CONTRACT_DIFF_UNCLASSIFIED', `no breaking/compatible rule for the contract field "${pattern}"`, {
    remedy: 'add the field path to DIFF_FIELD_RULES in contracts/src/diff.ts with its class',
  });
}

function apply(rule: FieldRule | undefined, pattern: string, a: unknown, b: unknown): Verdict | null {
  if (rule === undefined) unclassified(pattern);
  if (rule === 'version' || rule === 'identity' || rule === 'derived') return null;
  return rule(a, b);
}

/** Compares one contract's values field by field, following the rule table. */
function walk(pattern: string, label: string, bLoc: Loc, hLoc: Loc, a: unknown, b: unknown, out: RawChange[], item?: RawChange['item']): void {
  if (isDeepStrictEqual(a, b)) return;
  const rule = DIFF_FIELD_RULES[pattern];
  if (rule !== undefined) {
    const v = apply(rule, pattern, a, b);
    if (v) out.push({ rule: pattern, op: 'changed', verdict: v, label, loc: hLoc, side: 'head', before: a, after: b, ...(item ? { item } : {}) });
    return;
  }
  const keyOf = DIFF_LIST_KEYS[pattern];
  if (keyOf) {
    walkList(pattern, label, bLoc, hLoc, (a ?? []) as Item[], (b ?? []) as Item[], keyOf, out);
    return;
  }
  if (DIFF_MAP_PATTERNS.has(pattern)) {
    const ma = (a ?? {}) as Record<string, unknown>;
    const mb = (b ?? {}) as Record<string, unknown>;
    for (const k of [...new Set([...Object.keys(ma), ...Object.keys(mb)])].sort()) {
      const inA = k in ma;
      const inB = k in mb;
      const p = inA && inB ? `${pattern}{}` : inB ? `${pattern}{}+` : `${pattern}{}-`;
      if (inA && inB && isDeepStrictEqual(ma[k], mb[k])) continue;
      const v = apply(DIFF_FIELD_RULES[p], p, ma[k], mb[k]);
      if (v)
        out.push({
          rule: p,
          op: inA && inB ? 'changed' : inB ? 'added' : 'removed',
          verdict: v,
          label: `${label}.${k}`,
          loc: inB ? [...hLoc, k] : [...bLoc, k],
          side: inB ? 'head' : 'base',
          before: ma[k],
          after: mb[k],
          item: { list: pattern, key: k },
        });
    }
    return;
  }
  if (isObject(a) || isObject(b)) {
    const oa = isObject(a) ? a : {};
    const ob = isObject(b) ? b : {};
    for (const k of [...new Set([...Object.keys(oa), ...Object.keys(ob)])])
      walk(`${pattern}.${k}`, `${label}.${k}`, [...bLoc, k], [...hLoc, k], oa[k], ob[k], out, item);
    return;
  }
  unclassified(pattern);
}

function walkList(pattern: string, label: string, bLoc: Loc, hLoc: Loc, a: Item[], b: Item[], keyOf: (i: Item) => string, out: RawChange[]): void {
  const ia = new Map(a.map((x, i) => [keyOf(x), i]));
  const ib = new Map(b.map((x, i) => [keyOf(x), i]));
  const removed = [...ia.keys()].filter((k) => !ib.has(k));
  const added = [...ib.keys()].filter((k) => !ia.has(k));
  const renamed = new Map<string, string>();
  if (RENAME_LISTS.has(pattern)) {
    const free = [...added];
    for (const r of removed) {
      const type = a[ia.get(r)!]!.type;
      const j = free.findIndex((x) => b[ib.get(x)!]!.type === type);
      if (j >= 0) renamed.set(r, free.splice(j, 1)[0]!);
    }
  }
  const base = label;
  for (const [k, i] of ia) {
    const j = ib.get(k);
    if (j !== undefined) {
      walk(`${pattern}[]`, `${base}.${k}`, [...bLoc, i], [...hLoc, j], a[i], b[j], out, { list: pattern, key: k });
      continue;
    }
    const to = renamed.get(k);
    if (to !== undefined) {
      const p = `${pattern}[]~`;
      const v = apply(DIFF_FIELD_RULES[p], p, a[i], b[ib.get(to)!]);
      if (v)
        out.push({
          rule: p,
          op: 'renamed',
          verdict: { cls: v.cls, note: `renamed? ${k} → ${to} (same type ${String(a[i]!.type)}); ${v.note ?? ''}` },
          label: `${base}.${k}`,
          loc: [...hLoc, ib.get(to)!],
          side: 'head',
          before: k,
          after: to,
          item: { list: pattern, key: k, key2: to },
        });
      continue;
    }
    const p = `${pattern}[]-`;
    const v = apply(DIFF_FIELD_RULES[p], p, a[i], undefined);
    if (v)
      out.push({ rule: p, op: 'removed', verdict: v, label: `${base}.${k}`, loc: [...bLoc, i], side: 'base', before: a[i], item: { list: pattern, key: k } });
  }
  const renamedTo = new Set(renamed.values());
  for (const [k, j] of ib) {
    if (ia.has(k) || renamedTo.has(k)) continue;
    const p = `${pattern}[]+`;
    const v = apply(DIFF_FIELD_RULES[p], p, undefined, b[j]);
    if (v) out.push({ rule: p, op: 'added', verdict: v, label: `${base}.${k}`, loc: [...hLoc, j], side: 'head', after: b[j], item: { list: pattern, key: k } });
  }
}

type AnyContract = Record<string, unknown> & { file: string };
interface Entry {
  kind: ContractKind;
  name: string;
  value: AnyContract;
}

function entries(set: ContractSet): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const put = (kind: ContractKind, name: string, value: unknown): void => {
    out.set(`${kind}:${name}`, { kind, name, value: value as AnyContract });
  };
  for (const d of set.datasets) put('dataset', d.dataset, d);
  for (const m of set.models) put('model', m.model, m);
  for (const m of set.marts) put('mart', m.mart, m);
  put('metrics', 'metrics', set.metrics);
  for (const d of set.dashboards) put('dashboard', d.dashboard, d);
  return out;
}

const versionOf = (e: Entry | undefined): string | null => (e === undefined ? null : typeof e.value.version === 'string' ? e.value.version : '1.0.0');
const semverParts = (v: string): number[] => v.split('.').map(Number);
const semverGt = (a: string, b: string): boolean => {
  const x = semverParts(a);
  const y = semverParts(b);
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  return false;
};

/** Lineage node ids a change starts from, in one set. */
function anchors(set: ContractSet, graph: LineageGraph, kind: ContractKind, name: string, item: RawChange['item'], rule: string): string[] {
  const tableNodes = (layer: string, table: string): string[] =>
    [...graph.nodes.values()].filter((n) => n.layer === layer && n.table === table).map((n) => n.id);
  const keys = item ? [item.key, ...(item.key2 ? [item.key2] : [])] : [];
  switch (kind) {
    case 'dataset': {
      if (item?.list === 'dataset.columns') return keys.map((k) => `source:${name}.${k}`);
      if (item?.list === 'dataset.quality') {
        const d = set.datasets.find((x) => x.dataset === name);
        const r = d?.quality.find((q) => DIFF_LIST_KEYS['dataset.quality']!(q as Item) === item.key) as Item | undefined;
        const cols = r ? [r.column, ...(Array.isArray(r.columns) ? r.columns : [])].filter((c): c is string => typeof c === 'string') : [];
        if (cols.length > 0 && r?.action !== 'quarantine' && r?.action !== 'drop' && r?.action !== 'fail') return cols.map((c) => `source:${name}.${c}`);
      }
      return tableNodes('source', name);
    }
    case 'model':
      return item?.list === 'model.columns' ? keys.map((k) => `gold:${name}.${k}`) : tableNodes('gold', name);
    case 'mart':
      return item && (item.list === 'mart.dimensions' || item.list === 'mart.measures') ? keys.map((k) => `mart:${name}.${k}`) : tableNodes('mart', name);
    case 'dashboard':
      return item?.list === 'dashboard.cards' ? keys.map((k) => `card:${name}.${k}`) : tableNodes('card', name);
    case 'metrics': {
      if (item?.list === 'metrics.metrics') {
        // the metric, and every derived metric built on it
        const hit = new Set(keys);
        for (let grew = true; grew; ) {
          grew = false;
          for (const m of set.metrics.metrics)
            if (!hit.has(m.name) && m.depends_on.some((d) => hit.has(d))) {
              hit.add(m.name);
              grew = true;
            }
        }
        return set.marts.flatMap((m) => m.measures.filter((x) => x.metric !== undefined && hit.has(x.metric)).map((x) => `mart:${m.mart}.${x.name}`));
      }
      if (rule.startsWith('metrics.parameters')) return parameterUsers(set, keys[0] ?? '');
      return [];
    }
  }
}

/** Gold and mart nodes whose expressions (own, or shared joins/filter) use `$param`. */
function parameterUsers(set: ContractSet, param: string): string[] {
  const re = new RegExp(`\\$${param}\\b`);
  const uses = (x: unknown): boolean => re.test(JSON.stringify(x ?? null));
  const out: string[] = [];
  for (const m of set.models) {
    const shared = uses(m.joins) || uses(m.filter) || uses(m.union);
    for (const c of m.columns) if (shared || uses(c.expr)) out.push(`gold:${m.model}.${c.name}`);
  }
  for (const m of set.marts) {
    const shared = uses(m.joins) || uses(m.filter);
    for (const c of [...m.dimensions, ...m.measures]) if (shared || uses(c.expr)) out.push(`mart:${m.mart}.${c.name}`);
  }
  return out;
}

function impactOf(ids: Iterable<string>, graphs: readonly LineageGraph[]): ChangeImpact {
  const reached = new Set<string>();
  for (const g of graphs)
    for (const id of ids) {
      if (g.node(id)) reached.add(id);
      for (const d of g.downstream(id)) reached.add(d);
    }
  const tables = (layer: string): string[] => {
    const s = new Set<string>();
    for (const id of reached) {
      if (!id.startsWith(`${layer}:`)) continue;
      const rest = id.slice(layer.length + 1);
      s.add(layer === 'card' ? rest : rest.slice(0, rest.lastIndexOf('.')));
    }
    return [...s].sort();
  };
  return { silver: tables('silver'), gold: tables('gold'), marts: tables('mart'), cards: tables('card') };
}

const short = (v: unknown): string => {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v);
  return s.length > 70 ? `${s.slice(0, 67)}...` : s;
};

function describe(c: RawChange): string {
  const note = c.verdict.note ? ` (${c.verdict.note})` : '';
  switch (c.op) {
    case 'added':
      return `${c.label} added${note}`;
    case 'removed':
      return `${c.label} removed${note}`;
    case 'renamed':
      return `${c.label}: ${c.verdict.note ?? 'renamed?'}`;
    case 'changed':
      return `${c.label}: ${short(c.before)} → ${short(c.after)}${note}`;
  }
}

/**
 * Every change from `base` to `head`, classified, located and traced through lineage, and
 * the version gate: a contract with a breaking change must raise its major version; a
 * contract with only compatible changes should raise its version (a warning otherwise).
 */
export function diffContracts(base: DiffSide, head: DiffSide, options: DiffOptions = {}): ContractDiff {
  const eb = entries(base.set);
  const eh = entries(head.set);
  const gb = buildLineage(base.set);
  const gh = buildLineage(head.set);
  const sources = new Map<string, YamlSource>();
  const lineOf = (side: DiffSide, file: string, loc: Loc): number => {
    const text = side.texts?.get(file);
    if (text === undefined) return 1;
    const key = `${side === base ? 'b' : 'h'}:${file}`;
    let src = sources.get(key);
    if (!src) sources.set(key, (src = new YamlSource(file, text)));
    return src.posAt(loc).line;
  };

  const changes: ContractChange[] = [];
  const verdicts: ContractVerdict[] = [];
  const allowRemoved = new Set(options.allowRemoved ?? []);
  const keys = [...new Set([...eb.keys(), ...eh.keys()])].sort((x, y) => {
    const kx = KINDS.indexOf(x.split(':')[0] as ContractKind);
    const ky = KINDS.indexOf(y.split(':')[0] as ContractKind);
    return kx - ky || (x < y ? -1 : x > y ? 1 : 0);
  });
  for (const key of keys) {
    const a = eb.get(key);
    const b = eh.get(key);
    const e = (b ?? a)!;
    const ref: ContractRef = { kind: e.kind, name: e.name, file: e.value.file };
    const raw: RawChange[] = [];
    if (a && b) {
      const av = a.value;
      const bv = b.value;
      // `file` is where the contract came from (SourceRef), not one of its fields
      for (const k of [...new Set([...Object.keys(av), ...Object.keys(bv)])]) if (k !== 'file') walk(`${e.kind}.${k}`, k, [k], [k], av[k], bv[k], raw);
    } else {
      const p = `${e.kind}${b ? '+' : '-'}`;
      const v = apply(DIFF_FIELD_RULES[p], p, a?.value, b?.value);
      if (v) raw.push({ rule: p, op: b ? 'added' : 'removed', verdict: v, label: `${e.kind} ${e.name}`, loc: [e.kind], side: b ? 'head' : 'base' });
    }
    if (raw.length === 0) continue;
    for (const c of raw) {
      const graphs = c.op === 'added' ? [gh] : c.op === 'removed' ? [gb] : [gb, gh];
      const ids = new Set<string>();
      if (c.op !== 'added') for (const id of anchors(base.set, gb, e.kind, e.name, c.item, c.rule)) ids.add(id);
      if (c.op !== 'removed') for (const id of anchors(head.set, gh, e.kind, e.name, c.item, c.rule)) ids.add(id);
      changes.push({
        class: c.verdict.cls,
        rule: c.rule,
        op: c.op,
        contract: ref,
        path: c.label,
        line: c.side === 'head' ? lineOf(head, ref.file, c.loc) : lineOf(base, a?.value.file ?? ref.file, c.loc),
        what: describe(c),
        ...(c.before !== undefined && c.op !== 'removed' ? { before: c.before } : {}),
        ...(c.after !== undefined && c.op !== 'added' ? { after: c.after } : {}),
        impact: impactOf(ids, graphs),
      });
    }
    const nBreaking = raw.filter((c) => c.verdict.cls === 'breaking').length;
    const vb = versionOf(a);
    const vh = versionOf(b);
    let status: VersionStatus;
    let message: string;
    if (!b) {
      status = allowRemoved.has(e.name) ? 'removed_allowed' : 'removed';
      message =
        status === 'removed'
          ? `${e.kind} ${e.name} was removed: a removed contract has no version to bump; if its consumers have moved, acknowledge with --allow-removed ${e.name}`
          : `${e.kind} ${e.name} was removed (acknowledged with --allow-removed)`;
    } else if (!a) {
      status = 'added';
      message = `new ${e.kind} ${e.name} at ${vh}`;
    } else if (nBreaking > 0) {
      const major = semverParts(vb!)[0] ?? 0;
      const bumped = (semverParts(vh!)[0] ?? 0) > major;
      status = bumped ? 'ok' : 'major_not_bumped';
      message = bumped
        ? `${nBreaking} breaking change(s), major version bumped ${vb} → ${vh}`
        : `${nBreaking} breaking change(s) but the major version was not bumped (${vb} → ${vh}): set version: ${major + 1}.0.0 in ${ref.file}`;
    } else {
      const bumped = semverGt(vh!, vb!);
      status = bumped ? 'ok' : 'not_bumped';
      message = bumped
        ? `compatible changes only, version bumped ${vb} → ${vh}`
        : `compatible changes only and the version was not bumped (${vb}): a minor or patch bump is recommended`;
    }
    verdicts.push({ contract: ref, base: vb, head: vh, breaking: nBreaking, compatible: raw.length - nBreaking, status, message });
  }
  const failures = verdicts.filter((v) => v.status === 'major_not_bumped' || v.status === 'removed').map((v) => `${v.contract.file}: ${v.message}`);
  const warnings = verdicts.filter((v) => v.status === 'not_bumped').map((v) => `${v.contract.file}: ${v.message}`);
  const nb = changes.filter((c) => c.class === 'breaking').length;
  return {
    changes,
    contracts: verdicts,
    gate: { pass: failures.length === 0, failures, warnings },
    summary: { breaking: nb, compatible: changes.length - nb },
  };
}
