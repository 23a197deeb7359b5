/**
 * The names the deployed estate's parts use to find each other. One source of truth:
 * the bundle generator, the Data Factory generator, the Pulumi program, the deploy
 * workflow's steps and `streampulse preflight` all read them from here, so a renamed
 * secret, job or file is renamed everywhere or caught by preflight.
 */

/** The Databricks job (bundle resource) that runs ONE step of the job plan: what Data Factory's DatabricksJob activities start. */
export const DATABRICKS_STEP_JOB = 'streampulse-step';
/** The Databricks job (bundle resource) with the whole daily task graph, bronze → silver → gold → export: unscheduled, for manual runs and backfills. */
export const DATABRICKS_DAILY_JOB = 'streampulse-daily';
/**
 * The Databricks job (bundle resource) with the Structured Streaming queries: one task per
 * stream spec (a contract dataset with `source.stream_topic`), each reading its Event Hubs
 * topic with `availableNow` and stopping; scheduled every few minutes by the job itself —
 * fresh in minutes without an always-on cluster. The only scheduled job of the bundle.
 */
export const DATABRICKS_STREAM_JOB = 'streampulse-stream';
/** The job parameters of the step job, in the order the runtime's CLI takes them. */
export const DATABRICKS_STEP_PARAMETERS = ['command', 'job', 'layer', 'run_date', 'freshness'] as const;
export type DatabricksStepParameter = (typeof DATABRICKS_STEP_PARAMETERS)[number];

/**
 * `control/<this>` in the lake: `{ "jobs": { "<job name>": <job id> } }`, written at deploy
 * right after `databricks bundle deploy` (job ids exist only then); Data Factory's master
 * pipelines look it up and pass the step job's id to their DatabricksJob activities.
 */
export const DATABRICKS_JOB_IDS_FILE = 'databricks_jobs.json';

/** The pseudonymisation salt: one name in Key Vault, the Databricks secret scope and the job specs. */
export const PII_SALT = {
  /** Databricks secret scope (Databricks-backed: a service principal can create it). */
  scope: 'streampulse',
  /** Key in that scope, and the job specs' `salt_secret`. */
  key: 'streampulse-pii-salt',
  /** Key Vault secret holding the same value (the record of it; Pulumi generates it). */
  keyVaultSecret: 'streampulse-pii-salt',
} as const;

/**
 * Event Hubs' Kafka endpoint for the streaming job: the bootstrap server and the
 * namespace's `listen` connection string (SASL PLAIN with the user name `$ConnectionString`,
 * as Event Hubs documents for Kafka clients), in the same Databricks secret scope as the
 * salt, under the names infra also gives them in Key Vault.
 */
export const EVENT_HUBS_KAFKA_SECRETS = {
  /** Databricks secret scope (the one PII_SALT lives in). */
  scope: PII_SALT.scope,
  /** `<namespace>.servicebus.windows.net:9093`. */
  bootstrapKey: 'eventhubs-kafka-bootstrap',
  /** The namespace-level `listen` rule's connection string (`Endpoint=sb://…;SharedAccessKeyName=listen;SharedAccessKey=…`). */
  connectionStringKey: 'eventhubs-listen-connection-string',
} as const;

/** The PySpark runtime's wheel, as `python_wheel_task` names it. */
export const RUNTIME_WHEEL = {
  /** Distribution name (pyproject `[project] name`). */
  distribution: 'streampulse-spark',
  /** Import package (`python_wheel_task.package_name`). */
  packageName: 'streampulse_spark',
  /** Console-script entry point (`python_wheel_task.entry_point`). */
  entryPoint: 'streampulse-spark',
} as const;
