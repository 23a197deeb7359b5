/**
 * @streampulse/bench: the benchmark of the local runner against the engine's floors —
 * the landing it measures on, the hand-written DuckDB floor scripts (same outputs, and
 * silver only), each side in a child process of its own (peak RSS), rounds and ratios.
 * The `streampulse bench` command renders its result.
 */
export * from './bench.js';
export { ceilingFile, ceilingScript, ceilingScriptText, type CeilingOptions, type CeilingStatement } from './bench-ceiling.js';
export { floorScript, floorScriptText, floorSilver, landingGlob, batchRegex, type FloorStatement, type FloorOptions } from './bench-floor.js';
export {
  runStreamBench,
  streamBenchLines,
  STREAM_BENCH_DEFAULTS,
  STREAM_P99_GOAL_MS,
  type StreamBenchOptions,
  type StreamBenchResult,
} from './stream-bench.js';
export { syntheticContractFiles, syntheticDatasetName, syntheticDatasetYaml, writeSyntheticContracts } from './synthetic-contracts.js';
