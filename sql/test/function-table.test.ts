/**
 * Every cell of the function table (sql/src/functions.ts), written out by hand: one call
 * per function (more where a cell branches, e.g. date_trunc's units), its SQL in each of
 * the four dialects, and the values it must have. DuckDB and SQLite run here, so their
 * renderings are also executed over three rows and checked value by value; the Spark and
 * T-SQL renderings can only be compared with the hand-written text (Spark's values are
 * checked by the engine-parity tests in jobs/python; no SQL Server is reachable here).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { FUNCTIONS, parseExpr } from '@streampulse/contracts';
import { DIALECTS, FUNCTION_TABLE, renderValue, UnsupportedSqlError, type Dialect } from '@streampulse/sql';

type V = string | number | null;
interface Case {
  readonly expr: string;
  readonly duckdb: string;
  readonly spark: string;
  readonly tsql: string;
  /** The SQLite rendering, or the start of the reason it is refused. */
  readonly sqlite: string | { readonly unsupported: string };
  /** Scalars and windows: one value per row (k = 1, 2, 3); aggregates: one value. */
  readonly value: V | readonly V[];
}

/**
 * The rows every case runs over (the window cases order by k):
 *
 * | k | g | a     | b | n   | s       | u    | d          | e          | ts                  |
 * | 1 | x | 2.5   | 2 | 20  | 'Ab c ' | 'z'  | 2024-03-15 | 2024-05-02 | 2024-03-15 13:45:00 |
 * | 2 | x | -1.25 | 0 | -15 | NULL    | 'y'  | 2024-01-31 | 2024-02-29 | 2024-02-29 23:59:59 |
 * | 3 | y | NULL  | 5 | 1   | 'q'     | NULL | 2024-12-30 | 2025-01-01 | 2024-12-31 00:00:00 |
 *
 * 2024-03-15 is a Friday (ISO week 11), 2024-01-31 a Wednesday (week 5), 2024-12-30 a
 * Monday in ISO week 1 of 2025.
 */
const ROWS = {
  duckdb: `SELECT * FROM (VALUES
    (1, 'x', 2.5::DOUBLE, 2, 20, 'Ab c ', 'z', DATE '2024-03-15', DATE '2024-05-02', TIMESTAMP '2024-03-15 13:45:00'),
    (2, 'x', -1.25::DOUBLE, 0, -15, NULL, 'y', DATE '2024-01-31', DATE '2024-02-29', TIMESTAMP '2024-02-29 23:59:59'),
    (3, 'y', NULL, 5, 1, 'q', NULL, DATE '2024-12-30', DATE '2025-01-01', TIMESTAMP '2024-12-31 00:00:00')
  ) v(k, g, a, b, n, s, u, d, e, ts)`,
  sqlite: `SELECT column1 AS k, column2 AS g, column3 AS a, column4 AS b, column5 AS n, column6 AS s, column7 AS u, column8 AS d, column9 AS e, column10 AS ts FROM (VALUES
    (1, 'x', 2.5, 2, 20, 'Ab c ', 'z', '2024-03-15', '2024-05-02', '2024-03-15 13:45:00'),
    (2, 'x', -1.25, 0, -15, NULL, 'y', '2024-01-31', '2024-02-29', '2024-02-29 23:59:59'),
    (3, 'y', NULL, 5, 1, 'q', NULL, '2024-12-30', '2025-01-01', '2024-12-31 00:00:00'))`,
};

const MONTHS =
  "WHEN 1 THEN 'January' WHEN 2 THEN 'February' WHEN 3 THEN 'March' WHEN 4 THEN 'April' WHEN 5 THEN 'May' WHEN 6 THEN 'June' WHEN 7 THEN 'July' WHEN 8 THEN 'August' WHEN 9 THEN 'September' WHEN 10 THEN 'October' WHEN 11 THEN 'November' WHEN 12 THEN 'December'";

const CASES: readonly Case[] = [
  // aggregates
  { expr: 'count(a)', duckdb: 'COUNT("a")', spark: 'COUNT(`a`)', tsql: 'COUNT([a])', sqlite: 'COUNT("a")', value: 2 },
  { expr: 'count(*)', duckdb: 'COUNT(*)', spark: 'COUNT(*)', tsql: 'COUNT(*)', sqlite: 'COUNT(*)', value: 3 },
  {
    expr: 'count(distinct g)',
    duckdb: 'COUNT(DISTINCT "g")',
    spark: 'COUNT(DISTINCT `g`)',
    tsql: 'COUNT(DISTINCT [g])',
    sqlite: 'COUNT(DISTINCT "g")',
    value: 2,
  },
  { expr: 'sum(b)', duckdb: 'SUM("b")', spark: 'SUM(`b`)', tsql: 'SUM([b])', sqlite: 'SUM("b")', value: 7 },
  // T-SQL and SQLite would keep the mean of integers integral (2): cast first
  { expr: 'avg(b)', duckdb: 'AVG("b")', spark: 'AVG(`b`)', tsql: 'AVG(CAST([b] AS FLOAT))', sqlite: 'AVG(CAST("b" AS REAL))', value: 7 / 3 },
  { expr: 'min(d)', duckdb: 'MIN("d")', spark: 'MIN(`d`)', tsql: 'MIN([d])', sqlite: 'MIN("d")', value: '2024-01-31' },
  { expr: 'max(s)', duckdb: 'MAX("s")', spark: 'MAX(`s`)', tsql: 'MAX([s])', sqlite: 'MAX("s")', value: 'q' },
  // windows
  {
    expr: 'row_number() over (partition by g order by k desc)',
    duckdb: 'ROW_NUMBER() OVER (PARTITION BY "g" ORDER BY "k" DESC)',
    spark: 'ROW_NUMBER() OVER (PARTITION BY `g` ORDER BY `k` DESC)',
    tsql: 'ROW_NUMBER() OVER (PARTITION BY [g] ORDER BY [k] DESC)',
    sqlite: 'ROW_NUMBER() OVER (PARTITION BY "g" ORDER BY "k" DESC)',
    value: [2, 1, 1],
  },
  {
    expr: 'lag(n) over (order by k)',
    duckdb: 'LAG("n") OVER (ORDER BY "k" ASC)',
    spark: 'LAG(`n`) OVER (ORDER BY `k` ASC)',
    tsql: 'LAG([n]) OVER (ORDER BY [k] ASC)',
    sqlite: 'LAG("n") OVER (ORDER BY "k" ASC)',
    value: [null, 20, -15],
  },
  {
    expr: 'lag(n, 2) over (order by k)',
    duckdb: 'LAG("n", 2) OVER (ORDER BY "k" ASC)',
    spark: 'LAG(`n`, 2) OVER (ORDER BY `k` ASC)',
    tsql: 'LAG([n], 2) OVER (ORDER BY [k] ASC)',
    sqlite: 'LAG("n", 2) OVER (ORDER BY "k" ASC)',
    value: [null, null, 20],
  },
  {
    expr: 'lead(n) over (order by k)',
    duckdb: 'LEAD("n") OVER (ORDER BY "k" ASC)',
    spark: 'LEAD(`n`) OVER (ORDER BY `k` ASC)',
    tsql: 'LEAD([n]) OVER (ORDER BY [k] ASC)',
    sqlite: 'LEAD("n") OVER (ORDER BY "k" ASC)',
    value: [-15, 1, null],
  },
  {
    expr: 'first_value(s) over (partition by g order by k)',
    duckdb: 'FIRST_VALUE("s") OVER (PARTITION BY "g" ORDER BY "k" ASC)',
    spark: 'FIRST_VALUE(`s`) OVER (PARTITION BY `g` ORDER BY `k` ASC)',
    tsql: 'FIRST_VALUE([s]) OVER (PARTITION BY [g] ORDER BY [k] ASC)',
    sqlite: 'FIRST_VALUE("s") OVER (PARTITION BY "g" ORDER BY "k" ASC)',
    value: ['Ab c ', 'Ab c ', 'q'],
  },
  // numbers
  {
    expr: 'coalesce(a, b, 0)',
    duckdb: 'COALESCE("a", "b", 0)',
    spark: 'COALESCE(`a`, `b`, 0)',
    tsql: 'COALESCE([a], [b], 0)',
    sqlite: 'COALESCE("a", "b", 0)',
    value: [2.5, -1.25, 5],
  },
  { expr: 'nullif(b, 0)', duckdb: 'NULLIF("b", 0)', spark: 'NULLIF(`b`, 0)', tsql: 'NULLIF([b], 0)', sqlite: 'NULLIF("b", 0)', value: [2, null, 5] },
  {
    expr: 'safe_divide(a, b)',
    duckdb: '(CAST("a" AS DOUBLE) / NULLIF("b", 0))',
    spark: '(CAST(`a` AS DOUBLE) / NULLIF(`b`, 0))',
    tsql: '(CAST([a] AS FLOAT) / NULLIF([b], 0))',
    sqlite: '(CAST("a" AS REAL) / NULLIF("b", 0))',
    value: [1.25, null, null],
  },
  // half away from zero
  { expr: 'round(a)', duckdb: 'ROUND("a", 0)', spark: 'ROUND(`a`, 0)', tsql: 'ROUND([a], 0)', sqlite: 'ROUND("a", 0)', value: [3, -1, null] },
  { expr: 'round(a, 1)', duckdb: 'ROUND("a", 1)', spark: 'ROUND(`a`, 1)', tsql: 'ROUND([a], 1)', sqlite: 'ROUND("a", 1)', value: [2.5, -1.3, null] },
  { expr: 'floor(a)', duckdb: 'FLOOR("a")', spark: 'FLOOR(`a`)', tsql: 'FLOOR([a])', sqlite: 'CAST(FLOOR("a") AS INTEGER)', value: [2, -2, null] },
  { expr: 'ceil(a)', duckdb: 'CEIL("a")', spark: 'CEIL(`a`)', tsql: 'CEILING([a])', sqlite: 'CAST(CEIL("a") AS INTEGER)', value: [3, -1, null] },
  { expr: 'abs(a)', duckdb: 'ABS("a")', spark: 'ABS(`a`)', tsql: 'ABS([a])', sqlite: 'ABS("a")', value: [2.5, 1.25, null] },
  // a NULL argument is skipped, as GREATEST / LEAST do in DuckDB, Spark and T-SQL
  {
    expr: 'greatest(a, b)',
    duckdb: 'GREATEST("a", "b")',
    spark: 'GREATEST(`a`, `b`)',
    tsql: 'GREATEST([a], [b])',
    sqlite: { unsupported: 'greatest() is not supported in the sqlite dialect: SQLite MAX(a, b) returns NULL when any argument is NULL' },
    value: [2.5, 0, 5],
  },
  {
    expr: 'least(a, b)',
    duckdb: 'LEAST("a", "b")',
    spark: 'LEAST(`a`, `b`)',
    tsql: 'LEAST([a], [b])',
    sqlite: { unsupported: 'least() is not supported in the sqlite dialect: SQLite MIN(a, b) returns NULL when any argument is NULL' },
    value: [2, -1.25, 5],
  },
  // strings
  { expr: 'lower(s)', duckdb: 'LOWER("s")', spark: 'LOWER(`s`)', tsql: 'LOWER([s])', sqlite: 'LOWER("s")', value: ['ab c ', null, 'q'] },
  { expr: 'upper(s)', duckdb: 'UPPER("s")', spark: 'UPPER(`s`)', tsql: 'UPPER([s])', sqlite: 'UPPER("s")', value: ['AB C ', null, 'Q'] },
  { expr: 'trim(s)', duckdb: 'TRIM("s")', spark: 'TRIM(`s`)', tsql: 'TRIM([s])', sqlite: 'TRIM("s")', value: ['Ab c', null, 'q'] },
  // T-SQL's LEN ignores trailing blanks (measured with a sentinel) and CONCAT turns NULL into '' (kept NULL)
  {
    expr: 'length(s)',
    duckdb: 'LENGTH("s")',
    spark: 'LENGTH(`s`)',
    tsql: "(CASE WHEN [s] IS NULL THEN NULL ELSE LEN(CONCAT([s], N'.')) - 1 END)",
    sqlite: 'LENGTH("s")',
    value: [5, null, 1],
  },
  // NULL arguments count as empty strings
  {
    expr: "concat(s, '-', u)",
    duckdb: `CONCAT("s", '-', "u")`,
    spark: "CONCAT_WS('', `s`, '-', `u`)",
    tsql: "CONCAT([s], N'-', [u])",
    sqlite: `(COALESCE("s", '') || COALESCE('-', '') || COALESCE("u", ''))`,
    value: ['Ab c -z', '-y', 'q-'],
  },
  // dates
  {
    expr: 'to_date(ts)',
    duckdb: 'CAST("ts" AS DATE)',
    spark: 'TO_DATE(`ts`)',
    tsql: 'CAST([ts] AS DATE)',
    sqlite: 'date("ts")',
    value: ['2024-03-15', '2024-02-29', '2024-12-31'],
  },
  {
    expr: "date_trunc('day', ts)",
    duckdb: `CAST(DATE_TRUNC('day', "ts") AS DATE)`,
    spark: "CAST(DATE_TRUNC('day', `ts`) AS DATE)",
    tsql: 'CAST(DATETRUNC(day, [ts]) AS DATE)',
    sqlite: 'date("ts")',
    value: ['2024-03-15', '2024-02-29', '2024-12-31'],
  },
  // ISO weeks start on Monday: T-SQL's `week` would follow @@DATEFIRST, `iso_week` does not
  {
    expr: "date_trunc('week', d)",
    duckdb: `CAST(DATE_TRUNC('week', "d") AS DATE)`,
    spark: "CAST(DATE_TRUNC('week', `d`) AS DATE)",
    tsql: 'CAST(DATETRUNC(iso_week, [d]) AS DATE)',
    sqlite: `date("d", '-' || ((CAST(strftime('%w', "d") AS INTEGER) + 6) % 7) || ' days')`,
    value: ['2024-03-11', '2024-01-29', '2024-12-30'],
  },
  {
    expr: "date_trunc('month', d)",
    duckdb: `CAST(DATE_TRUNC('month', "d") AS DATE)`,
    spark: "CAST(DATE_TRUNC('month', `d`) AS DATE)",
    tsql: 'CAST(DATETRUNC(month, [d]) AS DATE)',
    sqlite: `date("d", 'start of month')`,
    value: ['2024-03-01', '2024-01-01', '2024-12-01'],
  },
  {
    expr: "date_trunc('quarter', d)",
    duckdb: `CAST(DATE_TRUNC('quarter', "d") AS DATE)`,
    spark: "CAST(DATE_TRUNC('quarter', `d`) AS DATE)",
    tsql: 'CAST(DATETRUNC(quarter, [d]) AS DATE)',
    sqlite: `date("d", 'start of month', '-' || ((CAST(strftime('%m', "d") AS INTEGER) - 1) % 3) || ' months')`,
    value: ['2024-01-01', '2024-01-01', '2024-10-01'],
  },
  {
    expr: "date_trunc('year', e)",
    duckdb: `CAST(DATE_TRUNC('year', "e") AS DATE)`,
    spark: "CAST(DATE_TRUNC('year', `e`) AS DATE)",
    tsql: 'CAST(DATETRUNC(year, [e]) AS DATE)',
    sqlite: `date("e", 'start of year')`,
    value: ['2024-01-01', '2024-01-01', '2025-01-01'],
  },
  {
    expr: 'date_add_days(d, n)',
    duckdb: 'CAST("d" + TO_DAYS(CAST("n" AS INTEGER)) AS DATE)',
    spark: 'DATE_ADD(`d`, `n`)',
    tsql: 'CAST(DATEADD(day, [n], [d]) AS DATE)',
    sqlite: `date("d", ("n") || ' days')`,
    value: ['2024-04-04', '2024-01-16', '2024-12-31'],
  },
  // month ends clamp: Jan 31 + 1 month = Feb 29 (2024)
  {
    expr: 'date_add_months(d, 1)',
    duckdb: 'CAST("d" + TO_MONTHS(CAST(1 AS INTEGER)) AS DATE)',
    spark: 'ADD_MONTHS(`d`, 1)',
    tsql: 'CAST(DATEADD(month, 1, [d]) AS DATE)',
    sqlite: { unsupported: "date_add_months() is not supported in the sqlite dialect: SQLite's '+N months' overflows month ends" },
    value: ['2024-04-15', '2024-02-29', '2025-01-30'],
  },
  // date_diff_days(start, end): Spark's DATEDIFF takes the end first
  {
    expr: 'date_diff_days(d, e)',
    duckdb: `DATE_DIFF('day', CAST("d" AS DATE), CAST("e" AS DATE))`,
    spark: 'DATEDIFF(`e`, `d`)',
    tsql: 'DATEDIFF(day, [d], [e])',
    sqlite: 'CAST(julianday(date("e")) - julianday(date("d")) AS INTEGER)',
    value: [48, 29, 2],
  },
  {
    expr: 'months_between(d, e)',
    duckdb: '((YEAR("e") * 12 + MONTH("e")) - (YEAR("d") * 12 + MONTH("d")))',
    spark: '((YEAR(`e`) * 12 + MONTH(`e`)) - (YEAR(`d`) * 12 + MONTH(`d`)))',
    tsql: 'DATEDIFF(month, [d], [e])',
    sqlite: `((CAST(strftime('%Y', "e") AS INTEGER) * 12 + CAST(strftime('%m', "e") AS INTEGER)) - (CAST(strftime('%Y', "d") AS INTEGER) * 12 + CAST(strftime('%m', "d") AS INTEGER)))`,
    value: [2, 1, 1],
  },
  { expr: 'year(e)', duckdb: 'YEAR("e")', spark: 'YEAR(`e`)', tsql: 'YEAR([e])', sqlite: `CAST(strftime('%Y', "e") AS INTEGER)`, value: [2024, 2024, 2025] },
  {
    expr: 'quarter(d)',
    duckdb: 'QUARTER("d")',
    spark: 'QUARTER(`d`)',
    tsql: 'DATEPART(quarter, [d])',
    sqlite: `((CAST(strftime('%m', "d") AS INTEGER) + 2) / 3)`,
    value: [1, 1, 4],
  },
  { expr: 'month(d)', duckdb: 'MONTH("d")', spark: 'MONTH(`d`)', tsql: 'MONTH([d])', sqlite: `CAST(strftime('%m', "d") AS INTEGER)`, value: [3, 1, 12] },
  { expr: 'day(d)', duckdb: 'DAY("d")', spark: 'DAY(`d`)', tsql: 'DAY([d])', sqlite: `CAST(strftime('%d', "d") AS INTEGER)`, value: [15, 31, 30] },
  // ISO: Monday = 1 .. Sunday = 7 whatever T-SQL's @@DATEFIRST (DATEPART(weekday) follows it)
  {
    expr: 'day_of_week(d)',
    duckdb: 'ISODOW("d")',
    spark: '(((DAYOFWEEK(`d`) + 5) % 7) + 1)',
    tsql: '(((DATEPART(weekday, [d]) + @@DATEFIRST + 5) % 7) + 1)',
    sqlite: `(((CAST(strftime('%w', "d") AS INTEGER) + 6) % 7) + 1)`,
    value: [5, 3, 1],
  },
  {
    expr: 'iso_week(d)',
    duckdb: 'WEEK("d")',
    spark: 'WEEKOFYEAR(`d`)',
    tsql: 'DATEPART(iso_week, [d])',
    sqlite: `CAST(strftime('%V', "d") AS INTEGER)`,
    value: [11, 5, 1],
  },
  {
    expr: 'month_name(d)',
    duckdb: 'MONTHNAME("d")',
    spark: "DATE_FORMAT(`d`, 'MMMM')",
    tsql: "FORMAT([d], 'MMMM', 'en-US')",
    sqlite: `(CASE CAST(strftime('%m', "d") AS INTEGER) ${MONTHS} END)`,
    value: ['March', 'January', 'December'],
  },
  {
    expr: 'date_key(d)',
    duckdb: `CAST(STRFTIME("d", '%Y%m%d') AS INTEGER)`,
    spark: "CAST(DATE_FORMAT(`d`, 'yyyyMMdd') AS INT)",
    tsql: 'CAST(CONVERT(CHAR(8), [d], 112) AS INT)',
    sqlite: `CAST(strftime('%Y%m%d', "d") AS INTEGER)`,
    value: [20240315, 20240131, 20241230],
  },
];

const render = (expr: string, dialect: Dialect): string => renderValue(parseExpr(expr), { dialect });
const called = (expr: string): string[] => [...expr.matchAll(/([a-z_]+)\s*\(/g)].map((m) => m[1]!).filter((f) => f in FUNCTIONS);

function normalise(v: unknown): V {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return Math.round(v * 1e9) / 1e9;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1e9) / 1e9;
  return String(v);
}
const expected = (c: Case): V | V[] => (Array.isArray(c.value) ? c.value.map(normalise) : normalise(c.value as V));

describe('the function table, cell by cell', () => {
  it('has a hand-written case for every function in every dialect', () => {
    const covered = new Set(CASES.flatMap((c) => called(c.expr)));
    expect(Object.keys(FUNCTION_TABLE).filter((f) => !covered.has(f))).toStrictEqual([]);
    expect([...DIALECTS].sort()).toStrictEqual(['duckdb', 'spark', 'sqlite', 'tsql']);
  });

  for (const c of CASES)
    it(`${c.expr} renders as written in every dialect`, () => {
      const got: Record<string, string> = {};
      const want: Record<string, string> = {};
      for (const d of DIALECTS) {
        const cell = c[d];
        if (typeof cell === 'string') {
          got[d] = render(c.expr, d);
          want[d] = cell;
        } else {
          expect(() => render(c.expr, d)).toThrow(UnsupportedSqlError);
          expect(() => render(c.expr, d)).toThrow(cell.unsupported);
        }
      }
      expect(got).toStrictEqual(want);
    });
});

describe('the function table executed on real DuckDB and SQLite', () => {
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

  const aggregate = (c: Case): boolean => !Array.isArray(c.value);
  const sql = (c: Case, dialect: 'duckdb' | 'sqlite'): string =>
    aggregate(c)
      ? `SELECT ${render(c.expr, dialect)} AS v FROM (${ROWS[dialect]}) r`
      : `SELECT ${render(c.expr, dialect)} AS v FROM (${ROWS[dialect]}) r ORDER BY k`;

  for (const c of CASES)
    it(`${c.expr} = ${JSON.stringify(c.value)}`, async () => {
      const values = (rows: unknown[][]): V | V[] => (aggregate(c) ? normalise(rows[0]![0]) : rows.map((r) => normalise(r[0])));
      const got: Record<string, V | V[]> = { duckdb: values((await duck.runAndReadAll(sql(c, 'duckdb'))).getRows() as unknown[][]) };
      const want: Record<string, V | V[]> = { duckdb: expected(c) };
      if (typeof c.sqlite === 'string') {
        got['sqlite'] = values(lite.prepare(sql(c, 'sqlite')).raw().all() as unknown[][]);
        want['sqlite'] = expected(c);
      }
      expect(got).toStrictEqual(want);
    });
});
