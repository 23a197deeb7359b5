/**
 * What the Databricks side shares with the other generators: the lake's file systems and
 * storage root, the job-spec files the PySpark runtime reads, task keys, JSON text. The
 * Databricks jobs themselves are the Asset Bundle's (`bundle.ts`: `databricksBundle`).
 * Pure: no clock, no I/O.
 */
import type { JobPlan } from './spec.js';

/**
 * The lake's file systems (ADLS Gen2 containers), one per zone the runtimes and the Data
 * Factory read or write; the local lake has a folder per zone with the same names.
 */
export const LAKE_FILE_SYSTEMS = ['landing', 'bronze', 'silver', 'gold', 'quarantine', 'reports', 'serving', 'control'] as const;
export type LakeFileSystem = (typeof LAKE_FILE_SYSTEMS)[number];

/** The storage root the PySpark runtime takes for a lake account: `abfss://{layer}@<account>.dfs.core.windows.net`. */
export function lakeStorageRoot(account: string): string {
  return `abfss://{layer}@${account}.dfs.core.windows.net`;
}

/** A job spec id as a task key: `bronze.users` → `bronze__users`. */
export const taskKey = (jobId: string): string => jobId.replace('.', '__');

/** The JobPlan as spec files: `index.json` (ids in execution order) + one `<id>.json` per job. */
export function specFiles(plan: JobPlan): Record<string, unknown> {
  const files: Record<string, unknown> = { 'index.json': { spec_version: plan.spec_version, jobs: plan.jobs.map((j) => j.id) } };
  for (const j of plan.jobs) files[`${j.id}.json`] = j;
  return files;
}

/** JSON text of a generated file: the generator's (stable) key order, two-space indent, final newline. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
