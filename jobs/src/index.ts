export * from './spec.js';
export { compileJobs, compileBronze, compileSilver, compileModel, compileMart, bindRunDate, tableRef, RUN_DATE_PLACEHOLDER, PII_SALT_SECRET } from './compile.js';
export { evaluateFreshness, ageHours, FRESHNESS_MODES, isFreshnessMode, type FreshnessMode, type FreshnessResult, type FreshnessRuleStat } from './freshness.js';
export { LocalRunner, RUNNER_MEMORY_LIMIT, type RunnerOptions, type BatchReport, type DatasetBatchReport, type TableReport, type ProgressEvent } from './local/runner.js';
export { Lake, writeFileAtomic, sweepTemporaries } from './local/lake.js';
export { landingFiles } from './local/bronze.js';
export { Duck } from './local/duck.js';
export { SideLane, type LaneTask, type LanePriority } from './local/lane.js';
export { silverStateSql } from './local/silver.js';
export { qualitySummary, type PublishResult } from './local/publish.js';
export { DATABRICKS_STEP_JOB, DATABRICKS_DAILY_JOB, DATABRICKS_STEP_PARAMETERS, DATABRICKS_JOB_IDS_FILE, PII_SALT, RUNTIME_WHEEL, type DatabricksStepParameter } from './deploy-names.js';
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
  type BundleOptions,
  type BundleTarget,
  type BundleJob,
  type BundleTask,
} from './bundle.js';
export { yamlText, yamlScalar, type YamlValue } from './yaml-text.js';
