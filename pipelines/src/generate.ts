/**
 * The Data Factory generator (pure: contracts + job plan in, files out).
 *
 * Metadata-driven: the factory has a FIXED set of entities — linked services,
 * datasets, four pipelines, three triggers — and a generated control manifest
 * (`control/manifest.json`, uploaded to the lake's `control` file system) lists the
 * datasets, in dependency waves, and the marts. The master pipelines look the manifest
 * up and fan out over it, so adding a dataset to `contracts/` changes the manifest,
 * never the number of ADF entities.
 *
 *   pl_daily_master   Lookup manifest + Lookup Databricks job ids → ForEach wave
 *                     (sequential) → Execute pl_ingest_wave → Gold (DatabricksJob) →
 *                     Export (DatabricksJob: mart CSV extracts, batch report,
 *                     conservation) → ForEach mart: Copy extract → Azure SQL staging →
 *                     stored-procedure MERGE → completion record;
 *                     any failure → failure record → Fail.
 *   pl_hourly_master  The running day's refresh of the datasets whose contract says
 *                     `source.schedule: hourly`: Lookup manifest + job ids → ForEach wave
 *                     (sequential) → Filter the wave's hourly datasets → Execute
 *                     pl_ingest_wave (bronze + silver only); failure record → Fail.
 *   pl_ingest_wave    ForEach dataset of one wave (parallel, batchCount) → Execute
 *                     pl_ingest_dataset. A wave's datasets only reference datasets of
 *                     earlier waves, so a bronze job's referential checks see its
 *                     parents' silver state of the same run date.
 *   pl_ingest_dataset Get Metadata (fieldList exists) of the day's source file → If
 *                     Condition: true → Copy source drop → ADLS landing; false → a NoData
 *                     record (a quiet source is not a failure) → Bronze → Silver
 *                     (DatabricksJob): bronze records the empty batch (rows_in 0, no_data)
 *                     and the contract's freshness rules decide; any failure → failure
 *                     record → Fail. Nesting: If Condition holds no container activity.
 *
 * Databricks: every Databricks activity is a `DatabricksJob` activity (documented:
 * `typeProperties.jobId` + `jobParameters`) that starts the bundle's step job
 * (`DATABRICKS_STEP_JOB`, one step of the job plan) with the job parameters
 * `DATABRICKS_STEP_PARAMETERS` (command, job, layer, run_date, freshness). The job's id
 * exists only after `databricks bundle deploy`: the deploy step writes it to
 * `control/DATABRICKS_JOB_IDS_FILE`, each master pipeline looks it up and passes it down
 * as the pipeline parameter `databricksJobId`. The wheel, its entry point, the spec
 * files, the storage root and the salt's secret scope are the job's own settings.
 *
 * Schedules: Data Factory owns every schedule (the Databricks jobs carry none). Exactly
 * one trigger per batch is Started: `tr_daily_schedule` (pl_daily_master, yesterday's
 * batch) and `tr_hourly_schedule` (pl_hourly_master, the running day); the tumbling
 * window `tr_daily_window` (backfills) is generated Stopped.
 *
 * Secrets: none. ADLS, Blob, Databricks and Key Vault use the factory's managed
 * identity; the SQL connection string is a Key Vault secret reference; the Databricks
 * jobs read the pseudonymisation salt from their own secret scope.
 * Dynamic values are written in the form Data Factory Studio saves to git (studio-form.ts:
 * `dynamic` for activity and dataset properties, `storedProcedureParameter`,
 * `triggerParameter`), so a factory opened and saved in the Studio shows no diff and
 * readers of that form (Microsoft's data-factory-testing-framework) evaluate them.
 * Output is deterministic: fixed key order, no timestamps.
 */
import { StreamPulseError, type ContractSet } from '@streampulse/contracts';
import { DATABRICKS_JOB_IDS_FILE, DATABRICKS_STEP_JOB, DATABRICKS_STEP_PARAMETERS, type DatabricksStepParameter, type JobPlan } from '@streampulse/jobs';
import { dynamic, storedProcedureParameter, triggerParameter } from './studio-form.js';

export interface FactoryOptions {
  readonly factoryName?: string;
  readonly environment?: string;
  readonly location?: string;
  /** ADLS Gen2 account of the lake (landing, bronze, silver, gold, control file systems). */
  readonly lakeAccount?: string;
  /** Blob account where source systems drop their daily files. */
  readonly sourceAccount?: string;
  readonly keyVaultName?: string;
  readonly databricksWorkspaceUrl?: string;
  readonly databricksWorkspaceResourceId?: string;
  /** Parallel ingestion runs in the master's ForEach (ADF allows 1..50). */
  readonly ingestBatchCount?: number;
  /** First trigger window / schedule start (UTC). */
  readonly triggerStart?: string;
  /** Hour (UTC) the daily schedule fires. */
  readonly scheduleHour?: number;
  /** Minute past every hour (UTC) the hourly schedule fires. */
  readonly hourlyMinute?: number;
}

export const FACTORY_DEFAULTS = {
  factoryName: 'adf-streampulse',
  environment: 'dev',
  location: 'westeurope',
  lakeAccount: 'stspulselakedev',
  sourceAccount: 'stspulsesrcdev',
  keyVaultName: 'kv-streampulse-dev',
  databricksWorkspaceUrl: 'https://adb-0000000000000000.0.azuredatabricks.net',
  databricksWorkspaceResourceId:
    '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-streampulse-dev/providers/Microsoft.Databricks/workspaces/dbw-streampulse-dev',
  ingestBatchCount: 4,
  triggerStart: '2026-01-01T00:00:00Z',
  scheduleHour: 2,
  hourlyMinute: 15,
} as const satisfies Required<FactoryOptions>;

/** Names of the fixed entities (the executor, validator and CLI refer to them). */
export const NAMES = {
  lsKeyVault: 'ls_key_vault',
  lsLake: 'ls_adls_lake',
  lsSource: 'ls_blob_source_drop',
  lsDatabricks: 'ls_databricks',
  lsSql: 'ls_azure_sql_serving',
  dsSource: 'ds_source_file',
  dsLanding: 'ds_landing_file',
  /** A JSON file of the lake's control file system (parameter `fileName`): the manifest, the Databricks job ids. */
  dsControl: 'ds_control_file',
  dsExtract: 'ds_mart_extract',
  dsSql: 'ds_sql_table',
  plIngest: 'pl_ingest_dataset',
  plWave: 'pl_ingest_wave',
  plMaster: 'pl_daily_master',
  plHourly: 'pl_hourly_master',
  /** The daily batch's one Started trigger. */
  trSchedule: 'tr_daily_schedule',
  /** Tumbling windows over the daily batch for backfills: generated Stopped (start it only with tr_daily_schedule stopped). */
  trWindow: 'tr_daily_window',
  /** The hourly refresh's one Started trigger. */
  trHourly: 'tr_hourly_schedule',
  /** Activities of pl_ingest_dataset: Get Metadata (exists) of the source file → If Condition → Copy, or the no-data record. */
  checkSource: 'Check source file',
  ifSource: 'If source file exists',
  copySource: 'Copy source to landing',
  recordNoData: 'Record no data',
  /** Activities of the master pipelines that read the control files. */
  lookupManifest: 'Lookup control manifest',
  lookupJobIds: 'Lookup Databricks job ids',
  /** Pipeline parameter carrying the step job's id from the master pipelines down to the DatabricksJob activities. */
  jobIdParameter: 'databricksJobId',
  /** Stored procedures (created by the Azure SQL serving migrations). */
  spMerge: '[serving].[usp_merge_marts]',
  spRecordRun: '[ops].[usp_record_pipeline_run]',
  /** Its `Status` when a dataset's source sent no file for the run date (pl_ingest_dataset's If Condition, false branch). */
  noDataStatus: 'NoData',
  /** Lake file systems. */
  fsLanding: 'landing',
  fsServing: 'serving',
  fsControl: 'control',
  sourceContainer: 'source-drop',
  manifestFile: 'manifest.json',
  /** `control/<this>`: `{ "jobs": { "<job name>": <job id> } }`, written by the deploy step after `databricks bundle deploy`. */
  jobIdsFile: DATABRICKS_JOB_IDS_FILE,
  sqlStagingSchema: 'staging',
  sqlSecretName: 'sql-serving-connection-string',
} as const;

export interface ManifestDataset {
  readonly dataset: string;
  readonly system: string;
  readonly format: 'jsonl' | 'csv';
  readonly schedule: string;
  /** Landing folder (relative to the landing file system) with `{date}`. */
  readonly landingFolder: string;
  readonly landingFile: string;
  readonly bronzeJob: string;
  readonly silverJob: string;
  readonly slaHours: number;
}
export interface ControlManifest {
  /** Every dataset, by name. */
  readonly datasets: readonly ManifestDataset[];
  /**
   * The same datasets in dependency waves: a dataset's referential parents (its bronze
   * job's depends_on) are all in earlier waves. Waves run one after the other, the
   * datasets of a wave in parallel.
   */
  readonly waves: readonly (readonly ManifestDataset[])[];
  readonly marts: readonly { readonly mart: string; readonly job: string }[];
}

/** `control/DATABRICKS_JOB_IDS_FILE`: the deployed Databricks jobs' ids by job name (the bundle's job keys). */
export interface DatabricksJobIds {
  readonly jobs: Readonly<Record<string, number | string>>;
}

/** The factory in Data Factory's git layout: relative path → JSON document. */
export interface AdfFactory {
  readonly files: Readonly<Record<string, unknown>>;
}

/** ADF entity folders of the git layout. */
export const ENTITY_FOLDERS = ['factory', 'linkedService', 'dataset', 'pipeline', 'trigger'] as const;

const ref = (referenceName: string, type: string, parameters?: Record<string, unknown>): Record<string, unknown> =>
  parameters === undefined ? { referenceName, type } : { referenceName, type, parameters };
const dep = (activity: string, ...conditions: string[]): Record<string, unknown> => ({ activity, dependencyConditions: conditions });
const policy = (timeout: string, retry: number, retryIntervalInSeconds: number): Record<string, unknown> => ({
  timeout,
  retry,
  retryIntervalInSeconds,
  secureOutput: false,
  secureInput: false,
});

/** The control manifest: one entry per dataset (job ids from the plan), one per mart. */
export function controlManifest(set: ContractSet, plan: JobPlan): ControlManifest {
  const ids = new Set(plan.jobs.map((j) => j.id));
  const job = (id: string): string => {
    if (!ids.has(id)) throw new Error(`job plan has no job '${id}'`);
    return id;
  };
  const datasets = set.datasets
    .map((d) => {
      const path = d.source.landing_path;
      const slash = path.lastIndexOf('/');
      return {
        dataset: d.dataset,
        system: d.source.system,
        format: d.source.format,
        schedule: d.source.schedule,
        landingFolder: slash < 0 ? '' : path.slice(0, slash),
        landingFile: slash < 0 ? path : path.slice(slash + 1),
        bronzeJob: job(`bronze.${d.dataset}`),
        silverJob: job(`silver.${d.dataset}`),
        slaHours: d.sla.freshness_hours,
      };
    })
    .sort((a, b) => (a.dataset < b.dataset ? -1 : a.dataset > b.dataset ? 1 : 0));
  const marts = set.marts.map((m) => ({ mart: m.mart, job: job(`mart.${m.mart}`) })).sort((a, b) => (a.mart < b.mart ? -1 : a.mart > b.mart ? 1 : 0));
  return { datasets, waves: ingestionWaves(datasets, plan), marts };
}

/** Groups the datasets into waves: wave n holds the datasets whose parents are all in waves < n. */
function ingestionWaves(datasets: readonly ManifestDataset[], plan: JobPlan): ManifestDataset[][] {
  const deps = new Map(plan.jobs.map((j) => [j.id, j.depends_on]));
  const byName = new Map(datasets.map((d) => [d.dataset, d]));
  const level = new Map<string, number>();
  const visit = (d: ManifestDataset, path: readonly string[]): number => {
    const known = level.get(d.dataset);
    if (known !== undefined) return known;
    if (path.includes(d.dataset)) throw new Error(`datasets reference each other in a cycle: ${[...path, d.dataset].join(' → ')}`);
    let n = 0;
    for (const dep of deps.get(d.bronzeJob) ?? []) {
      const parent = byName.get(dep.replace(/^silver\./, ''));
      if (dep.startsWith('silver.') && parent !== undefined && parent !== d) n = Math.max(n, visit(parent, [...path, d.dataset]) + 1);
    }
    level.set(d.dataset, n);
    return n;
  };
  const waves: ManifestDataset[][] = [];
  for (const d of datasets) (waves[visit(d, [])] ??= []).push(d);
  return waves.filter((w) => w.length > 0);
}

function linkedServices(o: Required<FactoryOptions>): Record<string, unknown>[] {
  const kv = ref(NAMES.lsKeyVault, 'LinkedServiceReference');
  return [
    {
      name: NAMES.lsKeyVault,
      properties: {
        description: 'Key Vault of the environment; the factory reads secrets with its managed identity.',
        annotations: [],
        type: 'AzureKeyVault',
        typeProperties: { baseUrl: `https://${o.keyVaultName}.vault.azure.net/` },
      },
    },
    {
      name: NAMES.lsLake,
      properties: {
        description: 'The lake (ADLS Gen2): landing, bronze, silver, gold and control file systems. Managed identity, no key.',
        annotations: [],
        type: 'AzureBlobFS',
        typeProperties: { url: `https://${o.lakeAccount}.dfs.core.windows.net/` },
      },
    },
    {
      name: NAMES.lsSource,
      properties: {
        description: 'Blob storage where the source systems drop their daily files. Managed identity, no key.',
        annotations: [],
        type: 'AzureBlobStorage',
        typeProperties: { serviceEndpoint: `https://${o.sourceAccount}.blob.core.windows.net/`, accountKind: 'StorageV2' },
      },
    },
    {
      name: NAMES.lsDatabricks,
      properties: {
        description: `Databricks workspace for the DatabricksJob activities, which start the bundle's ${DATABRICKS_STEP_JOB} job: the job defines its own compute, wheel and secrets, so no cluster is configured here. Managed identity.`,
        annotations: [],
        type: 'AzureDatabricks',
        typeProperties: {
          domain: o.databricksWorkspaceUrl,
          authentication: 'MSI',
          workspaceResourceId: o.databricksWorkspaceResourceId,
        },
      },
    },
    {
      name: NAMES.lsSql,
      properties: {
        description: 'Azure SQL serving database. The connection string (Entra managed-identity authentication) comes from Key Vault.',
        annotations: [],
        type: 'AzureSqlDatabase',
        typeProperties: {
          connectionString: { type: 'AzureKeyVaultSecret', store: kv, secretName: NAMES.sqlSecretName },
        },
      },
    },
  ];
}

function datasets(): Record<string, unknown>[] {
  const lake = ref(NAMES.lsLake, 'LinkedServiceReference');
  return [
    {
      name: NAMES.dsSource,
      properties: {
        description: "A file a source system dropped (copied byte for byte, so landing keeps the source's content hash).",
        linkedServiceName: ref(NAMES.lsSource, 'LinkedServiceReference'),
        parameters: { folderPath: { type: 'String' }, fileName: { type: 'String' } },
        annotations: [],
        type: 'Binary',
        typeProperties: {
          location: {
            type: 'AzureBlobStorageLocation',
            fileName: dynamic('@dataset().fileName'),
            folderPath: dynamic('@dataset().folderPath'),
            container: NAMES.sourceContainer,
          },
        },
      },
    },
    {
      name: NAMES.dsLanding,
      properties: {
        description: 'A landing file in the lake (never modified after it lands).',
        linkedServiceName: lake,
        parameters: { folderPath: { type: 'String' }, fileName: { type: 'String' } },
        annotations: [],
        type: 'Binary',
        typeProperties: {
          location: {
            type: 'AzureBlobFSLocation',
            fileName: dynamic('@dataset().fileName'),
            folderPath: dynamic('@dataset().folderPath'),
            fileSystem: NAMES.fsLanding,
          },
        },
      },
    },
    {
      name: NAMES.dsControl,
      properties: {
        description: `A JSON file of the lake's control file system: the generated control manifest (${NAMES.manifestFile}: the datasets and marts the master pipelines iterate over) or the deployed Databricks job ids (${NAMES.jobIdsFile}).`,
        linkedServiceName: lake,
        parameters: { fileName: { type: 'String' } },
        annotations: [],
        type: 'Json',
        typeProperties: { location: { type: 'AzureBlobFSLocation', fileName: dynamic('@dataset().fileName'), fileSystem: NAMES.fsControl } },
        schema: {},
      },
    },
    {
      name: NAMES.dsExtract,
      properties: {
        description:
          "A mart's CSV extract (header row), written by the Databricks export task from the mart's Delta table. The copy reads the extract, never the Delta folder, whose files include superseded versions.",
        linkedServiceName: lake,
        parameters: { mart: { type: 'String' } },
        annotations: [],
        type: 'DelimitedText',
        typeProperties: {
          location: { type: 'AzureBlobFSLocation', folderPath: dynamic("@concat('extracts/', dataset().mart)"), fileSystem: NAMES.fsServing },
          columnDelimiter: ',',
          escapeChar: '\\',
          quoteChar: '"',
          firstRowAsHeader: true,
        },
        schema: [],
      },
    },
    {
      name: NAMES.dsSql,
      properties: {
        description: 'A table of the Azure SQL serving database.',
        linkedServiceName: ref(NAMES.lsSql, 'LinkedServiceReference'),
        parameters: { schema: { type: 'String' }, table: { type: 'String' } },
        annotations: [],
        type: 'AzureSqlTable',
        schema: [],
        typeProperties: { schema: dynamic('@dataset().schema'), table: dynamic('@dataset().table') },
      },
    },
  ];
}

/** A job parameter: a literal, or a dynamic value as Data Factory Studio saves it (`dynamic`). */
type StepValue = ReturnType<typeof dynamic>;

/**
 * A `DatabricksJob` activity (documented: `typeProperties.jobId` required, `jobParameters`
 * optional) starting the step job with all of its parameters: an empty `job` or `layer`
 * means "not this selector" to the runtime's CLI, so no value falls back to a job default.
 */
function databricksJob(
  name: string,
  description: string,
  jobId: string,
  parameters: Readonly<Record<DatabricksStepParameter, StepValue>>,
  dependsOn: unknown[],
): Record<string, unknown> {
  const jobParameters: Record<string, StepValue> = {};
  for (const k of DATABRICKS_STEP_PARAMETERS) jobParameters[k] = parameters[k];
  return {
    name,
    description,
    type: 'DatabricksJob',
    dependsOn,
    policy: policy('0.04:00:00', 1, 120),
    userProperties: [],
    typeProperties: { jobId: dynamic(jobId), jobParameters },
    linkedServiceName: ref(NAMES.lsDatabricks, 'LinkedServiceReference'),
  };
}

/** The step job's id in the job-ids file looked up by a master pipeline (a string: jobId's documented result type). */
const lookedUpJobId = `@string(activity('${NAMES.lookupJobIds}').output.firstRow.jobs['${DATABRICKS_STEP_JOB}'])`;
const jobIdParam = `@pipeline().parameters.${NAMES.jobIdParameter}`;

/** A Lookup of one file of the control file system (first row: the file's one JSON object). */
function lookupControl(name: string, fileName: string): Record<string, unknown> {
  return {
    name,
    type: 'Lookup',
    dependsOn: [],
    policy: policy('0.00:10:00', 2, 30),
    userProperties: [],
    typeProperties: {
      source: { type: 'JsonSource', storeSettings: { type: 'AzureBlobFSReadSettings', recursive: false }, formatSettings: { type: 'JsonReadSettings' } },
      dataset: ref(NAMES.dsControl, 'DatasetReference', { fileName }),
      firstRowOnly: true,
    },
  };
}

function recordRun(name: string, status: string, dependsOn: unknown[], runDate: string, detail: string): Record<string, unknown> {
  return {
    name,
    type: 'SqlServerStoredProcedure',
    dependsOn,
    policy: policy('0.00:10:00', 3, 30),
    userProperties: [],
    typeProperties: {
      storedProcedureName: NAMES.spRecordRun,
      storedProcedureParameters: {
        PipelineName: storedProcedureParameter('@pipeline().Pipeline', 'String'),
        RunId: storedProcedureParameter('@pipeline().RunId', 'String'),
        RunDate: storedProcedureParameter(runDate, 'String'),
        Status: storedProcedureParameter(status, 'String'),
        Detail: storedProcedureParameter(detail, 'String'),
      },
    },
    linkedServiceName: ref(NAMES.lsSql, 'LinkedServiceReference'),
  };
}

/**
 * Whether a failed freshness rule with action `fail` stops the batch (`enforce`, what the
 * triggers run) or is only reported (`report`: a manual backfill of sparse history).
 */
const FRESHNESS_PARAMETER = { type: 'String', defaultValue: 'enforce' } as const;

function ingestPipeline(): Record<string, unknown> {
  const p = (n: string): string => `pipeline().parameters.${n}`;
  const folder = `@replace(${p('landingFolder')}, '{date}', ${p('runDate')})`;
  const sourceFile = ref(NAMES.dsSource, 'DatasetReference', { folderPath: dynamic(folder), fileName: dynamic(`@${p('landingFile')}`) });
  const step = (job: string): Record<DatabricksStepParameter, StepValue> => ({
    command: 'run',
    job: dynamic(`@${p(job)}`),
    layer: '',
    run_date: dynamic(`@${p('runDate')}`),
    freshness: dynamic(`@${p('freshness')}`),
  });
  return {
    name: NAMES.plIngest,
    properties: {
      description:
        "Ingests ONE dataset for one run date: source drop → landing → bronze → silver. Parameterised by the control manifest entry. A day without a source file is no data, not a failure: the copy is skipped, a NoData record is written, and bronze records the empty batch, where the contract's freshness rules decide.",
      activities: [
        {
          name: NAMES.checkSource,
          description: "Whether the source system dropped the day's file (fieldList exists: a missing file gives exists false instead of failing).",
          type: 'GetMetadata',
          dependsOn: [],
          policy: policy('0.00:10:00', 2, 30),
          userProperties: [],
          typeProperties: {
            dataset: sourceFile,
            fieldList: ['exists'],
            storeSettings: { type: 'AzureBlobStorageReadSettings', recursive: false, enablePartitionDiscovery: false },
            formatSettings: { type: 'BinaryReadSettings' },
          },
        },
        {
          name: NAMES.ifSource,
          type: 'IfCondition',
          dependsOn: [dep(NAMES.checkSource, 'Succeeded')],
          userProperties: [],
          typeProperties: {
            expression: dynamic(`@activity('${NAMES.checkSource}').output.exists`),
            ifTrueActivities: [
              {
                name: NAMES.copySource,
                type: 'Copy',
                dependsOn: [],
                policy: policy('0.01:00:00', 2, 60),
                userProperties: [],
                typeProperties: {
                  source: { type: 'BinarySource', storeSettings: { type: 'AzureBlobStorageReadSettings', recursive: false } },
                  sink: { type: 'BinarySink', storeSettings: { type: 'AzureBlobFSWriteSettings' } },
                  enableStaging: false,
                },
                inputs: [sourceFile],
                outputs: [ref(NAMES.dsLanding, 'DatasetReference', { folderPath: dynamic(folder), fileName: dynamic(`@${p('landingFile')}`) })],
              },
            ],
            ifFalseActivities: [
              recordRun(
                NAMES.recordNoData,
                NAMES.noDataStatus,
                [],
                `@${p('runDate')}`,
                `@concat('no data: no source file ', ${folder.slice(1)}, '/', ${p('landingFile')}, ' for dataset ', ${p('dataset')}, ' on ', ${p('runDate')}, '; bronze records the empty batch and the freshness rules decide')`,
              ),
            ],
          },
        },
        databricksJob('Bronze', 'Runs the bronze job spec of the dataset (parse, audit columns, quality, quarantine).', jobIdParam, step('bronzeJob'), [
          dep(NAMES.ifSource, 'Succeeded'),
        ]),
        databricksJob('Silver', 'Runs the silver job spec of the dataset (conform, pseudonymise, dedupe, merge).', jobIdParam, step('silverJob'), [
          dep('Bronze', 'Succeeded'),
        ]),
        recordRun(
          'Record ingestion failure',
          'Failed',
          [dep('Silver', 'Failed', 'Skipped')],
          `@${p('runDate')}`,
          `@concat('dataset ', ${p('dataset')}, ' failed')`,
        ),
        {
          name: 'Fail ingestion',
          type: 'Fail',
          dependsOn: [dep('Record ingestion failure', 'Succeeded', 'Failed')],
          userProperties: [],
          typeProperties: {
            message: dynamic(`@concat('ingestion of ', ${p('dataset')}, ' for ', ${p('runDate')}, ' failed; see the activity runs of this pipeline run')`),
            errorCode: 'STREAMPULSE_INGEST_FAILED',
          },
        },
      ],
      parameters: {
        dataset: { type: 'String' },
        system: { type: 'String' },
        landingFolder: { type: 'String' },
        landingFile: { type: 'String' },
        bronzeJob: { type: 'String' },
        silverJob: { type: 'String' },
        runDate: { type: 'String' },
        freshness: FRESHNESS_PARAMETER,
        [NAMES.jobIdParameter]: { type: 'String' },
      },
      folder: { name: 'streampulse' },
      annotations: ['streampulse', 'generated'],
    },
  };
}

function wavePipeline(o: Required<FactoryOptions>): Record<string, unknown> {
  return {
    name: NAMES.plWave,
    properties: {
      description: 'Ingests the datasets of ONE wave of the control manifest in parallel (their referential parents were ingested by earlier waves).',
      activities: [
        {
          name: 'For each dataset',
          type: 'ForEach',
          dependsOn: [],
          userProperties: [],
          typeProperties: {
            items: dynamic('@pipeline().parameters.datasets'),
            isSequential: false,
            batchCount: o.ingestBatchCount,
            activities: [
              {
                name: 'Ingest dataset',
                type: 'ExecutePipeline',
                dependsOn: [],
                userProperties: [],
                typeProperties: {
                  pipeline: ref(NAMES.plIngest, 'PipelineReference'),
                  waitOnCompletion: true,
                  parameters: {
                    dataset: dynamic('@item().dataset'),
                    system: dynamic('@item().system'),
                    landingFolder: dynamic('@item().landingFolder'),
                    landingFile: dynamic('@item().landingFile'),
                    bronzeJob: dynamic('@item().bronzeJob'),
                    silverJob: dynamic('@item().silverJob'),
                    runDate: dynamic('@pipeline().parameters.runDate'),
                    freshness: dynamic('@pipeline().parameters.freshness'),
                    [NAMES.jobIdParameter]: dynamic(jobIdParam),
                  },
                },
              },
            ],
          },
        },
      ],
      parameters: { datasets: { type: 'Array' }, runDate: { type: 'String' }, freshness: FRESHNESS_PARAMETER, [NAMES.jobIdParameter]: { type: 'String' } },
      folder: { name: 'streampulse' },
      annotations: ['streampulse', 'generated'],
    },
  };
}

/** The activities that start a master pipeline: the two control-file lookups. */
const lookups = (): Record<string, unknown>[] => [lookupControl(NAMES.lookupManifest, NAMES.manifestFile), lookupControl(NAMES.lookupJobIds, NAMES.jobIdsFile)];
const afterLookups = (): unknown[] => [dep(NAMES.lookupManifest, 'Succeeded'), dep(NAMES.lookupJobIds, 'Succeeded')];

/** Execute pl_ingest_wave for `datasets` (inside a ForEach over the manifest's waves). */
function ingestWave(datasets: string, dependsOn: unknown[]): Record<string, unknown> {
  return {
    name: 'Ingest wave',
    type: 'ExecutePipeline',
    dependsOn,
    userProperties: [],
    typeProperties: {
      pipeline: ref(NAMES.plWave, 'PipelineReference'),
      waitOnCompletion: true,
      parameters: {
        datasets: dynamic(datasets),
        runDate: dynamic('@pipeline().parameters.runDate'),
        freshness: dynamic('@pipeline().parameters.freshness'),
        [NAMES.jobIdParameter]: dynamic(lookedUpJobId),
      },
    },
  };
}

function masterPipeline(o: Required<FactoryOptions>): Record<string, unknown> {
  const runDate = '@pipeline().parameters.runDate';
  const manifest = `activity('${NAMES.lookupManifest}').output.firstRow`;
  const step = (command: 'run' | 'export', layer: string): Record<DatabricksStepParameter, StepValue> => ({
    command,
    job: '',
    layer,
    run_date: dynamic(runDate),
    freshness: dynamic('@pipeline().parameters.freshness'),
  });
  return {
    name: NAMES.plMaster,
    properties: {
      description:
        'The daily batch: the datasets of the control manifest wave by wave (each wave in parallel), then gold and the marts, the export, then the serving database.',
      activities: [
        ...lookups(),
        {
          name: 'For each wave',
          type: 'ForEach',
          dependsOn: afterLookups(),
          userProperties: [],
          typeProperties: {
            items: dynamic(`@${manifest}.waves`),
            isSequential: true,
            activities: [ingestWave('@item()', [])],
          },
        },
        databricksJob(
          'Gold',
          'Builds the gold models and the marts of the run date (job specs of layer gold and mart).',
          lookedUpJobId,
          step('run', 'gold,mart'),
          [dep('For each wave', 'Succeeded')],
        ),
        databricksJob('Export', "Writes each mart's CSV extract and the batch report; fails when rows are not conserved.", lookedUpJobId, step('export', ''), [
          dep('Gold', 'Succeeded'),
        ]),
        {
          name: 'For each mart',
          type: 'ForEach',
          dependsOn: [dep('Export', 'Succeeded')],
          userProperties: [],
          typeProperties: {
            items: dynamic(`@${manifest}.marts`),
            isSequential: false,
            batchCount: o.ingestBatchCount,
            activities: [
              {
                name: 'Copy mart to SQL staging',
                type: 'Copy',
                dependsOn: [],
                policy: policy('0.01:00:00', 2, 60),
                userProperties: [],
                typeProperties: {
                  source: {
                    type: 'DelimitedTextSource',
                    storeSettings: { type: 'AzureBlobFSReadSettings', recursive: true, wildcardFileName: '*.csv' },
                    formatSettings: { type: 'DelimitedTextReadSettings' },
                  },
                  sink: {
                    type: 'AzureSqlSink',
                    preCopyScript: dynamic(`@concat('TRUNCATE TABLE [${NAMES.sqlStagingSchema}].[', item().mart, ']')`),
                    writeBehavior: 'insert',
                    tableOption: 'none',
                  },
                  enableStaging: false,
                },
                inputs: [ref(NAMES.dsExtract, 'DatasetReference', { mart: dynamic('@item().mart') })],
                outputs: [ref(NAMES.dsSql, 'DatasetReference', { schema: NAMES.sqlStagingSchema, table: dynamic('@item().mart') })],
              },
            ],
          },
        },
        {
          name: 'Merge serving',
          type: 'SqlServerStoredProcedure',
          dependsOn: [dep('For each mart', 'Succeeded')],
          policy: policy('0.01:00:00', 2, 60),
          userProperties: [],
          typeProperties: {
            storedProcedureName: NAMES.spMerge,
            storedProcedureParameters: { RunDate: storedProcedureParameter(runDate, 'String') },
          },
          linkedServiceName: ref(NAMES.lsSql, 'LinkedServiceReference'),
        },
        recordRun(
          'Record completion',
          'Succeeded',
          [dep('Merge serving', 'Succeeded')],
          runDate,
          `@concat(string(length(${manifest}.datasets)), ' datasets, ', string(length(${manifest}.marts)), ' marts')`,
        ),
        recordRun(
          'Record failure',
          'Failed',
          [dep('Merge serving', 'Failed', 'Skipped')],
          runDate,
          "@concat('daily batch ', pipeline().parameters.runDate, ' failed')",
        ),
        {
          name: 'Fail daily batch',
          type: 'Fail',
          dependsOn: [dep('Record failure', 'Succeeded', 'Failed')],
          userProperties: [],
          typeProperties: {
            message: dynamic("@concat('daily batch ', pipeline().parameters.runDate, ' failed; see the activity runs')"),
            errorCode: 'STREAMPULSE_DAILY_FAILED',
          },
        },
      ],
      parameters: { runDate: { type: 'String' }, freshness: FRESHNESS_PARAMETER },
      folder: { name: 'streampulse' },
      annotations: ['streampulse', 'generated'],
    },
  };
}

/** The Filter of the hourly master: the hourly datasets of the current wave. */
const HOURLY_FILTER = 'Hourly datasets of the wave';

function hourlyPipeline(): Record<string, unknown> {
  const runDate = '@pipeline().parameters.runDate';
  return {
    name: NAMES.plHourly,
    properties: {
      description:
        "The hourly refresh: bronze and silver of the running day for the datasets whose contract says `source.schedule: hourly` (the control manifest's `schedule`), wave by wave; gold, the marts and serving wait for the daily batch. One run at a time.",
      activities: [
        ...lookups(),
        {
          name: 'For each wave',
          type: 'ForEach',
          dependsOn: afterLookups(),
          userProperties: [],
          typeProperties: {
            items: dynamic(`@activity('${NAMES.lookupManifest}').output.firstRow.waves`),
            isSequential: true,
            activities: [
              {
                name: HOURLY_FILTER,
                type: 'Filter',
                dependsOn: [],
                userProperties: [],
                typeProperties: { items: dynamic('@item()'), condition: dynamic("@equals(item().schedule, 'hourly')") },
              },
              ingestWave(`@activity('${HOURLY_FILTER}').output.value`, [dep(HOURLY_FILTER, 'Succeeded')]),
            ],
          },
        },
        recordRun(
          'Record completion',
          'Succeeded',
          [dep('For each wave', 'Succeeded')],
          runDate,
          "@concat('hourly refresh of ', pipeline().parameters.runDate)",
        ),
        recordRun(
          'Record failure',
          'Failed',
          [dep('For each wave', 'Failed', 'Skipped')],
          runDate,
          "@concat('hourly refresh of ', pipeline().parameters.runDate, ' failed')",
        ),
        {
          name: 'Fail hourly refresh',
          type: 'Fail',
          dependsOn: [dep('Record failure', 'Succeeded', 'Failed')],
          userProperties: [],
          typeProperties: {
            message: dynamic("@concat('hourly refresh of ', pipeline().parameters.runDate, ' failed; see the activity runs')"),
            errorCode: 'STREAMPULSE_HOURLY_FAILED',
          },
        },
      ],
      parameters: { runDate: { type: 'String' }, freshness: FRESHNESS_PARAMETER },
      concurrency: 1,
      folder: { name: 'streampulse' },
      annotations: ['streampulse', 'generated'],
    },
  };
}

/** `start` moved `minutes` later, as an ISO time without milliseconds. */
function plusMinutes(start: string, minutes: number): string {
  const t = new Date(start);
  if (Number.isNaN(t.getTime()))
    throw new StreamPulseError('ADF_BAD_OPTION', `triggerStart '${start}' is not an ISO date-time`, {
      remedy: 'pass triggerStart as e.g. 2026-01-01T00:00:00Z',
    });
  return new Date(t.getTime() + minutes * 60_000).toISOString().replace(/\.000Z$/, 'Z');
}

function triggers(o: Required<FactoryOptions>): Record<string, unknown>[] {
  const start = o.triggerStart;
  if (!Number.isInteger(o.hourlyMinute) || o.hourlyMinute < 0 || o.hourlyMinute > 59)
    throw new StreamPulseError('ADF_BAD_OPTION', `hourlyMinute must be a whole minute 0..59, got ${o.hourlyMinute}`, {
      remedy: 'pass the minute past each hour the hourly refresh starts, e.g. 15',
    });
  return [
    {
      name: NAMES.trSchedule,
      properties: {
        description: "Runs yesterday's batch every day. The daily batch's one active trigger (keep tr_daily_window stopped while this one runs).",
        annotations: [],
        runtimeState: 'Started',
        pipelines: [
          {
            pipelineReference: ref(NAMES.plMaster, 'PipelineReference'),
            parameters: { runDate: triggerParameter("@formatDateTime(addDays(trigger().scheduledTime, -1), 'yyyy-MM-dd')") },
          },
        ],
        type: 'ScheduleTrigger',
        typeProperties: {
          recurrence: { frequency: 'Day', interval: 1, startTime: start, timeZone: 'UTC', schedule: { minutes: [0], hours: [o.scheduleHour] } },
        },
      },
    },
    {
      name: NAMES.trWindow,
      properties: {
        description: `Daily windows for backfills and re-runs: one run per window, retried on failure. Generated stopped: to backfill, stop ${NAMES.trSchedule} and start this one (one active trigger per batch).`,
        annotations: [],
        runtimeState: 'Stopped',
        pipeline: {
          pipelineReference: ref(NAMES.plMaster, 'PipelineReference'),
          parameters: { runDate: triggerParameter("@formatDateTime(trigger().outputs.windowStartTime, 'yyyy-MM-dd')") },
        },
        type: 'TumblingWindowTrigger',
        typeProperties: {
          frequency: 'Hour',
          interval: 24,
          startTime: start,
          delay: `0.${String(o.scheduleHour).padStart(2, '0')}:00:00`,
          maxConcurrency: 1,
          retryPolicy: { count: 3, intervalInSeconds: 900 },
          dependsOn: [],
        },
      },
    },
    {
      name: NAMES.trHourly,
      properties: {
        description: `Refreshes bronze and silver of the running day for the hourly datasets, every hour at minute ${o.hourlyMinute}; freshness is reported, not enforced, until the daily batch closes the day. The hourly refresh's one active trigger.`,
        annotations: [],
        runtimeState: 'Started',
        pipelines: [
          {
            pipelineReference: ref(NAMES.plHourly, 'PipelineReference'),
            // the running day is not closed: its freshness rules are reported here and enforced by the daily batch
            parameters: { runDate: triggerParameter("@formatDateTime(trigger().scheduledTime, 'yyyy-MM-dd')"), freshness: triggerParameter('report') },
          },
        ],
        type: 'ScheduleTrigger',
        typeProperties: {
          recurrence: { frequency: 'Hour', interval: 1, startTime: plusMinutes(start, o.hourlyMinute), timeZone: 'UTC' },
        },
      },
    },
  ];
}

/** Generates the factory (pure, deterministic). */
export function generateFactory(set: ContractSet, plan: JobPlan, options: FactoryOptions = {}): AdfFactory {
  const o: Required<FactoryOptions> = { ...FACTORY_DEFAULTS, ...options };
  const factoryName = `${o.factoryName}-${o.environment}`;
  const files: Record<string, unknown> = {};
  files[`factory/${factoryName}.json`] = {
    name: factoryName,
    location: o.location,
    identity: { type: 'SystemAssigned' },
    properties: { globalParameters: { environment: { type: 'String', value: o.environment } } },
  };
  for (const ls of linkedServices(o)) files[`linkedService/${ls['name'] as string}.json`] = ls;
  for (const ds of datasets()) files[`dataset/${ds['name'] as string}.json`] = ds;
  for (const pl of [ingestPipeline(), wavePipeline(o), masterPipeline(o), hourlyPipeline()]) files[`pipeline/${pl['name'] as string}.json`] = pl;
  for (const tr of triggers(o)) files[`trigger/${tr['name'] as string}.json`] = tr;
  files[`control/${NAMES.manifestFile}`] = controlManifest(set, plan);
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(files).sort()) sorted[k] = files[k];
  return { files: sorted };
}

/** The text of a generated file (ADF's git layout uses 4-space JSON). */
export function factoryFileText(value: unknown): string {
  return `${JSON.stringify(value, null, 4)}\n`;
}

/** Counts the ADF entities (files under the entity folders) per folder. */
export function entityCounts(f: AdfFactory): Record<(typeof ENTITY_FOLDERS)[number], number> {
  const counts = Object.fromEntries(ENTITY_FOLDERS.map((k) => [k, 0])) as Record<(typeof ENTITY_FOLDERS)[number], number>;
  for (const path of Object.keys(f.files)) {
    const folder = path.split('/')[0] as (typeof ENTITY_FOLDERS)[number];
    if (folder in counts) counts[folder]++;
  }
  return counts;
}
