/**
 * Renders a portable expression AST (from @streampulse/contracts) into one dialect.
 *
 * Two contexts matter because T-SQL has no boolean values: a *predicate* (WHERE, ON,
 * WHEN, AND/OR operands) and a *value* (a selected column, a function argument). In
 * T-SQL a comparison used as a value becomes `CASE WHEN p THEN 1 WHEN NOT (p) THEN 0
 * END` (NULL stays NULL) and a bit value used as a predicate becomes `(x = 1)`. The
 * other dialects render both contexts the same way.
 */
import { FUNCTIONS, StreamPulseError, type Expr } from '@streampulse/contracts';
import { booleanLiteral, mapType, quoteIdent, stringLiteral, type Dialect } from './dialect.js';
import { FUNCTION_TABLE, TRUNC_UNITS } from './functions.js';

export class UnsupportedSqlError extends StreamPulseError {
  constructor(
    readonly dialect: Dialect,
    readonly feature: string,
    reason: string,
  ) {
    super('SQL_UNSUPPORTED', `${feature} is not supported in the ${dialect} dialect: ${reason}`, {
      remedy: `rewrite the contract expression without ${feature}, or add a faithful ${dialect} rendering to sql/src/functions.ts`,
    });
  }
}

export interface RenderContext {
  readonly dialect: Dialect;
  /** SQL for a column reference; default `"alias"."name"` (or just `"name"`). */
  readonly column?: (table: string | undefined, name: string) => string;
  /** SQL for a `$parameter`; required when the expression uses parameters. */
  readonly param?: (name: string) => string;
}

type Mode = 'value' | 'predicate';

const PREDICATE_BINARY = new Set(['=', '!=', '<', '<=', '>', '>=', 'and', 'or']);

function isPredicate(e: Expr): boolean {
  switch (e.kind) {
    case 'binary':
      return PREDICATE_BINARY.has(e.op);
    case 'unary':
      return e.op === 'not';
    case 'is_null':
    case 'in':
    case 'between':
    case 'like':
      return true;
    default:
      return false;
  }
}

/** Renders an expression used as a value (a selected column, a measure). */
export function renderValue(e: Expr, ctx: RenderContext): string {
  return render(e, ctx, 'value');
}

/** Renders an expression used as a condition (filter, join condition). */
export function renderPredicate(e: Expr, ctx: RenderContext): string {
  return render(e, ctx, 'predicate');
}

function render(e: Expr, ctx: RenderContext, mode: Mode): string {
  const d = ctx.dialect;
  const sql = renderRaw(e, ctx);
  if (d !== 'tsql') return sql;
  if (mode === 'value' && isPredicate(e)) return `CASE WHEN ${sql} THEN 1 WHEN NOT (${sql}) THEN 0 END`;
  if (mode === 'predicate' && !isPredicate(e)) {
    if (e.kind === 'literal' && typeof e.value === 'boolean') return e.value ? '(1 = 1)' : '(1 = 0)';
    return `(${sql} = 1)`;
  }
  return sql;
}

function renderRaw(e: Expr, ctx: RenderContext): string {
  const d = ctx.dialect;
  const v = (x: Expr): string => render(x, ctx, 'value');
  const p = (x: Expr): string => render(x, ctx, 'predicate');
  switch (e.kind) {
    case 'literal':
      if (e.value === null) return 'NULL';
      if (typeof e.value === 'boolean') return booleanLiteral(e.value, d);
      if (typeof e.value === 'number') return e.raw;
      return stringLiteral(e.value, d);
    case 'column':
      return ctx.column ? ctx.column(e.table, e.name) : e.table === undefined ? quoteIdent(e.name, d) : `${quoteIdent(e.table, d)}.${quoteIdent(e.name, d)}`;
    case 'param': {
      if (!ctx.param)
        throw new StreamPulseError('SQL_PARAM_UNBOUND', `parameter $${e.name} has no value here`, {
          remedy: 'bind parameters when rendering (metrics.yaml parameters and $run_date)',
        });
      return ctx.param(e.name);
    }
    case 'star':
      return '*';
    case 'unary':
      return e.op === 'not' ? `(NOT ${p(e.operand)})` : `(-${v(e.operand)})`;
    case 'binary': {
      if (e.op === 'and' || e.op === 'or') return `(${p(e.left)} ${e.op.toUpperCase()} ${p(e.right)})`;
      if (e.op === '/') {
        // portable `/` is true division; T-SQL and SQLite truncate integer division
        if (d === 'tsql') return `(CAST(${v(e.left)} AS FLOAT) / ${v(e.right)})`;
        if (d === 'sqlite') return `(CAST(${v(e.left)} AS REAL) / ${v(e.right)})`;
        // Spark divides decimals into a decimal rounded to 6 places (e.g. sum / 3600.0);
        // DuckDB's and the portable `/` give a double
        if (d === 'spark') return `(CAST(${v(e.left)} AS DOUBLE) / ${v(e.right)})`;
      }
      const op = e.op === '!=' ? '<>' : e.op;
      return `(${v(e.left)} ${op} ${v(e.right)})`;
    }
    case 'is_null':
      return `(${v(e.operand)} IS ${e.negated ? 'NOT ' : ''}NULL)`;
    case 'in':
      return `(${v(e.operand)} ${e.negated ? 'NOT ' : ''}IN (${e.list.map(v).join(', ')}))`;
    case 'between':
      return `(${v(e.operand)} ${e.negated ? 'NOT ' : ''}BETWEEN ${v(e.low)} AND ${v(e.high)})`;
    case 'like':
      return `(${v(e.operand)} ${e.negated ? 'NOT ' : ''}LIKE ${v(e.pattern)})`;
    case 'case': {
      const parts = ['CASE'];
      if (e.operand) parts.push(v(e.operand));
      for (const w of e.whens) parts.push(`WHEN ${e.operand ? v(w.when) : p(w.when)} THEN ${v(w.then)}`);
      if (e.else) parts.push(`ELSE ${v(e.else)}`);
      parts.push('END');
      return parts.join(' ');
    }
    case 'cast':
      return `CAST(${v(e.operand)} AS ${mapType(e.type, d)})`;
    case 'call':
      return renderCall(e, ctx);
  }
}

function renderCall(e: Extract<Expr, { kind: 'call' }>, ctx: RenderContext): string {
  const d = ctx.dialect;
  const cell = FUNCTION_TABLE[e.name]?.[d];
  if (!FUNCTIONS[e.name] || cell === undefined)
    throw new StreamPulseError('SQL_UNKNOWN_FUNCTION', `function ${e.name}() is not in the portable catalog`, {
      remedy: 'use a function listed in contracts/README.md',
    });
  if (typeof cell !== 'function') throw new UnsupportedSqlError(d, `${e.name}()`, cell.unsupported);
  if (e.name === 'date_trunc') {
    const unit = e.args[0];
    if (unit?.kind !== 'literal' || typeof unit.value !== 'string' || !(TRUNC_UNITS as readonly string[]).includes(unit.value.toLowerCase()))
      throw new StreamPulseError('SQL_BAD_ARGUMENT', `date_trunc's first argument must be one of ${TRUNC_UNITS.map((u) => `'${u}'`).join(', ')}`, {
        remedy: "write e.g. date_trunc('month', d)",
      });
  }
  let args: string[];
  if (e.distinct) args = [`DISTINCT ${render(e.args[0]!, ctx, 'value')}`];
  else args = e.args.map((a) => render(a, ctx, 'value'));
  // date_trunc's unit is a plain string even in T-SQL (no N prefix needed by the renderer)
  if (e.name === 'date_trunc' && d !== 'tsql') args[0] = `'${(e.args[0] as { value: string }).value.toLowerCase()}'`;
  let sql = cell(args);
  if (e.over) {
    const parts: string[] = [];
    if (e.over.partitionBy.length > 0) parts.push(`PARTITION BY ${e.over.partitionBy.map((x) => render(x, ctx, 'value')).join(', ')}`);
    if (e.over.orderBy.length > 0)
      parts.push(`ORDER BY ${e.over.orderBy.map((o) => `${render(o.expr, ctx, 'value')} ${o.direction.toUpperCase()}`).join(', ')}`);
    if (e.distinct && d === 'tsql') throw new UnsupportedSqlError(d, 'count(distinct …) over (…)', 'T-SQL has no DISTINCT in windowed aggregates');
    sql = `${sql} OVER (${parts.join(' ')})`;
  }
  return sql;
}
