/**
 * The functions of the Data Factory expression language that StreamPulse supports,
 * with the behaviour of the documented reference (names are case-insensitive, as
 * in ADF). `FUNCTION_NAMES` is what the validator accepts.
 */
import { StreamPulseError } from '@streampulse/contracts';
import { addUnits, DEFAULT_FORMAT, formatTimestamp, fromDate, parseTimestamp, truncate, type Timestamp } from './datetime.js';
import type { EvalContext } from './evaluate.js';
import { ExpressionEvalError, stringify, typeName, type Json } from './values.js';
import type { Expr } from './parse.js';
import { convertFromUtc, convertTimeZone, convertToUtc } from './timezone.js';

export interface FnContext {
  readonly eval: EvalContext;
  readonly pos: number;
  readonly name: string;
}

interface FnDef {
  readonly min: number;
  readonly max: number;
  readonly fn: (args: Json[], c: FnContext) => Json;
  /** Functions whose arguments are evaluated on demand (if, and, or). */
  readonly lazy?: (args: readonly Expr[], ev: (e: Expr) => Json, c: FnContext) => Json;
}

const fail = (c: FnContext, message: string, remedy: string): never => {
  throw new ExpressionEvalError(c.pos, `${c.name}(): ${message}`, remedy);
};

function str(c: FnContext, v: Json, what = 'argument'): string {
  if (typeof v !== 'string') fail(c, `the ${what} must be a String, got ${typeName(v)}`, `pass a string, e.g. string(...)`);
  return v as string;
}
function num(c: FnContext, v: Json, what = 'argument'): number {
  if (typeof v !== 'number') fail(c, `the ${what} must be a number, got ${typeName(v)}`, 'pass an Integer or a Float, e.g. int(...)');
  return v as number;
}
function int(c: FnContext, v: Json, what = 'argument'): number {
  const n = num(c, v, what);
  if (!Number.isInteger(n)) fail(c, `the ${what} must be an Integer, got ${n}`, 'pass a whole number');
  return n;
}
function boolArg(c: FnContext, v: Json): boolean {
  if (typeof v !== 'boolean') fail(c, `the argument must be a Boolean, got ${typeName(v)}`, 'pass true/false or a comparison such as equals(...)');
  return v as boolean;
}
function ts(c: FnContext, v: Json): Timestamp {
  try {
    return parseTimestamp(str(c, v, 'timestamp'));
  } catch (e) {
    if (e instanceof ExpressionEvalError) throw e;
    return fail(c, `'${String(v)}' is not a timestamp`, "pass an ISO 8601 timestamp such as '2018-03-15T13:00:00Z'");
  }
}
function fmt(c: FnContext, t: Timestamp, f: Json | undefined): string {
  const format = f === undefined ? DEFAULT_FORMAT : str(c, f, 'format');
  try {
    return formatTimestamp(t, format);
  } catch (e) {
    return fail(c, (e as Error).message, "use a .NET date format such as 'yyyy-MM-dd' or 'o'");
  }
}
function now(c: FnContext): Timestamp {
  return fromDate(c.eval.now ? c.eval.now() : new Date());
}
/** Runs a time-zone conversion (timezone.ts), reporting its error (unknown zone, skipped local time) at the call. */
function zoned(c: FnContext, convert: () => Timestamp): Timestamp {
  try {
    return convert();
  } catch (e) {
    if (e instanceof ExpressionEvalError || !(e instanceof StreamPulseError)) throw e;
    return fail(c, e.message, e.remedy);
  }
}

/** Deep equality with ADF's loose Boolean/number equivalence (`equals(true, 1)` is true). */
export function jsonEquals(a: Json, b: Json): boolean {
  if (typeof a === 'boolean' && typeof b === 'number') return (a ? 1 : 0) === b;
  if (typeof a === 'number' && typeof b === 'boolean') return a === (b ? 1 : 0);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEquals(x, b[i] as Json));
  const ao = a as Record<string, Json>;
  const bo = b as Record<string, Json>;
  const ak = Object.keys(ao);
  return ak.length === Object.keys(bo).length && ak.every((k) => k in bo && jsonEquals(ao[k] as Json, bo[k] as Json));
}

function compare(c: FnContext, a: Json, b: Json): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return fail(c, `cannot compare ${typeName(a)} with ${typeName(b)}`, 'compare two numbers or two strings');
}

function collection(c: FnContext, v: Json): string | Json[] {
  if (typeof v === 'string' || Array.isArray(v)) return v;
  return fail(c, `the collection must be a String or an Array, got ${typeName(v)}`, 'pass a string or an array');
}

function setOp(c: FnContext, args: Json[], op: 'union' | 'intersection'): Json {
  if (args.every((a) => Array.isArray(a))) {
    const arrays = args as Json[][];
    if (op === 'union') {
      const out: Json[] = [];
      for (const a of arrays) for (const x of a) if (!out.some((y) => jsonEquals(x, y))) out.push(x);
      return out;
    }
    const [head = [], ...rest] = arrays;
    const out: Json[] = [];
    for (const x of head) if (rest.every((a) => a.some((y) => jsonEquals(x, y))) && !out.some((y) => jsonEquals(x, y))) out.push(x);
    return out;
  }
  if (args.every((a) => a !== null && typeof a === 'object' && !Array.isArray(a))) {
    const objs = args as Record<string, Json>[];
    const out: Record<string, Json> = {};
    if (op === 'union') {
      for (const o of objs) Object.assign(out, o);
      return out;
    }
    const [head = {}, ...rest] = objs;
    for (const k of Object.keys(head))
      if (rest.every((o) => k in o && jsonEquals(o[k] as Json, head[k] as Json))) out[k] = (objs[objs.length - 1] as Record<string, Json>)[k] as Json;
    return out;
  }
  return fail(
    c,
    `the collections must all be Arrays or all Objects, got ${args.map(typeName).join(', ')}`,
    'pass arrays (createArray(...)) or objects, not both',
  );
}

function toBinary(bytes: Buffer): string {
  return [...bytes].map((b) => b.toString(2).padStart(8, '0')).join('');
}

const dateAdd =
  (unit: string) =>
  (a: Json[], c: FnContext): Json =>
    fmt(c, addUnits(ts(c, a[0] as Json), int(c, a[1] as Json, 'interval'), unit), a[2]);

export const FUNCTIONS: Readonly<Record<string, FnDef>> = {
  // ---- string functions
  concat: {
    min: 1,
    max: Infinity,
    fn: (a) => a.map((x) => stringify(x)).join(''),
  },
  endswith: {
    min: 2,
    max: 2,
    fn: (a, c) =>
      str(c, a[0] as Json)
        .toLowerCase()
        .endsWith(str(c, a[1] as Json).toLowerCase()),
  },
  startswith: {
    min: 2,
    max: 2,
    fn: (a, c) =>
      str(c, a[0] as Json)
        .toLowerCase()
        .startsWith(str(c, a[1] as Json).toLowerCase()),
  },
  guid: {
    min: 0,
    max: 1,
    fn: (a, c) => {
      const g = c.eval.guid ? c.eval.guid() : crypto.randomUUID();
      const f = a[0] === undefined ? 'D' : str(c, a[0] as Json, 'format');
      if (f === 'N') return g.replace(/-/g, '');
      if (f === 'B') return `{${g}}`;
      if (f === 'P') return `(${g})`;
      if (f === 'D') return g;
      return fail(c, `'${f}' is not a GUID format`, "use 'N', 'D', 'B' or 'P'");
    },
  },
  indexof: {
    min: 2,
    max: 2,
    fn: (a, c) =>
      str(c, a[0] as Json)
        .toLowerCase()
        .indexOf(str(c, a[1] as Json).toLowerCase()),
  },
  lastindexof: {
    min: 2,
    max: 2,
    fn: (a, c) =>
      str(c, a[0] as Json)
        .toLowerCase()
        .lastIndexOf(str(c, a[1] as Json).toLowerCase()),
  },
  replace: {
    min: 3,
    max: 3,
    fn: (a, c) =>
      str(c, a[0] as Json)
        .split(str(c, a[1] as Json, 'old text'))
        .join(str(c, a[2] as Json, 'new text')),
  },
  split: { min: 2, max: 2, fn: (a, c) => str(c, a[0] as Json).split(str(c, a[1] as Json, 'delimiter')) },
  substring: {
    min: 2,
    max: 3,
    fn: (a, c) => {
      const s = str(c, a[0] as Json);
      const start = int(c, a[1] as Json, 'start index');
      const len = a[2] === undefined ? s.length - start : int(c, a[2] as Json, 'length');
      if (start < 0 || len < 0 || start + len > s.length)
        fail(c, `start index ${start} and length ${len} are out of range for a string of length ${s.length}`, 'keep startIndex + length within the string');
      return s.substring(start, start + len);
    },
  },
  tolower: { min: 1, max: 1, fn: (a, c) => str(c, a[0] as Json).toLowerCase() },
  toupper: { min: 1, max: 1, fn: (a, c) => str(c, a[0] as Json).toUpperCase() },
  trim: { min: 1, max: 1, fn: (a, c) => str(c, a[0] as Json).trim() },

  // ---- collection functions
  contains: {
    min: 2,
    max: 2,
    fn: (a, c) => {
      const coll = a[0] as Json;
      const v = a[1] as Json;
      if (typeof coll === 'string') return coll.includes(str(c, v, 'value'));
      if (Array.isArray(coll)) return coll.some((x) => jsonEquals(x, v));
      if (coll !== null && typeof coll === 'object') return Object.hasOwn(coll, str(c, v, 'key'));
      return fail(c, `the collection must be a String, an Array or an Object, got ${typeName(coll)}`, 'pass a string, an array or an object');
    },
  },
  empty: {
    min: 1,
    max: 1,
    fn: (a) => {
      const v = a[0] as Json;
      if (v === null) return true;
      if (typeof v === 'string' || Array.isArray(v)) return v.length === 0;
      if (typeof v === 'object') return Object.keys(v).length === 0;
      return false;
    },
  },
  first: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      const v = collection(c, a[0] as Json);
      return v.length === 0 ? null : (v[0] as Json);
    },
  },
  last: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      const v = collection(c, a[0] as Json);
      return v.length === 0 ? null : (v[v.length - 1] as Json);
    },
  },
  intersection: { min: 1, max: Infinity, fn: (a, c) => setOp(c, a, 'intersection') },
  union: { min: 1, max: Infinity, fn: (a, c) => setOp(c, a, 'union') },
  join: {
    min: 2,
    max: 2,
    fn: (a, c) => {
      const arr = a[0] as Json;
      if (!Array.isArray(arr)) fail(c, `the first argument must be an Array, got ${typeName(arr)}`, 'pass an array, e.g. createArray(...)');
      return (arr as Json[]).map((x) => stringify(x)).join(str(c, a[1] as Json, 'delimiter'));
    },
  },
  length: { min: 1, max: 1, fn: (a, c) => collection(c, a[0] as Json).length },
  skip: {
    min: 2,
    max: 2,
    fn: (a, c) => {
      const v = collection(c, a[0] as Json);
      return v.slice(int(c, a[1] as Json, 'count')) as Json;
    },
  },
  take: {
    min: 2,
    max: 2,
    fn: (a, c) => {
      const v = collection(c, a[0] as Json);
      return v.slice(0, int(c, a[1] as Json, 'count')) as Json;
    },
  },

  // ---- logical functions
  and: { min: 1, max: Infinity, fn: (a, c) => a.every((x) => boolArg(c, x)) },
  or: { min: 1, max: Infinity, fn: (a, c) => a.some((x) => boolArg(c, x)) },
  not: { min: 1, max: 1, fn: (a, c) => !boolArg(c, a[0] as Json) },
  equals: { min: 2, max: 2, fn: (a) => jsonEquals(a[0] as Json, a[1] as Json) },
  greater: { min: 2, max: 2, fn: (a, c) => compare(c, a[0] as Json, a[1] as Json) > 0 },
  greaterorequals: { min: 2, max: 2, fn: (a, c) => compare(c, a[0] as Json, a[1] as Json) >= 0 },
  less: { min: 2, max: 2, fn: (a, c) => compare(c, a[0] as Json, a[1] as Json) < 0 },
  lessorequals: { min: 2, max: 2, fn: (a, c) => compare(c, a[0] as Json, a[1] as Json) <= 0 },
  if: {
    min: 3,
    max: 3,
    fn: () => null,
    lazy: (args, ev, c) => (boolArg(c, ev(args[0] as Expr)) ? ev(args[1] as Expr) : ev(args[2] as Expr)),
  },

  // ---- conversion functions
  array: { min: 1, max: 1, fn: (a) => [a[0] as Json] },
  createarray: { min: 1, max: Infinity, fn: (a) => a },
  base64: { min: 1, max: 1, fn: (a, c) => Buffer.from(str(c, a[0] as Json), 'utf8').toString('base64') },
  base64tostring: { min: 1, max: 1, fn: (a, c) => Buffer.from(str(c, a[0] as Json), 'base64').toString('utf8') },
  decodebase64: { min: 1, max: 1, fn: (a, c) => Buffer.from(str(c, a[0] as Json), 'base64').toString('utf8') },
  base64tobinary: { min: 1, max: 1, fn: (a, c) => toBinary(Buffer.from(str(c, a[0] as Json), 'utf8')) },
  binary: { min: 1, max: 1, fn: (a, c) => toBinary(Buffer.from(str(c, a[0] as Json), 'utf8')) },
  bool: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      const v = a[0] as Json;
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number') return v !== 0;
      if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
      return fail(c, `cannot convert ${typeName(v)} ${JSON.stringify(v)} to a Boolean`, "pass true/false, 'true'/'false' or a number");
    },
  },
  coalesce: { min: 1, max: Infinity, fn: (a) => a.find((x) => x !== null && x !== undefined) ?? null },
  datauri: { min: 1, max: 1, fn: (a, c) => `data:text/plain;charset=utf-8;base64,${Buffer.from(str(c, a[0] as Json), 'utf8').toString('base64')}` },
  datauritostring: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      const s = str(c, a[0] as Json);
      const i = s.indexOf('base64,');
      if (!s.startsWith('data:') || i < 0) fail(c, `'${s}' is not a base64 data URI`, "pass 'data:<type>;base64,<data>'");
      return Buffer.from(s.slice(i + 7), 'base64').toString('utf8');
    },
  },
  float: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      const v = a[0] as Json;
      if (typeof v === 'number') return v;
      const s = str(c, v);
      if (!/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(s)) fail(c, `'${s}' is not a floating-point number`, "pass a string such as '10.333'");
      return Number(s);
    },
  },
  int: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      const v = a[0] as Json;
      if (typeof v === 'number') return Math.trunc(v);
      const s = str(c, v);
      if (!/^\s*[+-]?\d+\s*$/.test(s)) fail(c, `'${s}' is not an integer`, "pass a string such as '10'");
      return Number(s);
    },
  },
  json: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      const v = a[0] as Json;
      if (v === null) return {};
      if (typeof v !== 'string') return v;
      try {
        return JSON.parse(v) as Json;
      } catch (e) {
        return fail(c, `the string is not valid JSON (${(e as Error).message})`, 'pass a JSON text');
      }
    },
  },
  string: { min: 1, max: 1, fn: (a) => stringify(a[0] as Json) },
  uricomponent: { min: 1, max: 1, fn: (a, c) => encodeURIComponent(str(c, a[0] as Json)) },
  encodeuricomponent: { min: 1, max: 1, fn: (a, c) => encodeURIComponent(str(c, a[0] as Json)) },
  uricomponenttostring: { min: 1, max: 1, fn: (a, c) => decodeURIComponent(str(c, a[0] as Json)) },
  decodeuricomponent: { min: 1, max: 1, fn: (a, c) => decodeURIComponent(str(c, a[0] as Json)) },

  // ---- math functions
  add: { min: 2, max: 2, fn: (a, c) => num(c, a[0] as Json, 'first summand') + num(c, a[1] as Json, 'second summand') },
  sub: { min: 2, max: 2, fn: (a, c) => num(c, a[0] as Json, 'minuend') - num(c, a[1] as Json, 'subtrahend') },
  mul: { min: 2, max: 2, fn: (a, c) => num(c, a[0] as Json, 'multiplicand') * num(c, a[1] as Json, 'multiplicand') },
  div: {
    min: 2,
    max: 2,
    fn: (a, c) => {
      const x = num(c, a[0] as Json, 'dividend');
      const y = num(c, a[1] as Json, 'divisor');
      if (y === 0) fail(c, 'division by zero', 'pass a divisor other than 0');
      return Number.isInteger(x) && Number.isInteger(y) ? Math.trunc(x / y) : x / y;
    },
  },
  mod: {
    min: 2,
    max: 2,
    fn: (a, c) => {
      const y = num(c, a[1] as Json, 'divisor');
      if (y === 0) fail(c, 'division by zero', 'pass a divisor other than 0');
      return num(c, a[0] as Json, 'dividend') % y;
    },
  },
  max: { min: 1, max: Infinity, fn: (a, c) => Math.max(...(a.length === 1 && Array.isArray(a[0]) ? (a[0] as Json[]) : a).map((x) => num(c, x))) },
  min: { min: 1, max: Infinity, fn: (a, c) => Math.min(...(a.length === 1 && Array.isArray(a[0]) ? (a[0] as Json[]) : a).map((x) => num(c, x))) },
  range: {
    min: 2,
    max: 2,
    fn: (a, c) => {
      const start = int(c, a[0] as Json, 'start index');
      const count = int(c, a[1] as Json, 'count');
      if (count < 0) fail(c, `count must not be negative, got ${count}`, 'pass a count of 0 or more');
      return Array.from({ length: count }, (_, i) => start + i);
    },
  },

  // ---- date functions
  adddays: { min: 2, max: 3, fn: dateAdd('day') },
  addhours: { min: 2, max: 3, fn: dateAdd('hour') },
  addminutes: { min: 2, max: 3, fn: dateAdd('minute') },
  addseconds: { min: 2, max: 3, fn: dateAdd('second') },
  addtotime: { min: 3, max: 4, fn: (a, c) => fmt(c, addUnits(ts(c, a[0] as Json), int(c, a[1] as Json, 'interval'), str(c, a[2] as Json, 'time unit')), a[3]) },
  subtractfromtime: {
    min: 3,
    max: 4,
    fn: (a, c) => fmt(c, addUnits(ts(c, a[0] as Json), -int(c, a[1] as Json, 'interval'), str(c, a[2] as Json, 'time unit')), a[3]),
  },
  getfuturetime: { min: 2, max: 3, fn: (a, c) => fmt(c, addUnits(now(c), int(c, a[0] as Json, 'interval'), str(c, a[1] as Json, 'time unit')), a[2]) },
  getpasttime: { min: 2, max: 3, fn: (a, c) => fmt(c, addUnits(now(c), -int(c, a[0] as Json, 'interval'), str(c, a[1] as Json, 'time unit')), a[2]) },
  convertfromutc: {
    min: 2,
    max: 3,
    fn: (a, c) =>
      fmt(
        c,
        zoned(c, () => convertFromUtc(ts(c, a[0] as Json), str(c, a[1] as Json, 'destination time zone'))),
        a[2],
      ),
  },
  converttimezone: {
    min: 3,
    max: 4,
    fn: (a, c) =>
      fmt(
        c,
        zoned(c, () => convertTimeZone(ts(c, a[0] as Json), str(c, a[1] as Json, 'source time zone'), str(c, a[2] as Json, 'destination time zone'))),
        a[3],
      ),
  },
  converttoutc: {
    min: 2,
    max: 3,
    fn: (a, c) =>
      fmt(
        c,
        zoned(c, () => convertToUtc(ts(c, a[0] as Json), str(c, a[1] as Json, 'source time zone'))),
        a[2],
      ),
  },
  dayofmonth: { min: 1, max: 1, fn: (a, c) => new Date(ts(c, a[0] as Json).ms).getUTCDate() },
  dayofweek: { min: 1, max: 1, fn: (a, c) => new Date(ts(c, a[0] as Json).ms).getUTCDay() },
  dayofyear: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      const d = new Date(ts(c, a[0] as Json).ms);
      return Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
    },
  },
  formatdatetime: { min: 1, max: 2, fn: (a, c) => fmt(c, ts(c, a[0] as Json), a[1]) },
  startofday: { min: 1, max: 2, fn: (a, c) => fmt(c, truncate(ts(c, a[0] as Json), 'day'), a[1]) },
  startofhour: { min: 1, max: 2, fn: (a, c) => fmt(c, truncate(ts(c, a[0] as Json), 'hour'), a[1]) },
  startofmonth: { min: 1, max: 2, fn: (a, c) => fmt(c, truncate(ts(c, a[0] as Json), 'month'), a[1]) },
  ticks: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      const t = ts(c, a[0] as Json);
      // .NET ticks: 100 ns since 0001-01-01 (as a number: exact to about 1 ms at today's magnitudes)
      return (t.ms + 62_135_596_800_000) * 10_000 + t.subTicks;
    },
  },
  utcnow: { min: 0, max: 1, fn: (a, c) => fmt(c, now(c), a[0]) },
};

/** Functions that read the run context rather than compute. */
export const SYSTEM_FUNCTIONS: Readonly<Record<string, FnDef>> = {
  pipeline: {
    min: 0,
    max: 0,
    fn: (_a, c) => {
      if (!c.eval.pipeline) return fail(c, 'is only available inside a pipeline', 'use pipeline() in pipeline and activity properties');
      return c.eval.pipeline as Json;
    },
  },
  activity: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      const name = str(c, a[0] as Json, 'activity name');
      const r = c.eval.activity?.(name);
      if (r === undefined)
        fail(
          c,
          `activity '${name}' has not run (or is not in this pipeline)`,
          `reference an activity this one depends on (directly or indirectly) through dependsOn`,
        );
      return r as Json;
    },
  },
  item: {
    min: 0,
    max: 0,
    fn: (_a, c) => {
      if (c.eval.item === undefined) return fail(c, 'is only available inside a ForEach activity', 'use item() in the activities of a ForEach');
      return c.eval.item;
    },
  },
  variables: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      const name = str(c, a[0] as Json, 'variable name');
      const v = c.eval.variables?.(name);
      if (v === undefined) fail(c, `variable '${name}' is not declared in this pipeline`, 'declare it under properties.variables');
      return v as Json;
    },
  },
  trigger: {
    min: 0,
    max: 0,
    fn: (_a, c) =>
      (c.eval.trigger as Json | undefined) ??
      fail(c, 'no trigger started this run', 'run the pipeline from a trigger, or avoid trigger() in manually run pipelines'),
  },
  dataset: {
    min: 0,
    max: 0,
    fn: (_a, c) =>
      c.eval.dataset
        ? { parameters: c.eval.dataset as Json, ...(c.eval.dataset as Record<string, Json>) }
        : fail(c, 'is only available inside a dataset', 'use dataset() in dataset properties'),
  },
  linkedservice: {
    min: 0,
    max: 0,
    fn: (_a, c) =>
      c.eval.linkedService
        ? { parameters: c.eval.linkedService as Json, ...(c.eval.linkedService as Record<string, Json>) }
        : fail(c, 'is only available inside a linked service', 'use linkedService() in linked-service properties'),
  },
};

/** Every function name the language knows (lower case), for validators. */
export const FUNCTION_NAMES: ReadonlySet<string> = new Set([...Object.keys(FUNCTIONS), ...Object.keys(SYSTEM_FUNCTIONS)]);

/** Arity of a known function (lower-case name). */
export function functionArity(lname: string): { min: number; max: number } | undefined {
  const f = FUNCTIONS[lname] ?? SYSTEM_FUNCTIONS[lname];
  return f === undefined ? undefined : { min: f.min, max: f.max };
}
