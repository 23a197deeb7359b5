/**
 * Metric formulas: how a derived metric is computed from other metrics.
 *
 * A formula is a restricted form of the portable expression language (expr.ts): the
 * names of declared metrics, numbers, `+ - * /`, unary minus, parentheses and the
 * functions of `FORMULA_FUNCTIONS`. Nothing else (no columns, strings, parameters,
 * comparisons or SQL functions): a formula states what a metric means in terms of
 * other metrics, and each mart measure that serves the metric implements it in SQL.
 *
 * `a / b` is empty (null) when `b` is 0 or empty, as the marts' `safe_divide`.
 */
import { type Expr, ExprSyntaxError, exprTokens, FUNCTIONS, parseExpr, walkExpr } from './expr.js';
import { didYouMean } from './suggest.js';

/** The functions a formula may call (kept minimal on purpose). */
export const FORMULA_FUNCTIONS: Readonly<Record<string, { readonly args: 1; readonly description: string }>> = {
  total: {
    args: 1,
    description:
      'total(m): the metric m over every row of the same period, all other dimensions rolled up (the whole service) — the denominator of a share of the whole',
  },
};

/** A metric name used by a formula, with its character offset. */
export interface FormulaRef {
  readonly name: string;
  readonly offset: number;
}

/** Something wrong with a formula, located by character offset. */
export interface FormulaProblem {
  readonly code: string;
  readonly message: string;
  readonly remedy: string;
  readonly offset: number;
}

export interface AnalyzedFormula {
  /** The AST, when the formula parses. */
  readonly expr?: Expr;
  /** Every metric name the formula uses, in order of appearance. */
  readonly refs: readonly FormulaRef[];
  /** The distinct names of `refs`, in order of first use: the metric's `depends_on`. */
  readonly names: readonly string[];
  readonly problems: readonly FormulaProblem[];
}

const ARITHMETIC = new Set(['+', '-', '*', '/', '(', ')', ',']);
const GRAMMAR = `arithmetic over metric names: + - * /, parentheses, numbers and ${Object.keys(FORMULA_FUNCTIONS)
  .map((f) => `${f}()`)
  .join(', ')}`;
const SYNTAX_REMEDY =
  'write the formula as arithmetic over declared metric names, e.g. churned_subscribers / opening_subscribers (see "Metric formulas" in contracts/README.md)';

function describeToken(kind: string, text: string): string {
  switch (kind) {
    case 'string':
      return `string ${text}`;
    case 'keyword':
      return `keyword ${text.toUpperCase()}`;
    case 'parameter':
      return `parameter $${text}`;
    default:
      return `"${text}"`;
  }
}

/**
 * Checks a formula's grammar and collects the metric names it uses. Whether those
 * names are declared metrics is the caller's check (it knows the catalogue).
 */
export function analyzeFormula(src: string): AnalyzedFormula {
  const problems: FormulaProblem[] = [];
  const syntax = (message: string, offset: number): AnalyzedFormula => ({
    refs: [],
    names: [],
    problems: [{ code: 'CONTRACT_EXPR_SYNTAX', message, remedy: SYNTAX_REMEDY, offset }],
  });
  let expr: Expr;
  try {
    for (const t of exprTokens(src)) {
      if (t.kind === 'number' || t.kind === 'name' || t.kind === 'end') continue;
      if (t.kind === 'operator' && ARITHMETIC.has(t.text)) continue;
      return syntax(`${describeToken(t.kind, t.text)} is not part of a metric formula (${GRAMMAR})`, t.offset);
    }
    expr = parseExpr(src);
  } catch (err) {
    if (err instanceof ExprSyntaxError) return syntax(err.message, err.offset);
    throw err;
  }
  const refs: FormulaRef[] = [];
  walkExpr(expr, (n) => {
    if (n.kind === 'column') refs.push({ name: n.name, offset: n.offset });
    if (n.kind !== 'call') return;
    const fn = FORMULA_FUNCTIONS[n.name];
    if (fn === undefined) {
      const sql = FUNCTIONS[n.name] !== undefined ? ' (a function of gold and mart expressions, not of metric formulas)' : '';
      problems.push({
        code: 'CONTRACT_UNKNOWN_FUNCTION',
        message: `unknown function ${n.name}()${sql}${didYouMean(n.name, Object.keys(FORMULA_FUNCTIONS))}`,
        remedy: `a formula may call: ${Object.values(FORMULA_FUNCTIONS)
          .map((f) => f.description)
          .join('; ')}`,
        offset: n.offset,
      });
      return;
    }
    const arg = n.args[0];
    if (n.args.length !== fn.args || n.distinct || n.over !== undefined || arg?.kind !== 'column')
      problems.push({
        code: 'CONTRACT_FUNCTION_ARITY',
        message: `${n.name}() takes one metric name`,
        remedy: `call it as: ${fn.description}`,
        offset: n.offset,
      });
  });
  const names = [...new Set(refs.map((r) => r.name))];
  return { expr, refs, names, problems };
}
