export * from './spec.js';
export { compileJobs, compileBronze, compileSilver, compileModel, compileMart, bindRunDate, tableRef, RUN_DATE_PLACEHOLDER, PII_SALT_SECRET } from './compile.js';
export { LocalRunner, RUNNER_MEMORY_LIMIT, type RunnerOptions, type BatchReport, type DatasetBatchReport, type TableReport, type ProgressEvent } from './local/runner.js';
export { Lake, writeFileAtomic, sweepTemporaries } from './local/lake.js';
export { landingFiles } from './local/bronze.js';
export { Duck } from './local/duck.js';
export { silverStateSql } from './local/silver.js';
export { qualitySummary, type PublishResult } from './local/publish.js';
export { databricksJobs, specFiles, taskKey, jsonText, DATABRICKS_DEFAULTS, LAKE_FILE_SYSTEMS, lakeStorageRoot, runtimePaths, type DatabricksOptions, type LakeFileSystem } from './databricks.js';
