/**
 * Freshness rules, evaluated once per batch and dataset (the PySpark runtime's
 * `freshness.py` implements the same definition; the engine-parity tests compare them).
 *
 * - The measured time is the newest event time the dataset has promoted so far: the
 *   newest of this batch's passed and warned rows, or, when the batch brings nothing
 *   newer, the newest recorded in the latest earlier batch report. A dataset that changes
 *   rarely (a catalog) is measured from its last change, not from an empty day.
 * - Its age is taken at the end of the batch: a daily batch's day (`<date> 23:59:59` UTC), a stream
 *   micro-batch's instant.
 * - A rule fails when nothing was ever promoted or the age is above `max_age_hours`.
 * - Action `fail` stops the batch before anything is written (like a row check with
 *   action `fail`), unless the run reports freshness only (`freshness: 'report'`, for a
 *   backfill of sparse history or a small synthetic run); `warn` never stops it. Either
 *   way the rule is in the report's rules with `failed` 0 or 1, and a failure adds a note.
 *
 * Pure: no I/O. The runner passes the earlier newest it read from the reports.
 */
import type { QualityCheck } from './spec.js';

export type FreshnessMode = 'enforce' | 'report';
export const FRESHNESS_MODES: readonly FreshnessMode[] = ['enforce', 'report'];
/** Whether a text (a command-line flag, a pipeline parameter) names a freshness mode. */
export const isFreshnessMode = (v: string): v is FreshnessMode => FRESHNESS_MODES.some((m) => m === v);

export interface FreshnessRuleStat {
  readonly id: string;
  readonly rule: 'freshness';
  readonly action: string;
  readonly evaluated: 1;
  readonly failed: 0 | 1;
  readonly max_age_hours: number;
  /** Hours between the newest promoted event and the end of the batch's day (one decimal); null when none. */
  readonly age_hours: number | null;
}

export interface FreshnessResult {
  /** The newest event time promoted through this batch (this batch's or an earlier one's). */
  readonly newest: string | null;
  readonly rules: readonly FreshnessRuleStat[];
  /** One line per failed rule, for the report's notes. */
  readonly notes: readonly string[];
  /** The failed rules that stop the batch (action `fail`, mode `enforce`), as sentences. */
  readonly stops: readonly string[];
}

const HOUR_MS = 3_600_000;

/** Milliseconds since the epoch of a `YYYY-MM-DD HH:MM:SS[.fff…]` UTC timestamp text. */
export function timestampMs(text: string): number {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?/.exec(text);
  if (m === null) return Number.NaN;
  const frac = m[3] === undefined ? 0 : Math.floor(Number(`0${m[3]}`) * 1000);
  return Date.parse(`${m[1]}T${m[2]}Z`) + frac;
}

/**
 * The end of a batch, in ms: for a daily batch (`YYYY-MM-DD`) the end of its day,
 * `<date> 23:59:59` UTC; for a stream micro-batch (`YYYY-MM-DDTHH:MM:SS.mmm`, the instant
 * it was cut) that instant.
 */
export const endOfBatchMs = (batch: string): number => (batch.length > 10 ? timestampMs(batch) : Date.parse(`${batch.slice(0, 10)}T23:59:59Z`));

/** Age in hours, one decimal, of `newest` at the end of the batch's day. */
export function ageHours(batch: string, newest: string | null): number | null {
  return newest === null ? null : Math.round(((endOfBatchMs(batch) - timestampMs(newest)) / HOUR_MS) * 10) / 10;
}

/** The later of two timestamp texts (either may be null). */
export function newerOf(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return timestampMs(b) > timestampMs(a) ? b : a;
}

export function evaluateFreshness(args: {
  readonly batch: string;
  readonly eventTime: string;
  readonly checks: readonly QualityCheck[];
  /** The newest event time among this batch's promoted (passed or warned) rows. */
  readonly batchNewest: string | null;
  /** The newest promoted event time recorded by the latest earlier batch report. */
  readonly newestBefore: string | null;
  readonly mode: FreshnessMode;
}): FreshnessResult {
  const newest = newerOf(args.newestBefore, args.batchNewest);
  const ageMs = newest === null ? null : endOfBatchMs(args.batch) - timestampMs(newest);
  const age = ageHours(args.batch, newest);
  const rules: FreshnessRuleStat[] = [];
  const notes: string[] = [];
  const stops: string[] = [];
  for (const c of args.checks) {
    if (c.rule !== 'freshness' || c.maxAgeHours === undefined) continue;
    const failed = ageMs === null || ageMs > c.maxAgeHours * HOUR_MS;
    rules.push({ id: c.id, rule: 'freshness', action: c.action, evaluated: 1, failed: failed ? 1 : 0, max_age_hours: c.maxAgeHours, age_hours: age });
    if (!failed) continue;
    const what =
      newest === null
        ? `freshness rule ${c.id} failed: no ${args.eventTime} was ever promoted (at most ${c.maxAgeHours} h old allowed)`
        : `freshness rule ${c.id} failed: the newest ${args.eventTime} promoted is ${newest}, ${age} h before the end of ${args.batch.slice(0, 10)} (at most ${c.maxAgeHours} h)`;
    if (c.action === 'fail' && args.mode === 'enforce') stops.push(what);
    else notes.push(`${what}; ${c.action === 'fail' ? 'not enforced (freshness: report)' : `action ${c.action}`}`);
  }
  return { newest, rules, notes, stops };
}
