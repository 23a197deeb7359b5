/**
 * Dialect differences as data (in the spirit of sqlglot): identifier quoting, the
 * logical-type mapping and literal forms per engine. The function table lives in
 * functions.ts; the renderer in render.ts reads both and knows no engine by itself.
 */
import { parseLogicalType, StreamPulseError } from '@streampulse/contracts';

export const DIALECTS = ['duckdb', 'spark', 'tsql', 'sqlite'] as const;
export type Dialect = (typeof DIALECTS)[number];

export interface TypeOptions {
  /** nvarchar length for strings (T-SQL); from the column's `constraints.max_length`. */
  readonly maxLength?: number;
  /**
   * The string's values are known to be ASCII (an enforced list of codes): T-SQL
   * stores it as `VARCHAR(n)` (one byte a character) instead of `NVARCHAR(n)`.
   */
  readonly ascii?: boolean;
}

/**
 * Logical type → engine type. Every cell is filled: a test walks the whole table.
 * T-SQL strings are nvarchar(n) (n from max_length, 4000 cap, nvarchar(max) beyond);
 * SQLite uses its storage classes (dates as ISO-8601 TEXT).
 */
export const TYPE_MAP: Readonly<Record<Dialect, Readonly<Record<string, string>>>> = {
  duckdb: {
    string: 'VARCHAR',
    integer: 'INTEGER',
    bigint: 'BIGINT',
    double: 'DOUBLE',
    boolean: 'BOOLEAN',
    date: 'DATE',
    timestamp: 'TIMESTAMP',
    decimal: 'DECIMAL({p},{s})',
  },
  spark: {
    string: 'STRING',
    integer: 'INT',
    bigint: 'BIGINT',
    double: 'DOUBLE',
    boolean: 'BOOLEAN',
    date: 'DATE',
    timestamp: 'TIMESTAMP',
    decimal: 'DECIMAL({p},{s})',
  },
  tsql: {
    string: 'NVARCHAR({n})',
    integer: 'INT',
    bigint: 'BIGINT',
    double: 'FLOAT',
    boolean: 'BIT',
    date: 'DATE',
    timestamp: 'DATETIME2(3)',
    decimal: 'DECIMAL({p},{s})',
  },
  sqlite: {
    string: 'TEXT',
    integer: 'INTEGER',
    bigint: 'INTEGER',
    double: 'REAL',
    boolean: 'INTEGER',
    date: 'TEXT',
    timestamp: 'TEXT',
    decimal: 'NUMERIC',
  },
};

/** Default T-SQL string length when a contract gives no max_length. */
export const TSQL_DEFAULT_STRING_LENGTH = 256;

/**
 * mapType's answers without options, per dialect: a contract set repeats a handful of types
 * thousands of times. The answer is a function of the two strings alone (TYPE_MAP is
 * constant), so nothing here can go stale; bounded like yaml-text's key texts.
 */
const PLAIN_TYPES: Readonly<Record<Dialect, Map<string, string>>> = { duckdb: new Map(), spark: new Map(), tsql: new Map(), sqlite: new Map() };

export function mapType(logical: string, dialect: Dialect, opts: TypeOptions = {}): string {
  const plain = opts.maxLength === undefined && opts.ascii === undefined;
  if (plain) {
    const known = PLAIN_TYPES[dialect].get(logical);
    if (known !== undefined) return known;
  }
  const text = mapTypeText(logical, dialect, opts);
  if (plain && PLAIN_TYPES[dialect].size < 1000) PLAIN_TYPES[dialect].set(logical, text);
  return text;
}

function mapTypeText(logical: string, dialect: Dialect, opts: TypeOptions): string {
  const t = parseLogicalType(logical);
  const template = TYPE_MAP[dialect][t.base];
  if (template === undefined)
    throw new StreamPulseError('SQL_TYPE_UNMAPPED', `logical type ${logical} has no ${dialect} mapping`, {
      remedy: `add "${t.base}" to TYPE_MAP.${dialect} in sql/src/dialect.ts`,
    });
  const n = opts.maxLength ?? TSQL_DEFAULT_STRING_LENGTH;
  if (dialect === 'tsql' && t.base === 'string' && opts.ascii === true) return `VARCHAR(${n > 8000 ? 'MAX' : String(n)})`;
  return template
    .replace('{p}', String(t.precision ?? 18))
    .replace('{s}', String(t.scale ?? 0))
    .replace('{n}', n > 4000 ? 'MAX' : String(n));
}

/** Quotes an identifier for the dialect (always quoted: contract names are snake_case). */
export function quoteIdent(name: string, dialect: Dialect): string {
  switch (dialect) {
    case 'spark':
      return `\`${name.includes('`') ? name.replace(/`/g, '``') : name}\``;
    case 'tsql':
      return `[${name.includes(']') ? name.replace(/]/g, ']]') : name}]`;
    default:
      return `"${name.includes('"') ? name.replace(/"/g, '""') : name}"`;
  }
}

export function stringLiteral(value: string, dialect: Dialect): string {
  const body = value.includes("'") ? value.replace(/'/g, "''") : value;
  if (dialect === 'spark') return `'${body.includes('\\') ? body.replace(/\\/g, '\\\\') : body}'`;
  return dialect === 'tsql' ? `N'${body}'` : `'${body}'`;
}

export function booleanLiteral(value: boolean, dialect: Dialect): string {
  if (dialect === 'tsql') return value ? '1' : '0';
  return value ? 'TRUE' : 'FALSE';
}

export function dateLiteral(iso: string, dialect: Dialect): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(iso)) throw new StreamPulseError('SQL_BAD_DATE', `"${iso}" is not a YYYY-MM-DD date`, { remedy: 'pass dates as YYYY-MM-DD' });
  switch (dialect) {
    case 'duckdb':
    case 'spark':
      return `DATE '${iso}'`;
    case 'tsql':
      return `CAST('${iso}' AS DATE)`;
    case 'sqlite':
      return `'${iso}'`;
  }
}
