import { describe, expect, it } from '@jest/globals';
import { columnRefs, ExprSyntaxError, isAggregate, parseExpr } from '@streampulse/contracts';

describe('portable expression parser', () => {
  it('respects SQL precedence: NOT > AND > OR, * over +, comparisons in between', () => {
    expect(parseExpr('a or b and not c')).toEqual({
      kind: 'binary',
      op: 'or',
      left: { kind: 'column', name: 'a', offset: 0 },
      right: {
        kind: 'binary',
        op: 'and',
        left: { kind: 'column', name: 'b', offset: 5 },
        right: { kind: 'unary', op: 'not', operand: { kind: 'column', name: 'c', offset: 15 } },
      },
    });
    const e = parseExpr('1 + 2 * 3 >= 7');
    expect(e).toMatchObject({ kind: 'binary', op: '>=', left: { op: '+', right: { op: '*' } } });
  });

  it('parses CASE, IN, BETWEEN, IS NULL, LIKE, CAST and qualified columns', () => {
    expect(parseExpr("case when p.status in ('a', 'b') then 1 else 0 end")).toMatchObject({
      kind: 'case',
      whens: [{ when: { kind: 'in', negated: false, list: [{ value: 'a' }, { value: 'b' }] }, then: { value: 1 } }],
      else: { value: 0 },
    });
    expect(parseExpr('x not between 1 and 5')).toMatchObject({ kind: 'between', negated: true });
    expect(parseExpr('x is not null')).toEqual({ kind: 'is_null', negated: true, operand: { kind: 'column', name: 'x', offset: 0 } });
    expect(parseExpr("name not like 'A%'")).toMatchObject({ kind: 'like', negated: true });
    expect(parseExpr('cast(amount as decimal(12, 2))')).toMatchObject({ kind: 'cast', type: 'decimal(12,2)' });
    expect(parseExpr('u.user_id')).toEqual({ kind: 'column', table: 'u', name: 'user_id', offset: 0 });
  });

  it("unescapes '' inside string literals and keeps the raw text", () => {
    expect(parseExpr("'it''s'")).toEqual({ kind: 'literal', value: "it's", raw: "'it''s'" });
  });

  it('parses count(distinct), count(*), window functions and $parameters', () => {
    expect(parseExpr('count(distinct u.id)')).toMatchObject({ kind: 'call', name: 'count', distinct: true });
    expect(parseExpr('count(*)')).toMatchObject({ kind: 'call', args: [{ kind: 'star' }] });
    const w = parseExpr('sum(x) / sum(sum(x)) over (partition by g order by m desc)');
    expect(w).toMatchObject({ kind: 'binary', op: '/', right: { kind: 'call', over: { partitionBy: [{ name: 'g' }], orderBy: [{ direction: 'desc' }] } } });
    expect(parseExpr('pct >= $completion_threshold_pct')).toMatchObject({ right: { kind: 'param', name: 'completion_threshold_pct', offset: 7 } });
  });

  it('reports syntax errors with the character offset', () => {
    const cases: [string, string, number][] = [
      ['a +', 'the expression ends too early', 3],
      ["'open", 'unterminated string literal', 0],
      ['a # b', 'unexpected character "#"', 2],
      ['case x end', 'CASE needs at least one WHEN ... THEN', 7],
      ['f(a b)', 'expected ")" but found "b"', 4],
      ['cast(x as money)', 'CAST to unknown logical type "money" (use string, integer, bigint, double, boolean, date, timestamp or decimal(p,s))', 10],
      ['a b', 'unexpected "b" after a complete expression', 2],
    ];
    for (const [src, msg, offset] of cases) {
      let err: unknown;
      try {
        parseExpr(src);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ExprSyntaxError);
      expect([(err as ExprSyntaxError).message, (err as ExprSyntaxError).offset]).toEqual([msg, offset]);
    }
  });

  it('lists column references and tells aggregates (outside windows) apart', () => {
    expect(columnRefs(parseExpr('coalesce(a.x, y) + $p')).map((r) => `${r.table ?? ''}.${r.name}`)).toEqual(['a.x', '.y']);
    expect(isAggregate(parseExpr('safe_divide(sum(a), count(*))'))).toBe(true);
    expect(isAggregate(parseExpr('row_number() over (order by a)'))).toBe(false);
    expect(isAggregate(parseExpr('lower(a)'))).toBe(false);
  });
});
