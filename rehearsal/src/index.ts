/**
 * @streampulse/rehearsal: the local rehearsal of the cloud path — the Data Factory
 * executor's local bindings (the lake folder as ADLS, the DuckDB engine as Databricks,
 * SQLite as Azure SQL), the demo / run / backfill orchestration, and the serving load.
 */
export {
  runDemo,
  runBatches,
  runDailyBatches,
  prepareLake,
  readManifest,
  saltFrom,
  LAKE_MARKER,
  LAKE_OWNER,
  LOCAL_DEMO_SALT,
  type DemoOptions,
  type DemoResult,
  type LakehouseEvents,
} from './lakehouse.js';
export {
  runBatchesViaAdf,
  localBindings,
  localPath,
  stepJobParameters,
  uploadControlFiles,
  writeRunLog,
  LOCAL_DATABRICKS_JOB_IDS,
  type AdfBatchesResult,
  type AdfBatchesOptions,
  type LocalBindings,
  type LocalBindingOptions,
} from './adf-local.js';
export { LakeMartSource, openTarget } from './serving-load.js';
export {
  BENCH_OWNER,
  checkFolder,
  DASHBOARD_OWNER,
  ensureFolder,
  errnoCode,
  fileSystemError,
  folderState,
  GENERATED_MARKER,
  generatedOwner,
  makeDirs,
  notOursError,
  ownFolder,
  SOURCES_OWNER,
  type FolderOwner,
  type FolderState,
} from './folders.js';
export { allBatchReports } from './lake-reports.js';
export { buildDashboardPage, chartLibraryFile, DASHBOARD_PAGE_FILE, type DashboardPageOptions } from './dashboard-page.js';
export {
  startKafkaBroker,
  clusterId,
  kafkaBrokerFixture,
  type KafkaBrokerFixture,
  kafkaJarsDir,
  kafkaServerProperties,
  freePort,
  createTopicsOn,
  logTail,
  type KafkaBroker,
  type KafkaBrokerOptions,
  type KafkaSaslListener,
  type BrokerPorts,
} from './kafka/broker.js';
export {
  runStreamConsumer,
  readStreamState,
  streamStateFile,
  latencyFile,
  topicDatasets,
  streamTables,
  FAULT_POINTS,
  type FaultPoint,
  type StreamEvent,
  type StreamRunOptions,
  type StreamRunResult,
  type StreamState,
} from './stream/consumer.js';
export { runStreamDemo, streamBronze, measuredLatencies, percentile, type StreamDemoOptions, type StreamDemoResult } from './stream/demo.js';
