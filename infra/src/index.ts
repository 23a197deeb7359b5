/** @streampulse/infra: the Azure estate per environment as Pulumi components, its typed stack config and its policies. */
export {
  parseStackConfig,
  stackConfigSchema,
  StackConfigError,
  stackFile,
  CONFIG_NAMESPACE,
  SECRET_KEYS,
  STACK_CONFIG_KEYS,
  METABASE_RESERVED_SETTINGS,
  type StackConfig,
} from './config.js';
export { naming, tags, dataDomains, stableGuid, ROLES, REQUIRED_TAGS, RANDOM_SECRETS, type Naming, type Tags } from './naming.js';
export { adfEntities, triggerStates, factoryDocument, flattenTypeProperties, mapActivity, AdfMappingError, type AdfEntity } from './adf-mapping.js';
export { createEstate, type EstateOutputs, type EstateSecrets } from './program.js';
export { DataLake, LAKE_CONTAINERS, lifecycleRules, landingPrefix, deltaRetention } from './components/data-lake.js';
export { DataFactory } from './components/data-factory.js';
export { Databricks } from './components/databricks.js';
export { EventHubs, streamTopics, EVENT_HUBS_SECRETS } from './components/event-hubs.js';
export { Sql, cidrRange } from './components/sql.js';
export { SqlMigrations, SqlMigrationsResource, servingOptionsFor, migrationInput, type SqlPrincipals } from './components/sql-migrations.js';
export {
  sqlMigrationsProvider,
  diffSqlMigrations,
  migrationsConnectionString,
  type MigrationInput,
  type SqlMigrationsInputs,
  type SqlMigrationsOutputs,
  type SqlMigrationsProviderOptions,
  type SqlRuntime,
} from './sql-migrations-provider.js';
export { Metabase, METABASE_DB_SECRET, METABASE_ENCRYPTION_KEY_SECRET, METABASE_API_KEY_SECRET } from './components/metabase.js';
export { Security } from './components/security.js';
export { Observability, freshnessQuery } from './components/observability.js';
export { Network, PRIVATE_DNS_ZONES } from './components/network.js';
export { checkPolicies, POLICIES, type MockResource, type PolicyViolation } from './policy.js';
export { readStackFile, loadStack, stackFactoryOptions, STACKS, isStackName, type StackName } from './stack-file.js';
export { servingPrincipals, FACTORY_BASE_PREFIX } from './naming.js';
export { DEPLOY_TIME_KEYS, DEPLOY_TIME_STAND_IN, withDeployTimeStandIns, isPlaceholderGuid, DOCUMENTATION_RANGES } from './config.js';
export { budgetStartDate, budgetStartWindow } from './components/observability.js';
export { unityCatalogNames, containerUrl } from './components/databricks.js';
export {
  preflight,
  formatPreflight,
  runChecks,
  prerequisites,
  PREFLIGHT_CHECKS,
  loadPreflightEstate,
  type PreflightReport,
  type PreflightEstate,
  type Check,
} from './preflight.js';
export {
  controlFiles,
  entraFileSystem,
  jobIdsFromBundleSummary,
  readBundleSummary,
  uploadControlFiles,
  REQUIRED_BUNDLE_JOBS,
  type ControlFileSystem,
} from './control-files.js';
