/**
 * The functions of the Data Factory expression language: every function of the documented
 * reference ("Expressions and functions in Azure Data Factory and Azure Synapse
 * Analytics"), with its behaviour and documented examples (names are case-insensitive, as
 * in ADF). `FUNCTION_NAMES` is what the validator accepts; `REFERENCE_FUNCTION_NAMES` the
 * reference's spelling, for messages ("did you mean 'formatDateTime'?"). Integer and Float
 * follow the rules in values.ts.
 */
import { closest, StreamPulseError } from '@streampulse/contracts';
import { addUnits, DEFAULT_FORMAT, formatTimestamp, fromDate, parseTimestamp, truncate, type Timestamp } from './datetime.js';
import type { EvalContext } from './evaluate.js';
import { parseJsonText } from './json.js';
import { describe, ExpressionEvalError, Float, isFloat, isInteger, isNumber, isObject, numberOf, stringify, typeName, XmlValue, type Value } from './values.js';
import { evaluateXPath, jsonToXml, parseXml, XmlError, xmlToJson } from './xml.js';
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
  readonly fn: (args: Value[], c: FnContext) => Value;
  /** Functions whose arguments are evaluated on demand (if, and, or). */
  readonly lazy?: (args: readonly Expr[], ev: (e: Expr) => Value, c: FnContext) => Value;
}

const fail = (c: FnContext, message: string, remedy: string): never => {
  throw new ExpressionEvalError(c.pos, `${c.name}(): ${message}`, remedy);
};

function str(c: FnContext, v: Value, what = 'argument'): string {
  if (typeof v !== 'string') fail(c, `the ${what} must be a String, got ${typeName(v)}`, `pass a string, e.g. string(...)`);
  return v as string;
}
function num(c: FnContext, v: Value, what = 'argument'): number {
  if (!isNumber(v)) fail(c, `the ${what} must be a number, got ${typeName(v)}`, 'pass an Integer or a Float, e.g. int(...)');
  return numberOf(v as number | Float);
}
/** An Integer argument: a Float is refused even when whole (`float('2')` is not an Integer). */
function int(c: FnContext, v: Value, what = 'argument'): number {
  if (!isInteger(v)) fail(c, `the ${what} must be an Integer, got ${describe(v)}`, 'pass a whole number without a decimal point, e.g. 2 or int(...)');
  return v as number;
}
/**
 * The result of arithmetic on two numbers: an Integer when both are Integers (64-bit .NET
 * arithmetic on whole numbers), else a Float.
 */
function arith(a: Value, b: Value, r: number): Value {
  return isFloat(a) || isFloat(b) ? new Float(r) : r;
}
function boolArg(c: FnContext, v: Value): boolean {
  if (typeof v !== 'boolean') fail(c, `the argument must be a Boolean, got ${typeName(v)}`, 'pass true/false or a comparison such as equals(...)');
  return v as boolean;
}
function ts(c: FnContext, v: Value): Timestamp {
  try {
    return parseTimestamp(str(c, v, 'timestamp'));
  } catch (e) {
    if (e instanceof ExpressionEvalError) throw e;
    return fail(c, `'${String(v)}' is not a timestamp`, "pass an ISO 8601 timestamp such as '2018-03-15T13:00:00Z'");
  }
}
function fmt(c: FnContext, t: Timestamp, f: Value | undefined): string {
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

/**
 * Deep equality with ADF's loose Boolean/number equivalence (`equals(true, 1)` is true);
 * an Integer equals the Float of the same value (`equals(1, 1.0)`), XML values compare by text.
 */
export function jsonEquals(a: Value, b: Value): boolean {
  if (typeof a === 'boolean' && isNumber(b)) return (a ? 1 : 0) === numberOf(b);
  if (isNumber(a) && typeof b === 'boolean') return numberOf(a) === (b ? 1 : 0);
  if (isNumber(a) && isNumber(b)) return numberOf(a) === numberOf(b);
  if (a instanceof XmlValue || b instanceof XmlValue) return a instanceof XmlValue && b instanceof XmlValue && a.text() === b.text();
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || isNumber(a) || isNumber(b)) return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEquals(x, b[i] as Value));
  const ao = a as Record<string, Value>;
  const bo = b as Record<string, Value>;
  const ak = Object.keys(ao);
  return ak.length === Object.keys(bo).length && ak.every((k) => k in bo && jsonEquals(ao[k] as Value, bo[k] as Value));
}

function compare(c: FnContext, a: Value, b: Value): number {
  if (isNumber(a) && isNumber(b)) return numberOf(a) - numberOf(b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return fail(c, `cannot compare ${typeName(a)} with ${typeName(b)}`, 'compare two numbers or two strings');
}

function collection(c: FnContext, v: Value): string | Value[] {
  if (typeof v === 'string' || Array.isArray(v)) return v;
  return fail(c, `the collection must be a String or an Array, got ${typeName(v)}`, 'pass a string or an array');
}

function setOp(c: FnContext, args: Value[], op: 'union' | 'intersection'): Value {
  if (args.every((a) => Array.isArray(a))) {
    const arrays = args as Value[][];
    if (op === 'union') {
      const out: Value[] = [];
      for (const a of arrays) for (const x of a) if (!out.some((y) => jsonEquals(x, y))) out.push(x);
      return out;
    }
    const [head = [], ...rest] = arrays;
    const out: Value[] = [];
    for (const x of head) if (rest.every((a) => a.some((y) => jsonEquals(x, y))) && !out.some((y) => jsonEquals(x, y))) out.push(x);
    return out;
  }
  if (args.every((a) => isObject(a))) {
    const objs = args as Record<string, Value>[];
    const out: Record<string, Value> = {};
    if (op === 'union') {
      for (const o of objs) Object.assign(out, o);
      return out;
    }
    const [head = {}, ...rest] = objs;
    for (const k of Object.keys(head))
      if (rest.every((o) => k in o && jsonEquals(o[k] as Value, head[k] as Value))) out[k] = (objs[objs.length - 1] as Record<string, Value>)[k] as Value;
    return out;
  }
  return fail(
    c,
    `the collections must all be Arrays or all Objects, got ${args.map(typeName).join(', ')}`,
    'pass arrays (createArray(...)) or objects, not both',
  );
}

/** max() / min(): the largest (sign 1) or smallest (-1) of the numbers or of one array of them, with its own type. */
function extreme(c: FnContext, args: Value[], sign: 1 | -1): Value {
  const xs = args.length === 1 && Array.isArray(args[0]) ? args[0] : args;
  if (xs.length === 0) return fail(c, 'the array is empty', 'pass at least one number');
  let best = xs[0] as Value;
  for (const x of xs) if ((num(c, x) - num(c, best)) * sign > 0) best = x;
  num(c, best);
  return best;
}

/** A data URI argument (`data:<media type>[;base64],<data>`). */
function dataUri(c: FnContext, v: Value): string {
  const s = str(c, v, 'data URI');
  if (!/^data:[^,]*,/.test(s))
    fail(c, `'${s.length > 60 ? `${s.slice(0, 57)}...` : s}' is not a data URI`, "pass 'data:<media type>;base64,<data>', e.g. dataUri('hello')");
  return s;
}

/** The XML of a value: an XML value, or a JSON content envelope holding XML (`$content-type` application/xml or text/xml). */
function xmlOf(c: FnContext, v: Value): XmlValue | undefined {
  if (v instanceof XmlValue) return v;
  if (
    isObject(v) &&
    typeof v['$content-type'] === 'string' &&
    /^(application|text)\/([\w.+-]+\+)?xml\b/i.test(v['$content-type']) &&
    typeof v['$content'] === 'string'
  ) {
    const text = Buffer.from(v['$content'], 'base64').toString('utf8');
    return xmlCall(c, () => parseXml(text));
  }
  return undefined;
}

/** Runs an XML step, reporting its error (not well-formed, no root element, bad XPath) at the call. */
function xmlCall<T>(c: FnContext, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof XmlError) return fail(c, e.message, 'pass well-formed XML (one root element) and an XPath 1.0 expression');
    throw e;
  }
}

/** A JSON scalar as XML text (Newtonsoft's XML converter: Booleans 'true'/'false', numbers invariant). */
function xmlScalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (isNumber(v as Value)) return stringify(v as Value);
  return undefined;
}

function toBinary(bytes: Buffer): string {
  return [...bytes].map((b) => b.toString(2).padStart(8, '0')).join('');
}

const dateAdd =
  (unit: string) =>
  (a: Value[], c: FnContext): Value =>
    fmt(c, addUnits(ts(c, a[0] as Value), int(c, a[1] as Value, 'interval'), unit), a[2]);

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
      str(c, a[0] as Value)
        .toLowerCase()
        .endsWith(str(c, a[1] as Value).toLowerCase()),
  },
  startswith: {
    min: 2,
    max: 2,
    fn: (a, c) =>
      str(c, a[0] as Value)
        .toLowerCase()
        .startsWith(str(c, a[1] as Value).toLowerCase()),
  },
  guid: {
    min: 0,
    max: 1,
    fn: (a, c) => {
      const g = c.eval.guid ? c.eval.guid() : crypto.randomUUID();
      const f = a[0] === undefined ? 'D' : str(c, a[0] as Value, 'format');
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
      str(c, a[0] as Value)
        .toLowerCase()
        .indexOf(str(c, a[1] as Value).toLowerCase()),
  },
  lastindexof: {
    min: 2,
    max: 2,
    fn: (a, c) =>
      str(c, a[0] as Value)
        .toLowerCase()
        .lastIndexOf(str(c, a[1] as Value).toLowerCase()),
  },
  replace: {
    min: 3,
    max: 3,
    fn: (a, c) =>
      str(c, a[0] as Value)
        .split(str(c, a[1] as Value, 'old text'))
        .join(str(c, a[2] as Value, 'new text')),
  },
  split: { min: 2, max: 2, fn: (a, c) => str(c, a[0] as Value).split(str(c, a[1] as Value, 'delimiter')) },
  substring: {
    min: 2,
    max: 3,
    fn: (a, c) => {
      const s = str(c, a[0] as Value);
      const start = int(c, a[1] as Value, 'start index');
      const len = a[2] === undefined ? s.length - start : int(c, a[2] as Value, 'length');
      if (start < 0 || len < 0 || start + len > s.length)
        fail(c, `start index ${start} and length ${len} are out of range for a string of length ${s.length}`, 'keep startIndex + length within the string');
      return s.substring(start, start + len);
    },
  },
  tolower: { min: 1, max: 1, fn: (a, c) => str(c, a[0] as Value).toLowerCase() },
  toupper: { min: 1, max: 1, fn: (a, c) => str(c, a[0] as Value).toUpperCase() },
  trim: { min: 1, max: 1, fn: (a, c) => str(c, a[0] as Value).trim() },

  // ---- collection functions
  contains: {
    min: 2,
    max: 2,
    fn: (a, c) => {
      const coll = a[0] as Value;
      const v = a[1] as Value;
      if (typeof coll === 'string') return coll.includes(str(c, v, 'value'));
      if (Array.isArray(coll)) return coll.some((x) => jsonEquals(x, v));
      if (isObject(coll)) return Object.hasOwn(coll, str(c, v, 'key'));
      return fail(c, `the collection must be a String, an Array or an Object, got ${typeName(coll)}`, 'pass a string, an array or an object');
    },
  },
  empty: {
    min: 1,
    max: 1,
    fn: (a) => {
      const v = a[0] as Value;
      if (v === null) return true;
      if (typeof v === 'string' || Array.isArray(v)) return v.length === 0;
      if (isObject(v)) return Object.keys(v).length === 0;
      return false;
    },
  },
  first: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      const v = collection(c, a[0] as Value);
      return v.length === 0 ? null : (v[0] as Value);
    },
  },
  last: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      const v = collection(c, a[0] as Value);
      return v.length === 0 ? null : (v[v.length - 1] as Value);
    },
  },
  intersection: { min: 1, max: Infinity, fn: (a, c) => setOp(c, a, 'intersection') },
  union: { min: 1, max: Infinity, fn: (a, c) => setOp(c, a, 'union') },
  join: {
    min: 2,
    max: 2,
    fn: (a, c) => {
      const arr = a[0] as Value;
      if (!Array.isArray(arr)) fail(c, `the first argument must be an Array, got ${typeName(arr)}`, 'pass an array, e.g. createArray(...)');
      return (arr as Value[]).map((x) => stringify(x)).join(str(c, a[1] as Value, 'delimiter'));
    },
  },
  length: { min: 1, max: 1, fn: (a, c) => collection(c, a[0] as Value).length },
  skip: {
    min: 2,
    max: 2,
    fn: (a, c) => {
      const v = collection(c, a[0] as Value);
      return v.slice(int(c, a[1] as Value, 'count')) as Value;
    },
  },
  take: {
    min: 2,
    max: 2,
    fn: (a, c) => {
      const v = collection(c, a[0] as Value);
      return v.slice(0, int(c, a[1] as Value, 'count')) as Value;
    },
  },

  // ---- logical functions
  and: { min: 1, max: Infinity, fn: (a, c) => a.every((x) => boolArg(c, x)) },
  or: { min: 1, max: Infinity, fn: (a, c) => a.some((x) => boolArg(c, x)) },
  not: { min: 1, max: 1, fn: (a, c) => !boolArg(c, a[0] as Value) },
  equals: { min: 2, max: 2, fn: (a) => jsonEquals(a[0] as Value, a[1] as Value) },
  greater: { min: 2, max: 2, fn: (a, c) => compare(c, a[0] as Value, a[1] as Value) > 0 },
  greaterorequals: { min: 2, max: 2, fn: (a, c) => compare(c, a[0] as Value, a[1] as Value) >= 0 },
  less: { min: 2, max: 2, fn: (a, c) => compare(c, a[0] as Value, a[1] as Value) < 0 },
  lessorequals: { min: 2, max: 2, fn: (a, c) => compare(c, a[0] as Value, a[1] as Value) <= 0 },
  if: {
    min: 3,
    max: 3,
    fn: () => null,
    lazy: (args, ev, c) => (boolArg(c, ev(args[0] as Expr)) ? ev(args[1] as Expr) : ev(args[2] as Expr)),
  },

  // ---- conversion functions
  array: { min: 1, max: 1, fn: (a) => [a[0] as Value] },
  createarray: { min: 1, max: Infinity, fn: (a) => a },
  base64: { min: 1, max: 1, fn: (a, c) => Buffer.from(str(c, a[0] as Value), 'utf8').toString('base64') },
  base64tostring: { min: 1, max: 1, fn: (a, c) => Buffer.from(str(c, a[0] as Value), 'base64').toString('utf8') },
  decodebase64: { min: 1, max: 1, fn: (a, c) => Buffer.from(str(c, a[0] as Value), 'base64').toString('utf8') },
  // The "binary version" functions return the bits of the text's UTF-8 bytes, as every documented
  // example does: base64ToBinary('aGVsbG8=') is the bits of the characters 'aGVsbG8=' (not of
  // the decoded 'hello'), dataUriToBinary(uri) the bits of the whole URI text.
  base64tobinary: { min: 1, max: 1, fn: (a, c) => toBinary(Buffer.from(str(c, a[0] as Value), 'utf8')) },
  binary: { min: 1, max: 1, fn: (a, c) => toBinary(Buffer.from(str(c, a[0] as Value), 'utf8')) },
  datauritobinary: { min: 1, max: 1, fn: (a, c) => toBinary(Buffer.from(dataUri(c, a[0] as Value), 'utf8')) },
  decodedatauri: { min: 1, max: 1, fn: (a, c) => toBinary(Buffer.from(dataUri(c, a[0] as Value), 'utf8')) },
  // documented: uriComponentToBinary('http%3A%2F%2Fcontoso.com') is the bits of the text with
  // its JSON quotes, '"http%3A%2F%2Fcontoso.com"' (208 bits: 26 characters)
  uricomponenttobinary: { min: 1, max: 1, fn: (a, c) => toBinary(Buffer.from(JSON.stringify(str(c, a[0] as Value)), 'utf8')) },
  bool: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      const v = a[0] as Value;
      if (typeof v === 'boolean') return v;
      if (isNumber(v)) return numberOf(v) !== 0;
      if (typeof v === 'string' && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === 'true';
      return fail(c, `cannot convert ${describe(v)} to a Boolean`, "pass true/false, 'true'/'false' or a number");
    },
  },
  coalesce: { min: 1, max: Infinity, fn: (a) => a.find((x) => x !== null && x !== undefined) ?? null },
  datauri: { min: 1, max: 1, fn: (a, c) => `data:text/plain;charset=utf-8;base64,${Buffer.from(str(c, a[0] as Value), 'utf8').toString('base64')}` },
  datauritostring: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      const s = dataUri(c, a[0] as Value);
      const i = s.indexOf('base64,');
      if (i < 0) fail(c, `'${s}' is not a base64 data URI`, "pass 'data:<type>;base64,<data>'");
      return Buffer.from(s.slice(i + 7), 'base64').toString('utf8');
    },
  },
  float: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      // always a Float: float('10') is 10.0 (string() of it is '10', as .NET prints a double)
      const v = a[0] as Value;
      if (isNumber(v)) return new Float(numberOf(v));
      const s = str(c, v);
      if (!/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(s)) fail(c, `'${s}' is not a floating-point number`, "pass a string such as '10.333'");
      return new Float(Number(s));
    },
  },
  int: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      // an Integer: int('10') is 10; int(<Float>) drops the fraction (toward zero); int('10.5') is an error
      const v = a[0] as Value;
      if (isNumber(v)) return Math.trunc(numberOf(v));
      const s = str(c, v);
      if (!/^\s*[+-]?\d+\s*$/.test(s)) fail(c, `'${s}' is not an integer`, "pass a string such as '10'");
      return Number(s);
    },
  },
  json: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      // documented: "If the string is null, the function returns an empty object"; XML (an
      // XML value or its content envelope) converts as xml.ts describes; numbers keep
      // Integer/Float as written (json('{"a": 1.0}') has the Float 1.0)
      const v = a[0] as Value;
      if (v === null) return {};
      const x = xmlOf(c, v);
      if (x !== undefined) return xmlToJson(x);
      if (typeof v !== 'string') return v;
      try {
        return parseJsonText(v);
      } catch (e) {
        return fail(c, `the string is not valid JSON (${(e as Error).message})`, 'pass a JSON text');
      }
    },
  },
  string: { min: 1, max: 1, fn: (a) => stringify(a[0] as Value) },
  uricomponent: { min: 1, max: 1, fn: (a, c) => encodeURIComponent(str(c, a[0] as Value)) },
  encodeuricomponent: { min: 1, max: 1, fn: (a, c) => encodeURIComponent(str(c, a[0] as Value)) },
  uricomponenttostring: { min: 1, max: 1, fn: (a, c) => decodeURIComponent(str(c, a[0] as Value)) },
  decodeuricomponent: { min: 1, max: 1, fn: (a, c) => decodeURIComponent(str(c, a[0] as Value)) },
  xml: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      // an XML text, or a JSON object (or its text) with one root property: xml(json('{"name": "Sophia Owen"}'))
      const v = a[0] as Value;
      const x = xmlOf(c, v);
      if (x !== undefined) return x;
      if (typeof v === 'string' && v.trimStart().startsWith('<')) return xmlCall(c, () => parseXml(v));
      let obj: Value = v;
      if (typeof v === 'string') {
        try {
          obj = parseJsonText(v);
        } catch (e) {
          return fail(
            c,
            `the string is neither XML nor a JSON object (${(e as Error).message})`,
            "pass XML text such as '<name>Sophia Owen</name>' or a JSON object with one root property",
          );
        }
      }
      if (!isObject(obj))
        return fail(c, `cannot convert ${describe(obj)} to XML`, 'pass XML text or a JSON object with one root property, which is not an array');
      const root = obj;
      return xmlCall(c, () => jsonToXml(root, xmlScalar, (y) => isObject(y as Value)));
    },
  },
  xpath: {
    min: 2,
    max: 2,
    fn: (a, c) => {
      const v = a[0] as Value;
      const x = xmlOf(c, v) ?? (typeof v === 'string' ? xmlCall(c, () => parseXml(v)) : undefined);
      if (x === undefined) return fail(c, `the first argument must be XML, got ${typeName(v)}`, 'pass xml(...) or an XML string');
      const r = xmlCall(c, () => evaluateXPath(x, str(c, a[1] as Value, 'XPath expression')));
      // XPath numbers are doubles: xpath(…, 'sum(/produce/item/count)') is the Float 30
      return typeof r === 'number' ? new Float(r) : r;
    },
  },

  // ---- math functions
  // Integer op Integer is an Integer; a Float operand makes a Float (values.ts)
  add: { min: 2, max: 2, fn: (a, c) => arith(a[0] as Value, a[1] as Value, num(c, a[0] as Value, 'first summand') + num(c, a[1] as Value, 'second summand')) },
  sub: { min: 2, max: 2, fn: (a, c) => arith(a[0] as Value, a[1] as Value, num(c, a[0] as Value, 'minuend') - num(c, a[1] as Value, 'subtrahend')) },
  mul: { min: 2, max: 2, fn: (a, c) => arith(a[0] as Value, a[1] as Value, num(c, a[0] as Value, 'multiplicand') * num(c, a[1] as Value, 'multiplicand')) },
  div: {
    min: 2,
    max: 2,
    fn: (a, c) => {
      // documented "the integer result" for div(10, 5) and div(11, 5) (both 2): two Integers
      // divide as .NET longs (truncating toward zero); a Float operand divides as doubles
      const x = num(c, a[0] as Value, 'dividend');
      const y = num(c, a[1] as Value, 'divisor');
      if (y === 0) fail(c, 'division by zero', 'pass a divisor other than 0');
      return isFloat(a[0] as Value) || isFloat(a[1] as Value) ? new Float(x / y) : Math.trunc(x / y);
    },
  },
  mod: {
    min: 2,
    max: 2,
    fn: (a, c) => {
      // the remainder keeps the dividend's sign (.NET %, as JS %)
      const y = num(c, a[1] as Value, 'divisor');
      if (y === 0) fail(c, 'division by zero', 'pass a divisor other than 0');
      return arith(a[0] as Value, a[1] as Value, num(c, a[0] as Value, 'dividend') % y);
    },
  },
  max: { min: 1, max: Infinity, fn: (a, c) => extreme(c, a, 1) },
  min: { min: 1, max: Infinity, fn: (a, c) => extreme(c, a, -1) },
  rand: {
    min: 2,
    max: 2,
    fn: (a, c) => {
      // documented: "a random integer from a specified range, which is inclusive only at the
      // starting end": rand(1, 5) is 1, 2, 3 or 4. EvalContext.random (tests pin it) or Math.random.
      const lo = int(c, a[0] as Value, 'minimum value');
      const hi = int(c, a[1] as Value, 'maximum value');
      if (hi <= lo)
        fail(c, `the maximum value ${hi} must be greater than the minimum value ${lo}`, 'pass rand(min, max) with max > min; max itself is never returned');
      const r = (c.eval.random ?? Math.random)();
      return lo + Math.min(hi - lo - 1, Math.floor(r * (hi - lo)));
    },
  },
  range: {
    min: 2,
    max: 2,
    fn: (a, c) => {
      const start = int(c, a[0] as Value, 'start index');
      const count = int(c, a[1] as Value, 'count');
      if (count < 0) fail(c, `count must not be negative, got ${count}`, 'pass a count of 0 or more');
      return Array.from({ length: count }, (_, i) => start + i);
    },
  },

  // ---- date functions
  adddays: { min: 2, max: 3, fn: dateAdd('day') },
  addhours: { min: 2, max: 3, fn: dateAdd('hour') },
  addminutes: { min: 2, max: 3, fn: dateAdd('minute') },
  addseconds: { min: 2, max: 3, fn: dateAdd('second') },
  addtotime: {
    min: 3,
    max: 4,
    fn: (a, c) => fmt(c, addUnits(ts(c, a[0] as Value), int(c, a[1] as Value, 'interval'), str(c, a[2] as Value, 'time unit')), a[3]),
  },
  subtractfromtime: {
    min: 3,
    max: 4,
    fn: (a, c) => fmt(c, addUnits(ts(c, a[0] as Value), -int(c, a[1] as Value, 'interval'), str(c, a[2] as Value, 'time unit')), a[3]),
  },
  getfuturetime: { min: 2, max: 3, fn: (a, c) => fmt(c, addUnits(now(c), int(c, a[0] as Value, 'interval'), str(c, a[1] as Value, 'time unit')), a[2]) },
  getpasttime: { min: 2, max: 3, fn: (a, c) => fmt(c, addUnits(now(c), -int(c, a[0] as Value, 'interval'), str(c, a[1] as Value, 'time unit')), a[2]) },
  convertfromutc: {
    min: 2,
    max: 3,
    fn: (a, c) =>
      fmt(
        c,
        zoned(c, () => convertFromUtc(ts(c, a[0] as Value), str(c, a[1] as Value, 'destination time zone'))),
        a[2],
      ),
  },
  converttimezone: {
    min: 3,
    max: 4,
    fn: (a, c) =>
      fmt(
        c,
        zoned(c, () => convertTimeZone(ts(c, a[0] as Value), str(c, a[1] as Value, 'source time zone'), str(c, a[2] as Value, 'destination time zone'))),
        a[3],
      ),
  },
  converttoutc: {
    min: 2,
    max: 3,
    fn: (a, c) =>
      fmt(
        c,
        zoned(c, () => convertToUtc(ts(c, a[0] as Value), str(c, a[1] as Value, 'source time zone'))),
        a[2],
      ),
  },
  dayofmonth: { min: 1, max: 1, fn: (a, c) => new Date(ts(c, a[0] as Value).ms).getUTCDate() },
  dayofweek: { min: 1, max: 1, fn: (a, c) => new Date(ts(c, a[0] as Value).ms).getUTCDay() },
  dayofyear: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      const d = new Date(ts(c, a[0] as Value).ms);
      return Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
    },
  },
  formatdatetime: { min: 1, max: 2, fn: (a, c) => fmt(c, ts(c, a[0] as Value), a[1]) },
  startofday: { min: 1, max: 2, fn: (a, c) => fmt(c, truncate(ts(c, a[0] as Value), 'day'), a[1]) },
  startofhour: { min: 1, max: 2, fn: (a, c) => fmt(c, truncate(ts(c, a[0] as Value), 'hour'), a[1]) },
  startofmonth: { min: 1, max: 2, fn: (a, c) => fmt(c, truncate(ts(c, a[0] as Value), 'month'), a[1]) },
  ticks: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      const t = ts(c, a[0] as Value);
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
      return c.eval.pipeline as Value;
    },
  },
  activity: {
    min: 1,
    max: 1,
    fn: (a, c) => {
      const name = str(c, a[0] as Value, 'activity name');
      const r = c.eval.activity?.(name);
      if (r === undefined)
        fail(
          c,
          `activity '${name}' has not run (or is not in this pipeline)`,
          `reference an activity this one depends on (directly or indirectly) through dependsOn`,
        );
      return r as Value;
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
      const name = str(c, a[0] as Value, 'variable name');
      const v = c.eval.variables?.(name);
      if (v === undefined) fail(c, `variable '${name}' is not declared in this pipeline`, 'declare it under properties.variables');
      return v as Value;
    },
  },
  trigger: {
    min: 0,
    max: 0,
    fn: (_a, c) =>
      (c.eval.trigger as Value | undefined) ??
      fail(c, 'no trigger started this run', 'run the pipeline from a trigger, or avoid trigger() in manually run pipelines'),
  },
  dataset: {
    min: 0,
    max: 0,
    fn: (_a, c) =>
      c.eval.dataset
        ? { parameters: c.eval.dataset as Value, ...(c.eval.dataset as Record<string, Value>) }
        : fail(c, 'is only available inside a dataset', 'use dataset() in dataset properties'),
  },
  linkedservice: {
    min: 0,
    max: 0,
    fn: (_a, c) =>
      c.eval.linkedService
        ? { parameters: c.eval.linkedService as Value, ...(c.eval.linkedService as Record<string, Value>) }
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

/**
 * The reference's spelling of every function (its tables: string, collection, logical,
 * conversion, math, date functions) and of the system functions its examples use, for
 * messages. A name is suggested only when the evaluator knows it (`FUNCTION_NAMES`).
 */
const SPELLINGS: readonly string[] = [
  ...['concat', 'endsWith', 'guid', 'indexOf', 'lastIndexOf', 'replace', 'split', 'startsWith', 'substring', 'toLower', 'toUpper', 'trim'],
  ...['contains', 'empty', 'first', 'intersection', 'join', 'last', 'length', 'skip', 'take', 'union'],
  ...['and', 'equals', 'greater', 'greaterOrEquals', 'if', 'less', 'lessOrEquals', 'not', 'or'],
  ...['array', 'base64', 'base64ToBinary', 'base64ToString', 'binary', 'bool', 'coalesce', 'createArray', 'dataUri', 'dataUriToBinary'],
  ...['dataUriToString', 'decodeBase64', 'decodeDataUri', 'decodeUriComponent', 'encodeUriComponent', 'float', 'int', 'json', 'string'],
  ...['uriComponent', 'uriComponentToBinary', 'uriComponentToString', 'xml', 'xpath'],
  ...['add', 'div', 'max', 'min', 'mod', 'mul', 'rand', 'range', 'sub'],
  ...['addDays', 'addHours', 'addMinutes', 'addSeconds', 'addToTime', 'convertFromUtc', 'convertTimeZone', 'convertToUtc', 'dayOfMonth'],
  ...['dayOfWeek', 'dayOfYear', 'formatDateTime', 'getFutureTime', 'getPastTime', 'startOfDay', 'startOfHour', 'startOfMonth'],
  ...['subtractFromTime', 'ticks', 'utcNow'],
  ...['pipeline', 'activity', 'item', 'variables', 'trigger', 'dataset', 'linkedService'],
];
const SPELLING = new Map(SPELLINGS.map((n) => [n.toLowerCase(), n]));

/** The reference's spelling of a known function (lower-case name in, e.g. `formatDateTime` out). */
export function functionSpelling(lname: string): string {
  return SPELLING.get(lname) ?? lname;
}

/** The known function closest to an unknown name (edit distance, case-insensitive), or undefined. */
export function suggestFunction(name: string): string | undefined {
  return closest(
    name,
    [...FUNCTION_NAMES].map((n) => functionSpelling(n)),
  );
}

/** "unknown function 'formatDatetim' — did you mean 'formatDateTime'?" (the evaluator's and the validator's message). */
export function unknownFunctionMessage(name: string): { message: string; remedy: string } {
  const s = suggestFunction(name);
  return s === undefined
    ? { message: `unknown function '${name}'`, remedy: 'use a function of the Data Factory expression language (see its function reference)' }
    : { message: `unknown function '${name}' — did you mean '${s}'?`, remedy: `write ${s}(...) (function names are case-insensitive)` };
}
