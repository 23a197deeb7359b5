/**
 * The lake's control files, and their upload with an Entra identity: the deploy step
 * `streampulse deploy control-files` (the CLI command is its thin front).
 *
 *   control/manifest.json          the control manifest (pure: `controlManifest` of the contracts)
 *   control/databricks_jobs.json   `{ "jobs": { "<job name>": "<job id>" } }`, from the output of
 *                                  `databricks bundle summary -o json` right after the bundle deploy
 *                                  (job ids exist only then; the master pipelines look them up)
 *
 * The lake refuses shared-key authorization (allowSharedKeyAccess: false), so the upload
 * uses the ADLS Gen2 (DFS) API with a bearer token of the deployment identity
 * (DefaultAzureCredential: in the deploy workflow, the az CLI session of azure/login), which
 * needs "Storage Blob Data Contributor" on the lake (or the control container).
 */
import { readFileSync } from 'node:fs';
import { StreamPulseError } from '@streampulse/contracts';
import { DATABRICKS_DAILY_JOB, DATABRICKS_JOB_IDS_FILE, DATABRICKS_STEP_JOB, type JobPlan } from '@streampulse/jobs';
import type { ContractSet } from '@streampulse/contracts';
import { NAMES, controlManifest, factoryFileText } from '@streampulse/pipelines';

/** The jobs the estate's control file must name (Data Factory starts the step job). */
/** The DFS file system client of a lake container, authenticated as the deployment identity (no key). */
export async function entraFileSystem(account: string, fileSystem: string): Promise<ControlFileSystem> {
  const { DataLakeServiceClient } = await import('@azure/storage-file-datalake');
  const { DefaultAzureCredential } = await import('@azure/identity');
  return new DataLakeServiceClient(`https://${account}.dfs.core.windows.net`, new DefaultAzureCredential()).getFileSystemClient(fileSystem);
}

export const REQUIRED_BUNDLE_JOBS = [DATABRICKS_STEP_JOB, DATABRICKS_DAILY_JOB] as const;

/** Job name → job id from `databricks bundle summary -o json` (`resources.jobs.<key>.{name,id}`). */
export function jobIdsFromBundleSummary(text: string, source: string): Record<string, string> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new StreamPulseError('DEPLOY_BUNDLE_SUMMARY', `${source}: not JSON (${(e as Error).message})`, {
      remedy: 'write it with `databricks bundle summary -t <stack> --output json > FILE` after `databricks bundle deploy -t <stack>`',
      cause: e,
    });
  }
  const jobs = (doc as { resources?: { jobs?: Record<string, { name?: unknown; id?: unknown }> } } | null)?.resources?.jobs ?? {};
  const out: Record<string, string> = {};
  for (const [key, job] of Object.entries(jobs)) {
    const name = typeof job.name === 'string' ? job.name : key;
    const id = typeof job.id === 'number' ? String(job.id) : typeof job.id === 'string' ? job.id : undefined;
    if (id === undefined || !/^\d+$/.test(id))
      throw new StreamPulseError('DEPLOY_BUNDLE_NOT_DEPLOYED', `${source}: resources.jobs.${key} (${name}) has no job id`, {
        remedy: 'run `databricks bundle deploy -t <stack>` first: a summary taken before the deploy lists the jobs without ids',
      });
    out[name] = id;
  }
  const missing = REQUIRED_BUNDLE_JOBS.filter((j) => out[j] === undefined);
  if (missing.length > 0)
    throw new StreamPulseError(
      'DEPLOY_BUNDLE_JOBS_MISSING',
      `${source}: the bundle has no job ${missing.map((m) => `'${m}'`).join(', ')} (it lists ${Object.keys(out).sort().join(', ') || 'no jobs'})`,
      {
        remedy: 'deploy the bundle that `streampulse generate --out DIR` writes to DIR/databricks (`databricks bundle deploy -t <stack>` from that folder)',
      },
    );
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The control files (name in the `control` file system → text). Pure. */
export function controlFiles(set: ContractSet, plan: JobPlan, jobIds: Readonly<Record<string, string>>): Record<string, string> {
  return {
    [NAMES.manifestFile]: factoryFileText(controlManifest(set, plan)),
    [DATABRICKS_JOB_IDS_FILE]: factoryFileText({ jobs: jobIds }),
  };
}

export const readBundleSummary = (path: string): Record<string, string> => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new StreamPulseError('DEPLOY_BUNDLE_SUMMARY', `cannot read the bundle summary ${path}`, {
      remedy: 'pass the file `databricks bundle summary -t <stack> --output json` wrote',
      cause: e,
    });
  }
  return jobIdsFromBundleSummary(text, path);
};

/** What the upload needs of a file system client (the SDK's DataLakeFileSystemClient has it). */
export interface ControlFileSystem {
  getFileClient(name: string): { upload(data: Buffer): Promise<unknown>; getProperties(): Promise<{ contentLength?: number }> };
}

/** Uploads every file (create or overwrite), then checks each file's length on the service. */
export async function uploadControlFiles(
  fs: ControlFileSystem,
  files: Readonly<Record<string, string>>,
  where: string,
): Promise<{ file: string; bytes: number }[]> {
  const done: { file: string; bytes: number }[] = [];
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text, 'utf8');
    const client = fs.getFileClient(name);
    try {
      await client.upload(data);
      const props = await client.getProperties();
      if (props.contentLength !== data.length) throw new Error(`the service holds ${String(props.contentLength)} bytes, ${data.length} were sent`);
    } catch (e) {
      const status = (e as { statusCode?: number }).statusCode;
      throw new StreamPulseError(
        'DEPLOY_CONTROL_UPLOAD',
        `uploading ${where}/${name} failed${status !== undefined ? ` (HTTP ${status})` : ''}: ${(e as Error).message}`,
        {
          remedy:
            status === 403
              ? 'the deployment identity needs "Storage Blob Data Contributor" on the lake, and the runner must pass the lake firewall (prod: run on the VNet runner PROD_DEPLOY_RUNNER)'
              : 'check the Entra login (az login / azure/login) and that the runner reaches the lake endpoint; nothing else was changed, re-run the step',
          cause: e,
        },
      );
    }
    done.push({ file: name, bytes: data.length });
  }
  return done;
}
