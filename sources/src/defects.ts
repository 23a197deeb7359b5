/**
 * Seeded defects, injected into the clean daily files at configurable rates, each one
 * written to the manifest with what the pipeline must do with it. Targets and columns
 * are chosen from the contracts (keys, types, range rules, watermarks, referential
 * rules), never by dataset name.
 *
 * Defects that make a row unusable (malformed, wrong type, null key, out of range,
 * beyond the watermark) and defects that move or re-send a row are only injected into
 * datasets that no other dataset requires through a quarantining referential rule, so
 * one defect never cascades into quarantining other rows: the manifest stays an exact
 * account of what the pipeline should find.
 */
import type { ContractSet, DatasetContract } from '@streampulse/contracts';
import type { Rng } from './rng.js';
import { recordLine, type Value } from './write.js';
import type { SourceRecord } from './world/simulate.js';

export const DEFECT_KINDS = [
  'exact_duplicate',
  'resent_duplicate',
  'resent_update',
  'malformed',
  'wrong_type',
  'null_key',
  'out_of_range',
  'schema_drift',
  'late_within_watermark',
  'late_beyond_watermark',
] as const;
export type DefectKind = (typeof DEFECT_KINDS)[number] | 'relanded_file';

/** Per-row probabilities for each row-level defect, and how many whole files land twice. */
export type DefectRates = Record<(typeof DEFECT_KINDS)[number], number> & { relanded_files: number };

export const DEFAULT_DEFECT_RATES: DefectRates = {
  exact_duplicate: 0.002,
  resent_duplicate: 0.001,
  resent_update: 0.001,
  malformed: 0.0005,
  wrong_type: 0.0005,
  null_key: 0.0005,
  out_of_range: 0.0005,
  schema_drift: 0.001,
  late_within_watermark: 0.002,
  late_beyond_watermark: 0.0005,
  relanded_files: 2,
};
export const NO_DEFECTS: DefectRates = Object.fromEntries([...DEFECT_KINDS.map((k) => [k, 0]), ['relanded_files', 0]]) as DefectRates;

/** What the pipeline must do with a defect. */
export type Expectation =
  | { readonly outcome: 'quarantined'; readonly reason: string }
  | { readonly outcome: 'duplicate'; readonly counter: 'in_batch' | 'of_earlier_batches' | 'relanded_file_rows' }
  | { readonly outcome: 'promoted'; readonly rescued?: boolean; readonly note?: string };

export interface InjectedDefect {
  readonly kind: DefectKind;
  readonly dataset: string;
  /** The batch (landing day) whose file holds the defective line. */
  readonly batch: string;
  readonly file: string;
  /** Primary-key values joined by "|" (null key: the key the row had before). */
  readonly key: string;
  readonly column?: string;
  readonly detail?: string;
  readonly expect: Expectation;
}

export interface Line {
  readonly text: string;
  readonly key: string;
}

/** What the contracts say about where each defect can go in a dataset. */
export interface DatasetDefectPlan {
  readonly dataset: string;
  /** No other dataset quarantines rows that reference this one. */
  readonly leaf: boolean;
  readonly watermarkHours: number;
  readonly wrongTypeColumn?: string;
  readonly range?: { column: string; value: number; rule: string };
  readonly bumpColumn?: string;
}

const NON_STRING = new Set(['integer', 'bigint', 'double', 'boolean', 'date', 'timestamp']);

export function planDefects(set: ContractSet): Map<string, DatasetDefectPlan> {
  const strict = new Set<string>();
  for (const d of set.datasets)
    for (const q of d.quality) if (q.rule === 'referential' && (q.action === 'quarantine' || q.action === 'drop')) strict.add(q.references.dataset);
  const out = new Map<string, DatasetDefectPlan>();
  for (const d of set.datasets) {
    const skip = (c: string): boolean => d.primary_key.includes(c) || c === d.event_time;
    const wrong = d.columns.find((c) => !skip(c.name) && (NON_STRING.has(c.type) || c.type.startsWith('decimal')));
    const rangeRule = d.quality.find(
      (q): q is Extract<typeof q, { rule: 'range' }> =>
        q.rule === 'range' && q.action === 'quarantine' && !skip(q.column) && (q.max !== undefined || q.min !== undefined),
    );
    const order = d.silver.dedupe.order_by[0];
    const orderCol = order && order.direction === 'desc' ? d.columns.find((c) => c.name === order.column && c.type === 'timestamp') : undefined;
    out.set(d.dataset, {
      dataset: d.dataset,
      leaf: !strict.has(d.dataset),
      watermarkHours: d.watermark.max_delay_hours,
      ...(wrong ? { wrongTypeColumn: wrong.name } : {}),
      ...(rangeRule
        ? {
            range: {
              column: rangeRule.column,
              value: rangeRule.max !== undefined ? rangeRule.max + 1 : rangeRule.min! - 1,
              rule: rangeRule.name ?? `range:${rangeRule.column}`,
            },
          }
        : {}),
      ...(orderCol ? { bumpColumn: orderCol.name } : {}),
    });
  }
  return out;
}

export const keyOf = (ds: DatasetContract, rec: SourceRecord): string => ds.primary_key.map((k) => String(rec[k] ?? '')).join('|');

export interface DefectContext {
  readonly rng: Rng;
  readonly rates: DefectRates;
  readonly plan: DatasetDefectPlan;
  readonly ds: DatasetContract;
  readonly dayIndex: number;
  readonly days: number;
  readonly dateOf: (day: number) => string;
  readonly fileOf: (day: number) => string;
  /** Milliseconds of midnight UTC of a day. */
  readonly dayStart: (day: number) => number;
  /** Queue a line for a later day's file of this dataset. */
  readonly carry: (day: number, line: Line) => void;
  readonly record: (d: InjectedDefect) => void;
}

const HOUR = 3_600_000;
const tsPlus = (v: Value, ms: number): string => `${new Date(Date.parse(String(v)) + ms).toISOString().slice(0, 19)}Z`;

/** Turns the clean records of one dataset-day into file lines with defects, recording each. */
export function injectDefects(ctx: DefectContext, records: readonly SourceRecord[]): Line[] {
  const { rng, rates, plan, ds, dayIndex } = ctx;
  const lines: Line[] = [];
  const batch = ctx.dateOf(dayIndex);
  const file = ctx.fileOf(dayIndex);
  const jsonl = ds.source.format === 'jsonl';
  const eventMs = (rec: SourceRecord): number => Date.parse(String(rec[ds.event_time]));
  /** The day `later` is a valid landing day and the record is inside its watermark (or outside, when asked). */
  const landsInside = (rec: SourceRecord, later: number): boolean => later < ctx.days && eventMs(rec) >= ctx.dayStart(later) - plan.watermarkHours * HOUR;

  for (const rec of records) {
    const key = keyOf(ds, rec);
    const text = recordLine(ds, rec);
    const base = { dataset: ds.dataset, batch, file, key };
    const roll = rng.next();
    let acc = 0;
    const hit = (k: (typeof DEFECT_KINDS)[number]): boolean => {
      acc += rates[k];
      return roll < acc;
    };
    if (hit('exact_duplicate')) {
      lines.push({ text, key }, { text, key });
      ctx.record({ ...base, kind: 'exact_duplicate', expect: { outcome: 'duplicate', counter: 'in_batch' } });
      continue;
    }
    if (hit('resent_duplicate') && landsInside(rec, dayIndex + 1)) {
      lines.push({ text, key });
      ctx.carry(dayIndex + 1, { text, key });
      ctx.record({
        ...base,
        batch: ctx.dateOf(dayIndex + 1),
        file: ctx.fileOf(dayIndex + 1),
        kind: 'resent_duplicate',
        expect: { outcome: 'duplicate', counter: 'of_earlier_batches' },
      });
      continue;
    }
    if (hit('schema_drift') && jsonl) {
      lines.push({ text: recordLine(ds, rec, { client_experiment: `exp-${rng.int(1, 9)}` }), key });
      ctx.record({ ...base, kind: 'schema_drift', column: 'client_experiment', expect: { outcome: 'promoted', rescued: true } });
      continue;
    }
    if (!plan.leaf) {
      lines.push({ text, key });
      continue;
    }
    if (
      hit('resent_update') &&
      plan.bumpColumn !== undefined &&
      landsInside({ ...rec, [plan.bumpColumn]: tsPlus(rec[plan.bumpColumn] ?? null, HOUR) }, dayIndex + 1)
    ) {
      const col = plan.bumpColumn;
      const updated = { ...rec, [col]: tsPlus(rec[col] ?? null, HOUR) };
      lines.push({ text, key });
      ctx.carry(dayIndex + 1, { text: recordLine(ds, updated), key });
      ctx.record({
        ...base,
        batch: ctx.dateOf(dayIndex + 1),
        file: ctx.fileOf(dayIndex + 1),
        kind: 'resent_update',
        column: col,
        detail: `${col} = ${String(updated[col])}`,
        expect: { outcome: 'promoted', note: 'a later version of a row promoted in an earlier batch' },
      });
      continue;
    }
    if (hit('malformed')) {
      const bad = jsonl
        ? text.slice(0, Math.max(1, Math.floor(text.length / 2)))
        : `${text}${ds.source.csv?.delimiter ?? ','}unexpected${ds.source.csv?.delimiter ?? ','}fields`;
      lines.push({ text: bad, key });
      ctx.record({ ...base, kind: 'malformed', expect: { outcome: 'quarantined', reason: 'unparseable' } });
      continue;
    }
    if (hit('wrong_type') && plan.wrongTypeColumn !== undefined) {
      const col = plan.wrongTypeColumn;
      lines.push({ text: recordLine(ds, { ...rec, [col]: 'n/a' }), key });
      ctx.record({ ...base, kind: 'wrong_type', column: col, expect: { outcome: 'quarantined', reason: `type:${col}` } });
      continue;
    }
    if (hit('null_key')) {
      const col = ds.primary_key[0]!;
      lines.push({ text: recordLine(ds, { ...rec, [col]: null }), key });
      ctx.record({ ...base, kind: 'null_key', column: col, expect: { outcome: 'quarantined', reason: `required:${col}` } });
      continue;
    }
    if (hit('out_of_range') && plan.range !== undefined) {
      const { column, value, rule } = plan.range;
      lines.push({ text: recordLine(ds, { ...rec, [column]: value }), key });
      ctx.record({ ...base, kind: 'out_of_range', column, detail: `${column} = ${value}`, expect: { outcome: 'quarantined', reason: rule } });
      continue;
    }
    if (hit('late_within_watermark') && landsInside(rec, dayIndex + 1)) {
      ctx.carry(dayIndex + 1, { text, key });
      ctx.record({
        ...base,
        batch: ctx.dateOf(dayIndex + 1),
        file: ctx.fileOf(dayIndex + 1),
        kind: 'late_within_watermark',
        expect: { outcome: 'promoted', note: 'arrived a day late, inside the watermark' },
      });
      continue;
    }
    if (hit('late_beyond_watermark')) {
      const later = dayIndex + Math.ceil(plan.watermarkHours / 24) + 1;
      if (later < ctx.days && !landsInside(rec, later)) {
        ctx.carry(later, { text, key });
        ctx.record({
          ...base,
          batch: ctx.dateOf(later),
          file: ctx.fileOf(later),
          kind: 'late_beyond_watermark',
          expect: { outcome: 'quarantined', reason: 'late:beyond_watermark' },
        });
        continue;
      }
    }
    lines.push({ text, key });
  }
  return lines;
}
