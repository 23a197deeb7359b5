/**
 * The portable function catalog (see `FUNCTIONS` in @streampulse/contracts) rendered
 * per dialect. A cell is a renderer over already-rendered argument SQL, or an explicit
 * `unsupported` entry with a reason: the renderer raises it as an error rather than
 * emitting SQL that means something else. A test checks every function × dialect.
 */
import type { Dialect } from './dialect.js';

export type Renderer = (args: readonly string[]) => string;
export interface Unsupported {
  readonly unsupported: string;
}
export type Cell = Renderer | Unsupported;

const call =
  (name: string): Renderer =>
  (a) =>
    `${name}(${a.join(', ')})`;
const same = (name: string): Record<Dialect, Cell> => ({ duckdb: call(name), spark: call(name), tsql: call(name), sqlite: call(name) });
const arg = (a: readonly string[], i: number): string => a[i] ?? 'NULL';

/** date_trunc units accepted by the portable date_trunc (first argument, a string literal). */
export const TRUNC_UNITS = ['day', 'week', 'month', 'quarter', 'year'] as const;

function unitOf(sqlLiteral: string): string {
  return sqlLiteral.replace(/^N?'|'$/g, '').toLowerCase();
}

const sqliteInt = (fmt: string, d: string): string => `CAST(strftime('${fmt}', ${d}) AS INTEGER)`;

export const FUNCTION_TABLE: Readonly<Record<string, Readonly<Record<Dialect, Cell>>>> = {
  count: same('COUNT'),
  sum: same('SUM'),
  avg: {
    duckdb: call('AVG'),
    spark: call('AVG'),
    // T-SQL and SQLite keep AVG of integers integral; the portable meaning is a double
    tsql: (a) => `AVG(CAST(${arg(a, 0)} AS FLOAT))`,
    sqlite: (a) => `AVG(CAST(${arg(a, 0)} AS REAL))`,
  },
  min: same('MIN'),
  max: same('MAX'),
  row_number: same('ROW_NUMBER'),
  lag: same('LAG'),
  lead: same('LEAD'),
  first_value: same('FIRST_VALUE'),
  coalesce: same('COALESCE'),
  nullif: same('NULLIF'),
  safe_divide: {
    duckdb: (a) => `(CAST(${arg(a, 0)} AS DOUBLE) / NULLIF(${arg(a, 1)}, 0))`,
    spark: (a) => `(CAST(${arg(a, 0)} AS DOUBLE) / NULLIF(${arg(a, 1)}, 0))`,
    tsql: (a) => `(CAST(${arg(a, 0)} AS FLOAT) / NULLIF(${arg(a, 1)}, 0))`,
    sqlite: (a) => `(CAST(${arg(a, 0)} AS REAL) / NULLIF(${arg(a, 1)}, 0))`,
  },
  round: {
    duckdb: (a) => `ROUND(${arg(a, 0)}, ${a[1] ?? '0'})`,
    spark: (a) => `ROUND(${arg(a, 0)}, ${a[1] ?? '0'})`,
    tsql: (a) => `ROUND(${arg(a, 0)}, ${a[1] ?? '0'})`,
    sqlite: (a) => `ROUND(${arg(a, 0)}, ${a[1] ?? '0'})`,
  },
  floor: { duckdb: call('FLOOR'), spark: call('FLOOR'), tsql: call('FLOOR'), sqlite: (a) => `CAST(FLOOR(${arg(a, 0)}) AS INTEGER)` },
  ceil: { duckdb: call('CEIL'), spark: call('CEIL'), tsql: call('CEILING'), sqlite: (a) => `CAST(CEIL(${arg(a, 0)}) AS INTEGER)` },
  abs: same('ABS'),
  greatest: {
    duckdb: call('GREATEST'),
    spark: call('GREATEST'),
    tsql: call('GREATEST'),
    sqlite: { unsupported: 'SQLite MAX(a, b) returns NULL when any argument is NULL, unlike GREATEST elsewhere' },
  },
  least: {
    duckdb: call('LEAST'),
    spark: call('LEAST'),
    tsql: call('LEAST'),
    sqlite: { unsupported: 'SQLite MIN(a, b) returns NULL when any argument is NULL, unlike LEAST elsewhere' },
  },
  lower: same('LOWER'),
  upper: same('UPPER'),
  trim: same('TRIM'),
  length: {
    duckdb: call('LENGTH'),
    spark: call('LENGTH'),
    // LEN ignores trailing blanks: measure with a sentinel character instead; CONCAT
    // makes NULL '' (length 0), so NULL is kept NULL as in the other dialects
    tsql: (a) => `(CASE WHEN ${arg(a, 0)} IS NULL THEN NULL ELSE LEN(CONCAT(${arg(a, 0)}, N'.')) - 1 END)`,
    sqlite: call('LENGTH'),
  },
  concat: {
    duckdb: call('CONCAT'),
    spark: (a) => `CONCAT_WS('', ${a.join(', ')})`,
    tsql: call('CONCAT'),
    sqlite: (a) => `(${a.map((x) => `COALESCE(${x}, '')`).join(' || ')})`,
  },
  to_date: {
    duckdb: (a) => `CAST(${arg(a, 0)} AS DATE)`,
    spark: (a) => `TO_DATE(${arg(a, 0)})`,
    tsql: (a) => `CAST(${arg(a, 0)} AS DATE)`,
    sqlite: (a) => `date(${arg(a, 0)})`,
  },
  date_trunc: {
    duckdb: (a) => `CAST(DATE_TRUNC(${arg(a, 0)}, ${arg(a, 1)}) AS DATE)`,
    spark: (a) => `CAST(DATE_TRUNC(${arg(a, 0)}, ${arg(a, 1)}) AS DATE)`,
    tsql: (a) => `CAST(DATETRUNC(${unitOf(arg(a, 0)) === 'week' ? 'iso_week' : unitOf(arg(a, 0))}, ${arg(a, 1)}) AS DATE)`,
    sqlite: (a) => {
      const d = arg(a, 1);
      switch (unitOf(arg(a, 0))) {
        case 'day':
          return `date(${d})`;
        case 'week':
          return `date(${d}, '-' || ((CAST(strftime('%w', ${d}) AS INTEGER) + 6) % 7) || ' days')`;
        case 'month':
          return `date(${d}, 'start of month')`;
        case 'quarter':
          return `date(${d}, 'start of month', '-' || ((CAST(strftime('%m', ${d}) AS INTEGER) - 1) % 3) || ' months')`;
        default:
          return `date(${d}, 'start of year')`;
      }
    },
  },
  date_add_days: {
    duckdb: (a) => `CAST(${arg(a, 0)} + TO_DAYS(CAST(${arg(a, 1)} AS INTEGER)) AS DATE)`,
    spark: (a) => `DATE_ADD(${arg(a, 0)}, ${arg(a, 1)})`,
    tsql: (a) => `CAST(DATEADD(day, ${arg(a, 1)}, ${arg(a, 0)}) AS DATE)`,
    sqlite: (a) => `date(${arg(a, 0)}, (${arg(a, 1)}) || ' days')`,
  },
  date_add_months: {
    duckdb: (a) => `CAST(${arg(a, 0)} + TO_MONTHS(CAST(${arg(a, 1)} AS INTEGER)) AS DATE)`,
    spark: (a) => `ADD_MONTHS(${arg(a, 0)}, ${arg(a, 1)})`,
    tsql: (a) => `CAST(DATEADD(month, ${arg(a, 1)}, ${arg(a, 0)}) AS DATE)`,
    sqlite: { unsupported: "SQLite's '+N months' overflows month ends (Jan 31 + 1 month = Mar 3) instead of clamping" },
  },
  date_diff_days: {
    duckdb: (a) => `DATE_DIFF('day', CAST(${arg(a, 0)} AS DATE), CAST(${arg(a, 1)} AS DATE))`,
    spark: (a) => `DATEDIFF(${arg(a, 1)}, ${arg(a, 0)})`,
    tsql: (a) => `DATEDIFF(day, ${arg(a, 0)}, ${arg(a, 1)})`,
    sqlite: (a) => `CAST(julianday(date(${arg(a, 1)})) - julianday(date(${arg(a, 0)})) AS INTEGER)`,
  },
  months_between: {
    duckdb: (a) => `((YEAR(${arg(a, 1)}) * 12 + MONTH(${arg(a, 1)})) - (YEAR(${arg(a, 0)}) * 12 + MONTH(${arg(a, 0)})))`,
    spark: (a) => `((YEAR(${arg(a, 1)}) * 12 + MONTH(${arg(a, 1)})) - (YEAR(${arg(a, 0)}) * 12 + MONTH(${arg(a, 0)})))`,
    tsql: (a) => `DATEDIFF(month, ${arg(a, 0)}, ${arg(a, 1)})`,
    sqlite: (a) =>
      `((${sqliteInt('%Y', arg(a, 1))} * 12 + ${sqliteInt('%m', arg(a, 1))}) - (${sqliteInt('%Y', arg(a, 0))} * 12 + ${sqliteInt('%m', arg(a, 0))}))`,
  },
  year: { duckdb: call('YEAR'), spark: call('YEAR'), tsql: call('YEAR'), sqlite: (a) => sqliteInt('%Y', arg(a, 0)) },
  quarter: {
    duckdb: call('QUARTER'),
    spark: call('QUARTER'),
    tsql: (a) => `DATEPART(quarter, ${arg(a, 0)})`,
    sqlite: (a) => `((${sqliteInt('%m', arg(a, 0))} + 2) / 3)`,
  },
  month: { duckdb: call('MONTH'), spark: call('MONTH'), tsql: call('MONTH'), sqlite: (a) => sqliteInt('%m', arg(a, 0)) },
  day: { duckdb: call('DAY'), spark: call('DAY'), tsql: call('DAY'), sqlite: (a) => sqliteInt('%d', arg(a, 0)) },
  day_of_week: {
    duckdb: call('ISODOW'),
    spark: (a) => `(((DAYOFWEEK(${arg(a, 0)}) + 5) % 7) + 1)`,
    tsql: (a) => `(((DATEPART(weekday, ${arg(a, 0)}) + @@DATEFIRST + 5) % 7) + 1)`,
    sqlite: (a) => `(((${sqliteInt('%w', arg(a, 0))} + 6) % 7) + 1)`,
  },
  iso_week: {
    duckdb: call('WEEK'),
    spark: call('WEEKOFYEAR'),
    tsql: (a) => `DATEPART(iso_week, ${arg(a, 0)})`,
    sqlite: (a) => sqliteInt('%V', arg(a, 0)),
  },
  month_name: {
    duckdb: call('MONTHNAME'),
    spark: (a) => `DATE_FORMAT(${arg(a, 0)}, 'MMMM')`,
    tsql: (a) => `FORMAT(${arg(a, 0)}, 'MMMM', 'en-US')`,
    sqlite: (a) =>
      `(CASE ${sqliteInt('%m', arg(a, 0))} ${[
        'January',
        'February',
        'March',
        'April',
        'May',
        'June',
        'July',
        'August',
        'September',
        'October',
        'November',
        'December',
      ]
        .map((m, i) => `WHEN ${i + 1} THEN '${m}'`)
        .join(' ')} END)`,
  },
  date_key: {
    duckdb: (a) => `CAST(STRFTIME(${arg(a, 0)}, '%Y%m%d') AS INTEGER)`,
    spark: (a) => `CAST(DATE_FORMAT(${arg(a, 0)}, 'yyyyMMdd') AS INT)`,
    tsql: (a) => `CAST(CONVERT(CHAR(8), ${arg(a, 0)}, 112) AS INT)`,
    sqlite: (a) => sqliteInt('%Y%m%d', arg(a, 0)),
  },
};
