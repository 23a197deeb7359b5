/**
 * The Azure SQL serving database as ordered, re-runnable T-SQL migrations, generated
 * from the contracts (pure: contract set in, files out; deterministic, no timestamps).
 *
 *   0001_schemas           schemas ops, staging, gold, serving, security; the migration
 *                          journal and the operations tables
 *   0002_staging_tables    [staging].[<mart>]: Data Factory's copy target (nullable, any length)
 *   0003_gold_tables       [gold].[<mart>]: typed, keyed by the grain, CHECKs for enforced values
 *   0004_serving_views     [serving].[analytics_*]: the stable columns Metabase reads
 *   0005_load_procedures   MERGE per mart + [serving].[usp_merge_marts] (checks staging, then
 *                          merges every mart in one transaction) + [ops].[usp_record_pipeline_run]
 *   0006_masking           dynamic data masking from the PII classes (and removal of stale masks)
 *   0007_roles_and_grants  reader / loader roles, least-privilege grants, Entra principals
 *   0008_row_level_security predicate function + security policy per mart that asks for it
 *
 * A migration is a list of batches (a client sends each separately; in a file they are
 * separated by `GO` lines, as sqlcmd and SSMS expect). Every batch is re-runnable
 * (CREATE OR ALTER, IF … IS NULL, drop-and-create of policies and CHECKs), and the
 * journal `[ops].[schema_migrations]` records each migration's checksum: `sql apply`
 * runs a migration when it is new or its content changed, inside one transaction.
 *
 * Gold tables are keyed by `_grain_key`, the SHA-256 of the grain values (joined with
 * U+001F, dates as ISO strings): byte-exact like the lake's grain (the default
 * collation is case-insensitive) and of fixed size however long the grain's strings are
 * (an index key holds at most 900 bytes). The grain columns themselves are NOT NULL.
 */
import { createHash } from 'node:crypto';
import { StreamPulseError, type ContractSet, type MartContract } from '@streampulse/contracts';
import { quoteIdent, stringLiteral } from './dialect.js';
import { maskFor } from './masking.js';
import { describeCheck, failingRowsSql, stagingChecks, TSQL_EXACT_COLLATION, type ServingCheck } from './serving-checks.js';
import { servingColumns, type ColumnFacts } from './serving-columns.js';
import { GRAIN_KEY_COLUMN, SERVING_OBJECTS, SERVING_SCHEMAS, servingName, tsqlGoldType, tsqlStagingType } from './serving-names.js';

export interface ServingOptions {
  /** Database role of the readers (Metabase): SELECT on the served views only. */
  readonly readerRole?: string;
  /** Database role of the loaders (Data Factory, `serve load`): staging + the load procedures. */
  readonly loaderRole?: string;
  /** Entra principals (users, groups, managed identities) made members of the reader role. */
  readonly readerPrincipals?: readonly string[];
  /** Entra principals made members of the loader role. */
  readonly loaderPrincipals?: readonly string[];
  /** Principals that see every row of every row-level-secured mart (default: the reader principals). */
  readonly allRowsPrincipals?: readonly string[];
}

/** Defaults: the Data Factory's system-assigned identity is named after the factory. */
export const SERVING_DEFAULTS = {
  readerRole: 'streampulse_reader',
  loaderRole: 'streampulse_loader',
  readerPrincipals: ['id-streampulse-metabase'],
  loaderPrincipals: ['adf-streampulse'],
} as const;

export interface Migration {
  /** e.g. `0003_gold_tables` (sorts in apply order). */
  readonly id: string;
  readonly file: string;
  readonly description: string;
  /** The batches, in order (what a client sends one by one). */
  readonly batches: readonly string[];
  /** The file's text: a header, the batches separated by GO lines. */
  readonly text: string;
  /** SHA-256 (hex) of `text`: the journal's record of what ran. */
  readonly checksum: string;
}

const q = (s: string): string => quoteIdent(s, 'tsql');
const lit = (s: string): string => stringLiteral(s, 'tsql');
const t = (schema: (typeof SERVING_SCHEMAS)[number], name: string): string => servingName(schema, name, 'tsql');
const indent = (s: string, n = 2): string =>
  s
    .split('\n')
    .map((l) => (l === '' ? l : ' '.repeat(n) + l))
    .join('\n');

/** A line that separates batches in a migration file (sqlcmd / SSMS convention). */
export const BATCH_SEPARATOR_RE = /^[ \t]*GO[ \t]*$/im;

/** Splits a migration file into its batches (on GO lines), dropping comment-only ones. */
export function splitBatches(text: string): string[] {
  return text
    .split(/^[ \t]*GO[ \t]*(?:\r?\n|$)/im)
    .map((b) => b.trim())
    .filter((b) => b.split('\n').some((l) => l.trim() !== '' && !l.trim().startsWith('--')));
}

function migration(id: string, description: string, batches: string[]): Migration {
  const header = [
    `-- StreamPulse serving database, migration ${id}: ${description}`,
    '-- Generated from the contracts by `streampulse generate`; do not edit (change the contracts).',
    '-- Re-runnable; `streampulse sql apply` runs it in one transaction when it is new or changed',
    '-- and records it in [ops].[schema_migrations].',
  ].join('\n');
  const text = `${header}\n\n${batches.map((b) => `${b.trim()}\nGO\n`).join('\n')}`;
  // the batches as a client reads them back from the file (the header rides with the first)
  return { id, file: `${id}.sql`, description, batches: splitBatches(text), text, checksum: createHash('sha256').update(text).digest('hex') };
}

/** The batches that create the ops schema and the journal (also run by `sql apply` before it reads the journal). */
export function journalBootstrap(): string[] {
  return [
    `IF SCHEMA_ID(N'ops') IS NULL EXEC(N'CREATE SCHEMA ${q('ops')} AUTHORIZATION ${q('dbo')}');`,
    `IF OBJECT_ID(N'${t('ops', 'schema_migrations')}', N'U') IS NULL
CREATE TABLE ${t('ops', 'schema_migrations')} (
  ${q('migration_id')} NVARCHAR(128) NOT NULL,
  ${q('checksum')} CHAR(64) NOT NULL,
  ${q('description')} NVARCHAR(400) NOT NULL,
  ${q('applied_at')} DATETIME2(3) NOT NULL CONSTRAINT ${q('df_schema_migrations_applied_at')} DEFAULT SYSUTCDATETIME(),
  ${q('applied_by')} NVARCHAR(128) NOT NULL CONSTRAINT ${q('df_schema_migrations_applied_by')} DEFAULT SUSER_SNAME(),
  CONSTRAINT ${q('pk_schema_migrations')} PRIMARY KEY CLUSTERED (${q('migration_id')})
);`,
  ];
}

function schemasMigration(): Migration {
  const schemas = SERVING_SCHEMAS.filter((s) => s !== 'ops').map(
    (s) => `IF SCHEMA_ID(N'${s}') IS NULL EXEC(N'CREATE SCHEMA ${q(s)} AUTHORIZATION ${q('dbo')}');`,
  );
  return migration('0001_schemas', 'schemas, the migration journal and the operations tables', [
    ...journalBootstrap(),
    schemas.join('\n'),
    `IF OBJECT_ID(N'${t('ops', 'pipeline_runs')}', N'U') IS NULL
CREATE TABLE ${t('ops', 'pipeline_runs')} (
  ${q('run_id')} NVARCHAR(64) NOT NULL,
  ${q('status')} NVARCHAR(16) NOT NULL,
  ${q('pipeline_name')} NVARCHAR(140) NOT NULL,
  ${q('run_date')} DATE NULL,
  ${q('detail')} NVARCHAR(4000) NULL,
  ${q('recorded_at')} DATETIME2(3) NOT NULL CONSTRAINT ${q('df_pipeline_runs_recorded_at')} DEFAULT SYSUTCDATETIME(),
  CONSTRAINT ${q('pk_pipeline_runs')} PRIMARY KEY CLUSTERED (${q('run_id')}, ${q('status')})
);`,
    `IF OBJECT_ID(N'${t('ops', 'serving_loads')}', N'U') IS NULL
CREATE TABLE ${t('ops', 'serving_loads')} (
  ${q('load_no')} BIGINT IDENTITY(1, 1) NOT NULL,
  ${q('run_date')} DATE NOT NULL,
  ${q('mart')} NVARCHAR(128) NOT NULL,
  ${q('staged_rows')} BIGINT NOT NULL,
  ${q('inserted')} BIGINT NOT NULL,
  ${q('updated')} BIGINT NOT NULL,
  ${q('deleted')} BIGINT NOT NULL,
  ${q('merged_at')} DATETIME2(3) NOT NULL CONSTRAINT ${q('df_serving_loads_merged_at')} DEFAULT SYSUTCDATETIME(),
  CONSTRAINT ${q('pk_serving_loads')} PRIMARY KEY CLUSTERED (${q('load_no')})
);`,
    `IF OBJECT_ID(N'${t('ops', 'serving_load_progress')}', N'U') IS NULL
CREATE TABLE ${t('ops', 'serving_load_progress')} (
  ${q('mart')} NVARCHAR(128) NOT NULL,
  ${q('load_id')} CHAR(64) NOT NULL,
  ${q('rows_staged')} BIGINT NOT NULL,
  ${q('complete')} BIT NOT NULL,
  ${q('updated_at')} DATETIME2(3) NOT NULL CONSTRAINT ${q('df_serving_load_progress_updated_at')} DEFAULT SYSUTCDATETIME(),
  CONSTRAINT ${q('pk_serving_load_progress')} PRIMARY KEY CLUSTERED (${q('mart')})
);`,
  ]);
}

function columnDef(c: ColumnFacts, type: string, notNull: boolean): string {
  return `${q(c.name)} ${type} ${notNull ? 'NOT NULL' : 'NULL'}`;
}

function stagingMigration(set: ContractSet): Migration {
  const batches = set.marts.map((m) => {
    const cols = servingColumns(set, m);
    const name = t('staging', m.mart);
    // a served PII column is masked here as on gold (0006): the table holds the loaded values
    // between loads and the loader role SELECTs it (row counts); the mask is inline so that
    // re-creating the table (this migration changed) never drops it
    const def = (c: ColumnFacts): string => {
      const fn = maskFor(c);
      const type = tsqlStagingType(c);
      return columnDef(c, fn === undefined ? type : `${type} MASKED WITH (FUNCTION = '${fn}')`, false);
    };
    return `-- ${m.mart}: Data Factory's copy target (TRUNCATE + insert each run); any length, no constraints
DROP TABLE IF EXISTS ${name};
CREATE TABLE ${name} (
${cols.map((c) => `  ${def(c)}`).join(',\n')}
);`;
  });
  return migration('0002_staging_tables', 'staging tables (the copy targets of Data Factory and `serve load`)', batches);
}

/** SHA-256 of the grain values of `alias`'s row (ISO dates, U+001F between values). */
export function grainKeySql(cols: readonly ColumnFacts[], alias: string): string {
  const part = (c: ColumnFacts): string => {
    const x = `${q(alias)}.${q(c.name)}`;
    switch (c.type) {
      case 'string':
        return x;
      case 'date':
        return `CONVERT(NVARCHAR(10), ${x}, 23)`;
      case 'timestamp':
        return `CONVERT(NVARCHAR(30), ${x}, 126)`;
      case 'boolean':
        return `CONVERT(NCHAR(1), ${x})`;
      case 'double':
        return `CONVERT(NVARCHAR(30), ${x}, 3)`;
      default:
        return `CONVERT(NVARCHAR(40), ${x})`;
    }
  };
  const grain = cols.filter((c) => c.grain);
  return `CAST(HASHBYTES('SHA2_256', CONCAT_WS(NCHAR(31), ${grain.map(part).join(', ')}${grain.length === 1 ? ", N''" : ''})) AS BINARY(32))`;
}

const constraintName = (prefix: string, mart: string, col?: string): string => `${prefix}_${mart}${col === undefined ? '' : `_${col}`}`;

function goldMigration(set: ContractSet): Migration {
  const batches: string[] = [];
  for (const m of set.marts) {
    const cols = servingColumns(set, m);
    const name = t('gold', m.mart);
    const defs = [
      `${q(GRAIN_KEY_COLUMN)} BINARY(32) NOT NULL`,
      ...cols.map((c) => columnDef(c, tsqlGoldType(c), c.grain)),
      `${q('_run_date')} DATE NOT NULL`,
      `${q('_loaded_at')} DATETIME2(3) NOT NULL CONSTRAINT ${q(constraintName('df', m.mart, 'loaded_at'))} DEFAULT SYSUTCDATETIME()`,
      `CONSTRAINT ${q(constraintName('pk', m.mart))} PRIMARY KEY CLUSTERED (${q(GRAIN_KEY_COLUMN)})`,
    ];
    batches.push(`-- ${m.mart}: one row per (${m.grain.join(', ')}); ${m.file}
IF OBJECT_ID(N'${name}', N'U') IS NULL
CREATE TABLE ${name} (
${defs.map((d) => `  ${d}`).join(',\n')}
);`);
    const additive = cols
      .filter((c) => !c.grain)
      .map((c) => `IF COL_LENGTH(N'${name}', N'${c.name}') IS NULL ALTER TABLE ${name} ADD ${columnDef(c, tsqlGoldType(c), false)};`);
    batches.push(`-- columns added to the contract after the table was created (additive changes only)\n${additive.join('\n')}`);
    const first = cols.find((c) => c.grain)!;
    const lines: string[] = [];
    if (first.type !== 'string' || (first.maxLength !== undefined && first.maxLength <= 450)) {
      const ix = constraintName('ix', m.mart, first.name);
      lines.push(
        `IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE [name] = N'${ix}' AND [object_id] = OBJECT_ID(N'${name}'))\n  CREATE INDEX ${q(ix)} ON ${name} (${q(first.name)});`,
      );
    }
    for (const c of cols.filter((x) => x.domain !== undefined)) {
      const ck = constraintName('ck', m.mart, c.name);
      const list = c.domain!.map((v) => (typeof v === 'number' ? String(v) : lit(v))).join(', ');
      const col = c.type === 'string' ? `${q(c.name)} COLLATE ${TSQL_EXACT_COLLATION}` : q(c.name);
      lines.push(
        `IF OBJECT_ID(N'${t('gold', ck)}', N'C') IS NOT NULL ALTER TABLE ${name} DROP CONSTRAINT ${q(ck)};`,
        `ALTER TABLE ${name} WITH CHECK ADD CONSTRAINT ${q(ck)} CHECK (${col} IN (${list}));`,
      );
    }
    if (lines.length > 0) batches.push(`-- the leading grain column's index; the values the pipeline enforces\n${lines.join('\n')}`);
  }
  return migration('0003_gold_tables', 'gold tables: typed, keyed by the grain, CHECKs for enforced values', batches);
}

function viewsMigration(set: ContractSet): Migration {
  const batches = set.marts.map((m) => {
    const cols = servingColumns(set, m);
    return `-- ${m.mart}: ${m.description.trim().replace(/\s+/g, ' ')}
CREATE OR ALTER VIEW ${t('serving', m.mart)}
AS
SELECT
${cols.map((c) => `  ${q(c.name)}`).join(',\n')}
FROM ${t('gold', m.mart)};`;
  });
  return migration('0004_serving_views', 'the analytics_* views Metabase reads (stable names and columns)', batches);
}

function mergeProcedure(set: ContractSet, m: MartContract): string {
  const cols = servingColumns(set, m);
  const names = cols.map((c) => q(c.name));
  const measures = cols.filter((c) => !c.grain);
  const s = (c: ColumnFacts): string => `${q('s')}.${q(c.name)}`;
  const tt = (c: ColumnFacts): string => `${q('t')}.${q(c.name)}`;
  const body = `SET NOCOUNT ON;
SET XACT_ABORT ON;
DECLARE @changes TABLE (${q('action')} NVARCHAR(10) NOT NULL);
MERGE ${t('gold', m.mart)} WITH (HOLDLOCK) AS ${q('t')}
USING (
  SELECT ${grainKeySql(cols, 'x')} AS ${q(GRAIN_KEY_COLUMN)}, ${cols.map((c) => `${q('x')}.${q(c.name)}`).join(', ')}
  FROM ${t('staging', m.mart)} AS ${q('x')}
) AS ${q('s')}
ON ${q('t')}.${q(GRAIN_KEY_COLUMN)} = ${q('s')}.${q(GRAIN_KEY_COLUMN)}
WHEN MATCHED AND EXISTS (SELECT ${measures.map(s).join(', ')} EXCEPT SELECT ${measures.map(tt).join(', ')}) THEN
  UPDATE SET ${[...measures.map((c) => `${tt(c)} = ${s(c)}`), `${q('t')}.${q('_run_date')} = @RunDate`, `${q('t')}.${q('_loaded_at')} = SYSUTCDATETIME()`].join(', ')}
WHEN NOT MATCHED BY TARGET THEN
  INSERT (${q(GRAIN_KEY_COLUMN)}, ${names.join(', ')}, ${q('_run_date')})
  VALUES (${q('s')}.${q(GRAIN_KEY_COLUMN)}, ${cols.map(s).join(', ')}, @RunDate)
WHEN NOT MATCHED BY SOURCE THEN
  DELETE
OUTPUT $action INTO @changes;
INSERT INTO ${t('ops', 'serving_loads')} (${q('run_date')}, ${q('mart')}, ${q('staged_rows')}, ${q('inserted')}, ${q('updated')}, ${q('deleted')})
SELECT @RunDate, ${lit(m.mart)}, (SELECT COUNT_BIG(*) FROM ${t('staging', m.mart)}),
  COUNT_BIG(CASE WHEN ${q('action')} = N'INSERT' THEN 1 END),
  COUNT_BIG(CASE WHEN ${q('action')} = N'UPDATE' THEN 1 END),
  COUNT_BIG(CASE WHEN ${q('action')} = N'DELETE' THEN 1 END)
FROM @changes;`;
  return `-- ${m.mart}: staging → gold. Idempotent: an unchanged row is not touched, so re-loading a batch changes nothing.
CREATE OR ALTER PROCEDURE ${t('gold', `usp_merge_${m.mart}`)}
  @RunDate DATE
AS
BEGIN
${indent(body)}
END;`;
}

/** One row per staging check that fails (its message), empty-staging guard included. */
function stagingFailures(set: ContractSet, m: MartContract): { message: string; when: string }[] {
  const out = stagingChecks(set, m).map((check) => ({
    message: `${check.id}: staging.${m.mart} breaks "${describeCheck(check)}"; nothing was merged`,
    when: `EXISTS (${failingRowsSql(check, 'tsql', (mart) => t('staging', mart))})`,
  }));
  out.push({
    message: `staging.${m.mart} is empty but gold.${m.mart} has rows: the copy did not run; nothing was merged`,
    when: `NOT EXISTS (SELECT 1 FROM ${t('staging', m.mart)}) AND EXISTS (SELECT 1 FROM ${t('gold', m.mart)})`,
  });
  return out;
}

function loadMigration(set: ContractSet): Migration {
  const perMart = set.marts.map((m) => mergeProcedure(set, m));
  const failures = set.marts
    .flatMap((m) => stagingFailures(set, m))
    .map((f, i) => `SELECT ${i + 1} AS ${q('n')}, ${lit(f.message)} AS ${q('message')} WHERE ${f.when}`);
  const merges = set.marts.map((m) => `EXEC ${t('gold', `usp_merge_${m.mart}`)} @RunDate = @run_date;`);
  const master = `-- Data Factory's "Merge serving" activity (and \`serve load\`): checks every staging table, then
-- merges every mart in ONE transaction, so readers see the previous load or the new one, never a mix.
-- Serving never moves back in time: a @RunDate before the newest merged load merges nothing and
-- returns 1 (a re-run of an earlier batch repairs the lake; the next daily load serves it).
-- EXECUTE AS OWNER: the MERGE sees every row whatever row-level security filters.
CREATE OR ALTER PROCEDURE ${SERVING_OBJECTS.mergeProcedure}
  @RunDate NVARCHAR(32)
WITH EXECUTE AS OWNER
AS
BEGIN
${indent(`SET NOCOUNT ON;
SET XACT_ABORT ON;
DECLARE @run_date DATE = TRY_CONVERT(DATE, @RunDate, 23);
IF @run_date IS NULL
  THROW 50001, N'@RunDate must be a date (YYYY-MM-DD); nothing was merged', 1;
-- the staging checks (generated from the contracts): the first failure stops the load
DECLARE @failed NVARCHAR(2048);
SELECT TOP (1) @failed = ${q('f')}.${q('message')}
FROM (
  ${failures.join('\n  UNION ALL\n  ')}
) AS ${q('f')}
ORDER BY ${q('f')}.${q('n')};
IF @failed IS NOT NULL
  THROW 50100, @failed, 1;
BEGIN TRANSACTION;
-- the newest merged load, locked until the commit: a concurrent load waits, then sees this one
DECLARE @served DATE = (SELECT MAX(${q('run_date')}) FROM ${t('ops', 'serving_loads')} WITH (UPDLOCK, HOLDLOCK));
IF @served IS NOT NULL AND @run_date < @served
  ROLLBACK TRANSACTION;
IF @served IS NOT NULL AND @run_date < @served
  RETURN 1;
${merges.join('\n')}
COMMIT TRANSACTION;`)}
END;`;
  const record = `-- Data Factory's completion / failure records; idempotent for the activity's retries.
CREATE OR ALTER PROCEDURE ${SERVING_OBJECTS.recordRunProcedure}
  @PipelineName NVARCHAR(140),
  @RunId NVARCHAR(64),
  @RunDate NVARCHAR(32),
  @Status NVARCHAR(16),
  @Detail NVARCHAR(4000) = NULL
AS
BEGIN
${indent(`SET NOCOUNT ON;
MERGE ${t('ops', 'pipeline_runs')} WITH (HOLDLOCK) AS ${q('t')}
USING (SELECT @RunId AS ${q('run_id')}, @Status AS ${q('status')}) AS ${q('s')}
ON ${q('t')}.${q('run_id')} = ${q('s')}.${q('run_id')} AND ${q('t')}.${q('status')} = ${q('s')}.${q('status')}
WHEN MATCHED THEN
  UPDATE SET ${q('t')}.${q('detail')} = @Detail, ${q('t')}.${q('recorded_at')} = SYSUTCDATETIME()
WHEN NOT MATCHED THEN
  INSERT (${q('run_id')}, ${q('status')}, ${q('pipeline_name')}, ${q('run_date')}, ${q('detail')})
  VALUES (@RunId, @Status, @PipelineName, TRY_CONVERT(DATE, @RunDate, 23), @Detail);`)}
END;`;
  return migration('0005_load_procedures', 'MERGE load procedures (staging → gold) and the pipeline-run record', [...perMart, master, record]);
}

function maskingMigration(set: ContractSet): Migration {
  const masked: { mart: string; column: string; fn: string; why: string }[] = [];
  for (const m of set.marts)
    for (const c of servingColumns(set, m)) {
      const fn = maskFor(c);
      if (fn) masked.push({ mart: m.mart, column: c.name, fn, why: c.pii.map((p) => `${p.source} (${p.class}, ${p.policy})`).join(', ') });
    }
  const add =
    masked.length === 0
      ? '-- No served column derives from a PII column (traced through the gold models to the datasets), so nothing is masked.'
      : masked
          .map(
            (x) =>
              `-- ${x.mart}.${x.column} derives from ${x.why}\nALTER TABLE ${t('gold', x.mart)} ALTER COLUMN ${q(x.column)} ADD MASKED WITH (FUNCTION = '${x.fn}');`,
          )
          .join('\n');
  const keep =
    masked.length === 0
      ? ''
      : ` AND NOT EXISTS (SELECT 1 FROM (VALUES ${masked.map((x) => `(${lit(x.mart)}, ${lit(x.column)})`).join(', ')}) AS ${q('k')} (${q('tbl')}, ${q('col')}) WHERE ${q('k')}.${q('tbl')} = ${q('tb')}.${q('name')} AND ${q('k')}.${q('col')} = ${q('mc')}.${q('name')})`;
  const drop = `-- a column whose PII source went away (or that changed class) loses its stale mask
DECLARE @sql NVARCHAR(MAX) = N'';
SELECT @sql = @sql + N'ALTER TABLE ${q('gold')}.' + QUOTENAME(${q('tb')}.${q('name')}) + N' ALTER COLUMN ' + QUOTENAME(${q('mc')}.${q('name')}) + N' DROP MASKED; '
FROM sys.masked_columns AS ${q('mc')}
JOIN sys.tables AS ${q('tb')} ON ${q('tb')}.${q('object_id')} = ${q('mc')}.${q('object_id')}
WHERE ${q('tb')}.${q('schema_id')} = SCHEMA_ID(N'gold')${keep};
EXEC sys.sp_executesql @sql;`;
  return migration('0006_masking', 'dynamic data masking derived from the PII classes', [drop, add]);
}

/** A permission the serving migrations grant a role, on a schema or on one object. */
export interface ServingGrant {
  /** `reader` or `loader`: which of the configured roles. */
  readonly kind: 'reader' | 'loader';
  readonly role: string;
  readonly permissions: readonly string[];
  /** The securable's schema; `object` unset: the whole schema. */
  readonly schema: (typeof SERVING_SCHEMAS)[number];
  readonly object?: string;
}

/**
 * Every grant of 0007_roles_and_grants, as data: what the migration renders and what the
 * PII report reads (which role can read which column, masked or not). No role is
 * granted UNMASK.
 */
export function servingGrants(options: ServingOptions = {}): ServingGrant[] {
  const o = servingOptions(options);
  const reader = (permissions: string[], schema: ServingGrant['schema'], object?: string): ServingGrant => ({
    kind: 'reader',
    role: o.readerRole,
    permissions,
    schema,
    ...(object === undefined ? {} : { object }),
  });
  const loader = (permissions: string[], schema: ServingGrant['schema'], object?: string): ServingGrant => ({
    ...reader(permissions, schema, object),
    kind: 'loader',
    role: o.loaderRole,
  });
  return [
    reader(['SELECT'], 'serving'),
    loader(['SELECT', 'INSERT', 'DELETE', 'ALTER'], 'staging'),
    loader(['EXECUTE'], 'serving', 'usp_merge_marts'),
    loader(['EXECUTE'], 'ops', 'usp_record_pipeline_run'),
    loader(['SELECT', 'INSERT', 'UPDATE', 'DELETE'], 'ops', 'serving_load_progress'),
    loader(['SELECT'], 'ops', 'schema_migrations'),
  ];
}

const GRANT_COMMENTS: Readonly<Record<ServingGrant['kind'], string>> = {
  reader: '-- reader: the served views, nothing else (no gold, staging, security or ops; no UNMASK)',
  loader: "-- loader: write the copy targets (ALTER for the copy's TRUNCATE TABLE) and run the load procedures",
};

function rolesMigration(o: Required<ServingOptions>): Migration {
  const roles = [o.readerRole, o.loaderRole]
    .map((x) => `IF DATABASE_PRINCIPAL_ID(${lit(x)}) IS NULL CREATE ROLE ${q(x)} AUTHORIZATION ${q('dbo')};`)
    .join('\n');
  const grantLines: string[] = [];
  let last: ServingGrant['kind'] | undefined;
  for (const g of servingGrants(o)) {
    if (g.kind !== last) grantLines.push(GRANT_COMMENTS[g.kind]);
    last = g.kind;
    const on = g.object === undefined ? `SCHEMA::${q(g.schema)}` : `OBJECT::${t(g.schema, g.object)}`;
    grantLines.push(`GRANT ${g.permissions.join(', ')} ON ${on} TO ${q(g.role)};`);
  }
  const grants = grantLines.join('\n');
  const members = [...o.readerPrincipals.map((p) => [p, o.readerRole] as const), ...o.loaderPrincipals.map((p) => [p, o.loaderRole] as const)];
  const principals = [...new Set(members.map(([p]) => p))];
  const users =
    principals.length === 0
      ? '-- no Entra principal configured'
      : [
          '-- Entra principals (Metabase, Data Factory): contained database users, authenticated by Entra ID',
          ...principals.map((p) => `IF DATABASE_PRINCIPAL_ID(${lit(p)}) IS NULL CREATE USER ${q(p)} FROM EXTERNAL PROVIDER;`),
          ...members.map(([p, role]) => `IF IS_ROLEMEMBER(${lit(role)}, ${lit(p)}) = 0 ALTER ROLE ${q(role)} ADD MEMBER ${q(p)};`),
        ].join('\n');
  return migration('0007_roles_and_grants', 'reader and loader roles, least-privilege grants, Entra principals', [roles, grants, users]);
}

function rlsMigration(set: ContractSet, o: Required<ServingOptions>): Migration {
  const access = t('security', 'row_access');
  const batches: string[] = [
    `-- who may see which rows: a principal (database user name) holds values of a claim; * = every value
IF OBJECT_ID(N'${access}', N'U') IS NULL
CREATE TABLE ${access} (
  ${q('principal_name')} NVARCHAR(128) NOT NULL,
  ${q('claim')} NVARCHAR(128) NOT NULL,
  ${q('value')} NVARCHAR(256) NOT NULL,
  CONSTRAINT ${q('pk_row_access')} PRIMARY KEY CLUSTERED (${q('principal_name')}, ${q('claim')}, ${q('value')})
);`,
  ];
  const secured = set.marts.filter((m) => m.row_level_security);
  const claims = [...new Set(secured.map((m) => m.row_level_security!.principal_claim))].sort();
  for (const m of set.marts) {
    const policy = t('security', `rls_${m.mart}`);
    const fn = t('security', `fn_rls_${m.mart}`);
    const rls = m.row_level_security;
    if (!rls) {
      batches.push(`-- ${m.mart}: no row-level security in its contract\nDROP SECURITY POLICY IF EXISTS ${policy};\nDROP FUNCTION IF EXISTS ${fn};`);
      continue;
    }
    const col = servingColumns(set, m).find((c) => c.name === rls.column)!;
    const param = `@${rls.column}`;
    const valueText = col.type === 'string' ? param : `CONVERT(NVARCHAR(40), ${param})`;
    batches.push(`-- ${m.mart}: rows filtered by ${rls.column} (claim ${rls.principal_claim}); the policy is dropped first
-- because a schema-bound predicate function cannot be altered while a policy uses it
DROP SECURITY POLICY IF EXISTS ${policy};`);
    batches.push(`CREATE OR ALTER FUNCTION ${fn} (${param} ${tsqlGoldType(col)})
RETURNS TABLE
WITH SCHEMABINDING
AS
RETURN
  SELECT 1 AS ${q('allowed')}
  WHERE USER_NAME() = N'dbo'
     OR EXISTS (
       SELECT 1 FROM ${access} AS ${q('a')}
       WHERE ${q('a')}.${q('principal_name')} = USER_NAME()
         AND ${q('a')}.${q('claim')} = ${lit(rls.principal_claim)}
         AND (${q('a')}.${q('value')} = N'*' OR ${q('a')}.${q('value')} = ${valueText})
     );`);
    batches.push(`CREATE SECURITY POLICY ${policy}
  ADD FILTER PREDICATE ${fn}(${q(rls.column)}) ON ${t('gold', m.mart)}
  WITH (STATE = ON, SCHEMABINDING = ON);`);
  }
  const seeds = o.allRowsPrincipals.flatMap((p) => claims.map((c) => `(${lit(p)}, ${lit(c)}, N'*')`));
  if (seeds.length > 0)
    batches.push(`-- principals that see every row (the leadership dashboard); regional principals get rows per value
MERGE ${access} AS ${q('t')}
USING (VALUES ${seeds.join(', ')}) AS ${q('s')} (${q('principal_name')}, ${q('claim')}, ${q('value')})
ON ${q('t')}.${q('principal_name')} = ${q('s')}.${q('principal_name')} AND ${q('t')}.${q('claim')} = ${q('s')}.${q('claim')} AND ${q('t')}.${q('value')} = ${q('s')}.${q('value')}
WHEN NOT MATCHED BY TARGET THEN
  INSERT (${q('principal_name')}, ${q('claim')}, ${q('value')}) VALUES (${q('s')}.${q('principal_name')}, ${q('s')}.${q('claim')}, ${q('s')}.${q('value')});`);
  return migration('0008_row_level_security', 'row-level security: predicate functions and security policies from the contracts', batches);
}

const PRINCIPAL_RE = /^[^\][\u0000-\u001f']{1,128}$/;

/** Resolves the options, rejecting names that cannot be a database principal. */
export function servingOptions(o: ServingOptions = {}): Required<ServingOptions> {
  const readerPrincipals = o.readerPrincipals ?? SERVING_DEFAULTS.readerPrincipals;
  const r: Required<ServingOptions> = {
    readerRole: o.readerRole ?? SERVING_DEFAULTS.readerRole,
    loaderRole: o.loaderRole ?? SERVING_DEFAULTS.loaderRole,
    readerPrincipals,
    loaderPrincipals: o.loaderPrincipals ?? SERVING_DEFAULTS.loaderPrincipals,
    allRowsPrincipals: o.allRowsPrincipals ?? readerPrincipals,
  };
  for (const name of [r.readerRole, r.loaderRole, ...r.readerPrincipals, ...r.loaderPrincipals, ...r.allRowsPrincipals])
    if (!PRINCIPAL_RE.test(name))
      throw new StreamPulseError('SQL_BAD_PRINCIPAL', `"${name}" cannot name a database principal`, {
        remedy: 'use 1–128 characters without brackets, quotes or control characters',
      });
  return r;
}

/** Every migration of the serving database, in apply order. */
export function servingMigrations(set: ContractSet, options: ServingOptions = {}): Migration[] {
  const o = servingOptions(options);
  return [
    schemasMigration(),
    stagingMigration(set),
    goldMigration(set),
    viewsMigration(set),
    loadMigration(set),
    maskingMigration(set),
    rolesMigration(o),
    rlsMigration(set, o),
  ];
}

/** The dbt-style serving tests as one T-SQL file: each query returns its failing rows. */
export function servingTestsSql(checks: readonly ServingCheck[]): string {
  const lines = [
    '-- StreamPulse serving tests (generated from the contracts; do not edit).',
    '-- Each query returns the rows that fail its test: no row = pass. `streampulse serve test` runs them.',
    '',
  ];
  for (const c of checks) lines.push(`-- test: ${c.id} (${describeCheck(c)})`, `${failingRowsSql(c, 'tsql', (mart) => t('serving', mart))};`, '');
  return lines.join('\n');
}
