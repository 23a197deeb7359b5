/**
 * Local bindings for the Data Factory executor: the lake folder stands in for ADLS
 * (`<lake>/<file system or container>/<folder>/<file>`), the local DuckDB runner for
 * Databricks, the SQLite serving database for the stored procedures.
 *
 * Known difference from the cloud: the local runner runs a batch's job specs in one
 * DuckDB pass (it has no per-job entry point yet), so the Bronze and Silver activities
 * check that their job spec exists and the Gold activity runs the whole batch
 * (bronze → silver → gold → marts) for the run date.
 */
import { appendFileSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StreamPulseError, type ContractSet } from '@streampulse/contracts';
import { compileJobs, LocalRunner, type BatchReport } from '@streampulse/jobs';
import { NAMES, type ActivityBindings, type Json, type ResolvedDataset } from '@streampulse/pipelines';
import { allBatchReports, slaHours } from './lakehouse.js';

/** The local path of a dataset's location inside the lake folder. */
export function localPath(lakeRoot: string, d: ResolvedDataset): string {
  const loc = d.location;
  const root = loc?.fileSystem ?? loc?.container ?? d.name;
  const parts = [root, loc?.folderPath, loc?.fileName].filter((p): p is string => p !== undefined && p !== '');
  return join(lakeRoot, ...parts);
}

export interface LocalBindings {
  readonly bindings: ActivityBindings;
  readonly reports: BatchReport[];
  close(): void;
}

export async function localBindings(set: ContractSet, lakeRoot: string, salt: string): Promise<LocalBindings> {
  const plan = compileJobs(set);
  const jobIds = new Set(plan.jobs.map((j) => j.id));
  const reports: BatchReport[] = [];
  let runner: LocalRunner | undefined;
  const open = async (): Promise<LocalRunner> => (runner ??= await LocalRunner.open(plan, { lakeRoot, salt, slaHours: slaHours(set) }));
  const arg = (params: Json, flag: string): string | undefined => {
    const list = Array.isArray(params) ? params.map(String) : [];
    const i = list.indexOf(flag);
    return i >= 0 ? list[i + 1] : undefined;
  };
  const bindings: ActivityBindings = {
    copy: async (a): Promise<Json> => {
      const src = a.inputs[0];
      const dst = a.outputs[0];
      if (!src || !dst) throw new StreamPulseError('ADF_COPY_SHAPE', `Copy '${a.name}' needs one input and one output dataset`, { remedy: 'fix the activity' });
      if (dst.linkedServiceType === 'AzureSqlDatabase') {
        // gold → SQL staging: locally the serving database is loaded by the MERGE procedure binding
        return { dataRead: 0, rowsCopied: 0, note: `local: ${dst.parameters['table'] ?? dst.name} is published to SQLite by the MERGE procedure` };
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
      throw new StreamPulseError('ADF_COPY_SOURCE_MISSING', `no file at ${from} (and none landed at ${to})`, { remedy: 'generate sources first (`streampulse sources generate --out <lake>/landing`)' });
    },
    databricks: async (a): Promise<Json> => {
      const params = a.typeProperties['parameters'] ?? null;
      const runDate = arg(params, '--run-date');
      const job = arg(params, '--job');
      if (runDate === undefined) throw new StreamPulseError('ADF_DATABRICKS_ARGS', `activity '${a.name}' passes no --run-date`, { remedy: 'pass --run-date YYYY-MM-DD' });
      if (job !== undefined) {
        if (!jobIds.has(job)) throw new StreamPulseError('ADF_UNKNOWN_JOB', `job spec '${job}' is not in the job plan`, { remedy: 'regenerate the control manifest from the contracts' });
        return { job, runDate, note: 'local: runs in the batch pass of the Gold activity' };
      }
      const r = await (await open()).runBatch(runDate);
      reports.push(r);
      return { runDate, jobs: plan.jobs.length, datasets: r.datasets.length, tables: r.tables.length, conserved: r.datasets.every((d) => d.conserved) };
    },
    storedProcedure: async (a): Promise<Json> => {
      const name = String(a.typeProperties['storedProcedureName']);
      const params = (a.typeProperties['storedProcedureParameters'] ?? {}) as Record<string, { value: Json }>;
      if (name === NAMES.spMerge) {
        const p = await (await open()).publish(set, allBatchReports(lakeRoot));
        return { published: p.sqlite };
      }
      if (name === NAMES.spRecordRun) {
        const row = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.value]));
        const file = join(lakeRoot, 'reports', 'adf-pipeline-runs.jsonl');
        mkdirSync(dirname(file), { recursive: true });
        appendFileSync(file, `${JSON.stringify(row)}\n`);
        return { recorded: file };
      }
      throw new StreamPulseError('ADF_UNKNOWN_PROCEDURE', `no local binding for stored procedure ${name}`, { remedy: `use ${NAMES.spMerge} or ${NAMES.spRecordRun}` });
    },
  };
  return { bindings, reports, close: () => runner?.close() };
}
