/**
 * Evaluates Data Factory expressions and templates against a run context
 * (pipeline parameters and system variables, activity outputs, the ForEach item,
 * pipeline variables, the trigger, dataset / linked-service parameters).
 */
import { FUNCTIONS, SYSTEM_FUNCTIONS, type FnContext } from './functions.js';
import { parseTemplate, type Expr, type Template } from './parse.js';
import { ExpressionEvalError, typeName, stringify, type Json } from './values.js';

export { ExpressionEvalError, typeName, stringify, type Json } from './values.js';

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
}

export function evaluateExpr(e: Expr, ctx: EvalContext): Json {
  switch (e.kind) {
    case 'string':
    case 'number':
    case 'boolean':
      return e.value;
    case 'null':
      return null;
    case 'member': {
      const target = evaluateExpr(e.target, ctx);
      return access(target, e.name, e.safe, e.pos, true);
    }
    case 'index': {
      const target = evaluateExpr(e.target, ctx);
      const idx = evaluateExpr(e.index, ctx);
      if (typeof idx !== 'string' && typeof idx !== 'number')
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
          e.args.map((a) => evaluateExpr(a, ctx)),
          fnCtx,
        );
      }
      const fn = FUNCTIONS[lname];
      if (fn === undefined) throw new ExpressionEvalError(e.pos, `unknown function '${e.name}'`, 'use a function of the Data Factory expression language');
      checkArity(e, fn.min, fn.max);
      if (fn.lazy) return fn.lazy(e.args, (x) => evaluateExpr(x, ctx), fnCtx);
      return fn.fn(
        e.args.map((a) => evaluateExpr(a, ctx)),
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

function access(target: Json, key: string | number, safe: boolean, pos: number, dot: boolean): Json {
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
    return target[i] as Json;
  }
  if (typeof target === 'object') {
    const k = String(key);
    if (Object.hasOwn(target, k)) return target[k] as Json;
    // ADF property names are case-insensitive
    const found = Object.keys(target).find((x) => x.toLowerCase() === k.toLowerCase());
    if (found !== undefined) return target[found] as Json;
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

/** Evaluates one JSON string value: a literal, `@expr` (typed result) or interpolation (string). */
export function evaluateTemplate(text: string, ctx: EvalContext): Json {
  const t = parsed(text);
  switch (t.kind) {
    case 'literal':
      return t.value;
    case 'expression':
      return evaluateExpr(t.expr, ctx);
    case 'interpolation':
      return t.parts.map((p) => (typeof p === 'string' ? p : stringify(evaluateExpr(p, ctx)))).join('');
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
