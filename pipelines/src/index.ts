/** @streampulse/pipelines: the Data Factory expression language, generator, validator and local executor. */
export * from './expression/index.js';
export {
  generateFactory,
  controlManifest,
  factoryFileText,
  entityCounts,
  FACTORY_DEFAULTS,
  NAMES,
  ENTITY_FOLDERS,
  type AdfFactory,
  type FactoryOptions,
  type ControlManifest,
  type ManifestDataset,
  type DatabricksJobIds,
} from './generate.js';
export {
  validateFactory,
  formatProblem,
  innerActivityLists,
  startedTriggersByPipeline,
  DOCUMENTED_ACTIVITY_CONTRACTS,
  MAX_ACTIVITIES_PER_PIPELINE,
  MAX_BATCH_COUNT,
  type ActivityContract,
  type FactoryProblem,
  type ValidationRule,
  type ValidateOptions,
} from './validate.js';
export { readFactoryDir, writeFactoryDir } from './io.js';
export {
  executePipeline,
  bindParameters,
  formatActivityRun,
  fileMetadata,
  GET_METADATA_FIELDS,
  type ActivityRun,
  type ActivityStatus,
  type ActivityError,
  type PipelineRunResult,
  type ResolvedDataset,
  type BoundActivity,
  type Binding,
  type ActivityBindings,
  type ExecuteOptions,
} from './execute.js';
export { ADF_LIMITS_SOURCE, FACTORY_LIMITS, LOOKUP_LIMITS_SOURCE, limitProblems, type FactoryLimit, type LimitRule } from './limits.js';
