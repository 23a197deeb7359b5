/**
 * The Databricks Asset Bundle generated from the contracts and the job plan: what
 * `databricks bundle deploy -t <dev|prod>` deploys. Pure: contracts + plan + options in,
 * a file map (bundle-relative path → text) out; stable key order, no timestamps.
 *
 *   databricks.yml                  bundle, include, variables, artifacts (the runtime wheel,
 *                                   type whl, built from runtime/), sync (specs/), targets
 *                                   dev and prod (mode production, workspace root under the
 *                                   deploying identity's /Workspace/Users folder, run_as a
 *                                   service principal, the lake account per target)
 *   resources/<job>.job.yml         one job resource each: DATABRICKS_STEP_JOB (one task: one
 *                                   step of the plan, chosen by job parameters, what Data
 *                                   Factory starts), DATABRICKS_DAILY_JOB (the whole task
 *                                   graph bronze → silver → gold → marts → export) and, when a
 *                                   contract has a stream_topic, DATABRICKS_STREAM_JOB (one
 *                                   Structured Streaming task per stream spec, availableNow,
 *                                   scheduled every few minutes)
 *   specs/index.json, <id>.json     the job specs the runtime executes, synced as workspace
 *                                   files (`${workspace.file_path}/specs` on the cluster);
 *   specs/streams.json              the stream specs (`compileStreams`)
 *   runtime/…                       the runtime's Python project (pyproject.toml + src/), given
 *                                   by the caller: the wheel is built inside the bundle root, so
 *                                   the bundle deploys from any folder (a library path outside
 *                                   the bundle's sync root is refused by the CLI)
 *
 * Every task is a `python_wheel_task` (package streampulse_spark, entry point
 * streampulse-spark) with the wheel as its library, a path relative to the resource file
 * that the CLI uploads to the bundle's workspace artifact folder: no DBFS path anywhere.
 * No batch job carries a schedule, trigger or continuous setting: Data Factory owns the
 * batch schedule. The stream job is the one scheduled job (a cron schedule; never
 * `continuous`): each run reads what the topics hold with `availableNow` and stops, so the
 * bronze and silver tables are minutes old without an always-on cluster. Job clusters: the pinned LTS runtime, autoscale, spot with on-demand
 * fallback, cost tags, single-user (dedicated) access mode; the pseudonymisation salt is
 * read by the runtime from the secret scope PII_SALT.scope, key PII_SALT.key.
 */
import { StreamPulseError, type ContractSet } from '@streampulse/contracts';
import {
  DATABRICKS_DAILY_JOB,
  DATABRICKS_STEP_JOB,
  DATABRICKS_STEP_PARAMETERS,
  DATABRICKS_STREAM_JOB,
  EVENT_HUBS_KAFKA_SECRETS,
  PII_SALT,
  RUNTIME_WHEEL,
} from './deploy-names.js';
import { jsonText, lakeStorageRoot, specFiles, taskKey } from './databricks.js';
import { compileStreams, STREAM_SPECS_FILE, type StreamPlan } from './stream.js';
import type { JobPlan, JobSpec } from './spec.js';
import { yamlText, type YamlValue } from './yaml-text.js';

/** The bundle's deployment targets, one per stack. */
export const BUNDLE_TARGETS = ['dev', 'prod'] as const;
export type BundleTarget = (typeof BUNDLE_TARGETS)[number];

export interface BundleOptions {
  /** `bundle.name`. Default `streampulse`. */
  readonly name?: string;
  /**
   * The runtime's Python project files (path relative to jobs/python → text: pyproject.toml
   * and src/…), written under `runtime/`, where the wheel artifact is built. The CLI reads
   * them; without them the bundle names `runtime/` but holds no files there.
   */
  readonly runtimeFiles?: Readonly<Record<string, string>>;
  /** Name prefix of the stacks (infra's `namePrefix`): the lake account is `st<prefix>lake<target>`. Default `spulse`. */
  readonly namePrefix?: string;
  /** The lake account per target, when the stack names it otherwise (preflight passes the stack's names). */
  readonly lakeAccounts?: Partial<Record<BundleTarget, string>>;
  /** Pinned Databricks Runtime (LTS, Spark 3.5 line — the wheel's `spark` extra). Default `15.4.x-scala2.12`. */
  readonly sparkVersion?: string;
  /** VM size of driver and workers. Default `Standard_D4ds_v5`. */
  readonly nodeTypeId?: string;
  /** Autoscale range of the daily job's cluster. Default 1–4 workers. */
  readonly minWorkers?: number;
  readonly maxWorkers?: number;
  /** Autoscale maximum of the step job's cluster (one dataset or layer per run). Default 2. */
  readonly stepMaxWorkers?: number;
  /**
   * Runs of the step job at once; more are queued. Data Factory starts one run per
   * dataset of a wave (its ForEach batch count) and the hourly refresh beside the daily
   * batch. Default 8.
   */
  readonly stepMaxConcurrentRuns?: number;
  /** Minutes between two runs of the stream job (a divisor of 60). Default 5. */
  readonly streamEveryMinutes?: number;
}

/** The folder (bundle-relative) that holds the runtime's Python project, where the wheel is built. */
export const BUNDLE_RUNTIME_DIR = 'runtime';

export const BUNDLE_DEFAULTS: Required<Omit<BundleOptions, 'lakeAccounts' | 'runtimeFiles'>> = {
  name: 'streampulse',
  namePrefix: 'spulse',
  sparkVersion: '15.4.x-scala2.12',
  nodeTypeId: 'Standard_D4ds_v5',
  minWorkers: 1,
  maxWorkers: 4,
  stepMaxWorkers: 2,
  stepMaxConcurrentRuns: 8,
  streamEveryMinutes: 5,
};

/** The stream job's schedule every `minutes` (Jobs API CronSchedule: Quartz syntax, UTC, unpaused). */
export function bundleStreamSchedule(minutes: number): {
  readonly quartz_cron_expression: string;
  readonly timezone_id: string;
  readonly pause_status: 'UNPAUSED';
} {
  return { quartz_cron_expression: `0 0/${minutes} * * * ?`, timezone_id: 'UTC', pause_status: 'UNPAUSED' };
}

/** Bundle resource key of a job (`resources.jobs.<key>`): the job name with underscores. */
export const bundleJobKey = (jobName: string): string => jobName.replace(/[^A-Za-z0-9_]/g, '_');

/** The file of a job's resource in the bundle. */
export const bundleJobFile = (jobName: string): string => `resources/${jobName}.job.yml`;

/** The bundle's artifact key of the runtime wheel. */
export const BUNDLE_WHEEL_ARTIFACT = RUNTIME_WHEEL.packageName;

/** The lake account of a target: `st<prefix>lake<target>` unless given. */
export function bundleLakeAccount(target: BundleTarget, options: BundleOptions = {}): string {
  return options.lakeAccounts?.[target] ?? `st${options.namePrefix ?? BUNDLE_DEFAULTS.namePrefix}lake${target}`;
}

/** Where the bundle syncs the job specs in the workspace, as the runtime's `--plan` takes it. */
export const BUNDLE_SPECS_PATH = '${workspace.file_path}/specs';
/** The runtime's storage root in the bundle: the target's lake account variable in `abfss://{layer}@….dfs.core.windows.net`. */
export const BUNDLE_STORAGE_ROOT = lakeStorageRoot('${var.lake_account}');
/** The variable holding the run-as service principal (its application id). */
export const BUNDLE_RUN_AS_VARIABLE = 'run_as_service_principal';

/** A job resource as the bundle declares it (the Jobs API's job settings, snake_case). */
export interface BundleJob {
  readonly name: string;
  readonly description: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly max_concurrent_runs: number;
  readonly queue: { readonly enabled: boolean };
  readonly timeout_seconds: number;
  /** Only the stream job's: every few minutes (the batch jobs are started by Data Factory). */
  readonly schedule?: ReturnType<typeof bundleStreamSchedule>;
  readonly parameters: readonly { readonly name: string; readonly default: string }[];
  readonly email_notifications: { readonly on_failure: readonly string[] };
  readonly notification_settings: { readonly no_alert_for_skipped_runs: boolean };
  readonly job_clusters: readonly { readonly job_cluster_key: string; readonly new_cluster: Readonly<Record<string, YamlValue>> }[];
  readonly tasks: readonly BundleTask[];
}

export interface BundleTask {
  readonly task_key: string;
  readonly description: string;
  readonly depends_on?: readonly { readonly task_key: string }[];
  readonly job_cluster_key: string;
  readonly python_wheel_task: { readonly package_name: string; readonly entry_point: string; readonly parameters: readonly string[] };
  readonly libraries: readonly { readonly whl: string }[];
  readonly max_retries: number;
  readonly min_retry_interval_millis: number;
  readonly retry_on_timeout: boolean;
  readonly timeout_seconds: number;
}

/** Per layer: [max_retries, min_retry_interval_millis, timeout_seconds]. */
const RETRY: Record<JobSpec['layer'] | 'export' | 'step' | 'stream', [number, number, number]> = {
  bronze: [2, 120_000, 3600],
  silver: [2, 120_000, 3600],
  gold: [1, 60_000, 3600],
  mart: [1, 60_000, 1800],
  export: [2, 60_000, 1800],
  // one step of any layer; Data Factory's activity retries the run as a whole
  step: [1, 120_000, 3600],
  // a stream query: a retry resumes from its checkpoint; the next scheduled run does too
  stream: [1, 60_000, 3600],
};

const param = (name: string): string => `{{job.parameters.${name}}}`;

function checkOptions(
  o: Required<Omit<BundleOptions, 'lakeAccounts' | 'runtimeFiles'>>,
  accounts: Record<BundleTarget, string>,
  runtime: Readonly<Record<string, string>>,
): void {
  for (const p of Object.keys(runtime)) {
    if (
      p === '' ||
      p.startsWith('/') ||
      /^[A-Za-z][A-Za-z0-9+.-]*:/.test(p) ||
      p.includes('\\') ||
      p.split('/').some((s) => s === '' || s === '.' || s === '..')
    ) {
      throw new StreamPulseError(
        'BUNDLE_RUNTIME_FILE',
        `the runtime file path "${p}" must be a relative POSIX path inside the runtime project (e.g. src/streampulse_spark/cli.py)`,
        {
          remedy: 'pass runtimeFiles keyed by paths relative to jobs/python; `streampulse generate` reads them',
        },
      );
    }
  }
  if (Object.keys(runtime).length > 0 && runtime['pyproject.toml'] === undefined)
    throw new StreamPulseError('BUNDLE_RUNTIME_FILE', 'the runtime files have no pyproject.toml: the wheel artifact cannot be built', {
      remedy: 'include jobs/python/pyproject.toml in runtimeFiles',
    });
  for (const [target, account] of Object.entries(accounts)) {
    if (!/^[a-z0-9]{3,24}$/.test(account)) {
      throw new StreamPulseError(
        'BUNDLE_LAKE_ACCOUNT',
        `the lake account of target ${target} "${account}" is not a storage account name (3–24 lower-case letters and digits)`,
        {
          remedy: "pass the stack's lake account name (infra: `st<prefix>lake<env>`), or a namePrefix of lower-case letters and digits",
        },
      );
    }
  }
  const counts: [string, number][] = [
    ['minWorkers', o.minWorkers],
    ['maxWorkers', o.maxWorkers],
    ['stepMaxWorkers', o.stepMaxWorkers],
    ['stepMaxConcurrentRuns', o.stepMaxConcurrentRuns],
    ['streamEveryMinutes', o.streamEveryMinutes],
  ];
  for (const [k, n] of counts) {
    if (!Number.isInteger(n) || n < 1)
      throw new StreamPulseError('BUNDLE_OPTION', `${k} must be a positive whole number, got ${n}`, { remedy: `set ${k} to 1 or more` });
  }
  if (60 % o.streamEveryMinutes !== 0)
    throw new StreamPulseError(
      'BUNDLE_OPTION',
      `streamEveryMinutes must divide the hour (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60), got ${o.streamEveryMinutes}`,
      {
        remedy: 'choose a divisor of 60: the schedule is a Quartz cron expression "0 0/<n> * * * ?"',
      },
    );
  if (o.maxWorkers < o.minWorkers || o.stepMaxWorkers < o.minWorkers) {
    throw new StreamPulseError('BUNDLE_OPTION', `the autoscale range ${o.minWorkers}–${o.maxWorkers} (step job: –${o.stepMaxWorkers}) ends below its start`, {
      remedy: 'make maxWorkers and stepMaxWorkers at least minWorkers',
    });
  }
}

/**
 * The bundle's job resources (the step and daily jobs, and the stream job when a contract has a stream_topic), keyed by resource key (`bundleJobKey(name)`): the job
 * settings the YAML declares, for checks that read them as objects (preflight).
 */
export function databricksJobs(set: ContractSet, plan: JobPlan, options: BundleOptions = {}): Record<string, BundleJob> {
  return bundleJobs(set, plan, options, compileStreams(set, plan));
}

/** databricksJobs with the plan's stream specs made once by the caller (databricksBundle writes them too). */
function bundleJobs(set: ContractSet, plan: JobPlan, options: BundleOptions, streamPlan: StreamPlan): Record<string, BundleJob> {
  const o = { ...BUNDLE_DEFAULTS, ...options };
  checkOptions(
    o,
    Object.fromEntries(BUNDLE_TARGETS.map((t) => [t, bundleLakeAccount(t, options)])) as Record<BundleTarget, string>,
    options.runtimeFiles ?? {},
  );
  // relative to the resource file (resources/), as the bundle resolves local library paths;
  // inside the bundle root, which the CLI requires of a local library it uploads
  const library = [{ whl: `../${BUNDLE_RUNTIME_DIR}/dist/*.whl` }];
  const contracts = [...set.datasets, ...set.models, ...set.marts];
  const domains = [...new Set(contracts.map((c) => c.domain))].sort().join('+');
  const owners = [...new Set(contracts.map((c) => c.owner))].filter((x) => /^[^\s@]+@[^\s@]+$/.test(x)).sort();
  const common = ['--plan', BUNDLE_SPECS_PATH, '--storage-root', BUNDLE_STORAGE_ROOT];
  const salt = ['--secret-scope', PII_SALT.scope, '--secret-key', PII_SALT.key];

  const tags = (job: string, started: string): Record<string, string> => ({
    project: 'streampulse',
    environment: '${bundle.target}',
    cost_center: 'data-platform',
    domains,
    started_by: started,
    managed_by: 'streampulse-generate',
    job,
  });
  const cluster = (key: string, maxWorkers: number, jobTags: Record<string, string>): BundleJob['job_clusters'][number] => ({
    job_cluster_key: key,
    new_cluster: {
      spark_version: o.sparkVersion,
      node_type_id: o.nodeTypeId,
      driver_node_type_id: o.nodeTypeId,
      autoscale: { min_workers: o.minWorkers, max_workers: maxWorkers },
      azure_attributes: { availability: 'SPOT_WITH_FALLBACK_AZURE', first_on_demand: 1, spot_bid_max_price: -1 },
      spark_conf: {
        'spark.sql.session.timeZone': 'UTC',
        'spark.sql.mapKeyDedupPolicy': 'LAST_WIN',
        'spark.sql.ansi.enabled': 'false',
        'spark.databricks.delta.optimizeWrite.enabled': 'true',
      },
      custom_tags: jobTags,
      data_security_mode: 'SINGLE_USER',
      runtime_engine: 'STANDARD',
      enable_elastic_disk: true,
    },
  });
  const task = (key: string, description: string, deps: string[], clusterKey: string, parameters: string[], retry: keyof typeof RETRY): BundleTask => {
    const [retries, interval, timeout] = RETRY[retry];
    const python_wheel_task = { package_name: RUNTIME_WHEEL.packageName, entry_point: RUNTIME_WHEEL.entryPoint, parameters };
    // written out twice rather than spreading `depends_on` in: thousands of tasks, and an object spread costs microseconds each
    return deps.length === 0
      ? {
          task_key: key,
          description,
          job_cluster_key: clusterKey,
          python_wheel_task,
          libraries: library,
          max_retries: retries,
          min_retry_interval_millis: interval,
          retry_on_timeout: true,
          timeout_seconds: timeout,
        }
      : {
          task_key: key,
          description,
          depends_on: deps.map((d) => ({ task_key: d })),
          job_cluster_key: clusterKey,
          python_wheel_task,
          libraries: library,
          max_retries: retries,
          min_retry_interval_millis: interval,
          retry_on_timeout: true,
          timeout_seconds: timeout,
        };
  };

  // ---- the step job: one step of the plan per run, what Data Factory's activities start
  const stepTags = tags(DATABRICKS_STEP_JOB, 'data-factory');
  const stepDefaults: Record<(typeof DATABRICKS_STEP_PARAMETERS)[number], string> = { command: 'run', job: '', layer: '', run_date: '', freshness: 'enforce' };
  const step: BundleJob = {
    name: DATABRICKS_STEP_JOB,
    description:
      'StreamPulse: one step of the job plan per run, started by Data Factory with the job parameters ' +
      `${DATABRICKS_STEP_PARAMETERS.join(', ')} (command run|export; job: a job spec id, e.g. bronze.<dataset>; ` +
      'layer: bronze|silver|gold|mart, comma-separated; empty job and layer: every job; run_date: YYYY-MM-DD; freshness: enforce|report). No schedule: Data Factory owns it.',
    tags: stepTags,
    max_concurrent_runs: o.stepMaxConcurrentRuns,
    queue: { enabled: true },
    timeout_seconds: RETRY.step[2] * 2,
    parameters: DATABRICKS_STEP_PARAMETERS.map((name) => ({ name, default: stepDefaults[name] })),
    email_notifications: { on_failure: owners },
    notification_settings: { no_alert_for_skipped_runs: true },
    job_clusters: [cluster('step_etl', o.stepMaxWorkers, stepTags)],
    tasks: [
      task(
        'step',
        'streampulse-spark <command> for one job spec, layer or the whole plan of one run date',
        [],
        'step_etl',
        [
          param('command'),
          ...common,
          '--run-date',
          param('run_date'),
          '--job',
          param('job'),
          '--layer',
          param('layer'),
          '--freshness',
          param('freshness'),
          ...salt,
        ],
        'step',
      ),
    ],
  };

  // ---- the daily job: the whole task graph of one batch, unscheduled (manual runs, backfills)
  const dailyTags = tags(DATABRICKS_DAILY_JOB, 'manual');
  const ids = new Set(plan.jobs.map((j) => j.id));
  const tasks: BundleTask[] = plan.jobs.map((j) => {
    const what =
      j.layer === 'bronze'
        ? 'landing files → bronze + quarantine'
        : j.layer === 'silver'
          ? 'bronze → silver (dedupe, conform, PII, MERGE)'
          : `${j.layer} table rebuild`;
    // bronze evaluates the freshness rules: the job parameter says whether a failed `fail` rule stops the run
    const fresh = j.layer === 'bronze' ? ['--freshness', param('freshness')] : [];
    const deps = j.depends_on.filter((d) => ids.has(d)).map(taskKey);
    return task(
      taskKey(j.id),
      `${j.id}: ${what} (${j.contract})`,
      deps,
      'daily_etl',
      ['run', ...common, '--run-date', param('run_date'), '--job', j.id, ...fresh, ...salt],
      j.layer,
    );
  });
  const sinks = plan.jobs.filter((j) => j.layer === 'mart').map((j) => taskKey(j.id));
  tasks.push(
    task(
      'export',
      'every mart as a CSV extract for the serving copy, and the batch quality summary',
      sinks,
      'daily_etl',
      ['export', ...common, '--run-date', param('run_date'), ...salt],
      'export',
    ),
  );
  const daily: BundleJob = {
    name: DATABRICKS_DAILY_JOB,
    description:
      `StreamPulse daily batch: ${set.datasets.length} datasets, ${set.models.length} gold models, ${set.marts.length} marts, export, for the job parameter run_date (YYYY-MM-DD). ` +
      'Unscheduled (Data Factory owns the schedule and runs the batch step by step): for manual runs and backfills.',
    tags: dailyTags,
    max_concurrent_runs: 1,
    queue: { enabled: true },
    timeout_seconds: 4 * 3600,
    parameters: [
      { name: 'run_date', default: '' },
      // enforce: a failed freshness rule with action `fail` stops the run; report: a backfill of sparse history
      { name: 'freshness', default: 'enforce' },
    ],
    email_notifications: { on_failure: owners },
    notification_settings: { no_alert_for_skipped_runs: true },
    job_clusters: [cluster('daily_etl', o.maxWorkers, dailyTags)],
    tasks,
  };
  const out: Record<string, BundleJob> = { [bundleJobKey(step.name)]: step, [bundleJobKey(daily.name)]: daily };

  // ---- the stream job: one Structured Streaming query per stream spec, availableNow, every few minutes
  const streams = streamPlan.streams;
  if (streams.length > 0) {
    const streamTags = tags(DATABRICKS_STREAM_JOB, 'schedule');
    const kafka = [
      '--kafka-secret-scope',
      EVENT_HUBS_KAFKA_SECRETS.scope,
      '--kafka-bootstrap-key',
      EVENT_HUBS_KAFKA_SECRETS.bootstrapKey,
      '--kafka-connection-string-key',
      EVENT_HUBS_KAFKA_SECRETS.connectionStringKey,
    ];
    const stream: BundleJob = {
      name: DATABRICKS_STREAM_JOB,
      description:
        `StreamPulse streams: ${streams.map((s) => `${s.source.topic} → ${s.name}`).join(', ')}. ` +
        `Every ${o.streamEveryMinutes} minutes each task reads its Event Hubs topic (Kafka endpoint) from its checkpoint with availableNow, ` +
        'MERGEs each micro-batch into bronze/quarantine (keyed by the record) and silver, and stops. A run still going when the next is due: that one is skipped.',
      tags: streamTags,
      max_concurrent_runs: 1,
      queue: { enabled: false },
      timeout_seconds: RETRY.stream[2] * 2,
      schedule: bundleStreamSchedule(o.streamEveryMinutes),
      parameters: [],
      email_notifications: { on_failure: owners },
      notification_settings: { no_alert_for_skipped_runs: true },
      job_clusters: [cluster('stream', o.stepMaxWorkers, streamTags)],
      tasks: streams.map((s) =>
        task(
          taskKey(s.id),
          `${s.id}: topic ${s.source.topic} → bronze + quarantine + silver (${s.contract})`,
          [],
          'stream',
          ['stream', ...common, '--stream', s.id, ...kafka, ...salt],
          'stream',
        ),
      ),
    };
    out[bundleJobKey(stream.name)] = stream;
  }
  return out;
}

const HEADER = ['Generated by `streampulse generate` from the contracts: do not edit (regenerate instead).'];

/**
 * The bundle as files: `databricks.yml`, `resources/<job>.job.yml` per job and
 * `specs/*.json`. `databricks bundle deploy -t dev|prod` from the folder holding them
 * builds the wheel, uploads it and the specs to the target's workspace root and
 * creates or updates the jobs.
 */
export function databricksBundle(set: ContractSet, plan: JobPlan, options: BundleOptions = {}): Record<string, string> {
  const o = { ...BUNDLE_DEFAULTS, ...options };
  const streams = compileStreams(set, plan);
  const jobs = bundleJobs(set, plan, options, streams);
  const target = (t: BundleTarget): YamlValue => ({
    mode: 'production',
    workspace: {
      // production mode wants an explicit root (one copy per target); a folder of the deploying identity, not /Workspace/Shared (writable by every user)
      root_path: '/Workspace/Users/${workspace.current_user.userName}/.bundle/${bundle.name}/${bundle.target}',
    },
    variables: { lake_account: bundleLakeAccount(t, options) },
    run_as: { service_principal_name: `\${var.${BUNDLE_RUN_AS_VARIABLE}}` },
  });
  const root: YamlValue = {
    bundle: { name: o.name },
    include: ['resources/*.yml'],
    variables: {
      lake_account: { description: 'ADLS Gen2 account of the lake (one file system per zone); set per target' },
      [BUNDLE_RUN_AS_VARIABLE]: {
        description:
          'application (client) id of the service principal the jobs run as: the identity that deploys the bundle, so it owns the workspace root it reads the wheel and specs from; ' +
          `pass it at deploy (--var ${BUNDLE_RUN_AS_VARIABLE}=<id> or BUNDLE_VAR_${BUNDLE_RUN_AS_VARIABLE})`,
      },
    },
    artifacts: {
      [BUNDLE_WHEEL_ARTIFACT]: {
        type: 'whl',
        path: BUNDLE_RUNTIME_DIR,
        build: 'python3 -m pip wheel --no-deps --wheel-dir dist .',
      },
    },
    // the job specs, also when the generated folder is git-ignored; the runtime's sources
    // reach the workspace only as the wheel (an artifact, uploaded on its own)
    sync: { include: ['specs/*.json'], exclude: [`${BUNDLE_RUNTIME_DIR}/**`] },
    targets: Object.fromEntries(BUNDLE_TARGETS.map((t) => [t, target(t)])),
  };
  const files: Record<string, string> = {
    'databricks.yml': yamlText(root, [...HEADER, 'Deploy: `databricks bundle deploy -t dev|prod` from this folder (the current Databricks CLI).']),
  };
  for (const job of Object.values(jobs)) {
    files[bundleJobFile(job.name)] = yamlText({ resources: { jobs: { [bundleJobKey(job.name)]: job as unknown as YamlValue } } }, HEADER);
  }
  for (const [name, doc] of Object.entries(specFiles(plan))) files[`specs/${name}`] = jsonText(doc);
  if (streams.streams.length > 0) files[`specs/${STREAM_SPECS_FILE}`] = jsonText(streams);
  for (const [path, text] of Object.entries(options.runtimeFiles ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) files[`${BUNDLE_RUNTIME_DIR}/${path}`] = text;
  return files;
}
