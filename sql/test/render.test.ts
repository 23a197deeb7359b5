import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { FUNCTIONS, parseExpr, SIMPLE_TYPES } from '@streampulse/contracts';
import { DIALECTS, FUNCTION_TABLE, mapType, renderPredicate, renderValue, TYPE_MAP, UnsupportedSqlError, type Dialect } from '@streampulse/sql';

type Expected = string | number | boolean | null;

/**
 * Each portable expression with the value it must have, evaluated for real on DuckDB
 * and SQLite over one input row: d = 2024-03-15 (a Friday), ts = 2024-03-15 13:45,
 * n = 7, x = 2.5, s = 'Ab c ', b = true, z = NULL.
 */
const CASES: [string, Expected][] = [
  ['7 / 2', 3.5],
  ['n / 2', 3.5],
  ['n % 4', 3],
  ['safe_divide(n, 0)', null],
  ['safe_divide(n, 2)', 3.5],
  ["date_trunc('month', d)", '2024-03-01'],
  ["date_trunc('week', d)", '2024-03-11'],
  ["date_trunc('quarter', d)", '2024-01-01'],
  ["date_trunc('year', d)", '2024-01-01'],
  ["date_trunc('day', ts)", '2024-03-15'],
  ["date_trunc('month', ts)", '2024-03-01'],
  ['to_date(ts)', '2024-03-15'],
  ['date_add_days(d, 20)', '2024-04-04'],
  ['date_add_days(d, -15)', '2024-02-29'],
  ['date_diff_days(d, date_add_days(d, 17))', 17],
  ['date_diff_days(ts, d)', 0],
  ["months_between(date_trunc('year', d), d)", 2],
  ['months_between(d, date_add_days(d, 300))', 10],
  ['year(d)', 2024],
  ['quarter(d)', 1],
  ['month(d)', 3],
  ['day(d)', 15],
  ['day_of_week(d)', 5],
  ['day_of_week(date_add_days(d, 2))', 7],
  ['iso_week(d)', 11],
  ['month_name(d)', 'March'],
  ['date_key(d)', 20240315],
  ["concat(s, z, 'x')", 'Ab c x'],
  ['length(s)', 5],
  ['trim(s)', 'Ab c'],
  ['lower(s)', 'ab c '],
  ['upper(s)', 'AB C '],
  ['coalesce(z, n)', 7],
  ['nullif(n, 7)', null],
  ['round(x)', 3],
  ['round(2.345, 2)', 2.35],
  ['floor(x)', 2],
  ['ceil(x)', 3],
  ['abs(-n)', 7],
  ["case when b then 'yes' else 'no' end", 'yes'],
  ["case n when 7 then 'seven' end", 'seven'],
  ['n between 1 and 10', true],
  ['n not between 1 and 5', true],
  ["s like 'Ab%'", true],
  ['n in (1, 7)', true],
  ['n not in (1, 7)', false],
  ['z is null', true],
  ['z = 1', null],
  ['not b', false],
  ['b and n > 3', true],
  ['cast(n as string)', '7'],
  ['cast(x as integer) + 1', 3],
  ["'it''s'", "it's"],
  ['$threshold', 90],
  ['n >= $threshold', false],
];

const ROW = {
  duckdb: "SELECT DATE '2024-03-15' AS d, TIMESTAMP '2024-03-15 13:45:00' AS ts, 7 AS n, 2.5::DOUBLE AS x, 'Ab c ' AS s, TRUE AS b, NULL AS z",
  sqlite: "SELECT '2024-03-15' AS d, '2024-03-15 13:45:00' AS ts, 7 AS n, 2.5 AS x, 'Ab c ' AS s, 1 AS b, NULL AS z",
};

function normalise(v: unknown, expected: Expected): Expected {
  if (v === null || v === undefined) return null;
  if (typeof expected === 'number') return Math.round(Number(v) * 1e9) / 1e9;
  if (typeof expected === 'boolean') return v === true || v === 1 || v === '1' || v === 'true';
  return String(v);
}

const render = (src: string, dialect: Dialect): string => renderValue(parseExpr(src), { dialect, param: (name) => (name === 'threshold' ? '90' : 'NULL') });

describe('portable expressions evaluate to the same value on real DuckDB and SQLite', () => {
  let duck: DuckDBConnection;
  let lite: Database.Database;
  beforeAll(async () => {
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    lite = new Database(':memory:');
  });
  afterAll(() => {
    duck.closeSync();
    lite.close();
  });

  for (const [src, expected] of CASES) {
    it(`${src} = ${JSON.stringify(expected)}`, async () => {
      const duckSql = `SELECT ${render(src, 'duckdb')} AS v FROM (${ROW.duckdb}) t`;
      const duckRows = (await duck.runAndReadAll(duckSql)).getRowsJson();
      const liteSql = `SELECT ${render(src, 'sqlite')} AS v FROM (${ROW.sqlite}) t`;
      const liteRow = lite.prepare(liteSql).get() as { v: unknown };
      expect({ duckdb: normalise(duckRows[0]![0], expected), sqlite: normalise(liteRow.v, expected) }).toEqual({ duckdb: expected, sqlite: expected });
    });
  }

  it('aggregates and windows agree: avg of integers is a true mean, shares over partitions', async () => {
    const data = {
      duckdb: "SELECT * FROM (VALUES ('a', 1), ('a', 2), ('b', 3), ('b', 3)) t(g, n)",
      sqlite: "SELECT column1 AS g, column2 AS n FROM (VALUES ('a', 1), ('a', 2), ('b', 3), ('b', 3))",
    };
    const exprs = ['avg(n)', 'count(distinct n)', 'count(*)', 'safe_divide(sum(n), sum(sum(n)) over ())', 'row_number() over (order by g desc)'];
    const results: Record<string, unknown[][]> = {};
    for (const dialect of ['duckdb', 'sqlite'] as const) {
      const cols = exprs.map((e, i) => `${render(e, dialect)} AS c${i}`).join(', ');
      const sql = `SELECT g, ${cols} FROM (${data[dialect]}) t GROUP BY g ORDER BY g`;
      const rows = dialect === 'duckdb' ? (await duck.runAndReadAll(sql)).getRowsJson() : (lite.prepare(sql).raw().all() as unknown[][]);
      results[dialect] = rows.map((r) =>
        r.map((v) => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v)),
      );
    }
    const share = Math.round((3 / 9) * 1e9) / 1e9;
    expect(results['duckdb']).toEqual([
      ['a', 1.5, 2, 2, share, 2],
      ['b', 3, 1, 2, Math.round((6 / 9) * 1e9) / 1e9, 1],
    ]);
    expect(results['sqlite']).toEqual(results['duckdb']);
  });
});

describe('dialect tables', () => {
  it('every catalog function has a cell for every dialect, and nothing outside the catalog', () => {
    expect(Object.keys(FUNCTION_TABLE).sort()).toEqual(Object.keys(FUNCTIONS).sort());
    for (const [name, cells] of Object.entries(FUNCTION_TABLE)) for (const d of DIALECTS) expect([name, d, cells[d] !== undefined]).toEqual([name, d, true]);
  });

  it('an unsupported cell raises an explicit error naming the dialect and the reason', () => {
    expect(() => render('greatest(n, x)', 'sqlite')).toThrow(UnsupportedSqlError);
    expect(() => render('greatest(n, x)', 'sqlite')).toThrow('greatest() is not supported in the sqlite dialect: SQLite MAX(a, b) returns NULL');
    expect(render('greatest(n, x)', 'duckdb')).toBe('GREATEST("n", "x")');
  });

  it('maps every logical type in every dialect', () => {
    for (const d of DIALECTS) {
      for (const t of SIMPLE_TYPES) expect(TYPE_MAP[d][t]).toBeDefined();
      expect(TYPE_MAP[d]['decimal']).toBeDefined();
    }
    expect(mapType('decimal(12,2)', 'tsql')).toBe('DECIMAL(12,2)');
    expect(mapType('string', 'tsql', { maxLength: 64 })).toBe('NVARCHAR(64)');
    expect(mapType('string', 'tsql', { maxLength: 10000 })).toBe('NVARCHAR(MAX)');
    expect(mapType('timestamp', 'spark')).toBe('TIMESTAMP');
    expect(mapType('boolean', 'sqlite')).toBe('INTEGER');
  });

  it('T-SQL turns comparisons used as values into nullable bits, and bit columns used as predicates into = 1', () => {
    const e = parseExpr("p.status = 'succeeded'");
    expect(renderValue(e, { dialect: 'tsql' })).toBe("CASE WHEN ([p].[status] = N'succeeded') THEN 1 WHEN NOT (([p].[status] = N'succeeded')) THEN 0 END");
    expect(renderPredicate(e, { dialect: 'tsql' })).toBe("([p].[status] = N'succeeded')");
    expect(renderPredicate(parseExpr('f.is_paid and not f.is_trial'), { dialect: 'tsql' })).toBe('(([f].[is_paid] = 1) AND (NOT ([f].[is_trial] = 1)))');
    expect(renderValue(parseExpr('sum(case when f.is_paid then f.amount else 0 end)'), { dialect: 'tsql' })).toBe(
      'SUM(CASE WHEN ([f].[is_paid] = 1) THEN [f].[amount] ELSE 0 END)',
    );
    expect(renderPredicate(parseExpr('f.is_paid'), { dialect: 'duckdb' })).toBe('"f"."is_paid"');
  });

  it('Spark quotes with backticks and keeps CONCAT null-safe', () => {
    expect(renderValue(parseExpr("concat(u.first, ' ', u.last)"), { dialect: 'spark' })).toBe("CONCAT_WS('', `u`.`first`, ' ', `u`.`last`)");
    expect(renderValue(parseExpr("date_trunc('month', e.at)"), { dialect: 'spark' })).toBe("CAST(DATE_TRUNC('month', `e`.`at`) AS DATE)");
  });

  it('Spark divides as a double, like DuckDB (decimal division would round to 6 places)', () => {
    expect(renderValue(parseExpr('sum(w.seconds) / 3600.0'), { dialect: 'spark' })).toBe('(CAST(SUM(`w`.`seconds`) AS DOUBLE) / 3600.0)');
  });

  it('refuses unbound parameters and bad date_trunc units with a remedy', () => {
    expect(() => renderValue(parseExpr('$x'), { dialect: 'duckdb' })).toThrow('parameter $x has no value here');
    expect(() => render("date_trunc('fortnight', d)", 'duckdb')).toThrow("date_trunc's first argument must be one of");
  });
});
