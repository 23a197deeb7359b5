/**
 * Data checks of the serving database, generated from the contracts (pure), in the
 * spirit of dbt tests: each check is a query returning its failing rows (none = pass),
 * rendered for T-SQL and SQLite.
 *
 *  - `servingTests(set)`: on the served `analytics_*` views — not_null and unique on
 *    every mart's grain, accepted_values where the pipeline enforces a column's values,
 *    relationships where a dimension declares `references`.
 *  - `stagingChecks(set, mart)`: what a load verifies on the staging copy before it
 *    merges anything (grain not null and unique, accepted values, string lengths), so
 *    a bad copy fails with a message instead of a half-applied MERGE.
 *
 * T-SQL compares strings byte-wise (`COLLATE Latin1_General_100_BIN2`), as the lake
 * does: under the database's default case-insensitive collation 'emea' would pass for
 * 'EMEA' and two titles differing only in case would look like one grain.
 */
import type { ContractSet, MartContract } from '@streampulse/contracts';
import { quoteIdent, stringLiteral, type Dialect } from './dialect.js';
import { servingColumns, type ColumnFacts } from './serving-columns.js';
import { servingStringLength } from './serving-names.js';

export type CheckKind = 'not_null' | 'unique' | 'accepted_values' | 'relationships' | 'max_length';

export interface ServingCheck {
  /** `kind:mart.column` (unique: the grain columns joined by +). */
  readonly id: string;
  readonly kind: CheckKind;
  readonly mart: string;
  readonly columns: readonly string[];
  readonly values?: readonly (string | number)[];
  readonly references?: { readonly mart: string; readonly column: string };
  readonly maxLength?: number;
  /** Logical types of `columns` (string comparisons are made byte-wise in T-SQL). */
  readonly types: readonly string[];
}

/** Byte-wise string comparison in T-SQL (the lake's semantics). */
export const TSQL_EXACT_COLLATION = 'Latin1_General_100_BIN2';

function checksFor(set: ContractSet, mart: MartContract, staging: boolean): ServingCheck[] {
  const cols = servingColumns(set, mart);
  const byName = new Map(cols.map((c) => [c.name, c]));
  const grain = mart.grain.map((g) => byName.get(g)!);
  const out: ServingCheck[] = [];
  for (const c of grain) out.push({ id: `not_null:${mart.mart}.${c.name}`, kind: 'not_null', mart: mart.mart, columns: [c.name], types: [c.type] });
  out.push({ id: `unique:${mart.mart}.${mart.grain.join('+')}`, kind: 'unique', mart: mart.mart, columns: [...mart.grain], types: grain.map((c) => c.type) });
  for (const c of cols)
    if (c.domain)
      out.push({
        id: `accepted_values:${mart.mart}.${c.name}`,
        kind: 'accepted_values',
        mart: mart.mart,
        columns: [c.name],
        values: c.domain,
        types: [c.type],
      });
  if (staging) {
    for (const c of cols)
      if (c.type === 'string')
        out.push({
          id: `max_length:${mart.mart}.${c.name}`,
          kind: 'max_length',
          mart: mart.mart,
          columns: [c.name],
          maxLength: servingStringLength(c),
          types: [c.type],
        });
  } else {
    for (const c of cols)
      if (c.references)
        out.push({
          id: `relationships:${mart.mart}.${c.name}`,
          kind: 'relationships',
          mart: mart.mart,
          columns: [c.name],
          references: c.references,
          types: [c.type],
        });
  }
  return out;
}

/** The dbt-style tests of every served mart (run on the `analytics_*` views). */
export function servingTests(set: ContractSet): ServingCheck[] {
  return set.marts.flatMap((m) => checksFor(set, m, false));
}

/** What a load verifies on a mart's staging table before merging. */
export function stagingChecks(set: ContractSet, mart: MartContract): ServingCheck[] {
  return checksFor(set, mart, true);
}

/**
 * The query returning a check's failing rows. `table(mart)` names the relation to
 * check (the serving view, or the staging table); `alias` prefixes nothing.
 */
export function failingRowsSql(check: ServingCheck, dialect: Exclude<Dialect, 'spark' | 'duckdb'>, table: (mart: string) => string): string {
  const q = (s: string): string => quoteIdent(s, dialect);
  const exact = (col: string, type: string | undefined): string =>
    dialect === 'tsql' && type === 'string' ? `${q(col)} COLLATE ${TSQL_EXACT_COLLATION}` : q(col);
  const t = table(check.mart);
  const c0 = check.columns[0]!;
  switch (check.kind) {
    case 'not_null':
      return `SELECT ${q(c0)} FROM ${t} WHERE ${q(c0)} IS NULL`;
    case 'unique': {
      const keys = check.columns.map((c, i) => exact(c, check.types[i])).join(', ');
      return `SELECT ${keys}, COUNT(*) AS ${q('n')} FROM ${t} GROUP BY ${keys} HAVING COUNT(*) > 1`;
    }
    case 'accepted_values': {
      const list = (check.values ?? []).map((v) => (typeof v === 'number' ? String(v) : stringLiteral(v, dialect))).join(', ');
      return `SELECT DISTINCT ${q(c0)} FROM ${t} WHERE ${q(c0)} IS NOT NULL AND ${exact(c0, check.types[0])} NOT IN (${list})`;
    }
    case 'max_length': {
      const len = dialect === 'tsql' ? `LEN(CONCAT(${q(c0)}, N'.')) - 1` : `length(${q(c0)})`;
      return `SELECT DISTINCT ${q(c0)} FROM ${t} WHERE ${len} > ${check.maxLength ?? 0}`;
    }
    case 'relationships': {
      const ref = check.references!;
      return `SELECT DISTINCT ${q('c')}.${q(c0)} FROM ${t} AS ${q('c')} WHERE ${q('c')}.${q(c0)} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${table(ref.mart)} AS ${q('p')} WHERE ${q('p')}.${q(ref.column)} = ${q('c')}.${q(c0)})`;
    }
  }
}

/** A short human sentence of what a check demands. */
export function describeCheck(check: ServingCheck): string {
  const c = check.columns.join(', ');
  switch (check.kind) {
    case 'not_null':
      return `${check.mart}.${c} is never NULL`;
    case 'unique':
      return `${check.mart} has one row per (${c})`;
    case 'accepted_values':
      return `${check.mart}.${c} is one of ${(check.values ?? []).join(', ')}`;
    case 'max_length':
      return `${check.mart}.${c} is at most ${check.maxLength} characters`;
    case 'relationships':
      return `every ${check.mart}.${c} exists in ${check.references!.mart}.${check.references!.column}`;
  }
}

export type { ColumnFacts };
