/**
 * Maps a generated Jobs API 2.1 `jobs/create` body (`@streampulse/jobs` databricksJobs)
 * to the arguments of the Databricks provider's `Job` resource.
 *
 * The provider's schema is the API's with snake_case → camelCase and list fields in
 * the plural (`depends_on` → `dependsOns`, `on_failure` → `onFailures`); map-valued
 * fields (spark_conf, spark_env_vars, custom_tags, tags) keep their keys. Every key of
 * the generated JSON must be one this mapping knows (checked against the provider's
 * schema when it was written): an unknown key is an error, never silently dropped.
 */
import { StreamPulseError } from '@streampulse/contracts';

/** Keys whose values are string maps: their inner keys are data, not schema. */
const MAP_FIELDS = new Set(['spark_conf', 'spark_env_vars', 'custom_tags', 'tags']);
/** List fields the provider names in the plural. */
const PLURAL: Readonly<Record<string, string>> = { depends_on: 'dependsOns', on_failure: 'onFailures', on_start: 'onStarts', on_success: 'onSuccesses' };
/** Every Jobs API key the generator emits and this mapping has been checked for. */
export const KNOWN_JOB_KEYS = new Set([
  'name', 'description', 'tags', 'format', 'max_concurrent_runs', 'timeout_seconds', 'schedule', 'quartz_cron_expression', 'timezone_id', 'pause_status',
  'parameters', 'default', 'email_notifications', 'on_failure', 'on_start', 'on_success', 'no_alert_for_skipped_runs', 'job_clusters', 'job_cluster_key', 'new_cluster',
  'spark_version', 'node_type_id', 'driver_node_type_id', 'autoscale', 'min_workers', 'max_workers', 'num_workers', 'azure_attributes', 'availability', 'first_on_demand',
  'spot_bid_max_price', 'spark_conf', 'spark_env_vars', 'custom_tags', 'data_security_mode', 'runtime_engine', 'enable_elastic_disk', 'tasks', 'task_key', 'depends_on',
  'spark_python_task', 'python_file', 'libraries', 'whl', 'max_retries', 'min_retry_interval_millis', 'retry_on_timeout',
]);

export class DatabricksMappingError extends StreamPulseError {
  constructor(message: string) {
    super('INFRA_DATABRICKS_MAPPING', message, {
      remedy: "Check the key against the Databricks provider's Job schema and add it to KNOWN_JOB_KEYS (and PLURAL / MAP_FIELDS when it is a list or a map) in infra/src/databricks-mapping.ts.",
    });
    this.name = 'DatabricksMappingError';
  }
}

const camel = (k: string): string => PLURAL[k] ?? k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

function convert(value: unknown, path: string): unknown {
  if (Array.isArray(value)) return value.map((v, i) => convert(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (!KNOWN_JOB_KEYS.has(k)) throw new DatabricksMappingError(`${path}.${k}: the Databricks job mapping does not know this Jobs API key`);
    out[camel(k)] = MAP_FIELDS.has(k) ? { ...(v as Record<string, unknown>) } : convert(v, `${path}.${k}`);
  }
  return out;
}

/** The provider arguments of one generated job; `paused` overrides the schedule's pause status. */
export function jobArgs(doc: unknown, where: string, options: { readonly paused: boolean }): Record<string, unknown> {
  const args = convert(doc, where) as Record<string, unknown>;
  const schedule = args['schedule'] as Record<string, unknown> | undefined;
  if (schedule !== undefined) args['schedule'] = { ...schedule, pauseStatus: options.paused ? 'PAUSED' : 'UNPAUSED' };
  return args;
}
