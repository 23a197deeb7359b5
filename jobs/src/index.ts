export * from './spec.js';
export {
  compileJobs,
  compileBronze,
  compileSilver,
  compileModel,
  compileMart,
  bindRunDate,
  tableRef,
  RUN_DATE_PLACEHOLDER,
  PII_SALT_SECRET,
} from './compile.js';
export {
  evaluateFreshness,
  ageHours,
  FRESHNESS_MODES,
  isFreshnessMode,
  type FreshnessMode,
  type FreshnessResult,
  type FreshnessRuleStat,
} from './freshness.js';
export {
  DATABRICKS_STEP_JOB,
  DATABRICKS_DAILY_JOB,
  DATABRICKS_STREAM_JOB,
  DATABRICKS_STEP_PARAMETERS,
  EVENT_HUBS_KAFKA_SECRETS,
  DATABRICKS_JOB_IDS_FILE,
  PII_SALT,
  RUNTIME_WHEEL,
  type DatabricksStepParameter,
} from './deploy-names.js';
export { specFiles, taskKey, jsonText, LAKE_FILE_SYSTEMS, lakeStorageRoot, type LakeFileSystem } from './databricks.js';
export {
  databricksBundle,
  databricksJobs,
  bundleJobKey,
  bundleJobFile,
  bundleLakeAccount,
  BUNDLE_DEFAULTS,
  BUNDLE_RUNTIME_DIR,
  BUNDLE_TARGETS,
  BUNDLE_WHEEL_ARTIFACT,
  BUNDLE_SPECS_PATH,
  BUNDLE_STORAGE_ROOT,
  BUNDLE_RUN_AS_VARIABLE,
  bundleStreamSchedule,
  type BundleOptions,
  type BundleTarget,
  type BundleJob,
  type BundleTask,
} from './bundle.js';
export {
  compileStreams,
  STREAM_CHECKPOINT_DIR,
  STREAM_MAX_OFFSETS_PER_TRIGGER,
  STREAM_RECORD_KEY,
  STREAM_SPECS_FILE,
  type StreamPlan,
  type StreamSpec,
  type StreamSourceSpec,
} from './stream.js';
export { yamlText, yamlScalar, type YamlValue } from './yaml-text.js';
