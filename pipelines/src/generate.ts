/**
 * The Data Factory generator (pure: contracts + job plan in, files out).
 *
 * Metadata-driven: the factory has a FIXED set of entities — linked services,
 * datasets, two pipelines, two triggers — and a generated control manifest
 * (`control/manifest.json`, uploaded to the lake's `control` file system) lists the
 * datasets and marts. The daily master pipeline looks the manifest up and fans out
 * over it, so adding a dataset to `contracts/` changes the manifest, never the
 * number of ADF entities.
 *
 *   pl_daily_master   Lookup manifest → ForEach dataset (batchCount) → Execute
 *                     pl_ingest_dataset → Gold (Databricks) → ForEach mart: Copy gold
 *                     → Azure SQL staging → stored-procedure MERGE → completion record;
 *                     any failure → failure record → Fail.
 *   pl_ingest_dataset Copy source drop → ADLS landing → Bronze → Silver (Databricks);
 *                     any failure → failure record → Fail.
 *
 * Secrets: none. ADLS, Blob, Databricks and Key Vault use the factory's managed
 * identity; the SQL connection string is a Key Vault secret reference.
 * Output is deterministic: fixed key order, no timestamps.
 */
import type { ContractSet } from '@streampulse/contracts';
import type { JobPlan } from '@streampulse/jobs';

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
  /** Where the PySpark runtime's entry point is deployed. */
  readonly runtimeEntryPoint?: string;
  /** Parallel ingestion runs in the master's ForEach (ADF allows 1..50). */
  readonly ingestBatchCount?: number;
  /** First trigger window / schedule start (UTC). */
  readonly triggerStart?: string;
  /** Hour (UTC) the daily schedule fires. */
  readonly scheduleHour?: number;
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
  runtimeEntryPoint: 'dbfs:/streampulse/runtime/streampulse_runtime/main.py',
  ingestBatchCount: 4,
  triggerStart: '2026-01-01T00:00:00Z',
  scheduleHour: 2,
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
  dsManifest: 'ds_control_manifest',
  dsGold: 'ds_gold_table',
  dsSql: 'ds_sql_table',
  plIngest: 'pl_ingest_dataset',
  plMaster: 'pl_daily_master',
  trSchedule: 'tr_daily_schedule',
  trWindow: 'tr_daily_window',
  /** Stored procedures (created by the Azure SQL serving migrations). */
  spMerge: '[serving].[usp_merge_marts]',
  spRecordRun: '[ops].[usp_record_pipeline_run]',
  /** Lake file systems. */
  fsLanding: 'landing',
  fsGold: 'gold',
  fsControl: 'control',
  sourceContainer: 'source-drop',
  manifestFile: 'manifest.json',
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
  readonly datasets: readonly ManifestDataset[];
  readonly marts: readonly { readonly mart: string; readonly job: string }[];
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
const expr = (value: string): Record<string, unknown> => ({ value, type: 'Expression' });
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
  const marts = set.marts
    .map((m) => ({ mart: m.mart, job: job(`mart.${m.mart}`) }))
    .sort((a, b) => (a.mart < b.mart ? -1 : a.mart > b.mart ? 1 : 0));
  return { datasets, marts };
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
        description: 'Databricks workspace; a new job cluster per activity (autoscaling 1 to 4 workers). Managed identity.',
        annotations: [],
        type: 'AzureDatabricks',
        typeProperties: {
          domain: o.databricksWorkspaceUrl,
          authentication: 'MSI',
          workspaceResourceId: o.databricksWorkspaceResourceId,
          newClusterVersion: '15.4.x-scala2.12',
          newClusterNumOfWorker: '1:4',
          newClusterNodeType: 'Standard_D4ds_v5',
          newClusterSparkConf: {
            'spark.databricks.delta.optimizeWrite.enabled': 'true',
            'spark.streampulse.pii_salt': '{{secrets/streampulse/pii-salt}}',
          },
          newClusterCustomTags: { project: 'streampulse', environment: o.environment, cost_center: 'data-platform' },
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
          location: { type: 'AzureBlobStorageLocation', fileName: expr('@dataset().fileName'), folderPath: expr('@dataset().folderPath'), container: NAMES.sourceContainer },
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
          location: { type: 'AzureBlobFSLocation', fileName: expr('@dataset().fileName'), folderPath: expr('@dataset().folderPath'), fileSystem: NAMES.fsLanding },
        },
      },
    },
    {
      name: NAMES.dsManifest,
      properties: {
        description: 'The generated control manifest: the datasets and marts the master pipeline iterates over.',
        linkedServiceName: lake,
        annotations: [],
        type: 'Json',
        typeProperties: { location: { type: 'AzureBlobFSLocation', fileName: NAMES.manifestFile, fileSystem: NAMES.fsControl } },
        schema: {},
      },
    },
    {
      name: NAMES.dsGold,
      properties: {
        description: 'A gold table or mart as Parquet, written by the Databricks gold task.',
        linkedServiceName: lake,
        parameters: { table: { type: 'String' } },
        annotations: [],
        type: 'Parquet',
        typeProperties: {
          location: { type: 'AzureBlobFSLocation', folderPath: expr('@dataset().table'), fileSystem: NAMES.fsGold },
          compressionCodec: 'snappy',
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
        typeProperties: { schema: expr('@dataset().schema'), table: expr('@dataset().table') },
      },
    },
  ];
}

function databricksTask(name: string, description: string, parameters: string[], o: Required<FactoryOptions>, dependsOn: unknown[]): Record<string, unknown> {
  return {
    name,
    description,
    type: 'DatabricksSparkPython',
    dependsOn,
    policy: policy('0.04:00:00', 1, 120),
    userProperties: [],
    typeProperties: { pythonFile: o.runtimeEntryPoint, parameters },
    linkedServiceName: ref(NAMES.lsDatabricks, 'LinkedServiceReference'),
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
        PipelineName: { value: '@pipeline().Pipeline', type: 'String' },
        RunId: { value: '@pipeline().RunId', type: 'String' },
        RunDate: { value: runDate, type: 'String' },
        Status: { value: status, type: 'String' },
        Detail: { value: detail, type: 'String' },
      },
    },
    linkedServiceName: ref(NAMES.lsSql, 'LinkedServiceReference'),
  };
}

function ingestPipeline(o: Required<FactoryOptions>): Record<string, unknown> {
  const p = (n: string): string => `pipeline().parameters.${n}`;
  const folder = `@replace(${p('landingFolder')}, '{date}', ${p('runDate')})`;
  return {
    name: NAMES.plIngest,
    properties: {
      description: 'Ingests ONE dataset for one run date: source drop → landing → bronze → silver. Parameterised by the control manifest entry.',
      activities: [
        {
          name: 'Copy source to landing',
          type: 'Copy',
          dependsOn: [],
          policy: policy('0.01:00:00', 2, 60),
          userProperties: [],
          typeProperties: {
            source: { type: 'BinarySource', storeSettings: { type: 'AzureBlobStorageReadSettings', recursive: false } },
            sink: { type: 'BinarySink', storeSettings: { type: 'AzureBlobFSWriteSettings' } },
            enableStaging: false,
          },
          inputs: [ref(NAMES.dsSource, 'DatasetReference', { folderPath: folder, fileName: `@${p('landingFile')}` })],
          outputs: [ref(NAMES.dsLanding, 'DatasetReference', { folderPath: folder, fileName: `@${p('landingFile')}` })],
        },
        databricksTask(
          'Bronze',
          'Runs the bronze job spec of the dataset (parse, audit columns, quality, quarantine).',
          ['--job', `@${p('bronzeJob')}`, '--run-date', `@${p('runDate')}`],
          o,
          [dep('Copy source to landing', 'Succeeded')],
        ),
        databricksTask(
          'Silver',
          'Runs the silver job spec of the dataset (conform, pseudonymise, dedupe, merge).',
          ['--job', `@${p('silverJob')}`, '--run-date', `@${p('runDate')}`],
          o,
          [dep('Bronze', 'Succeeded')],
        ),
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
            message: `@concat('ingestion of ', ${p('dataset')}, ' for ', ${p('runDate')}, ' failed; see the activity runs of this pipeline run')`,
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
      },
      folder: { name: 'streampulse' },
      annotations: ['streampulse', 'generated'],
    },
  };
}

function masterPipeline(o: Required<FactoryOptions>): Record<string, unknown> {
  const runDate = '@pipeline().parameters.runDate';
  const manifest = "activity('Lookup control manifest').output.firstRow";
  return {
    name: NAMES.plMaster,
    properties: {
      description: 'The daily batch: every dataset of the control manifest (in parallel), then gold, then the serving database.',
      activities: [
        {
          name: 'Lookup control manifest',
          type: 'Lookup',
          dependsOn: [],
          policy: policy('0.00:10:00', 2, 30),
          userProperties: [],
          typeProperties: {
            source: { type: 'JsonSource', storeSettings: { type: 'AzureBlobFSReadSettings', recursive: false }, formatSettings: { type: 'JsonReadSettings' } },
            dataset: ref(NAMES.dsManifest, 'DatasetReference'),
            firstRowOnly: true,
          },
        },
        {
          name: 'For each dataset',
          type: 'ForEach',
          dependsOn: [dep('Lookup control manifest', 'Succeeded')],
          userProperties: [],
          typeProperties: {
            items: expr(`@${manifest}.datasets`),
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
                    dataset: '@item().dataset',
                    system: '@item().system',
                    landingFolder: '@item().landingFolder',
                    landingFile: '@item().landingFile',
                    bronzeJob: '@item().bronzeJob',
                    silverJob: '@item().silverJob',
                    runDate,
                  },
                },
              },
            ],
          },
        },
        databricksTask('Gold', 'Builds the gold models and the marts of the run date (job specs of layer gold and mart).', ['--layer', 'gold,mart', '--run-date', runDate], o, [
          dep('For each dataset', 'Succeeded'),
        ]),
        {
          name: 'For each mart',
          type: 'ForEach',
          dependsOn: [dep('Gold', 'Succeeded')],
          userProperties: [],
          typeProperties: {
            items: expr(`@${manifest}.marts`),
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
                  source: { type: 'ParquetSource', storeSettings: { type: 'AzureBlobFSReadSettings', recursive: true, wildcardFileName: '*.parquet' } },
                  sink: { type: 'AzureSqlSink', preCopyScript: `@concat('TRUNCATE TABLE [${NAMES.sqlStagingSchema}].[', item().mart, ']')`, writeBehavior: 'insert', tableOption: 'none' },
                  enableStaging: false,
                },
                inputs: [ref(NAMES.dsGold, 'DatasetReference', { table: '@item().mart' })],
                outputs: [ref(NAMES.dsSql, 'DatasetReference', { schema: NAMES.sqlStagingSchema, table: '@item().mart' })],
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
            storedProcedureParameters: { RunDate: { value: runDate, type: 'String' } },
          },
          linkedServiceName: ref(NAMES.lsSql, 'LinkedServiceReference'),
        },
        recordRun('Record completion', 'Succeeded', [dep('Merge serving', 'Succeeded')], runDate, `@concat(string(length(${manifest}.datasets)), ' datasets, ', string(length(${manifest}.marts)), ' marts')`),
        recordRun('Record failure', 'Failed', [dep('Merge serving', 'Failed', 'Skipped')], runDate, "@concat('daily batch ', pipeline().parameters.runDate, ' failed')"),
        {
          name: 'Fail daily batch',
          type: 'Fail',
          dependsOn: [dep('Record failure', 'Succeeded', 'Failed')],
          userProperties: [],
          typeProperties: { message: "@concat('daily batch ', pipeline().parameters.runDate, ' failed; see the activity runs')", errorCode: 'STREAMPULSE_DAILY_FAILED' },
        },
      ],
      parameters: { runDate: { type: 'String' } },
      folder: { name: 'streampulse' },
      annotations: ['streampulse', 'generated'],
    },
  };
}

function triggers(o: Required<FactoryOptions>): Record<string, unknown>[] {
  const start = o.triggerStart;
  return [
    {
      name: NAMES.trSchedule,
      properties: {
        description: "Runs yesterday's batch every day.",
        annotations: [],
        runtimeState: 'Started',
        pipelines: [
          {
            pipelineReference: ref(NAMES.plMaster, 'PipelineReference'),
            parameters: { runDate: "@formatDateTime(addDays(trigger().scheduledTime, -1), 'yyyy-MM-dd')" },
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
        description: 'Daily windows for backfills and re-runs: one run per window, retried on failure. Start it to backfill from its start time.',
        annotations: [],
        runtimeState: 'Stopped',
        pipeline: {
          pipelineReference: ref(NAMES.plMaster, 'PipelineReference'),
          parameters: { runDate: "@formatDateTime(trigger().outputs.windowStartTime, 'yyyy-MM-dd')" },
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
  for (const pl of [ingestPipeline(o), masterPipeline(o)]) files[`pipeline/${pl['name'] as string}.json`] = pl;
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
