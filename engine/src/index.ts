/** @streampulse/engine: the local DuckDB runner of the job specs — bronze, silver, gold, the lake layout, quality reports, SQLite publishing. */
export {
  LocalRunner,
  RUNNER_MEMORY_LIMIT,
  type RunnerOptions,
  type BatchReport,
  type DatasetBatchReport,
  type TableReport,
  type ProgressEvent,
} from './runner.js';
export { Lake, writeFileAtomic, sweepTemporaries } from './lake.js';
export { landingFiles } from './bronze.js';
export { isStreamBatchId, streamBatchId, streamLandingDir, streamBatches, discardStreamBatchesAfter } from './stream.js';
export { Duck } from './duck.js';
export { SideLane, type LaneTask, type LanePriority } from './lane.js';
export { silverStateSql } from './silver.js';
export { qualitySummary, type PublishResult } from './publish.js';
