/**
 * Local bindings for the Data Factory executor: the lake folder stands in for ADLS
 * (`<lake>/<file system or container>/<folder>/<file>`), the local DuckDB runner for
 * Databricks, the SQLite serving database for the stored procedures.
 *
 * The Databricks activities are `DatabricksJob` activities starting the step job
 * (DATABRICKS_STEP_JOB) with its job parameters (DATABRICKS_STEP_PARAMETERS); the binding
 * runs the same job specs on the local runner:
 *   command run, job ID           LocalRunner.runJobs(run_date, [ID])            (a dataset's Bronze or Silver)
 *   command run, layer L,…        LocalRunner.runJobs(run_date, jobs of those layers)   (the Gold activity)
 *   command export                LocalRunner.finishBatch(run_date)              (batch report, conservation check)
 * The activity's jobId must be the step job's id in the local lake's
 * `control/DATABRICKS_JOB_IDS_FILE` (what the master pipelines look up), so the job-id
 * path is rehearsed as well. One runner (one DuckDB) serves the whole run; activities
 * that the executor runs in parallel (a ForEach with batchCount) take turns on it.
 *
 * `runBatchesViaAdf` is what `streampulse demo` and `streampulse run` call: every daily
 * batch is a run of the generated master pipeline.
 */
import { appendFileSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StreamPulseError, type ContractSet } from '@streampulse/contracts';
import {
  compileJobs,
  DATABRICKS_DAILY_JOB,
  DATABRICKS_STEP_JOB,
  DATABRICKS_STEP_PARAMETERS,
  FRESHNESS_MODES,
  isFreshnessMode,
  type DatabricksStepParameter,
  type FreshnessMode,
  type JobPlan,
} from '@streampulse/jobs';
import { LocalRunner, type BatchReport, type ProgressEvent, type PublishResult } from '@streampulse/engine';
import {
  executePipeline,
  fileMetadata,
  generateFactory,
  NAMES,
  type ActivityBindings,
  type ActivityRun,
  type Binding,
  type BoundActivity,
  type DatabricksJobIds,
  type Json,
  type PipelineRunResult,
  type ResolvedDataset,
} from '@streampulse/pipelines';
import { allBatchReports } from './lake-reports.js';

/** The local path of a dataset's location inside the lake folder. */
export function localPath(lakeRoot: string, d: ResolvedDataset): string {
  const loc = d.location;
  const root = loc?.fileSystem ?? loc?.container ?? d.name;
  const parts = [root, loc?.folderPath, loc?.fileName].filter((p): p is string => p !== undefined && p !== '');
  return join(lakeRoot, ...parts);
}

export interface LocalBindings {
  readonly bindings: ActivityBindings;
  /** Batch reports written by the Export activities of this session, in order. */
  readonly reports: BatchReport[];
  /** The last serving publication (the MERGE procedure's binding). */
  readonly lastPublish: () => PublishResult | undefined;
  /** The error an activity's binding threw in a pipeline run (its own code and remedy), when it threw a StreamPulseError. */
  failure(pipelineRunId: string, activity: string): StreamPulseError | undefined;
  /** Runs a pipeline of `files` on the local executor with these bindings (the lake folder as ADLS, no waits). */
  run(
    pipeline: string,
    files: Readonly<Record<string, unknown>>,
    parameters: Readonly<Record<string, string>>,
    onActivityRun?: (r: ActivityRun) => void,
  ): Promise<PipelineRunResult>;
  /** Starts parsing a day's landing files on the runner's side lane (the next run date, while this one runs). */
  prefetch(runDate: string): Promise<void>;
  /**
   * Seconds the bindings spent so far in the runner, its turns on the one DuckDB taken
   * one at a time (so they add up to wall-clock time): `runner` its jobs and batch reports
   * (the Databricks activities), `publish` the serving publication (the MERGE procedure).
   */
  seconds(): { readonly runner: number; readonly publish: number };
  close(): Promise<void>;
}

export interface LocalBindingOptions {
  /** The job plan of `set` (`compileJobs(set)`), when the caller has compiled it already. */
  readonly plan?: JobPlan;
  readonly threads?: number;
  readonly onJob?: (e: ProgressEvent) => void;
  readonly onBatch?: (r: BatchReport) => void;
  /** When aborted, every binding (and the runner, before each job) throws the abort's reason: the run stops at a safe point. */
  readonly signal?: AbortSignal;
}

/**
 * The local lake's `control/DATABRICKS_JOB_IDS_FILE`: the ids the deploy step would write
 * after `databricks bundle deploy`, here fixed local ids per job of the bundle.
 */
export const LOCAL_DATABRICKS_JOB_IDS: DatabricksJobIds = { jobs: { [DATABRICKS_STEP_JOB]: 1001, [DATABRICKS_DAILY_JOB]: 1002 } };

/** A DatabricksJob activity's job parameters (the step job's, each a string; an empty value means "not given"). */
export function stepJobParameters(a: BoundActivity): { jobId: string; params: Record<DatabricksStepParameter, string> } {
  if (a.type !== 'DatabricksJob')
    throw new StreamPulseError(
      'ADF_DATABRICKS_ACTIVITY',
      `activity '${a.name}' is a ${a.type} activity; the local Databricks binding runs DatabricksJob activities`,
      {
        remedy: `start the ${DATABRICKS_STEP_JOB} job with a DatabricksJob activity (typeProperties jobId + jobParameters), as the generated factory does`,
      },
    );
  const raw = a.typeProperties['jobParameters'];
  const given = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, Json>) : {};
  const unknown = Object.keys(given).filter((k) => !(DATABRICKS_STEP_PARAMETERS as readonly string[]).includes(k));
  if (unknown.length > 0)
    throw new StreamPulseError(
      'ADF_DATABRICKS_ARGS',
      `activity '${a.name}' passes job parameter(s) ${unknown.join(', ')}, which the ${DATABRICKS_STEP_JOB} job does not take`,
      {
        remedy: `pass only ${DATABRICKS_STEP_PARAMETERS.join(', ')}`,
      },
    );
  const params = Object.fromEntries(DATABRICKS_STEP_PARAMETERS.map((k) => [k, given[k] === undefined || given[k] === null ? '' : String(given[k])])) as Record<
    DatabricksStepParameter,
    string
  >;
  const id = a.typeProperties['jobId'];
  return { jobId: id === undefined || id === null ? '' : String(id), params };
}

export async function localBindings(set: ContractSet, lakeRoot: string, salt: string, o: LocalBindingOptions = {}): Promise<LocalBindings> {
  const plan: JobPlan = o.plan ?? compileJobs(set);
  const reports: BatchReport[] = [];
  let published: PublishResult | undefined;
  let runner: LocalRunner | undefined;
  const open = async (): Promise<LocalRunner> =>
    (runner ??= await LocalRunner.open(plan, {
      lakeRoot,
      salt,
      ...(o.threads !== undefined ? { threads: o.threads } : {}),
      ...(o.onJob ? { onProgress: o.onJob } : {}),
      ...(o.signal !== undefined ? { signal: o.signal } : {}),
    }));
  // one DuckDB connection: parallel activities take turns
  let queue: Promise<unknown> = Promise.resolve();
  const spent = { runner: 0, publish: 0 };
  // a turn on the runner, its seconds counted (from its start, not from its place in the queue)
  const timed =
    <T>(part: keyof typeof spent, f: () => Promise<T>): (() => Promise<T>) =>
    async () => {
      const t0 = performance.now();
      try {
        return await f();
      } finally {
        spent[part] += (performance.now() - t0) / 1000;
      }
    };
  const timedPrefetch = (runDate: string): Promise<void> => timed('runner', async () => (await open()).prefetch(runDate))();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const next = queue.then(f, f);
    queue = next.catch(() => undefined);
    return next;
  };

  const bindings: ActivityBindings = {
    copy: async (a): Promise<Json> => {
      o.signal?.throwIfAborted();
      const src = a.inputs[0];
      const dst = a.outputs[0];
      if (!src || !dst) throw new StreamPulseError('ADF_COPY_SHAPE', `Copy '${a.name}' needs one input and one output dataset`, { remedy: 'fix the activity' });
      if (dst.linkedServiceType === 'AzureSqlDatabase') {
        // mart extract → SQL staging: locally the serving database is loaded by the MERGE procedure binding
        return { dataRead: 0, rowsCopied: 0, note: `local: ${String(dst.parameters['table'] ?? dst.name)} is published to SQLite by the MERGE procedure` };
      }
      const from = localPath(lakeRoot, src);
      const to = localPath(lakeRoot, dst);
      if (existsSync(from)) {
        mkdirSync(dirname(to), { recursive: true });
        copyFileSync(from, to);
        return { filesRead: 1, filesWritten: 1, source: from, sink: to };
      }
      // the local sources generator writes straight to landing: the file has already landed
      if (existsSync(to)) return { filesRead: 0, filesWritten: 0, sink: to, note: 'already landed' };
      throw new StreamPulseError('ADF_COPY_SOURCE_MISSING', `no file at ${from} (and none landed at ${to})`, {
        remedy: 'generate sources first (`streampulse sources generate --out <lake>/landing`)',
      });
    },
    // Get Metadata (exists) of a day's source file: the source-drop container when the file is there,
    // else the landing file of the same folder and name: locally the sources generator (and a lake
    // brought by hand) writes straight to landing, so a landed file is the source that was sent
    getMetadata: async (a): Promise<Json> => {
      const d = a.dataset;
      if (!d) throw new StreamPulseError('ADF_GET_METADATA_SHAPE', `Get Metadata '${a.name}' has no dataset`, { remedy: 'fix the activity' });
      const at = localPath(lakeRoot, d);
      if (d.location?.container !== NAMES.sourceContainer || existsSync(at)) return fileMetadata(at);
      return fileMetadata(localPath(lakeRoot, { ...d, location: { ...d.location, fileSystem: NAMES.fsLanding } }));
    },
    databricks: async (a): Promise<Json> => {
      o.signal?.throwIfAborted();
      const { jobId, params } = stepJobParameters(a);
      const stepId = String(LOCAL_DATABRICKS_JOB_IDS.jobs[DATABRICKS_STEP_JOB]);
      if (jobId !== stepId)
        throw new StreamPulseError(
          'ADF_DATABRICKS_JOB_ID',
          `activity '${a.name}' starts Databricks job '${jobId}', not the ${DATABRICKS_STEP_JOB} job (${stepId} in ${NAMES.fsControl}/${NAMES.jobIdsFile})`,
          {
            remedy: `pass the id the master pipeline looks up in ${NAMES.fsControl}/${NAMES.jobIdsFile} (the pipeline parameter ${NAMES.jobIdParameter})`,
          },
        );
      const { command, job, layer, run_date: runDate, freshness } = params;
      if (!/^\d{4}-\d{2}-\d{2}$/.test(runDate))
        throw new StreamPulseError('ADF_DATABRICKS_ARGS', `activity '${a.name}' passes run_date '${runDate}'`, {
          remedy: 'pass the job parameter run_date as YYYY-MM-DD',
        });
      if (command === 'export') {
        const r = await serial(timed('runner', async () => (await open()).finishBatch(runDate)));
        reports.push(r);
        o.onBatch?.(r);
        return { jobId, runDate, datasets: r.datasets.length, tables: r.tables.length, conserved: r.datasets.every((d) => d.conserved) };
      }
      if (command !== 'run')
        throw new StreamPulseError('ADF_DATABRICKS_ARGS', `activity '${a.name}' runs command '${command}'`, {
          remedy: 'the job parameter command is `run` or `export`',
        });
      const layers = layer.split(',').filter((l) => l !== '');
      const ids = job !== '' ? [job] : layers.length > 0 ? plan.jobs.filter((j) => layers.includes(j.layer)).map((j) => j.id) : undefined;
      if (ids === undefined)
        throw new StreamPulseError('ADF_DATABRICKS_ARGS', `activity '${a.name}' names no job and no layer`, {
          remedy: 'pass the job parameter job (a job id) or layer (e.g. gold,mart)',
        });
      if (freshness !== '' && !isFreshnessMode(freshness))
        throw new StreamPulseError('ADF_DATABRICKS_ARGS', `activity '${a.name}' passes freshness '${freshness}'`, {
          remedy: `pass one of ${FRESHNESS_MODES.join(', ')} (the pipeline parameter 'freshness')`,
        });
      try {
        await serial(timed('runner', async () => (await open()).runJobs(runDate, ids, freshness !== '' ? { freshness: freshness as FreshnessMode } : {})));
      } catch (e) {
        // a Databricks activity's error is the task's output, where the runtime prints its remedy too
        if (e instanceof StreamPulseError) throw new StreamPulseError(e.code, `${e.message}. Fix: ${e.remedy}`, { remedy: e.remedy, cause: e });
        throw e;
      }
      return { jobId, runDate, jobs: ids.length, ...(job !== '' ? { job } : { layers }) };
    },
    storedProcedure: async (a): Promise<Json> => {
      o.signal?.throwIfAborted();
      const name = String(a.typeProperties['storedProcedureName']);
      const params = (a.typeProperties['storedProcedureParameters'] ?? {}) as Record<string, { value: Json }>;
      if (name === NAMES.spMerge) {
        const p = await serial(timed('publish', async () => (await open()).publish(set, allBatchReports(lakeRoot))));
        published = p;
        return { published: p.sqlite, marts: p.martRows as unknown as Json };
      }
      if (name === NAMES.spRecordRun) {
        const row = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.value]));
        const file = join(lakeRoot, 'reports', 'adf-pipeline-runs.jsonl');
        mkdirSync(dirname(file), { recursive: true });
        appendFileSync(file, `${JSON.stringify(row)}\n`);
        return { recorded: file };
      }
      throw new StreamPulseError('ADF_UNKNOWN_PROCEDURE', `no local binding for stored procedure ${name}`, {
        remedy: `use ${NAMES.spMerge} or ${NAMES.spRecordRun}`,
      });
    },
  };
  // each binding's StreamPulseError by pipeline run and activity, so a failed run reports the
  // activity's own code and remedy (the activity run keeps only its code and message)
  const failures = new Map<string, StreamPulseError>();
  const recording = (b: Binding | undefined): Binding | undefined =>
    b &&
    (async (a) => {
      try {
        return await b(a);
      } catch (e) {
        // the Databricks binding wraps its job's error (remedy in the message, as a task's output): the job's is kept
        if (e instanceof StreamPulseError)
          failures.set(`${a.pipelineRunId}/${a.name}`, e.cause instanceof StreamPulseError && e.cause.code === e.code ? e.cause : e);
        throw e;
      }
    });
  const recorded: ActivityBindings = Object.fromEntries(
    Object.entries(bindings).map(([k, b]) => [k, k === 'other' ? b : recording(b as Binding | undefined)]),
  ) as ActivityBindings;
  return {
    bindings,
    reports,
    lastPublish: () => published,
    failure: (pipelineRunId, activity) => failures.get(`${pipelineRunId}/${activity}`),
    run: (pipeline, files, parameters, onActivityRun) =>
      executePipeline(pipeline, {
        files,
        parameters,
        bindings: recorded,
        resolvePath: (d) => localPath(lakeRoot, d),
        sleep: async () => {},
        ...(onActivityRun ? { onActivityRun } : {}),
      }),
    // between pipeline runs (no activity holds the runner): opening it here is the runner's time too
    prefetch: timedPrefetch,
    seconds: () => ({ ...spent }),
    close: async () => {
      await runner?.close();
    },
  };
}

/**
 * Writes the control files the master pipelines look up into the lake's control file
 * system, as the deploy step does in the cloud: the generated manifest and the Databricks
 * job ids (`LOCAL_DATABRICKS_JOB_IDS`, standing in for the ids of the deployed bundle).
 */
export function uploadControlFiles(lakeRoot: string, files: Readonly<Record<string, unknown>>): void {
  const dir = join(lakeRoot, NAMES.fsControl);
  mkdirSync(dir, { recursive: true });
  const manifest = files[`control/${NAMES.manifestFile}`];
  if (manifest !== undefined) writeFileSync(join(dir, NAMES.manifestFile), `${JSON.stringify(manifest, null, 4)}\n`);
  writeFileSync(join(dir, NAMES.jobIdsFile), `${JSON.stringify(LOCAL_DATABRICKS_JOB_IDS, null, 4)}\n`);
}

/** Writes a pipeline run as ADF's run output (`pipelineRun` + `value`: the activity runs). */
export function writeRunLog(file: string, result: PipelineRunResult): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ pipelineRun: { ...result, activityRuns: undefined }, value: result.activityRuns }, null, 2)}\n`);
}

export interface AdfBatchesOptions {
  readonly lakeRoot: string;
  readonly dates: readonly string[];
  readonly salt: string;
  readonly threads?: number;
  readonly onJob?: (e: ProgressEvent) => void;
  /** A batch's report, when its Export activity wrote it (`index` of `total` run dates). */
  readonly onBatch?: (r: BatchReport, index: number, total: number) => void;
  readonly onActivityRun?: (r: ActivityRun) => void;
  /** Whether a failed freshness rule with action `fail` stops the batch (default `enforce`). */
  readonly freshness?: FreshnessMode;
  /** Stops at the next safe point (an activity, a job, a batch) when aborted: the abort's reason is thrown. */
  readonly signal?: AbortSignal;
}

export interface AdfBatchesResult {
  readonly reports: BatchReport[];
  readonly publish: PublishResult;
  readonly runs: readonly { readonly runDate: string; readonly runId: string; readonly status: string; readonly activityRuns: number; readonly log: string }[];
  /**
   * Wall-clock seconds: `run` the batches without serving, `publish` serving (the MERGE
   * procedure's publications); `run` splits into `runner` (the Databricks activities' jobs
   * and batch reports on the local runner) and `executor` (the rest: the Data Factory
   * executor, the other bindings, control files, run logs).
   */
  readonly seconds: { readonly run: number; readonly publish: number; readonly runner: number; readonly executor: number };
}

/**
 * Runs each daily batch as a run of the generated master pipeline on the local executor
 * (the same activity graph as the cloud: waves of ingestion pipelines, gold, export,
 * serving MERGE, run records). Writes each run's activity log under
 * `<lake>/reports/adf/`. Throws, naming the failed activity, when a run fails.
 */
export async function runBatchesViaAdf(set: ContractSet, o: AdfBatchesOptions): Promise<AdfBatchesResult> {
  const t0 = performance.now();
  const plan = compileJobs(set);
  const files = generateFactory(set, plan).files;
  uploadControlFiles(o.lakeRoot, files);
  const local = await localBindings(set, o.lakeRoot, o.salt, {
    plan,
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    ...(o.onJob ? { onJob: o.onJob } : {}),
    ...(o.signal !== undefined ? { signal: o.signal } : {}),
    ...(o.onBatch ? { onBatch: (r: BatchReport) => o.onBatch?.(r, local.reports.length - 1, o.dates.length) } : {}),
  });
  const runs: AdfBatchesResult['runs'][number][] = [];
  try {
    for (const [i, runDate] of o.dates.entries()) {
      o.signal?.throwIfAborted();
      // the next day's landing files are parsed on the runner's side lane while this day runs
      const next = o.dates[i + 1];
      if (next !== undefined) await local.prefetch(next);
      // the master pipeline's `freshness` parameter (default enforce, what the triggers run)
      const result = await local.run(NAMES.plMaster, files, { runDate, ...(o.freshness !== undefined ? { freshness: o.freshness } : {}) }, o.onActivityRun);
      const log = join(o.lakeRoot, 'reports', 'adf', `${NAMES.plMaster}-${runDate}.json`);
      writeRunLog(log, result);
      runs.push({ runDate, runId: result.runId, status: result.status, activityRuns: result.activityRuns.length, log });
      if (result.status !== 'Succeeded') {
        // interrupted: the activity that stopped failed with the abort's reason
        o.signal?.throwIfAborted();
        const failed = result.activityRuns.filter((r) => r.status === 'Failed' && r.activityType !== 'Fail' && r.activityType !== 'ExecutePipeline');
        const first = failed.find((r) => r.activityType !== 'SqlServerStoredProcedure') ?? failed[0];
        // the activity's own error: its message and code in ours, its remedy as ours, the lake in every command
        const inner = first === undefined ? undefined : local.failure(first.pipelineRunId, first.activityName);
        const code = inner?.code ?? first?.error?.errorCode;
        const cause = inner?.message ?? first?.error?.message ?? result.message;
        const rerun = `re-run the batch: \`streampulse run --date ${runDate} --lake ${o.lakeRoot}\``;
        throw new StreamPulseError(
          'ADF_RUN_FAILED',
          `the daily batch ${runDate} failed in activity '${first?.activityName ?? '?'}' of ${first?.pipelineName ?? NAMES.plMaster}: ${cause}${code === undefined ? '' : ` [${code}]`}`,
          {
            remedy:
              inner !== undefined
                ? `${inner.remedy.split('<lake>').join(o.lakeRoot)}; then ${rerun} (activity-run log: ${log})`
                : `see the activity-run log ${log}; fix the cause and ${rerun}`,
          },
        );
      }
    }
    const publish = local.lastPublish();
    if (publish === undefined)
      throw new StreamPulseError('ADF_NOTHING_PUBLISHED', 'no batch was run, so nothing was published', { remedy: 'pass at least one run date' });
    const total = (performance.now() - t0) / 1000;
    const spent = local.seconds();
    const run = total - spent.publish;
    return { reports: local.reports, publish, runs, seconds: { run, publish: spent.publish, runner: spent.runner, executor: run - spent.runner } };
  } finally {
    await local.close();
  }
}
