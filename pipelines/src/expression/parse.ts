/**
 * The Data Factory expression language: templates and expressions.
 *
 * A JSON string value is a *template*:
 *   - `"@<expr>"`        the whole value is one expression; its result keeps its type;
 *   - `"…@{<expr>}…"`    string interpolation: each `@{…}` is evaluated and stringified;
 *   - `"@@…"`            escape: a literal string starting with `@` (and `@@{` a literal `@{`);
 *   - anything else      a literal string (an `@` that is not followed by `{` is literal).
 *
 * Expression grammar (what ADF accepts):
 *   expr     := primary accessor*
 *   primary  := string | number | `true` | `false` | `null` | call
 *   call     := identifier `(` [expr {`,` expr}] `)`
 *   accessor := `.` identifier | `?.` identifier | `[` expr `]` | `?[` expr `]`
 *   string   := `'` { char | `''` } `'`            (two quotes escape one)
 *   number   := [`-`] digits [`.` digits] | [`-`] `.` digits
 *
 * Errors carry the 1-based column in the whole template and what was expected.
 */
import { StreamPulseError } from '@streampulse/contracts';

export type Expr =
  | { readonly kind: 'string'; readonly value: string; readonly pos: number }
  | { readonly kind: 'number'; readonly value: number; readonly isFloat: boolean; readonly pos: number }
  | { readonly kind: 'boolean'; readonly value: boolean; readonly pos: number }
  | { readonly kind: 'null'; readonly pos: number }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Expr[]; readonly pos: number }
  | { readonly kind: 'member'; readonly target: Expr; readonly name: string; readonly safe: boolean; readonly pos: number }
  | { readonly kind: 'index'; readonly target: Expr; readonly index: Expr; readonly safe: boolean; readonly pos: number };

export type Template =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'expression'; readonly expr: Expr }
  | { readonly kind: 'interpolation'; readonly parts: readonly (string | Expr)[] };

/** A syntax error in an expression: `column` is 1-based in the whole template text. */
export class ExpressionSyntaxError extends StreamPulseError {
  constructor(
    readonly text: string,
    readonly column: number,
    readonly expected: string,
    readonly found: string,
  ) {
    super('ADF_EXPRESSION_SYNTAX', `expression syntax error at column ${column}: expected ${expected}, found ${found} in ${JSON.stringify(text)}`, {
      remedy: "fix the expression; see the Data Factory expression language reference (functions, quotes as '', @@ to escape @)",
    });
    this.name = 'ExpressionSyntaxError';
  }
}

/** Parses a JSON string value as a template (literal, whole expression or interpolation). */
export function parseTemplate(text: string): Template {
  if (text.startsWith('@') && !text.startsWith('@@') && !text.startsWith('@{')) {
    return { kind: 'expression', expr: parseExpressionAt(text, 1, text.length) };
  }
  if (!text.includes('@')) return { kind: 'literal', value: text };
  // literal text with optional @{…} interpolations and @@ escapes
  const parts: (string | Expr)[] = [];
  let buf = '';
  let i = 0;
  let interpolated = false;
  while (i < text.length) {
    const c = text[i];
    if (c === '@' && text[i + 1] === '@') {
      buf += '@';
      i += 2;
      continue;
    }
    if (c === '@' && text[i + 1] === '{') {
      const end = findInterpolationEnd(text, i + 2);
      if (buf !== '') parts.push(buf);
      buf = '';
      parts.push(parseExpressionAt(text, i + 2, end));
      interpolated = true;
      i = end + 1;
      continue;
    }
    buf += c;
    i++;
  }
  if (buf !== '') parts.push(buf);
  if (!interpolated) return { kind: 'literal', value: parts.join('') };
  return { kind: 'interpolation', parts };
}

/** Parses one bare expression (no leading `@`), e.g. for tests and validators. */
export function parseExpression(text: string): Expr {
  return parseExpressionAt(text, 0, text.length);
}

/** The index of the `}` closing an interpolation that starts at `from` (skipping strings). */
function findInterpolationEnd(text: string, from: number): number {
  let i = from;
  let depth = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "'") {
      i++;
      while (i < text.length) {
        if (text[i] === "'" && text[i + 1] === "'") i += 2;
        else if (text[i] === "'") break;
        else i++;
      }
      if (i >= text.length) throw new ExpressionSyntaxError(text, text.length + 1, "a closing quote (')", 'the end of the text');
      i++;
      continue;
    }
    if (c === '{') depth++;
    if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
    i++;
  }
  throw new ExpressionSyntaxError(text, text.length + 1, "'}' to close '@{'", 'the end of the text');
}

type Tok =
  | { t: 'ident'; v: string; pos: number }
  | { t: 'string'; v: string; pos: number }
  | { t: 'number'; v: number; isFloat: boolean; pos: number }
  | { t: 'punct'; v: '(' | ')' | ',' | '.' | '[' | ']' | '?.' | '?['; pos: number }
  | { t: 'end'; pos: number };

function describeTok(tok: Tok): string {
  switch (tok.t) {
    case 'end':
      return 'the end of the expression';
    case 'ident':
      return `'${tok.v}'`;
    case 'string':
      return `the string '${tok.v}'`;
    case 'number':
      return `the number ${tok.v}`;
    default:
      return `'${tok.v}'`;
  }
}

function tokenize(text: string, start: number, end: number): Tok[] {
  const toks: Tok[] = [];
  let i = start;
  const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= '0' && ch <= '9';
  while (i < end) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === "'") {
      const pos = i;
      let v = '';
      i++;
      for (;;) {
        if (i >= end) throw new ExpressionSyntaxError(text, end + 1, "a closing quote (')", 'the end of the expression');
        if (text[i] === "'" && text[i + 1] === "'" && i + 1 < end) {
          v += "'";
          i += 2;
        } else if (text[i] === "'") {
          i++;
          break;
        } else v += text[i++];
      }
      toks.push({ t: 'string', v, pos });
      continue;
    }
    if (isDigit(c) || ((c === '-' || c === '.') && (isDigit(text[i + 1]) || (c === '-' && text[i + 1] === '.' && isDigit(text[i + 2]))))) {
      // a '.' right after an identifier, ')' or ']' is member access, not a number
      const prev = toks[toks.length - 1];
      const afterValue = prev !== undefined && (prev.t === 'ident' || (prev.t === 'punct' && (prev.v === ')' || prev.v === ']')));
      if (!(c === '.' && afterValue)) {
        const pos = i;
        let s = '';
        if (c === '-') s += text[i++];
        while (i < end && isDigit(text[i])) s += text[i++];
        let isFloat = false;
        if (text[i] === '.' && isDigit(text[i + 1])) {
          isFloat = true;
          s += text[i++];
          while (i < end && isDigit(text[i])) s += text[i++];
        }
        if (i < end && /[A-Za-z_]/.test(text[i] as string)) throw new ExpressionSyntaxError(text, i + 1, 'a number', `'${s}${text[i]}'`);
        toks.push({ t: 'number', v: Number(s.startsWith('.') || s.startsWith('-.') ? s.replace('.', '0.') : s), isFloat, pos });
        continue;
      }
    }
    if (/[A-Za-z_$]/.test(c)) {
      const pos = i;
      let v = '';
      while (i < end && /[A-Za-z0-9_$]/.test(text[i] as string)) v += text[i++];
      toks.push({ t: 'ident', v, pos });
      continue;
    }
    if (c === '?' && (text[i + 1] === '.' || text[i + 1] === '[')) {
      toks.push({ t: 'punct', v: text[i + 1] === '.' ? '?.' : '?[', pos: i });
      i += 2;
      continue;
    }
    if (c === '(' || c === ')' || c === ',' || c === '.' || c === '[' || c === ']') {
      toks.push({ t: 'punct', v: c, pos: i });
      i++;
      continue;
    }
    throw new ExpressionSyntaxError(text, i + 1, 'a function call, a literal or an accessor', `'${c}'`);
  }
  toks.push({ t: 'end', pos: end });
  return toks;
}

function parseExpressionAt(text: string, start: number, end: number): Expr {
  const toks = tokenize(text, start, end);
  let k = 0;
  const peek = (): Tok => toks[k] as Tok;
  const next = (): Tok => toks[k++] as Tok;
  const fail = (expected: string, tok: Tok = peek()): never => {
    throw new ExpressionSyntaxError(text, tok.pos + 1, expected, describeTok(tok));
  };
  const expectPunct = (v: string, expected: string): Tok => {
    const tok = peek();
    if (tok.t !== 'punct' || tok.v !== v) fail(expected);
    return next();
  };

  const primary = (): Expr => {
    const tok = next();
    switch (tok.t) {
      case 'string':
        return { kind: 'string', value: tok.v, pos: tok.pos + 1 };
      case 'number':
        return { kind: 'number', value: tok.v, isFloat: tok.isFloat, pos: tok.pos + 1 };
      case 'ident': {
        const after = peek();
        if (after.t === 'punct' && after.v === '(') {
          next();
          const args: Expr[] = [];
          if (!(peek().t === 'punct' && (peek() as { v: string }).v === ')')) {
            for (;;) {
              args.push(expression());
              const sep = peek();
              if (sep.t === 'punct' && sep.v === ',') {
                next();
                continue;
              }
              if (sep.t === 'punct' && sep.v === ')') break;
              fail(`',' or ')' in the arguments of ${tok.v}()`);
            }
          }
          expectPunct(')', `')' to close ${tok.v}(`);
          return { kind: 'call', name: tok.v, args, pos: tok.pos + 1 };
        }
        if (tok.v === 'true' || tok.v === 'false') return { kind: 'boolean', value: tok.v === 'true', pos: tok.pos + 1 };
        if (tok.v === 'null') return { kind: 'null', pos: tok.pos + 1 };
        return fail(`'(' after the function name '${tok.v}'`, after);
      }
      default:
        return fail('a function call or a literal', tok);
    }
  };

  const expression = (): Expr => {
    let e = primary();
    for (;;) {
      const tok = peek();
      if (tok.t !== 'punct') break;
      if (tok.v === '.' || tok.v === '?.') {
        next();
        const name = next();
        if (name.t !== 'ident') fail(`a property name after '${tok.v}'`, name);
        e = { kind: 'member', target: e, name: (name as { v: string }).v, safe: tok.v === '?.', pos: tok.pos + 1 };
      } else if (tok.v === '[' || tok.v === '?[') {
        next();
        const index = expression();
        expectPunct(']', "']' to close '['");
        e = { kind: 'index', target: e, index, safe: tok.v === '?[', pos: tok.pos + 1 };
      } else break;
    }
    return e;
  };

  if (peek().t === 'end') fail('an expression');
  const e = expression();
  if (peek().t !== 'end') fail("the end of the expression (or '.', '[' after a value)");
  return e;
}

/** Every expression of a template, in order (for validators). */
export function templateExpressions(t: Template): Expr[] {
  if (t.kind === 'expression') return [t.expr];
  if (t.kind === 'interpolation') return t.parts.filter((p): p is Expr => typeof p !== 'string');
  return [];
}

/** Every call node inside an expression, depth first. */
export function walkCalls(e: Expr, visit: (call: Extract<Expr, { kind: 'call' }>) => void): void {
  switch (e.kind) {
    case 'call':
      visit(e);
      for (const a of e.args) walkCalls(a, visit);
      break;
    case 'member':
      walkCalls(e.target, visit);
      break;
    case 'index':
      walkCalls(e.target, visit);
      walkCalls(e.index, visit);
      break;
    default:
      break;
  }
}
