/**
 * Values of the expression language and the evaluation error (shared by the evaluator and the functions).
 *
 * Numbers — Integer and Float, as the service keeps them. Data Factory's expression
 * engine holds JSON tokens whose numbers are either an Integer (a 64-bit whole number)
 * or a Float (a double), and the functions care: `div(10, 4)` is 2 (integer division
 * truncates) while `div(10.0, 4)` is 2.5. A JavaScript number cannot tell `10.0` from
 * `10`, so inside the evaluator:
 *
 *   - an Integer is a plain JS number that is a whole number (`Number.isInteger`);
 *   - a Float is a `Float` instance (whatever its value, `new Float(10)` is the Float 10.0),
 *     or a plain JS number that is not whole (a value from outside such as 2.5 can only be
 *     a Float). Every Float the evaluator makes is a `Float`.
 *
 * Where Floats come from: a literal with a decimal point (`10.0`, `1.5`, `.3`); `float()`;
 * `json()` of a number written with a decimal point or an exponent (`json('{"a": 1.0}')`);
 * arithmetic with a Float operand; `div` of two numbers one of which is a Float; an XPath
 * number (`xpath(…, 'sum(…)')`, XPath numbers are doubles). Integers: a literal without a
 * decimal point, `int()`, `length()`, `indexOf()`, `rand()`, `range()`, `ticks()`, the day
 * functions, Integer arithmetic (`add`, `sub`, `mul`, `mod`, `div` of two Integers: .NET
 * 64-bit arithmetic; `div` truncates toward zero, `mod` keeps the dividend's sign).
 * Functions that take an Integer (`substring`, `skip`, `take`, `range`, `rand`, the date
 * functions' intervals) refuse a Float, even a whole one: "must be an Integer, got Float 2".
 *
 * XML — `xml()` returns an XML value (`XmlValue`: a parsed document or, from `xpath()`, one
 * node of it). `string()` and interpolation render it as its XML text, `json()` converts it
 * to JSON (attributes `@name`, text `#text`, repeated elements an array), `xpath()` queries it.
 *
 * At the edge (`evaluateTemplate`, `evaluateDeep`: what the executor stores in parameters,
 * variables and activity inputs) a value becomes plain JSON (`toJson`): a Float becomes a
 * JS number, an XML value the content envelope `{"$content-type": "application/xml;charset=utf-8",
 * "$content": "<base64 of its XML text>"}` (the form the Logic Apps engine, which evaluates
 * these expressions, gives non-JSON content) — and `xml()`/`xpath()`/`json()` accept that
 * envelope back as XML.
 */
import { StreamPulseError } from '@streampulse/contracts';
import { XmlValue } from './xml.js';

export { XmlValue };

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A Float of the expression language (see the rules above): `new Float(10)` is 10.0. */
export class Float {
  constructor(readonly value: number) {}
  /** `JSON.stringify` writes the number. */
  toJSON(): number {
    return this.value;
  }
}

/** A value inside the evaluator: JSON plus Floats and XML values. */
export type Value = null | boolean | number | string | Float | XmlValue | Value[] | { [k: string]: Value };

/** The content type of an XML value in JSON outputs. */
export const XML_CONTENT_TYPE = 'application/xml;charset=utf-8';

/** An evaluation error: the expression is well-formed, but a function or an access failed. */
export class ExpressionEvalError extends StreamPulseError {
  constructor(
    readonly column: number,
    message: string,
    remedy: string,
  ) {
    super('ADF_EXPRESSION_EVAL', `at column ${column}: ${message}`, { remedy });
    this.name = 'ExpressionEvalError';
  }
}

/** True for an Integer or a Float. */
export function isNumber(v: Value | undefined): v is number | Float {
  return typeof v === 'number' || v instanceof Float;
}

/** True for a Float (a `Float`, or a JS number that is not whole). */
export function isFloat(v: Value | undefined): boolean {
  return v instanceof Float || (typeof v === 'number' && !Number.isInteger(v));
}

/** True for an Integer (a whole JS number that is not a `Float`). */
export function isInteger(v: Value | undefined): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** The numeric value of an Integer or a Float. */
export function numberOf(v: number | Float): number {
  return v instanceof Float ? v.value : v;
}

/** A JSON object of the language (not an array, a Float or an XML value). */
export function isObject(v: Value | undefined): v is { [k: string]: Value } {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Float) && !(v instanceof XmlValue);
}

export function typeName(v: Value | undefined): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'Array';
  if (v instanceof Float) return 'Float';
  if (v instanceof XmlValue) return 'XML';
  if (typeof v === 'object') return 'Object';
  if (typeof v === 'number') return Number.isInteger(v) ? 'Integer' : 'Float';
  if (typeof v === 'string') return 'String';
  return 'Boolean';
}

/** A value with its type, for messages: `Float 2`, `String 'a'`. */
export function describe(v: Value | undefined): string {
  if (isNumber(v)) return `${typeName(v)} ${formatNumber(v)}`;
  if (typeof v === 'string') return `String '${v.length > 40 ? `${v.slice(0, 37)}...` : v}'`;
  return typeName(v);
}

/**
 * A double as .NET renders it (`double.ToString()`, invariant culture; the round-trip
 * shortest digits): fixed notation for decimal exponents -4 … 14, else `1E+15`, `1E-05`.
 */
export function formatDouble(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '∞';
  if (x === -Infinity) return '-∞';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mant = '', expText = '0'] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp > -5 && exp < 15) {
    // the shortest digits in fixed notation (JS switches to exponents later than .NET)
    const neg = mant.startsWith('-');
    const digits = mant.replace('-', '').replace('.', '');
    let s: string;
    if (exp >= 0) s = digits.length > exp + 1 ? `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}` : digits.padEnd(exp + 1, '0');
    else s = `0.${'0'.repeat(-exp - 1)}${digits}`;
    return neg ? `-${s}` : s;
  }
  return `${mant}E${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** An Integer as digits, a Float as .NET renders a double (`string(float('10'))` is '10'). */
export function formatNumber(v: number | Float): string {
  const n = numberOf(v);
  return isFloat(v) ? formatDouble(n) : String(n);
}

/**
 * JSON text of a value as the engine writes it (Newtonsoft.Json, compact): a Float always
 * shows a decimal place or an exponent (`1.0`, `2.5`, `1E+21`), an Integer never does;
 * an XML value is its content envelope.
 */
export function jsonText(v: Value | undefined): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (isNumber(v)) {
    if (!isFloat(v)) return String(v);
    const s = formatDouble(numberOf(v));
    return /[.E]/.test(s) || !/^-?\d+$/.test(s) ? s : `${s}.0`;
  }
  if (v instanceof XmlValue) return JSON.stringify(toJson(v));
  if (Array.isArray(v)) return `[${v.map((x) => jsonText(x)).join(',')}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${JSON.stringify(k)}:${jsonText(x)}`)
    .join(',')}}`;
}

/**
 * The string form ADF uses for interpolation and `string()`: null is '', Booleans
 * 'True'/'False', numbers as above, XML as its text, objects and arrays as JSON.
 */
export function stringify(v: Value | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (isNumber(v)) return formatNumber(v);
  if (v instanceof XmlValue) return v.text();
  return jsonText(v);
}

/** A value as plain JSON, for everything outside the evaluator (see the rules above). */
export function toJson(v: Value | undefined): Json {
  if (v === undefined || v === null) return null;
  if (v instanceof Float) return v.value;
  if (v instanceof XmlValue) return { '$content-type': XML_CONTENT_TYPE, $content: Buffer.from(v.text(), 'utf8').toString('base64') };
  if (Array.isArray(v)) return v.map((x) => toJson(x));
  if (typeof v === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, x] of Object.entries(v)) out[k] = toJson(x);
    return out;
  }
  return v;
}
