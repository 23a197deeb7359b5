/**
 * The Data Factory generator (pure: contracts + job plan in, files out).
 *
 * Metadata-driven: the factory has a FIXED set of entities — linked services,
 * datasets, three pipelines, two triggers — and a generated control manifest
 * (`control/manifest.json`, uploaded to the lake's `control` file system) lists the
 * datasets, in dependency waves, and the marts. The daily master pipeline looks the
 * manifest up and fans out over it, so adding a dataset to `contracts/` changes the
 * manifest, never the number of ADF entities.
 *
 *   pl_daily_master   Lookup manifest → ForEach wave (sequential) → Execute
 *                     pl_ingest_wave → Gold (Databricks: gold + mart job specs) →
 *                     Export (Databricks: mart CSV extracts, batch report, conservation)
 *                     → ForEach mart: Copy extract → Azure SQL staging →
 *                     stored-procedure MERGE → completion record;
 *                     any failure → failure record → Fail.
 *   pl_ingest_wave    ForEach dataset of one wave (parallel, batchCount) → Execute
 *                     pl_ingest_dataset. A wave's datasets only reference datasets of
 *                     earlier waves, so a bronze job's referential checks see its
 *                     parents' silver state of the same run date.
 *   pl_ingest_dataset Copy source drop → ADLS landing → Bronze → Silver (Databricks);
 *                     any failure → failure record → Fail.
 *
 * The Databricks activities call the same entry point, wheel, spec files and storage
 * root as the Databricks jobs (`@streampulse/jobs` DATABRICKS_DEFAULTS/runtimePaths).
 *
 * Secrets: none. ADLS, Blob, Databricks and Key Vault use the factory's managed
 * identity; the SQL connection string is a Key Vault secret reference.
 * Output is deterministic: fixed key order, no timestamps.
 */
import type { ContractSet } from '@streampulse/contracts';
import { DATABRICKS_DEFAULTS, lakeStorageRoot, runtimePaths, type JobPlan } from '@streampulse/jobs';

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
  /** Workspace folder of the PySpark runtime (`runtime/databricks_task.py`, the wheel, `specs/`); the Databricks jobs use the same. */
  readonly workspaceRoot?: string;
  /** Version of the streampulse-spark wheel. */
  readonly wheelVersion?: string;
  /** Secret scope of the pseudonymisation salt. */
  readonly secretScope?: string;
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
  workspaceRoot: DATABRICKS_DEFAULTS.workspaceRoot,
  wheelVersion: DATABRICKS_DEFAULTS.wheelVersion,
  secretScope: DATABRICKS_DEFAULTS.secretScope,
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
  dsExtract: 'ds_mart_extract',
  dsSql: 'ds_sql_table',
  plIngest: 'pl_ingest_dataset',
  plWave: 'pl_ingest_wave',
  plMaster: 'pl_daily_master',
  trSchedule: 'tr_daily_schedule',
  trWindow: 'tr_daily_window',
  /** Stored procedures (created by the Azure SQL serving migrations). */
  spMerge: '[serving].[usp_merge_marts]',
  spRecordRun: '[ops].[usp_record_pipeline_run]',
  /** Lake file systems. */
  fsLanding: 'landing',
  fsServing: 'serving',
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
      name: NAMES.dsExtract,
      properties: {
        description:
          "A mart's CSV extract (header row), written by the Databricks export task from the mart's Delta table. The copy reads the extract, never the Delta folder, whose files include superseded versions.",
        linkedServiceName: lake,
        parameters: { mart: { type: 'String' } },
        annotations: [],
        type: 'DelimitedText',
        typeProperties: {
          location: { type: 'AzureBlobFSLocation', folderPath: expr("@concat('extracts/', dataset().mart)"), fileSystem: NAMES.fsServing },
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
        typeProperties: { schema: expr('@dataset().schema'), table: expr('@dataset().table') },
      },
    },
  ];
}

/**
 * A Databricks activity running the PySpark runtime's CLI
 * (`streampulse-spark run|export --plan … --storage-root … --run-date … [--job …|--layer …]`).
 */
function databricksTask(name: string, description: string, command: 'run' | 'export', args: string[], runDate: string, o: Required<FactoryOptions>, dependsOn: unknown[]): Record<string, unknown> {
  const rt = runtimePaths(o.workspaceRoot, o.wheelVersion);
  const parameters = [command, '--plan', rt.specs, '--storage-root', lakeStorageRoot(o.lakeAccount), '--run-date', runDate, '--secret-scope', o.secretScope, ...args];
  return {
    name,
    description,
    type: 'DatabricksSparkPython',
    dependsOn,
    policy: policy('0.04:00:00', 1, 120),
    userProperties: [],
    typeProperties: { pythonFile: rt.pythonFile, parameters, libraries: [{ whl: rt.wheel }] },
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

/**
 * Whether a failed freshness rule with action `fail` stops the batch (`enforce`, what the
 * triggers run) or is only reported (`report`: a manual backfill of sparse history).
 */
const FRESHNESS_PARAMETER = { type: 'String', defaultValue: 'enforce' } as const;

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
          'run',
          ['--job', `@${p('bronzeJob')}`, '--freshness', `@${p('freshness')}`],
          `@${p('runDate')}`,
          o,
          [dep('Copy source to landing', 'Succeeded')],
        ),
        databricksTask(
          'Silver',
          'Runs the silver job spec of the dataset (conform, pseudonymise, dedupe, merge).',
          'run',
          ['--job', `@${p('silverJob')}`],
          `@${p('runDate')}`,
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
        freshness: FRESHNESS_PARAMETER,
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
            items: expr('@pipeline().parameters.datasets'),
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
                    runDate: '@pipeline().parameters.runDate',
                    freshness: '@pipeline().parameters.freshness',
                  },
                },
              },
            ],
          },
        },
      ],
      parameters: { datasets: { type: 'Array' }, runDate: { type: 'String' }, freshness: FRESHNESS_PARAMETER },
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
      description: 'The daily batch: the datasets of the control manifest wave by wave (each wave in parallel), then gold and the marts, the export, then the serving database.',
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
          name: 'For each wave',
          type: 'ForEach',
          dependsOn: [dep('Lookup control manifest', 'Succeeded')],
          userProperties: [],
          typeProperties: {
            items: expr(`@${manifest}.waves`),
            isSequential: true,
            activities: [
              {
                name: 'Ingest wave',
                type: 'ExecutePipeline',
                dependsOn: [],
                userProperties: [],
                typeProperties: {
                  pipeline: ref(NAMES.plWave, 'PipelineReference'),
                  waitOnCompletion: true,
                  parameters: { datasets: '@item()', runDate, freshness: '@pipeline().parameters.freshness' },
                },
              },
            ],
          },
        },
        databricksTask('Gold', 'Builds the gold models and the marts of the run date (job specs of layer gold and mart).', 'run', ['--layer', 'gold,mart'], runDate, o, [
          dep('For each wave', 'Succeeded'),
        ]),
        databricksTask('Export', "Writes each mart's CSV extract and the batch report; fails when rows are not conserved.", 'export', [], runDate, o, [dep('Gold', 'Succeeded')]),
        {
          name: 'For each mart',
          type: 'ForEach',
          dependsOn: [dep('Export', 'Succeeded')],
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
                  source: {
                    type: 'DelimitedTextSource',
                    storeSettings: { type: 'AzureBlobFSReadSettings', recursive: true, wildcardFileName: '*.csv' },
                    formatSettings: { type: 'DelimitedTextReadSettings' },
                  },
                  sink: { type: 'AzureSqlSink', preCopyScript: `@concat('TRUNCATE TABLE [${NAMES.sqlStagingSchema}].[', item().mart, ']')`, writeBehavior: 'insert', tableOption: 'none' },
                  enableStaging: false,
                },
                inputs: [ref(NAMES.dsExtract, 'DatasetReference', { mart: '@item().mart' })],
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
      parameters: { runDate: { type: 'String' }, freshness: FRESHNESS_PARAMETER },
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
  for (const pl of [ingestPipeline(o), wavePipeline(o), masterPipeline(o)]) files[`pipeline/${pl['name'] as string}.json`] = pl;
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
