/**
 * Databricks Jobs API 2.1 definitions and the job-spec files the PySpark runtime reads.
 * Pure: contracts + plan in, JSON documents out (stable key order, no timestamps).
 *
 * - one job per contract schedule: `streampulse-daily` runs every dataset's bronze and
 *   silver for the day that closed, then gold, marts and the export; `streampulse-hourly`
 *   (datasets with `schedule: hourly`) refreshes bronze and silver of the running day so
 *   silver stays fresh between daily runs. A cross-job dependency (a dataset's
 *   referential parent in the other job) reads the parent's current silver state.
 * - one task per job spec (`bronze__users`, `silver__users`, `gold__dim_user`, …), its
 *   `depends_on` the spec's dependencies, so the graph is bronze → silver → gold → export
 * - job clusters: pinned runtime, autoscale, spot with on-demand fallback (the driver
 *   and `first_on_demand` nodes on demand), cost tags from the contracts
 * - retries and timeouts per layer; the salt comes from a secret scope, never the JSON
 */
import type { ContractSet } from '@streampulse/contracts';
import type { JobPlan, JobSpec } from './spec.js';

export interface DatabricksOptions {
  /** Pinned Databricks Runtime (LTS, Spark 3.5 line — the same as the pinned pyspark). Default `15.4.x-scala2.12`. */
  readonly sparkVersion?: string;
  /** VM size of driver and workers. Default `Standard_D4ds_v5`. */
  readonly nodeTypeId?: string;
  /** Autoscale range of the daily job cluster. Default 1–4 workers (hourly: 1–2). */
  readonly minWorkers?: number;
  readonly maxWorkers?: number;
  /**
   * The lake (ADLS Gen2), one file system per zone: `{layer}` is replaced by `landing`,
   * `bronze`, … (LAKE_FILE_SYSTEMS). Default `lakeStorageRoot('stspulselakedev')`.
   */
  readonly storageRoot?: string;
  /**
   * Folder holding `runtime/databricks_task.py`, the wheel (`dist/`) and `specs/`. Default
   * `dbfs:/streampulse`: a DBFS path, because Data Factory's Databricks Python activity
   * takes DBFS paths only, and its activities run the same files as these jobs.
   */
  readonly workspaceRoot?: string;
  /** Secret scope holding the pseudonymisation salt (key: the specs' `salt_secret`). Default `streampulse`. */
  readonly secretScope?: string;
  /** `environment` cost tag. Default `dev`. */
  readonly environment?: string;
  /** Version of the streampulse-spark wheel. Default `0.1.0`. */
  readonly wheelVersion?: string;
}

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

/** Where the runtime's entry point, wheel and spec files are deployed under a workspace root. */
export function runtimePaths(workspaceRoot: string, wheelVersion: string): { pythonFile: string; wheel: string; specs: string } {
  return {
    pythonFile: `${workspaceRoot}/runtime/databricks_task.py`,
    wheel: `${workspaceRoot}/dist/streampulse_spark-${wheelVersion}-py3-none-any.whl`,
    specs: `${workspaceRoot}/specs`,
  };
}

export const DATABRICKS_DEFAULTS: Required<DatabricksOptions> = {
  sparkVersion: '15.4.x-scala2.12',
  nodeTypeId: 'Standard_D4ds_v5',
  minWorkers: 1,
  maxWorkers: 4,
  storageRoot: lakeStorageRoot('stspulselakedev'),
  workspaceRoot: 'dbfs:/streampulse',
  secretScope: 'streampulse',
  environment: 'dev',
  wheelVersion: '0.1.0',
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Per layer: [max_retries, min_retry_interval_millis, timeout_seconds]. */
const RETRY: Record<JobSpec['layer'] | 'export', [number, number, number]> = {
  bronze: [2, 120_000, 3600],
  silver: [2, 120_000, 3600],
  gold: [1, 60_000, 3600],
  mart: [1, 60_000, 1800],
  export: [2, 60_000, 1800],
};

const SCHEDULES = {
  daily: { cron: '0 30 2 * * ?', offsetDays: -1, runDate: 'the day that closed (job start date - 1 day)' },
  hourly: { cron: '0 15 * * * ?', offsetDays: 0, runDate: 'the running day (job start date)' },
} as const;

export const taskKey = (jobId: string): string => jobId.replace('.', '__');

/** The JobPlan as spec files: `index.json` (ids in execution order) + one `<id>.json` per job. */
export function specFiles(plan: JobPlan): Record<string, unknown> {
  const files: Record<string, unknown> = { 'index.json': { spec_version: plan.spec_version, jobs: plan.jobs.map((j) => j.id) } };
  for (const j of plan.jobs) files[`${j.id}.json`] = j;
  return files;
}

/** Jobs API 2.1 `jobs/create` request bodies, one per schedule, keyed by file name. */
export function databricksJobs(set: ContractSet, plan: JobPlan, options: DatabricksOptions = {}): Record<string, Json> {
  const o = { ...DATABRICKS_DEFAULTS, ...options };
  const schedule = new Map(set.datasets.map((d) => [d.dataset, d.source.schedule]));
  const out: Record<string, Json> = {};
  for (const kind of ['daily', 'hourly'] as const) {
    const datasets = kind === 'daily' ? set.datasets.map((d) => d.dataset) : set.datasets.filter((d) => d.source.schedule === 'hourly').map((d) => d.dataset);
    if (datasets.length === 0) continue;
    const inJob = (j: JobSpec): boolean => (j.layer === 'bronze' || j.layer === 'silver' ? datasets.includes(j.name) : kind === 'daily');
    const jobs = plan.jobs.filter(inJob);
    const ids = new Set(jobs.map((j) => j.id));
    const name = `streampulse-${kind}`;
    const contracts = [
      ...set.datasets.filter((d) => datasets.includes(d.dataset)),
      ...(kind === 'daily' ? [...set.models, ...set.marts] : []),
    ];
    const domains = [...new Set(contracts.map((c) => c.domain))].sort();
    const owners = [...new Set(contracts.map((c) => c.owner))].sort();
    const tags: Record<string, string> = {
      project: 'streampulse',
      environment: o.environment,
      schedule: kind,
      cost_center: 'data-platform',
      domains: domains.join('+'),
      managed_by: 'streampulse-generate',
    };
    const clusterKey = `${kind}_etl`;
    const sched = SCHEDULES[kind];
    const rt = runtimePaths(o.workspaceRoot, o.wheelVersion);
    const common = ['--plan', rt.specs, '--storage-root', o.storageRoot, '--run-date', '{{job.parameters.run_date}}', '--date-offset-days', String(sched.offsetDays), '--secret-scope', o.secretScope];
    const library = [{ whl: rt.wheel }];
    const task = (key: string, description: string, deps: string[], args: string[], layer: keyof typeof RETRY): Json => {
      const [retries, interval, timeout] = RETRY[layer];
      return {
        task_key: key,
        description,
        depends_on: deps.map((d) => ({ task_key: d })),
        job_cluster_key: clusterKey,
        spark_python_task: { python_file: rt.pythonFile, parameters: args },
        libraries: library,
        max_retries: retries,
        min_retry_interval_millis: interval,
        retry_on_timeout: true,
        timeout_seconds: timeout,
      };
    };
    const tasks: Json[] = jobs.map((j) => {
      const deps = j.depends_on.filter((d) => ids.has(d)).map(taskKey);
      const what = j.layer === 'bronze' ? 'landing files → bronze + quarantine' : j.layer === 'silver' ? 'bronze → silver (dedupe, conform, PII, MERGE)' : `${j.layer} table rebuild`;
      // bronze evaluates the freshness rules: the job parameter says whether a failed `fail` rule stops the run
      const fresh = j.layer === 'bronze' ? ['--freshness', '{{job.parameters.freshness}}'] : [];
      return task(taskKey(j.id), `${j.id}: ${what} (${j.contract})`, deps, ['run', ...common, '--job', j.id, ...fresh], j.layer);
    });
    if (kind === 'daily') {
      const sinks = jobs.filter((j) => j.layer === 'mart').map((j) => taskKey(j.id));
      tasks.push(task('export', 'every mart as a CSV extract for the serving copy, and the batch quality summary', sinks, ['export', ...common], 'export'));
    }
    const crossJob = jobs.flatMap((j) => j.depends_on.filter((d) => !ids.has(d)).map((d) => `${j.id} → ${d} (${schedule.get(d.split('.')[1]!) ?? '?'})`));
    out[`${name}.json`] = {
      name,
      description:
        `StreamPulse ${kind} batch: ${datasets.length} datasets${kind === 'daily' ? `, ${set.models.length} gold models, ${set.marts.length} marts, export` : ' (bronze and silver only)'}. ` +
        `run_date = ${sched.runDate}.` +
        (crossJob.length > 0 ? ` Reads the current silver state of: ${crossJob.join('; ')}.` : ''),
      tags,
      format: 'MULTI_TASK',
      max_concurrent_runs: 1,
      timeout_seconds: kind === 'daily' ? 4 * 3600 : 3000,
      schedule: { quartz_cron_expression: sched.cron, timezone_id: 'UTC', pause_status: 'UNPAUSED' },
      parameters: [
        { name: 'run_date', default: '{{job.start_time.iso_date}}' },
        // enforce: a failed freshness rule with action `fail` stops the run; report: a manual backfill of sparse history
        { name: 'freshness', default: 'enforce' },
      ],
      email_notifications: { on_failure: owners, no_alert_for_skipped_runs: true },
      job_clusters: [
        {
          job_cluster_key: clusterKey,
          new_cluster: {
            spark_version: o.sparkVersion,
            node_type_id: o.nodeTypeId,
            driver_node_type_id: o.nodeTypeId,
            autoscale: { min_workers: o.minWorkers, max_workers: kind === 'daily' ? o.maxWorkers : Math.max(o.minWorkers, Math.ceil(o.maxWorkers / 2)) },
            azure_attributes: { availability: 'SPOT_WITH_FALLBACK_AZURE', first_on_demand: 1, spot_bid_max_price: -1 },
            spark_conf: {
              'spark.sql.session.timeZone': 'UTC',
              'spark.sql.mapKeyDedupPolicy': 'LAST_WIN',
              'spark.sql.ansi.enabled': 'false',
              'spark.databricks.delta.optimizeWrite.enabled': 'true',
            },
            spark_env_vars: { STREAMPULSE_STORAGE_ROOT: o.storageRoot, STREAMPULSE_SPECS: `${o.workspaceRoot}/specs` },
            custom_tags: { ...tags, job: name },
            data_security_mode: 'SINGLE_USER',
            runtime_engine: 'STANDARD',
            enable_elastic_disk: true,
          },
        },
      ],
      tasks,
    };
  }
  return out;
}

/** JSON text of a generated file: the generator's (stable) key order, two-space indent, final newline. */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
