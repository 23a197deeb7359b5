export {
  DIALECTS,
  TYPE_MAP,
  TSQL_DEFAULT_STRING_LENGTH,
  mapType,
  quoteIdent,
  stringLiteral,
  booleanLiteral,
  dateLiteral,
  type Dialect,
  type TypeOptions,
} from './dialect.js';
export { FUNCTION_TABLE, TRUNC_UNITS, type Cell, type Renderer, type Unsupported } from './functions.js';
export { renderValue, renderPredicate, UnsupportedSqlError, type RenderContext } from './render.js';
export { servingColumns, lakeScalar, type ColumnFacts, type PiiSource, type PiiClass, type PiiPolicy } from './serving-columns.js';
export { PII_MASKS, DEFAULT_MASK, maskFor } from './masking.js';
export {
  SERVING_SCHEMAS,
  SERVING_OBJECTS,
  GOLD_AUDIT_COLUMNS,
  GRAIN_KEY_COLUMN,
  servingName,
  servingStringLength,
  tsqlGoldType,
  tsqlStagingType,
  type ServingSchema,
} from './serving-names.js';
export { servingTests, stagingChecks, failingRowsSql, describeCheck, TSQL_EXACT_COLLATION, type ServingCheck, type CheckKind } from './serving-checks.js';
export {
  servingMigrations,
  servingOptions,
  servingGrants,
  servingTestsSql,
  splitBatches,
  journalBootstrap,
  grainKeySql,
  BATCH_SEPARATOR_RE,
  SERVING_DEFAULTS,
  type Migration,
  type ServingOptions,
  type ServingGrant,
} from './serving-tsql.js';
export { piiReport, ADMINISTRATORS, type PiiReport, type PiiColumn, type PiiServedColumn, type PiiReader } from './pii-report.js';
export {
  dbtProject,
  dbtTest,
  dbtTestName,
  martDatasets,
  martFreshness,
  DBT_PROJECT_NAME,
  DBT_PROFILE_NAME,
  DBT_TARGETS,
  DBT_ENV,
  DBT_AZURE_TEST_SCHEMA,
  DBT_LOADED_AT_FIELD,
  BATCH_DAY_HOURS,
  type DbtProject,
  type DbtYaml,
  type DbtYamlDoc,
  type DbtTarget,
} from './dbt-project.js';
