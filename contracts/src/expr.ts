/**
 * The portable expression language of the contracts.
 *
 * Gold models and marts describe their columns and measures with a small, portable
 * subset of SQL expressions (no SELECT, no subqueries). The grammar and the function
 * catalog are part of the contract language, so they live here: the loader parses
 * every expression to check its column, parameter and function references. The
 * meaning per engine (DuckDB, Spark, T-SQL, SQLite) lives in `@streampulse/sql`,
 * which renders this AST.
 */

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '=' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or';

export interface WindowSpec {
  readonly partitionBy: readonly Expr[];
  readonly orderBy: readonly { readonly expr: Expr; readonly direction: 'asc' | 'desc' }[];
}

export type Expr =
  | { readonly kind: 'literal'; readonly value: string | number | boolean | null; readonly raw: string }
  | { readonly kind: 'column'; readonly table?: string; readonly name: string; readonly offset: number }
  | { readonly kind: 'param'; readonly name: string; readonly offset: number }
  | { readonly kind: 'star' }
  | { readonly kind: 'unary'; readonly op: '-' | 'not'; readonly operand: Expr }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'is_null'; readonly operand: Expr; readonly negated: boolean }
  | { readonly kind: 'in'; readonly operand: Expr; readonly list: readonly Expr[]; readonly negated: boolean }
  | { readonly kind: 'between'; readonly operand: Expr; readonly low: Expr; readonly high: Expr; readonly negated: boolean }
  | { readonly kind: 'like'; readonly operand: Expr; readonly pattern: Expr; readonly negated: boolean }
  | {
      readonly kind: 'case';
      readonly operand?: Expr;
      readonly whens: readonly { readonly when: Expr; readonly then: Expr }[];
      readonly else?: Expr;
    }
  | { readonly kind: 'cast'; readonly operand: Expr; readonly type: string }
  | {
      readonly kind: 'call';
      readonly name: string;
      readonly args: readonly Expr[];
      readonly distinct: boolean;
      readonly over?: WindowSpec;
      readonly offset: number;
    };

export type FunctionKind = 'scalar' | 'aggregate' | 'window';

export interface FunctionSignature {
  readonly kind: FunctionKind;
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly description: string;
}

/**
 * Every function an expression may call. `@streampulse/sql` must render each of them
 * in each dialect (or raise an explicit "unsupported" error); a test checks that.
 */
export const FUNCTIONS: Readonly<Record<string, FunctionSignature>> = {
  // aggregates
  count: { kind: 'aggregate', minArgs: 1, maxArgs: 1, description: 'count of non-null values; count(*) counts rows; count(distinct x)' },
  sum: { kind: 'aggregate', minArgs: 1, maxArgs: 1, description: 'sum of values' },
  avg: { kind: 'aggregate', minArgs: 1, maxArgs: 1, description: 'arithmetic mean' },
  min: { kind: 'aggregate', minArgs: 1, maxArgs: 1, description: 'smallest value' },
  max: { kind: 'aggregate', minArgs: 1, maxArgs: 1, description: 'largest value' },
  // window-only
  row_number: { kind: 'window', minArgs: 0, maxArgs: 0, description: 'row number within the window partition' },
  lag: { kind: 'window', minArgs: 1, maxArgs: 2, description: 'value of a previous row in the window' },
  lead: { kind: 'window', minArgs: 1, maxArgs: 2, description: 'value of a following row in the window' },
  first_value: { kind: 'window', minArgs: 1, maxArgs: 1, description: 'first value in the window frame' },
  // scalars
  coalesce: { kind: 'scalar', minArgs: 2, maxArgs: 8, description: 'first non-null argument' },
  nullif: { kind: 'scalar', minArgs: 2, maxArgs: 2, description: 'null when both arguments are equal' },
  safe_divide: { kind: 'scalar', minArgs: 2, maxArgs: 2, description: 'a / b as double, null when b is 0 or null' },
  round: { kind: 'scalar', minArgs: 1, maxArgs: 2, description: 'round half away from zero to n decimals' },
  floor: { kind: 'scalar', minArgs: 1, maxArgs: 1, description: 'largest integer not above x' },
  ceil: { kind: 'scalar', minArgs: 1, maxArgs: 1, description: 'smallest integer not below x' },
  abs: { kind: 'scalar', minArgs: 1, maxArgs: 1, description: 'absolute value' },
  greatest: { kind: 'scalar', minArgs: 2, maxArgs: 8, description: 'largest argument' },
  least: { kind: 'scalar', minArgs: 2, maxArgs: 8, description: 'smallest argument' },
  lower: { kind: 'scalar', minArgs: 1, maxArgs: 1, description: 'lower-case string' },
  upper: { kind: 'scalar', minArgs: 1, maxArgs: 1, description: 'upper-case string' },
  trim: { kind: 'scalar', minArgs: 1, maxArgs: 1, description: 'string without leading/trailing blanks' },
  length: { kind: 'scalar', minArgs: 1, maxArgs: 1, description: 'string length in characters' },
  concat: { kind: 'scalar', minArgs: 2, maxArgs: 8, description: 'string concatenation (nulls as empty)' },
  to_date: { kind: 'scalar', minArgs: 1, maxArgs: 1, description: 'calendar date (UTC) of a timestamp' },
  date_trunc: { kind: 'scalar', minArgs: 2, maxArgs: 2, description: "date_trunc('day'|'week'|'month'|'quarter'|'year', d) as a date" },
  date_add_days: { kind: 'scalar', minArgs: 2, maxArgs: 2, description: 'date plus n days' },
  date_add_months: { kind: 'scalar', minArgs: 2, maxArgs: 2, description: 'date plus n calendar months' },
  date_diff_days: { kind: 'scalar', minArgs: 2, maxArgs: 2, description: 'whole days from start to end: date_diff_days(start, end)' },
  months_between: { kind: 'scalar', minArgs: 2, maxArgs: 2, description: 'whole calendar months from start month to end month' },
  year: { kind: 'scalar', minArgs: 1, maxArgs: 1, description: 'calendar year' },
  quarter: { kind: 'scalar', minArgs: 1, maxArgs: 1, description: 'calendar quarter 1-4' },
  month: { kind: 'scalar', minArgs: 1, maxArgs: 1, description: 'calendar month 1-12' },
  day: { kind: 'scalar', minArgs: 1, maxArgs: 1, description: 'day of month 1-31' },
  day_of_week: { kind: 'scalar', minArgs: 1, maxArgs: 1, description: 'ISO day of week, Monday = 1 .. Sunday = 7' },
  iso_week: { kind: 'scalar', minArgs: 1, maxArgs: 1, description: 'ISO-8601 week number' },
  month_name: { kind: 'scalar', minArgs: 1, maxArgs: 1, description: 'English month name' },
  date_key: { kind: 'scalar', minArgs: 1, maxArgs: 1, description: 'yyyymmdd integer key of a date' },
};

export const KEYWORDS = new Set([
  'and',
  'or',
  'not',
  'is',
  'null',
  'in',
  'between',
  'like',
  'case',
  'when',
  'then',
  'else',
  'end',
  'cast',
  'as',
  'true',
  'false',
  'distinct',
  'over',
  'partition',
  'by',
  'order',
  'asc',
  'desc',
]);

export class ExprSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'ExprSyntaxError';
  }
}

type Token =
  | { t: 'num'; v: string; o: number }
  | { t: 'str'; v: string; raw: string; o: number }
  | { t: 'id'; v: string; o: number }
  | { t: 'kw'; v: string; o: number }
  | { t: 'param'; v: string; o: number }
  | { t: 'op'; v: string; o: number }
  | { t: 'eof'; o: number };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      while (i < src.length && /[0-9.]/.test(src[i]!)) i++;
      const v = src.slice(start, i);
      if ((v.match(/\./g) ?? []).length > 1) throw new ExprSyntaxError(`malformed number "${v}"`, start);
      out.push({ t: 'num', v, o: start });
      continue;
    }
    if (c === "'") {
      i++;
      let v = '';
      for (;;) {
        if (i >= src.length) throw new ExprSyntaxError('unterminated string literal', start);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            v += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += src[i];
        i++;
      }
      out.push({ t: 'str', v, raw: src.slice(start, i), o: start });
      continue;
    }
    if (c === '$') {
      i++;
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i]!)) i++;
      if (i === start + 1) throw new ExprSyntaxError('"$" must be followed by a parameter name', start);
      out.push({ t: 'param', v: src.slice(start + 1, i), o: start });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i]!)) i++;
      const word = src.slice(start, i);
      const lower = word.toLowerCase();
      out.push(KEYWORDS.has(lower) ? { t: 'kw', v: lower, o: start } : { t: 'id', v: word, o: start });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (['<=', '>=', '!=', '<>'].includes(two)) {
      out.push({ t: 'op', v: two === '<>' ? '!=' : two, o: start });
      i += 2;
      continue;
    }
    if ('+-*/%=<>(),.'.includes(c)) {
      out.push({ t: 'op', v: c, o: start });
      i++;
      continue;
    }
    throw new ExprSyntaxError(`unexpected character "${c}"`, start);
  }
  out.push({ t: 'eof', o: src.length });
  return out;
}

/** One token of an expression, for grammars that restrict the language (metric formulas). */
export interface ExprToken {
  readonly kind: 'number' | 'string' | 'name' | 'keyword' | 'parameter' | 'operator' | 'end';
  /** The token as written (a keyword lower-cased, a string with its quotes, a parameter without `$`). */
  readonly text: string;
  /** Character offset of the token in the source. */
  readonly offset: number;
}

/** The tokens of an expression; throws ExprSyntaxError (with the offset) on a character the language has no token for. */
export function exprTokens(src: string): ExprToken[] {
  const kinds = { num: 'number', str: 'string', id: 'name', kw: 'keyword', param: 'parameter', op: 'operator', eof: 'end' } as const;
  return tokenize(src).map((t) => ({ kind: kinds[t.t], text: t.t === 'eof' ? '' : t.t === 'str' ? t.raw : t.v, offset: t.o }));
}

const LOGICAL_TYPE_RE = /^(string|integer|bigint|double|boolean|date|timestamp|decimal\(\s*\d+\s*,\s*\d+\s*\))$/i;

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos]!;
  }
  private next(): Token {
    return this.tokens[this.pos++]!;
  }
  private isKw(v: string): boolean {
    const t = this.peek();
    return t.t === 'kw' && t.v === v;
  }
  private isOp(v: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.v === v;
  }
  private expectKw(v: string): void {
    if (!this.isKw(v)) throw new ExprSyntaxError(`expected ${v.toUpperCase()} but found ${describe(this.peek())}`, this.peek().o);
    this.pos++;
  }
  private expectOp(v: string): void {
    if (!this.isOp(v)) throw new ExprSyntaxError(`expected "${v}" but found ${describe(this.peek())}`, this.peek().o);
    this.pos++;
  }

  parseAll(): Expr {
    const e = this.parseOr();
    const t = this.peek();
    if (t.t !== 'eof') throw new ExprSyntaxError(`unexpected ${describe(t)} after a complete expression`, t.o);
    return e;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isKw('or')) {
      this.pos++;
      left = { kind: 'binary', op: 'or', left, right: this.parseAnd() };
    }
    return left;
  }
  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isKw('and')) {
      this.pos++;
      left = { kind: 'binary', op: 'and', left, right: this.parseNot() };
    }
    return left;
  }
  private parseNot(): Expr {
    if (this.isKw('not')) {
      this.pos++;
      return { kind: 'unary', op: 'not', operand: this.parseNot() };
    }
    return this.parseComparison();
  }
  private parseComparison(): Expr {
    const left = this.parseAdditive();
    const t = this.peek();
    if (t.t === 'op' && ['=', '!=', '<', '<=', '>', '>='].includes(t.v)) {
      this.pos++;
      return { kind: 'binary', op: t.v as BinaryOp, left, right: this.parseAdditive() };
    }
    if (this.isKw('is')) {
      this.pos++;
      const negated = this.isKw('not');
      if (negated) this.pos++;
      this.expectKw('null');
      return { kind: 'is_null', operand: left, negated };
    }
    let negated = false;
    if (this.isKw('not')) {
      negated = true;
      this.pos++;
      if (!this.isKw('in') && !this.isKw('between') && !this.isKw('like'))
        throw new ExprSyntaxError(`expected IN, BETWEEN or LIKE after NOT but found ${describe(this.peek())}`, this.peek().o);
    }
    if (this.isKw('in')) {
      this.pos++;
      this.expectOp('(');
      const list: Expr[] = [this.parseAdditive()];
      while (this.isOp(',')) {
        this.pos++;
        list.push(this.parseAdditive());
      }
      this.expectOp(')');
      return { kind: 'in', operand: left, list, negated };
    }
    if (this.isKw('between')) {
      this.pos++;
      const low = this.parseAdditive();
      this.expectKw('and');
      const high = this.parseAdditive();
      return { kind: 'between', operand: left, low, high, negated };
    }
    if (this.isKw('like')) {
      this.pos++;
      return { kind: 'like', operand: left, pattern: this.parseAdditive(), negated };
    }
    return left;
  }
  private parseAdditive(): Expr {
    let left = this.parseMultiplicative();
    for (;;) {
      const t = this.peek();
      if (t.t === 'op' && (t.v === '+' || t.v === '-')) {
        this.pos++;
        left = { kind: 'binary', op: t.v, left, right: this.parseMultiplicative() };
      } else return left;
    }
  }
  private parseMultiplicative(): Expr {
    let left = this.parseUnary();
    for (;;) {
      const t = this.peek();
      if (t.t === 'op' && (t.v === '*' || t.v === '/' || t.v === '%')) {
        this.pos++;
        left = { kind: 'binary', op: t.v, left, right: this.parseUnary() };
      } else return left;
    }
  }
  private parseUnary(): Expr {
    if (this.isOp('-')) {
      this.pos++;
      return { kind: 'unary', op: '-', operand: this.parseUnary() };
    }
    return this.parsePrimary();
  }
  private parsePrimary(): Expr {
    const t = this.next();
    switch (t.t) {
      case 'num':
        return { kind: 'literal', value: Number(t.v), raw: t.v };
      case 'str':
        return { kind: 'literal', value: t.v, raw: t.raw };
      case 'param':
        return { kind: 'param', name: t.v, offset: t.o };
      case 'kw':
        if (t.v === 'true' || t.v === 'false') return { kind: 'literal', value: t.v === 'true', raw: t.v };
        if (t.v === 'null') return { kind: 'literal', value: null, raw: 'null' };
        if (t.v === 'case') return this.parseCase();
        if (t.v === 'cast') return this.parseCast();
        throw new ExprSyntaxError(`unexpected keyword ${t.v.toUpperCase()}`, t.o);
      case 'op':
        if (t.v === '(') {
          const inner = this.parseOr();
          this.expectOp(')');
          return inner;
        }
        throw new ExprSyntaxError(`unexpected "${t.v}"`, t.o);
      case 'id': {
        if (this.isOp('(')) return this.parseCall(t.v, t.o);
        if (this.isOp('.')) {
          this.pos++;
          const col = this.next();
          if (col.t !== 'id') throw new ExprSyntaxError(`expected a column name after "${t.v}." but found ${describe(col)}`, col.o);
          return { kind: 'column', table: t.v, name: col.v, offset: t.o };
        }
        return { kind: 'column', name: t.v, offset: t.o };
      }
      case 'eof':
        throw new ExprSyntaxError('the expression ends too early', t.o);
    }
  }
  private parseCase(): Expr {
    let operand: Expr | undefined;
    if (!this.isKw('when')) operand = this.parseOr();
    const whens: { when: Expr; then: Expr }[] = [];
    while (this.isKw('when')) {
      this.pos++;
      const when = this.parseOr();
      this.expectKw('then');
      whens.push({ when, then: this.parseOr() });
    }
    if (whens.length === 0) throw new ExprSyntaxError('CASE needs at least one WHEN ... THEN', this.peek().o);
    let elseExpr: Expr | undefined;
    if (this.isKw('else')) {
      this.pos++;
      elseExpr = this.parseOr();
    }
    this.expectKw('end');
    return {
      kind: 'case',
      ...(operand === undefined ? {} : { operand }),
      whens,
      ...(elseExpr === undefined ? {} : { else: elseExpr }),
    };
  }
  private parseCast(): Expr {
    this.expectOp('(');
    const operand = this.parseOr();
    this.expectKw('as');
    const start = this.peek().o;
    let depth = 0;
    let type = '';
    while (!(depth === 0 && this.isOp(')'))) {
      const t = this.next();
      if (t.t === 'eof') throw new ExprSyntaxError('unterminated CAST', start);
      if (t.t === 'op' && t.v === '(') depth++;
      if (t.t === 'op' && t.v === ')') depth--;
      type += t.v;
    }
    this.expectOp(')');
    if (!LOGICAL_TYPE_RE.test(type))
      throw new ExprSyntaxError(
        `CAST to unknown logical type "${type}" (use string, integer, bigint, double, boolean, date, timestamp or decimal(p,s))`,
        start,
      );
    return { kind: 'cast', operand, type: type.toLowerCase() };
  }
  private parseCall(rawName: string, offset: number): Expr {
    const name = rawName.toLowerCase();
    this.expectOp('(');
    const args: Expr[] = [];
    let distinct = false;
    if (this.isKw('distinct')) {
      distinct = true;
      this.pos++;
    }
    if (this.isOp('*')) {
      this.pos++;
      args.push({ kind: 'star' });
    } else if (!this.isOp(')')) {
      args.push(this.parseOr());
      while (this.isOp(',')) {
        this.pos++;
        args.push(this.parseOr());
      }
    }
    this.expectOp(')');
    let over: WindowSpec | undefined;
    if (this.isKw('over')) {
      this.pos++;
      this.expectOp('(');
      const partitionBy: Expr[] = [];
      const orderBy: { expr: Expr; direction: 'asc' | 'desc' }[] = [];
      if (this.isKw('partition')) {
        this.pos++;
        this.expectKw('by');
        partitionBy.push(this.parseAdditive());
        while (this.isOp(',')) {
          this.pos++;
          partitionBy.push(this.parseAdditive());
        }
      }
      if (this.isKw('order')) {
        this.pos++;
        this.expectKw('by');
        for (;;) {
          const expr = this.parseAdditive();
          let direction: 'asc' | 'desc' = 'asc';
          if (this.isKw('asc') || this.isKw('desc')) direction = (this.next() as { v: 'asc' | 'desc' }).v;
          orderBy.push({ expr, direction });
          if (!this.isOp(',')) break;
          this.pos++;
        }
      }
      this.expectOp(')');
      over = { partitionBy, orderBy };
    }
    return { kind: 'call', name, args, distinct, ...(over === undefined ? {} : { over }), offset };
  }
}

function describe(t: Token): string {
  switch (t.t) {
    case 'eof':
      return 'the end of the expression';
    case 'str':
      return `string ${t.raw}`;
    case 'kw':
      return `keyword ${t.v.toUpperCase()}`;
    case 'param':
      return `parameter $${t.v}`;
    default:
      return `"${t.v}"`;
  }
}

/** Parses a portable expression; throws ExprSyntaxError with the character offset. */
export function parseExpr(src: string): Expr {
  return new Parser(tokenize(src)).parseAll();
}

/** Visits every node of an expression, depth first. */
export function walkExpr(e: Expr, visit: (node: Expr) => void): void {
  visit(e);
  const kids: Expr[] = [];
  switch (e.kind) {
    case 'unary':
      kids.push(e.operand);
      break;
    case 'binary':
      kids.push(e.left, e.right);
      break;
    case 'is_null':
      kids.push(e.operand);
      break;
    case 'in':
      kids.push(e.operand, ...e.list);
      break;
    case 'between':
      kids.push(e.operand, e.low, e.high);
      break;
    case 'like':
      kids.push(e.operand, e.pattern);
      break;
    case 'case':
      if (e.operand) kids.push(e.operand);
      for (const w of e.whens) kids.push(w.when, w.then);
      if (e.else) kids.push(e.else);
      break;
    case 'cast':
      kids.push(e.operand);
      break;
    case 'call':
      kids.push(...e.args);
      if (e.over) kids.push(...e.over.partitionBy, ...e.over.orderBy.map((o) => o.expr));
      break;
    default:
      break;
  }
  for (const k of kids) walkExpr(k, visit);
}

/** Column references of an expression, in order of appearance. */
export function columnRefs(e: Expr): { table?: string; name: string; offset: number }[] {
  const out: { table?: string; name: string; offset: number }[] = [];
  walkExpr(e, (n) => {
    if (n.kind === 'column') out.push({ ...(n.table === undefined ? {} : { table: n.table }), name: n.name, offset: n.offset });
  });
  return out;
}

/** True when the expression contains an aggregate call outside any window. */
export function isAggregate(e: Expr): boolean {
  let found = false;
  walkExpr(e, (n) => {
    if (n.kind === 'call' && FUNCTIONS[n.name]?.kind === 'aggregate' && n.over === undefined) found = true;
  });
  return found;
}
