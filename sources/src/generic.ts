/**
 * Rows for a dataset the simulated business does not know: generated from the
 * contract alone, so adding a dataset contract is enough to get plausible, valid
 * daily files for it. Every value honours what the contract says about its column:
 *
 * - the type (integers within their type, `decimal(p,s)` precision and scale, dates and
 *   timestamps on the batch day and relative to the event time, booleans);
 * - `accepted_values`, `range` and `regex` quality rules and the column's `constraints`
 *   (min, max, accepted values, pattern, max_length), all of them at once;
 * - referential rules: values drawn from what the parent dataset has generated so far
 *   (the caller's key pool; parents are generated first), never an orphan;
 * - `required` and `not_null` (optional columns are sometimes null), the primary key
 *   (unique over the whole run, composite keys too) and `unique` rules (unique in the
 *   batch, as the bronze check reads them);
 * - where the contract gives no range or pattern, the unit table (`units.ts`): a cost in
 *   micros per impression is a few thousand micros, a country is an ISO code.
 *
 * A value that would break a rule is never written: when the contract cannot be
 * satisfied (a pattern no string of max_length matches, accepted values outside the
 * range, a key space too small to stay unique), generation stops with a
 * StreamPulseError naming the dataset, the column and what to change.
 */
import { parseLogicalType, StreamPulseError, type Column, type DatasetContract, type ParsedType } from '@streampulse/contracts';
import RandExpModule from 'randexp';
import type { Rng } from './rng.js';
import { columnText, magnitudeOf, prefixOf, textKindOf, trueShareOf, type ColumnText, type Magnitude, type TextKind } from './units.js';
import { ts, type SourceRecord } from './world/simulate.js';

const DAY = 86_400_000;

export type PoolValue = string | number | boolean;
/** Values already generated per referenced column (`poolKey(dataset, column)`), so references point at rows that exist. */
export type KeyPool = ReadonlyMap<string, readonly PoolValue[]>;
export const poolKey = (dataset: string, column: string): string => `${dataset}.${column}`;

/** Share of rows in which an optional column (no rule needs it) is null. */
export const NULL_SHARE = 0.05;
/** Distinct values a non-key identifier column reuses (campaign ids repeat across impressions). */
const PALETTE_SIZE = 12;
/** Draws of a row (or a pattern value) before giving up on a uniqueness or pattern constraint. */
const MAX_DRAWS = 200;
/** Type bounds of integers (bigint: what a JSON number holds exactly). */
const INT_BOUNDS: Readonly<Record<string, readonly [number, number]>> = {
  integer: [-2_147_483_648, 2_147_483_647],
  bigint: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

// randexp is CommonJS: its module object is the class
type RandExpLike = {
  max: number;
  defaultRange: { subtract(a: number, b: number): unknown; add(a: number, b: number): unknown };
  randInt: (a: number, b: number) => number;
  gen(): string;
};
const RandExp = ((RandExpModule as unknown as { default?: unknown }).default ?? RandExpModule) as new (pattern: string) => RandExpLike;

/** Everything the contract says about one column's values. */
export interface ColumnRules {
  readonly column: Column;
  readonly type: ParsedType;
  readonly text: ColumnText;
  /** Never null: required, a key, the event time, a not_null / unique / dedupe column. */
  readonly present: boolean;
  readonly primaryKey: boolean;
  readonly eventTime: boolean;
  /** Intersection of every accepted-values list (constraints and rules). */
  readonly accepted?: readonly (string | number)[];
  /** Tightest bounds of range rules and min/max constraints. */
  readonly min?: number;
  readonly max?: number;
  /** Patterns the value must fully match (constraints.pattern and regex rules), as the engine does. */
  readonly patterns: readonly string[];
  readonly maxLength?: number;
  /** Parent columns of its referential rules (a value must exist in each). */
  readonly references: readonly { readonly dataset: string; readonly column: string }[];
  readonly magnitude?: Magnitude;
  readonly textKind?: TextKind;
}

const fail = (ds: DatasetContract, column: string, why: string, remedy: string): never => {
  throw new StreamPulseError('GENERIC_UNSATISFIABLE', `dataset ${ds.dataset}, column ${column}: ${why}`, { remedy });
};

/** The column's rules, merged from its constraints and every quality rule on it. */
export function columnRules(ds: DatasetContract, c: Column): ColumnRules {
  const type = parseLogicalType(c.type);
  let accepted = c.constraints?.accepted_values;
  let min = c.constraints?.min;
  let max = c.constraints?.max;
  const patterns = c.constraints?.pattern !== undefined ? [c.constraints.pattern] : [];
  const references: { dataset: string; column: string }[] = [];
  let present = c.required || ds.primary_key.includes(c.name) || c.name === ds.event_time || ds.silver.dedupe.key.includes(c.name);
  if (ds.silver.dedupe.order_by.some((o) => o.column === c.name)) present = true;
  for (const q of ds.quality) {
    if (q.rule === 'unique' && q.columns.includes(c.name)) present = true;
    if (!('column' in q) || q.column !== c.name) continue;
    if (q.rule === 'not_null') present = true;
    else if (q.rule === 'accepted_values') accepted = accepted === undefined ? q.values : accepted.filter((v) => q.values.some((w) => String(w) === String(v)));
    else if (q.rule === 'range') {
      if (q.min !== undefined) min = min === undefined ? q.min : Math.max(min, q.min);
      if (q.max !== undefined) max = max === undefined ? q.max : Math.min(max, q.max);
    } else if (q.rule === 'regex') patterns.push(q.pattern);
    else if (q.rule === 'referential') references.push(q.references);
  }
  for (const p of patterns)
    try {
      new RegExp(p);
    } catch (e) {
      fail(ds, c.name, `pattern /${p}/ is not a regular expression (${(e as Error).message})`, 'fix the pattern in the contract');
    }
  if (accepted !== undefined && accepted.length === 0)
    fail(ds, c.name, 'the accepted-values lists of its constraints and rules have no value in common', 'make the lists agree');
  if (min !== undefined && max !== undefined && min > max)
    fail(ds, c.name, `its range is empty (min ${min} > max ${max})`, 'make the range rules and constraints agree');
  const text = columnText(c, ds.dataset);
  const magnitude = magnitudeOf(text);
  const textKind = textKindOf(text);
  return {
    column: c,
    type,
    text,
    present,
    primaryKey: ds.primary_key.includes(c.name),
    eventTime: c.name === ds.event_time,
    ...(accepted !== undefined ? { accepted } : {}),
    ...(min !== undefined ? { min } : {}),
    ...(max !== undefined ? { max } : {}),
    patterns,
    ...(c.constraints?.max_length !== undefined ? { maxLength: c.constraints.max_length } : {}),
    references,
    ...(magnitude !== undefined ? { magnitude } : {}),
    ...(textKind !== undefined ? { textKind } : {}),
  };
}

/** How the engine renders a typed value as text (what a regex rule reads: `CAST(col AS VARCHAR)`). */
export function engineText(v: PoolValue, t: ParsedType): string {
  if (t.base === 'decimal' && typeof v === 'number') return v.toFixed(t.scale ?? 0);
  if (t.base === 'timestamp') return String(v).replace('T', ' ').replace(/Z$/, '');
  return String(v);
}

const fullMatch = (p: string): RegExp => new RegExp(`^(?:${p})$`);

/** Whether a value satisfies every value rule of its column (not uniqueness, not references). */
export function satisfies(rules: ColumnRules, v: PoolValue): boolean {
  const t = rules.type;
  if (rules.accepted !== undefined && !rules.accepted.some((a) => String(a) === String(v))) return false;
  const numeric = t.base === 'integer' || t.base === 'bigint' || t.base === 'double' || t.base === 'decimal';
  if (numeric) {
    const n = typeof v === 'number' ? v : Number(v);
    if (typeof v === 'boolean' || !Number.isFinite(n) || (typeof v === 'string' && v.trim() === '')) return false;
    if ((t.base === 'integer' || t.base === 'bigint') && (!Number.isInteger(n) || n < INT_BOUNDS[t.base]![0] || n > INT_BOUNDS[t.base]![1])) return false;
    if (t.base === 'decimal') {
      const scale = t.scale ?? 0;
      if (Math.abs(n) >= 10 ** ((t.precision ?? 18) - scale)) return false;
      if (Math.abs(Math.round(n * 10 ** scale) - n * 10 ** scale) > 1e-6) return false;
    }
    if (rules.min !== undefined && n < rules.min) return false;
    if (rules.max !== undefined && n > rules.max) return false;
  }
  if (t.base === 'boolean' && !['true', 'false', '1', '0'].includes(String(v).toLowerCase())) return false;
  if (t.base === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(String(v))) return false;
  if (t.base === 'timestamp' && Number.isNaN(Date.parse(String(v)))) return false;
  if (rules.maxLength !== undefined && t.base === 'string' && [...String(v)].length > rules.maxLength) return false;
  const s = engineText(v, t);
  return rules.patterns.every((p) => fullMatch(p).test(s));
}

/** A string matching `pattern` in full, drawn with `r` (randexp, its randomness replaced by the Rng). */
export function fromPattern(pattern: string, r: Rng, maxLength?: number): string | undefined {
  const gen = new RandExp(pattern);
  gen.randInt = (a, b) => r.int(a, b);
  gen.max = 6; // `+` and `*` repeat a few times, not up to 100
  // `.` and negated classes draw from letters and digits: plausible text, safe in CSV and JSON
  gen.defaultRange.subtract(32, 126);
  gen.defaultRange.add(48, 57);
  gen.defaultRange.add(65, 90);
  gen.defaultRange.add(97, 122);
  const re = fullMatch(pattern);
  for (let i = 0; i < 20; i++) {
    const s = gen.gen();
    if (re.test(s) && (maxLength === undefined || [...s].length <= maxLength)) return s;
  }
  return undefined;
}

const round = (x: number, decimals: number): number => {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
};

/** The numeric range to draw from: the contract's bounds, narrowed to the plausible magnitude where the two meet. */
export function numericRange(rules: ColumnRules): { lo: number; hi: number; decimals: number; log: boolean; integer: boolean } {
  const t = rules.type;
  const integer = t.base === 'integer' || t.base === 'bigint' || rules.magnitude?.decimals === 0;
  const typeBound =
    t.base === 'integer' || t.base === 'bigint'
      ? INT_BOUNDS[t.base]!
      : t.base === 'decimal'
        ? ([
            -(10 ** ((t.precision ?? 18) - (t.scale ?? 0))) + 10 ** -(t.scale ?? 0),
            10 ** ((t.precision ?? 18) - (t.scale ?? 0)) - 10 ** -(t.scale ?? 0),
          ] as const)
        : ([-Number.MAX_VALUE, Number.MAX_VALUE] as const);
  const given: [number, number] = [Math.max(rules.min ?? -Infinity, typeBound[0]), Math.min(rules.max ?? Infinity, typeBound[1])];
  const plausible: [number, number] = rules.magnitude ? [rules.magnitude.min, rules.magnitude.max] : [0, 100];
  let lo = Math.max(given[0], plausible[0]);
  let hi = Math.min(given[1], plausible[1]);
  let log = rules.magnitude?.log === true;
  if (lo > hi) {
    // the contract's bounds and the plausible range do not meet: the contract wins
    const span = plausible[1] - plausible[0];
    lo = Number.isFinite(given[0]) && rules.min !== undefined ? given[0] : Math.max(given[0], given[1] - span);
    hi = Number.isFinite(given[1]) && rules.max !== undefined ? given[1] : Math.min(given[1], lo + span);
    log = false;
  }
  const decimals =
    t.base === 'decimal' ? (t.scale ?? 0) : integer ? 0 : Math.max(rules.magnitude?.decimals ?? 2, hi - lo < 1 ? 4 : 2, hi < 0.1 && hi > 0 ? 6 : 0);
  if (integer) {
    lo = Math.ceil(lo);
    hi = Math.floor(hi);
  } else {
    lo = Math.ceil(lo * 10 ** decimals) / 10 ** decimals;
    hi = Math.floor(hi * 10 ** decimals) / 10 ** decimals;
  }
  if (lo <= 0) log = false;
  return { lo, hi, decimals, log, integer };
}

/** Timestamps named for the start of something come before the event, those for its end after it. */
const BEFORE = /_(start|started|begin|began|created|opened|issued|placed|first|signup|registered|requested|scheduled)(_|$)/;
const AFTER =
  /_(end|ended|finish|finished|complete|completed|closed|stopped|last|updated|modified|processed|settled|delivered|received|exported|resolved)(_|$)/;
const BIRTH = /_(birth|born|dob|birthday)(_|$)/;

/**
 * The generic rows of one dataset over a run: holds the primary keys already used (keys
 * are unique over the whole run) and the reused values of identifier columns.
 */
export class GenericDataset {
  readonly rules: readonly ColumnRules[];
  private readonly usedKeys = new Set<string>();
  private readonly palettes = new Map<string, PoolValue[]>();
  private readonly sequences = new Map<string, number>();
  private readonly unique: readonly (readonly string[])[];

  constructor(
    readonly ds: DatasetContract,
    private readonly seedRng: Rng,
  ) {
    this.rules = ds.columns.map((c) => columnRules(ds, c));
    this.unique = ds.quality.flatMap((q) => (q.rule === 'unique' ? [q.columns] : []));
  }

  /** `count` rows for the day starting at `dayStart` (ms, UTC midnight), references drawn from `pool`. */
  rows(r: Rng, dayStart: number, count: number, pool: KeyPool): SourceRecord[] {
    const { ds } = this;
    // candidate values of each referencing column: the parent's, those this column accepts
    const refs = new Map<string, readonly PoolValue[]>();
    for (const c of this.rules) {
      const [first, ...others] = c.references;
      if (first === undefined) continue;
      const also = others.map((o) => new Set(pool.get(poolKey(o.dataset, o.column)) ?? []));
      const candidates = [...new Set(pool.get(poolKey(first.dataset, first.column)) ?? [])].filter((v) => also.every((a) => a.has(v)) && satisfies(c, v));
      if (candidates.length === 0 && c.present) {
        const self = c.references.find((x) => x.dataset === ds.dataset);
        if (self !== undefined)
          fail(
            ds,
            c.column.name,
            `it must reference ${self.dataset}.${self.column} of an earlier batch, and the first batch has none`,
            'make the self-reference optional (not required, no not_null rule) so the first rows can be roots',
          );
        return []; // the parents have no row this column may reference yet: no row can be valid today
      }
      refs.set(c.column.name, candidates);
    }
    const rows: SourceRecord[] = [];
    const batchUnique = this.unique.map(() => new Set<string>());
    for (let i = 0; i < count; i++) {
      const at = dayStart + Math.floor((i * DAY) / Math.max(1, count)) + r.int(0, 59) * 1000;
      let rec: SourceRecord | undefined;
      let clash: readonly string[] = ds.primary_key;
      for (let draw = 0; draw < MAX_DRAWS && rec === undefined; draw++) {
        const candidate = this.draw(r, at, dayStart, refs);
        const key = ds.primary_key.map((k) => JSON.stringify(candidate[k] ?? null)).join('|');
        if (this.usedKeys.has(key)) continue;
        const tuples = this.unique.map((cols) => cols.map((k) => JSON.stringify(candidate[k] ?? null)).join('|'));
        const taken = tuples.findIndex((t, u) => batchUnique[u]!.has(t));
        if (taken >= 0) {
          clash = this.unique[taken]!;
          continue;
        }
        this.usedKeys.add(key);
        tuples.forEach((t, u) => batchUnique[u]!.add(t));
        rec = candidate;
      }
      if (rec === undefined)
        return fail(
          ds,
          clash.join(', '),
          `no unused value of (${clash.join(', ')}) after ${MAX_DRAWS} draws (row ${i + 1}; ${this.usedKeys.size} keys used in the run): the values its rules allow are too few to stay unique`,
          'widen the pattern, range or accepted values of these columns, or add a column to the key or unique rule',
        );
      rows.push(rec);
    }
    return rows;
  }

  private draw(r: Rng, at: number, dayStart: number, refs: ReadonlyMap<string, readonly PoolValue[]>): SourceRecord {
    const rec: SourceRecord = {};
    for (const c of this.rules) {
      const name = c.column.name;
      const candidates = refs.get(name);
      if (!c.present && r.chance(NULL_SHARE)) rec[name] = null;
      else if (candidates !== undefined) rec[name] = candidates.length > 0 ? r.pick(candidates) : null;
      else rec[name] = this.value(c, r, at, dayStart);
    }
    return rec;
  }

  private value(c: ColumnRules, r: Rng, at: number, dayStart: number): PoolValue {
    const { ds } = this;
    const name = c.column.name;
    const t = c.type.base;
    if (c.accepted !== undefined) {
      const ok = c.accepted.filter((v) => satisfies(c, v));
      if (ok.length === 0)
        fail(ds, name, `none of its accepted values (${c.accepted.join(', ')}) satisfies its type, range and patterns`, 'make the rules agree');
      return r.pick(ok);
    }
    if (t === 'timestamp' || t === 'date') return this.timeValue(c, r, at, dayStart);
    if (t === 'boolean') return this.checked(c, r.chance(trueShareOf(c.text)));
    if (t === 'string') return this.stringValue(c, r);
    // numbers: a key counts up; any other number is drawn from its range
    const range = numericRange(c);
    if (range.lo > range.hi) fail(ds, name, `no ${c.column.type} value lies in [${c.min ?? '-∞'}, ${c.max ?? '∞'}]`, 'widen the range or change the type');
    if (c.primaryKey && (t === 'integer' || t === 'bigint')) {
      // within the contract's bounds only (a plausible magnitude would cap the key space)
      const lo = Math.ceil(Math.max(c.min ?? 1, INT_BOUNDS[t]![0]));
      const hi = Math.floor(Math.min(c.max ?? Number.MAX_SAFE_INTEGER, INT_BOUNDS[t]![1]));
      const next = this.sequences.get(name) ?? lo;
      this.sequences.set(name, next + 1);
      if (next > hi) fail(ds, name, `the key ran out of values at ${hi}`, 'widen the range of the key column');
      return this.checked(c, next);
    }
    const u = r.next();
    const x = range.log ? Math.exp(Math.log(range.lo) + u * (Math.log(range.hi) - Math.log(range.lo))) : range.lo + u * (range.hi - range.lo);
    const v = Math.min(range.hi, Math.max(range.lo, round(x, range.decimals)));
    if (c.patterns.length > 0 && !satisfies(c, v)) return this.patternNumber(c, r);
    return this.checked(c, v);
  }

  private timeValue(c: ColumnRules, r: Rng, at: number, dayStart: number): PoolValue {
    const name = c.text.name;
    let ms = at;
    if (BIRTH.test(name)) ms = dayStart - r.int(18 * 365, 80 * 365) * DAY;
    else if (!c.eventTime) {
      const before = BEFORE.test(name);
      const after = !before && AFTER.test(name);
      const offset = r.int(0, 30 * 60) * 1000;
      // on the batch day, before or after the event as the name says (a plain timestamp: before it)
      ms = after ? Math.min(dayStart + DAY - 1000, at + offset) : Math.max(dayStart, at - offset);
    }
    const v = c.type.base === 'date' ? ts(ms).slice(0, 10) : ts(ms);
    return this.checked(c, v);
  }

  private stringValue(c: ColumnRules, r: Rng): PoolValue {
    const name = c.column.name;
    // a key: unique by construction (a sequence), unless its pattern or kind says what it looks like
    if (c.primaryKey && c.patterns.length === 0 && (c.textKind === undefined || c.textKind.kind === 'identifier')) {
      const n = (this.sequences.get(name) ?? 0) + 1;
      this.sequences.set(name, n);
      const long = `${prefixOf(c.text)}-${String(n).padStart(6, '0')}`;
      const v = c.maxLength !== undefined && long.length > c.maxLength ? n.toString(36) : long;
      return this.checked(c, v);
    }
    // an identifier that is not a key: a small set of values, reused
    const reuse = !c.primaryKey && (c.textKind?.identifier === true || (c.patterns.length > 0 && /_(id|code|key)_$/.test(c.text.name))) && !this.inUnique(name);
    if (reuse) {
      let palette = this.palettes.get(name);
      if (palette === undefined) {
        const pr = this.seedRng.fork(`palette:${name}`);
        palette = [...new Set(Array.from({ length: PALETTE_SIZE }, () => this.freshString(c, pr)))];
        this.palettes.set(name, palette);
      }
      return r.pick(palette);
    }
    return this.freshString(c, r);
  }

  private inUnique(column: string): boolean {
    return this.unique.some((cols) => cols.includes(column));
  }

  /** A plausible string for the column (its kind's value), else one drawn from its pattern, else `<name>-<hex>`. */
  private freshString(c: ColumnRules, r: Rng): string {
    if (c.textKind !== undefined) {
      const v = c.textKind.value(r, c.text);
      if (satisfies(c, v)) return v;
    }
    if (c.patterns.length > 0) {
      const [first, ...rest] = c.patterns;
      for (let i = 0; i < MAX_DRAWS; i++) {
        const v = fromPattern(first!, r, c.maxLength);
        if (v !== undefined && satisfies(c, v)) return v;
        if (v !== undefined && rest.length === 0) break;
      }
      return fail(
        this.ds,
        c.column.name,
        `cannot generate a value matching ${c.patterns.map((p) => `/${p}/`).join(' and ')}${c.maxLength !== undefined ? ` of at most ${c.maxLength} characters` : ''}`,
        'simplify the pattern (no look-arounds or anchors inside groups), or make the patterns and max_length of the column agree',
      );
    }
    const v = `${c.column.name}-${r.hex(6)}`;
    return String(this.checked(c, c.maxLength !== undefined ? v.slice(0, c.maxLength) : v));
  }

  /** A number for a column whose regex constrains its digits: drawn from the pattern, kept when it is a valid number. */
  private patternNumber(c: ColumnRules, r: Rng): PoolValue {
    for (let i = 0; i < MAX_DRAWS; i++) {
      const s = fromPattern(c.patterns[0]!, r);
      if (s === undefined) break;
      const n = Number(s);
      if (s.trim() !== '' && Number.isFinite(n) && satisfies(c, n)) return n;
    }
    return fail(
      this.ds,
      c.column.name,
      `no ${c.column.type} value in its range matches ${c.patterns.map((p) => `/${p}/`).join(' and ')}`,
      'make the pattern and the range agree',
    );
  }

  /** The last guard: a value that breaks a rule of its column is an error, never a row. */
  private checked(c: ColumnRules, v: PoolValue): PoolValue {
    if (!satisfies(c, v))
      fail(
        this.ds,
        c.column.name,
        `the generated value ${JSON.stringify(v)} breaks its rules (${describeRules(c)})`,
        'make the column type, constraints and quality rules agree, or give the column a range or pattern',
      );
    return v;
  }
}

function describeRules(c: ColumnRules): string {
  const parts = [c.column.type];
  if (c.accepted) parts.push(`accepted ${c.accepted.join('|')}`);
  if (c.min !== undefined || c.max !== undefined) parts.push(`range [${c.min ?? '-∞'}, ${c.max ?? '∞'}]`);
  for (const p of c.patterns) parts.push(`/${p}/`);
  if (c.maxLength !== undefined) parts.push(`max_length ${c.maxLength}`);
  return parts.join(', ');
}
