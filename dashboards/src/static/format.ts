/**
 * How the static page writes a figure: the text a reader sees, computed once here (not
 * in the browser), so the page is the same on every machine and a test can compare it.
 *
 * Formats follow the model's `ColumnFormat`: currency in US dollars ("$5,364.14"),
 * percent from a ratio ("1.5%" for 0.015; the metric units `ratio` and `percent` both
 * hold ratios), integers with thousands separators ("12,345"), decimals with two
 * places, dates as ISO dates, booleans as Yes/No.
 *
 * Pure.
 */
import type { ColumnFormat } from '../model.js';

// signDisplay 'negative': a value that rounds to zero prints without a sign ("0", not "-0")
const CURRENCY = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
  signDisplay: 'negative',
});
const INTEGER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0, signDisplay: 'negative' });
const DECIMAL = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2, signDisplay: 'negative' });
const ONE_PLACE = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: 'negative' });
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** What a missing value shows. */
export const NO_VALUE = '—';

/** A cell's value as a finite number, if it is one (SQLite hands back numbers, bigints or numeric text). */
export function numeric(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** The text a reader sees for one value of a column. */
export function formatValue(v: unknown, format: ColumnFormat): string {
  if (v === null || v === undefined) return NO_VALUE;
  switch (format) {
    case 'currency':
    case 'percent':
    case 'integer':
    case 'decimal': {
      const n = numeric(v);
      if (n === undefined) return String(v);
      if (format === 'currency') return CURRENCY.format(n);
      if (format === 'percent') return `${ONE_PLACE.format(n * 100)}%`;
      if (format === 'integer') return INTEGER.format(n);
      return DECIMAL.format(n);
    }
    case 'boolean': {
      const n = numeric(v);
      if (n === undefined) return String(v) === 'true' ? 'Yes' : String(v) === 'false' ? 'No' : String(v);
      return n === 0 ? 'No' : 'Yes';
    }
    case 'date': {
      const s = String(v);
      return /^\d{4}-\d{2}-\d{2}/.test(s) ? s.slice(0, 10) : s;
    }
    default:
      return String(v);
  }
}

/** `2026-02-01` → `Feb 2026` when `months` (every value is a month's first day), else the date itself. */
export function periodLabel(v: unknown, months: boolean): string {
  const s = formatValue(v, 'date');
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!months || m === null) return s;
  return `${MONTHS[Number(m[2]) - 1] ?? m[2]} ${m[1]}`;
}

/** Whether every value is a date on the first of its month (a monthly time column). */
export function allMonthStarts(values: readonly unknown[]): boolean {
  return values.length > 0 && values.every((v) => /^\d{4}-\d{2}-01$/.test(formatValue(v, 'date')));
}

export interface Change {
  /** e.g. `+$284.93 (+23.6%)`, `-3.2 pts`, `+12 (+8.0%)`. */
  readonly text: string;
  readonly direction: 'up' | 'down' | 'flat';
  /** current − previous. */
  readonly delta: number;
}

/**
 * The change from the previous period's value to the current one: the difference in the
 * column's format (percentage points for percents) and, for other formats, the relative
 * change. Undefined when either value is missing.
 */
export function formatChange(current: unknown, previous: unknown, format: ColumnFormat): Change | undefined {
  const c = numeric(current);
  const p = numeric(previous);
  if (c === undefined || p === undefined || current === null || previous === null) return undefined;
  const delta = c - p;
  const absFormat: ColumnFormat = format === 'currency' || format === 'integer' ? format : 'decimal';
  let text: string;
  if (format === 'percent') text = `${signed(delta, ONE_PLACE.format(Math.abs(delta) * 100))} pts`;
  else {
    text = signed(delta, formatValue(Math.abs(delta), absFormat));
    if (p !== 0) text += ` (${signed(delta, ONE_PLACE.format(Math.abs(delta / p) * 100))}%)`;
  }
  const direction = delta > 0 ? 'up' : delta < 0 ? 'down' : 'flat';
  return { text, direction, delta };
}

/** `+` or `-` before the formatted magnitude, none when it rounds to zero. */
function signed(delta: number, magnitude: string): string {
  if (!/[1-9]/.test(magnitude)) return magnitude;
  return `${delta < 0 ? '-' : '+'}${magnitude}`;
}

/**
 * Text for HTML (element content and attribute values). A `://` is written `&#58;//`:
 * the reader sees the same text, and the page's source never holds a URL.
 */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;').replace(/:\/\//g, '&#58;//');
}
