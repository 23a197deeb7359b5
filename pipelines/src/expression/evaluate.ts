/**
 * Evaluates Data Factory expressions and templates against a run context
 * (pipeline parameters and system variables, activity outputs, the ForEach item,
 * pipeline variables, the trigger, dataset / linked-service parameters).
 *
 * `evaluateTyped` returns a `Value` (Integer/Float kept apart, XML values; values.ts);
 * `evaluateExpr`, `evaluateTemplate` and `evaluateDeep` — what the executor calls — return
 * plain JSON (`toJson`).
 */
import { FUNCTIONS, SYSTEM_FUNCTIONS, unknownFunctionMessage, type FnContext } from './functions.js';
import { parseTemplate, type Expr, type Template } from './parse.js';
import { ExpressionEvalError, Float, isInteger, isObject, stringify, toJson, typeName, type Json, type Value } from './values.js';

export { ExpressionEvalError, typeName, stringify, type Json, type Value } from './values.js';

export interface EvalContext {
  /** `pipeline()`: `parameters`, `RunId`, `Pipeline`, `DataFactory`, `TriggerTime`, `TriggerType`, `TriggerName`, `TriggerId`, `GroupId`. */
  readonly pipeline?: Readonly<Record<string, Json>>;
  /** `activity('x')` → `{ output, status, error, ... }`. */
  readonly activity?: (name: string) => Json | undefined;
  /** `item()` inside ForEach. */
  readonly item?: Json;
  readonly variables?: (name: string) => Json | undefined;
  /** `trigger()`: `startTime`, `scheduledTime`, `outputs.windowStartTime`, … */
  readonly trigger?: Readonly<Record<string, Json>>;
  /** `dataset()` parameters inside a dataset definition. */
  readonly dataset?: Readonly<Record<string, Json>>;
  /** `linkedService()` parameters inside a linked-service definition. */
  readonly linkedService?: Readonly<Record<string, Json>>;
  /** The clock for `utcNow()` and friends (tests pin it). */
  readonly now?: () => Date;
  /** For `guid()`. */
  readonly guid?: () => string;
  /** For `rand()`: a number in [0, 1), as `Math.random` (tests pin it). */
  readonly random?: () => number;
}

/** Evaluates one expression to plain JSON (a Float becomes a number, XML its content envelope: values.ts). */
export function evaluateExpr(e: Expr, ctx: EvalContext): Json {
  return toJson(evaluateTyped(e, ctx));
}

/** Evaluates one expression; the result keeps Integer/Float apart and XML values (values.ts). */
export function evaluateTyped(e: Expr, ctx: EvalContext): Value {
  switch (e.kind) {
    case 'string':
    case 'boolean':
      return e.value;
    case 'number':
      // `10.0` is a Float, `10` an Integer (values.ts)
      return e.isFloat ? new Float(e.value) : e.value;
    case 'null':
      return null;
    case 'member': {
      const target = evaluateTyped(e.target, ctx);
      return access(target, e.name, e.safe, e.pos, true);
    }
    case 'index': {
      const target = evaluateTyped(e.target, ctx);
      const idx = evaluateTyped(e.index, ctx);
      if (typeof idx !== 'string' && !isInteger(idx))
        throw new ExpressionEvalError(
          e.pos,
          `an index must be a String or an Integer, got ${typeName(idx)}`,
          "index with a number for arrays or a 'name' for objects",
        );
      return access(target, idx, e.safe, e.pos, false);
    }
    case 'call': {
      const lname = e.name.toLowerCase();
      const sys = SYSTEM_FUNCTIONS[lname];
      const fnCtx: FnContext = { eval: ctx, pos: e.pos, name: e.name };
      if (sys !== undefined) {
        checkArity(e, sys.min, sys.max);
        return sys.fn(
          e.args.map((a) => evaluateTyped(a, ctx)),
          fnCtx,
        );
      }
      const fn = FUNCTIONS[lname];
      if (fn === undefined) {
        const { message, remedy } = unknownFunctionMessage(e.name);
        throw new ExpressionEvalError(e.pos, message, remedy);
      }
      checkArity(e, fn.min, fn.max);
      if (fn.lazy) return fn.lazy(e.args, (x) => evaluateTyped(x, ctx), fnCtx);
      return fn.fn(
        e.args.map((a) => evaluateTyped(a, ctx)),
        fnCtx,
      );
    }
  }
}

function checkArity(e: Extract<Expr, { kind: 'call' }>, min: number, max: number): void {
  const n = e.args.length;
  if (n < min || n > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new ExpressionEvalError(e.pos, `${e.name}() takes ${want} argument(s), got ${n}`, `call ${e.name} with ${want} argument(s)`);
  }
}

function access(target: Value, key: string | number, safe: boolean, pos: number, dot: boolean): Value {
  if (target === null || target === undefined) {
    if (safe) return null;
    throw new ExpressionEvalError(
      pos,
      `cannot read ${dot ? `'.${key}'` : `[${JSON.stringify(key)}]`} of null`,
      "check the value exists first, or use '?.' to get null",
    );
  }
  if (Array.isArray(target)) {
    const i = typeof key === 'number' ? key : Number(key);
    if (!Number.isInteger(i) || i < 0 || i >= target.length) {
      if (safe) return null;
      throw new ExpressionEvalError(pos, `index ${JSON.stringify(key)} is out of range for an array of ${target.length} item(s)`, 'index from 0 to length - 1');
    }
    return target[i] as Value;
  }
  if (isObject(target)) {
    const k = String(key);
    if (Object.hasOwn(target, k)) return target[k] as Value;
    // ADF property names are case-insensitive
    const found = Object.keys(target).find((x) => x.toLowerCase() === k.toLowerCase());
    if (found !== undefined) return target[found] as Value;
    if (safe) return null;
    const keys = Object.keys(target);
    throw new ExpressionEvalError(
      pos,
      `property '${k}' does not exist; available: ${keys.length === 0 ? '(none)' : keys.slice(0, 20).join(', ')}`,
      "use an existing property, or '?.' to get null when it is missing",
    );
  }
  if (safe) return null;
  throw new ExpressionEvalError(pos, `cannot read property '${key}' of a ${typeName(target)}`, 'access properties of objects and indexes of arrays only');
}

const cache = new Map<string, Template>();
function parsed(text: string): Template {
  let t = cache.get(text);
  if (t === undefined) {
    t = parseTemplate(text);
    if (cache.size > 5000) cache.clear();
    cache.set(text, t);
  }
  return t;
}

/** Evaluates one JSON string value: a literal, `@expr` (typed result, as plain JSON) or interpolation (string). */
export function evaluateTemplate(text: string, ctx: EvalContext): Json {
  const t = parsed(text);
  switch (t.kind) {
    case 'literal':
      return t.value;
    case 'expression':
      return toJson(evaluateTyped(t.expr, ctx));
    case 'interpolation':
      return t.parts.map((p) => (typeof p === 'string' ? p : stringify(evaluateTyped(p, ctx)))).join('');
  }
}

/**
 * Evaluates every expression inside a JSON value (activity typeProperties, dataset
 * parameters, …): strings are templates; `{ "value": "...", "type": "Expression" }`
 * objects are replaced by their evaluated value.
 */
export function evaluateDeep(v: unknown, ctx: EvalContext): Json {
  if (typeof v === 'string') return evaluateTemplate(v, ctx);
  if (Array.isArray(v)) return v.map((x) => evaluateDeep(x, ctx));
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (o['type'] === 'Expression' && typeof o['value'] === 'string' && Object.keys(o).length === 2) return evaluateTemplate(o['value'], ctx);
    const out: Record<string, Json> = {};
    for (const [k, x] of Object.entries(o)) out[k] = evaluateDeep(x, ctx);
    return out;
  }
  if (v === undefined) return null;
  return v as Json;
}
