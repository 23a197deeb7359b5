/**
 * Names and column types of the serving database, shared by the T-SQL migrations, the
 * SQLite rendering and the loaders.
 *
 * Azure SQL has schemas; SQLite does not, so `<schema>.<name>` becomes
 * `<schema>__<name>` there — except the served views (`serving` schema), which keep
 * their bare `analytics_*` names so a SQLite reader queries them as Metabase does.
 */
import { mapType, quoteIdent, TSQL_DEFAULT_STRING_LENGTH, type Dialect } from './dialect.js';
import type { ColumnFacts } from './serving-columns.js';

/** The schemas of the Azure SQL serving database, in creation order. */
export const SERVING_SCHEMAS = ['ops', 'staging', 'gold', 'serving', 'security'] as const;
export type ServingSchema = (typeof SERVING_SCHEMAS)[number];

/** Objects other systems call by name (the Data Factory pipeline, the loaders). */
export const SERVING_OBJECTS = {
  /** Data Factory's "Merge serving" activity: parameter @RunDate (String). */
  mergeProcedure: '[serving].[usp_merge_marts]',
  /** Data Factory's completion / failure records. */
  recordRunProcedure: '[ops].[usp_record_pipeline_run]',
  /** Data Factory copies each mart's gold Parquet into [staging].[<mart>]. */
  stagingSchema: 'staging',
  journal: '[ops].[schema_migrations]',
} as const;

/** Audit columns of every gold table (not exposed by the views). */
export const GOLD_AUDIT_COLUMNS = ['_run_date', '_loaded_at'] as const;
/** The T-SQL gold tables' key: SHA-256 of the grain values (see serving-tsql.ts). */
export const GRAIN_KEY_COLUMN = '_grain_key';

/** `schema.name` for the dialect (T-SQL: `[schema].[name]`; SQLite: `"schema__name"`, views bare). */
export function servingName(schema: ServingSchema, name: string, dialect: Extract<Dialect, 'tsql' | 'sqlite'>): string {
  if (dialect === 'tsql') return `${quoteIdent(schema, 'tsql')}.${quoteIdent(name, 'tsql')}`;
  return quoteIdent(schema === 'serving' ? name : `${schema}__${name}`, 'sqlite');
}

/** The string length a served column is stored with (contract bound, else the default). */
export function servingStringLength(c: Pick<ColumnFacts, 'maxLength'>): number {
  return c.maxLength ?? TSQL_DEFAULT_STRING_LENGTH;
}

const isAscii = (v: string | number): boolean => typeof v === 'number' || /^[\x20-\x7e]*$/.test(v);

/**
 * The T-SQL type of a served column in the gold table: the mapping table's type, with
 * the contract's string bound; a string whose enforced values are all ASCII codes is a
 * `VARCHAR(n)`.
 */
export function tsqlGoldType(c: Pick<ColumnFacts, 'type' | 'maxLength' | 'domain'>): string {
  return mapType(c.type, 'tsql', { maxLength: servingStringLength(c), ascii: c.domain?.every(isAscii) });
}

/** Staging accepts any string length (the load checks lengths before it merges). */
export function tsqlStagingType(c: Pick<ColumnFacts, 'type'>): string {
  return c.type === 'string' ? 'NVARCHAR(MAX)' : mapType(c.type, 'tsql');
}
