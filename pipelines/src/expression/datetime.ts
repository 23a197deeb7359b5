/**
 * Timestamps as Data Factory handles them: .NET DateTime semantics (100 ns ticks, a
 * "kind" — UTC or unspecified) and .NET format strings, en-US culture (the culture
 * ADF's documented examples use: `'D'` → "Sunday, April 15, 2018").
 */
import { StreamPulseError } from '@streampulse/contracts';

export interface Timestamp {
  /** Milliseconds since 1970-01-01 of the wall-clock time (UTC when kind = 'utc'). */
  readonly ms: number;
  /** Sub-millisecond 100 ns ticks, 0..9999. */
  readonly subTicks: number;
  readonly kind: 'utc' | 'unspecified';
}

export const DEFAULT_FORMAT = 'o';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function badTimestamp(value: string): StreamPulseError {
  return new StreamPulseError('ADF_EXPRESSION_EVAL', `'${value}' is not a timestamp`, {
    remedy: "pass an ISO 8601 timestamp such as '2018-03-15T13:00:00Z' (or 'MM/dd/yyyy HH:mm:ss')",
  });
}

/** Parses the timestamp strings ADF accepts: ISO 8601 (with offset → converted to UTC) and US `MM/dd/yyyy[ HH:mm:ss]`. */
export function parseTimestamp(value: string): Timestamp {
  const s = value.trim();
  let m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.:](\d{1,7}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  if (m) {
    const [, y, mo, d, h = '0', mi = '0', se = '0', frac = '', zone] = m;
    const fr = frac.padEnd(7, '0');
    let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se), Number(fr.slice(0, 3)));
    checkFields(value, Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(se));
    const subTicks = Number(fr.slice(3));
    if (zone === undefined) return { ms, subTicks, kind: 'unspecified' };
    if (zone.toUpperCase() !== 'Z') {
      const sign = zone.startsWith('-') ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
    }
    return { ms, subTicks, kind: 'utc' };
  }
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?)?$/i.exec(s);
  if (m) {
    const [, mo, d, y, h0 = '0', mi = '0', se = '0', ampm] = m;
    let h = Number(h0);
    if (ampm !== undefined) h = (h % 12) + (ampm.toUpperCase() === 'PM' ? 12 : 0);
    checkFields(value, Number(y), Number(mo), Number(d), h, Number(mi), Number(se));
    return { ms: Date.UTC(Number(y), Number(mo) - 1, Number(d), h, Number(mi), Number(se)), subTicks: 0, kind: 'unspecified' };
  }
  throw badTimestamp(value);
}

function checkFields(value: string, y: number, mo: number, d: number, h: number, mi: number, s: number): void {
  const dt = new Date(Date.UTC(y, mo - 1, d));
  if (mo < 1 || mo > 12 || dt.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) throw badTimestamp(value);
}

export function fromDate(d: Date): Timestamp {
  return { ms: d.getTime(), subTicks: 0, kind: 'utc' };
}

export function addUnits(t: Timestamp, n: number, unit: string): Timestamp {
  const u = unit.toLowerCase().replace(/s$/, '');
  const d = new Date(t.ms);
  switch (u) {
    case 'second':
      return { ...t, ms: t.ms + n * 1000 };
    case 'minute':
      return { ...t, ms: t.ms + n * 60_000 };
    case 'hour':
      return { ...t, ms: t.ms + n * 3_600_000 };
    case 'day':
      return { ...t, ms: t.ms + n * 86_400_000 };
    case 'week':
      return { ...t, ms: t.ms + n * 7 * 86_400_000 };
    case 'month':
    case 'year': {
      const months = u === 'month' ? n : n * 12;
      const y = d.getUTCFullYear();
      const target = d.getUTCMonth() + months;
      const ty = y + Math.floor(target / 12);
      const tm = ((target % 12) + 12) % 12;
      const last = new Date(Date.UTC(ty, tm + 1, 0)).getUTCDate();
      const day = Math.min(d.getUTCDate(), last);
      return { ...t, ms: Date.UTC(ty, tm, day, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()) };
    }
    default:
      throw new StreamPulseError('ADF_EXPRESSION_EVAL', `'${unit}' is not a time unit`, {
        remedy: "use one of 'Second', 'Minute', 'Hour', 'Day', 'Week', 'Month', 'Year'",
      });
  }
}

export function truncate(t: Timestamp, to: 'day' | 'hour' | 'month'): Timestamp {
  const d = new Date(t.ms);
  const y = d.getUTCFullYear();
  const mo = d.getUTCMonth();
  if (to === 'month') return { ms: Date.UTC(y, mo, 1), subTicks: 0, kind: t.kind };
  if (to === 'day') return { ms: Date.UTC(y, mo, d.getUTCDate()), subTicks: 0, kind: t.kind };
  return { ms: Date.UTC(y, mo, d.getUTCDate(), d.getUTCHours()), subTicks: 0, kind: t.kind };
}

/** en-US patterns of the .NET standard (single-character) format specifiers. */
const STANDARD: Readonly<Record<string, string>> = {
  d: 'M/d/yyyy',
  D: 'dddd, MMMM d, yyyy',
  f: 'dddd, MMMM d, yyyy h:mm tt',
  F: 'dddd, MMMM d, yyyy h:mm:ss tt',
  g: 'M/d/yyyy h:mm tt',
  G: 'M/d/yyyy h:mm:ss tt',
  M: 'MMMM d',
  m: 'MMMM d',
  o: "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
  O: "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
  R: "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
  r: "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
  s: "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
  t: 'h:mm tt',
  T: 'h:mm:ss tt',
  u: "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
  U: 'dddd, MMMM d, yyyy h:mm:ss tt',
  Y: 'MMMM yyyy',
  y: 'MMMM yyyy',
};

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** Formats like .NET `DateTime.ToString(format, en-US)`. */
export function formatTimestamp(t: Timestamp, format: string = DEFAULT_FORMAT): string {
  let pattern = format;
  if (format.length === 1) {
    const p = STANDARD[format];
    if (p === undefined)
      throw new StreamPulseError('ADF_EXPRESSION_EVAL', `'${format}' is not a standard date and time format specifier`, {
        remedy: `use one of ${Object.keys(STANDARD).join(' ')} or a custom pattern such as 'yyyy-MM-dd'`,
      });
    pattern = p;
  }
  const d = new Date(t.ms);
  const Y = d.getUTCFullYear();
  const Mo = d.getUTCMonth();
  const D = d.getUTCDate();
  const H = d.getUTCHours();
  const Mi = d.getUTCMinutes();
  const S = d.getUTCSeconds();
  const frac7 = pad(d.getUTCMilliseconds(), 3) + pad(t.subTicks, 4);
  let out = '';
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === "'" || c === '"') {
      const close = pattern.indexOf(c, i + 1);
      if (close < 0) throw new StreamPulseError('ADF_EXPRESSION_EVAL', `unterminated quote in format '${format}'`, { remedy: 'close the quoted literal' });
      out += pattern.slice(i + 1, close);
      i = close + 1;
      continue;
    }
    if (c === '\\') {
      out += pattern[i + 1] ?? '';
      i += 2;
      continue;
    }
    if (c === '%') {
      i++;
      continue;
    }
    let n = 1;
    while (pattern[i + n] === c) n++;
    switch (c) {
      case 'y':
        out += n === 1 ? String(Y % 100) : n === 2 ? pad(Y % 100, 2) : pad(Y, n);
        break;
      case 'M':
        out += n === 1 ? String(Mo + 1) : n === 2 ? pad(Mo + 1, 2) : n === 3 ? (MONTHS[Mo] as string).slice(0, 3) : (MONTHS[Mo] as string);
        break;
      case 'd':
        out += n === 1 ? String(D) : n === 2 ? pad(D, 2) : n === 3 ? (DAYS[d.getUTCDay()] as string).slice(0, 3) : (DAYS[d.getUTCDay()] as string);
        break;
      case 'H':
        out += n === 1 ? String(H) : pad(H, 2);
        break;
      case 'h': {
        const h12 = H % 12 === 0 ? 12 : H % 12;
        out += n === 1 ? String(h12) : pad(h12, 2);
        break;
      }
      case 'm':
        out += n === 1 ? String(Mi) : pad(Mi, 2);
        break;
      case 's':
        out += n === 1 ? String(S) : pad(S, 2);
        break;
      case 'f':
        out += frac7.slice(0, Math.min(n, 7));
        break;
      case 'F': {
        const f = frac7.slice(0, Math.min(n, 7)).replace(/0+$/, '');
        if (f === '' && out.endsWith('.')) out = out.slice(0, -1);
        out += f;
        break;
      }
      case 't':
        out += n === 1 ? (H < 12 ? 'A' : 'P') : H < 12 ? 'AM' : 'PM';
        break;
      case 'K':
        out += t.kind === 'utc' ? 'Z' : '';
        break;
      case 'z':
        out += t.kind === 'utc' ? (n === 1 ? '+0' : n === 2 ? '+00' : '+00:00') : '';
        break;
      case 'g':
        out += 'A.D.';
        break;
      default:
        out += c.repeat(n);
    }
    i += n;
  }
  return out;
}

/** ADF's default rendering of a timestamp: the round-trip "o" format. */
export const DAY_NAMES = DAYS;
