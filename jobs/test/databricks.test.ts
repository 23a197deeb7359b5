/**
 * Databricks job definitions and spec files: golden files (UPDATE_GOLDEN=1 rewrites
 * them), determinism, the Jobs API 2.1 shape (a schema derived from the public API
 * reference, fixtures/databricks-jobs-2.1.schema.json), and the task graph.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findWorkspaceRoot, loadContractsOrThrow, STREAMPULSE_CONTRACTS_DIR } from '@streampulse/contracts';
import { compileJobs, databricksJobs, jsonText, specFiles, taskKey } from '@streampulse/jobs';

const ROOT = findWorkspaceRoot(process.cwd()) ?? process.cwd();
const GOLDEN = join(ROOT, 'jobs', 'test', 'golden', 'databricks');
const SCHEMA = JSON.parse(readFileSync(join(ROOT, 'jobs', 'test', 'fixtures', 'databricks-jobs-2.1.schema.json'), 'utf8')) as Schema;
const set = loadContractsOrThrow(join(ROOT, STREAMPULSE_CONTRACTS_DIR));
const plan = compileJobs(set);

interface Schema {
  type?: string;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
}

/** The JSON-Schema keywords the schema file uses; every problem as `path: message`. */
export function validate(value: unknown, schema: Schema, path = '$'): string[] {
  const out: string[] = [];
  const t = Array.isArray(value) ? 'array' : value === null ? 'null' : Number.isInteger(value) ? 'integer' : typeof value;
  if (schema.type && !(schema.type === t || (schema.type === 'number' && t === 'integer'))) return [`${path}: expected ${schema.type}, got ${t}`];
  if (schema.enum && !schema.enum.includes(value)) out.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) out.push(`${path}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) out.push(`${path}: longer than ${schema.maxLength}`);
    if (schema.pattern && !new RegExp(schema.pattern).test(value)) out.push(`${path}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) out.push(`${path}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) out.push(`${path}: above ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) out.push(`${path}: fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) out.push(`${path}: more than ${schema.maxItems} items`);
    if (schema.items) value.forEach((v, i) => out.push(...validate(v, schema.items!, `${path}[${i}]`)));
  }
  if (t === 'object') {
    const o = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in o)) out.push(`${path}: missing required "${r}"`);
    if (schema.maxProperties !== undefined && Object.keys(o).length > schema.maxProperties) out.push(`${path}: more than ${schema.maxProperties} properties`);
    for (const [k, v] of Object.entries(o)) {
      const p = schema.properties?.[k];
      if (p) out.push(...validate(v, p, `${path}.${k}`));
      else if (schema.additionalProperties === false) out.push(`${path}: unknown field "${k}"`);
      else if (typeof schema.additionalProperties === 'object') out.push(...validate(v, schema.additionalProperties, `${path}.${k}`));
    }
  }
  return out;
}

interface Task {
  task_key: string;
  depends_on: { task_key: string }[];
  job_cluster_key: string;
  spark_python_task: { parameters: string[] };
}
interface Job {
  name: string;
  tasks: Task[];
  job_clusters: { job_cluster_key: string; new_cluster: Record<string, unknown> & { azure_attributes: Record<string, unknown>; autoscale: Record<string, number>; custom_tags: Record<string, string> } }[];
  tags: Record<string, string>;
  schedule: { quartz_cron_expression: string };
}

const jobs = databricksJobs(set, plan) as unknown as Record<string, Job>;
const files: Record<string, string> = {
  ...Object.fromEntries(Object.entries(jobs).map(([k, v]) => [k, jsonText(v)])),
  ...Object.fromEntries(Object.entries(specFiles(plan)).map(([k, v]) => [`specs/${k}`, jsonText(v)])),
};

const listFiles = (dir: string, prefix = ''): string[] =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`])).sort()
    : [];

describe('databricksJobs and specFiles', () => {
  it('match the golden files (UPDATE_GOLDEN=1 rewrites them)', () => {
    if (process.env['UPDATE_GOLDEN'] === '1') {
      rmSync(GOLDEN, { recursive: true, force: true });
      mkdirSync(join(GOLDEN, 'specs'), { recursive: true });
      for (const [path, text] of Object.entries(files)) writeFileSync(join(GOLDEN, path), text);
    }
    expect(listFiles(GOLDEN)).toStrictEqual(Object.keys(files).sort());
    for (const [path, text] of Object.entries(files)) expect({ path, text }).toStrictEqual({ path, text: readFileSync(join(GOLDEN, path), 'utf8') });
  });

  it('are deterministic', () => {
    expect(JSON.stringify(databricksJobs(set, compileJobs(set)))).toBe(JSON.stringify(jobs));
    expect(JSON.stringify(specFiles(compileJobs(set)))).toBe(JSON.stringify(specFiles(plan)));
  });

  it('validate against the Jobs API 2.1 shape', () => {
    for (const [file, job] of Object.entries(jobs)) expect({ file, problems: validate(job, SCHEMA) }).toStrictEqual({ file, problems: [] });
  });

  it('the schema check catches a misspelt field, a wrong enum and a missing field', () => {
    const daily = JSON.parse(JSON.stringify(jobs['streampulse-daily.json'])) as Record<string, unknown> & Job;
    daily['max_concurent_runs'] = 1;
    daily.job_clusters[0]!.new_cluster.azure_attributes['availability'] = 'SPOT';
    delete (daily.tasks[0] as unknown as Record<string, unknown>)['task_key'];
    expect(validate(daily, SCHEMA).sort()).toStrictEqual([
      '$.job_clusters[0].new_cluster.azure_attributes.availability: "SPOT" is not one of ["SPOT_AZURE","ON_DEMAND_AZURE","SPOT_WITH_FALLBACK_AZURE"]',
      '$.tasks[0]: missing required "task_key"',
      '$: unknown field "max_concurent_runs"',
    ]);
  });

  it('has a job per schedule, a task per job spec, and the graph bronze → silver → gold → marts → export', () => {
    expect(Object.keys(jobs).sort()).toStrictEqual(['streampulse-daily.json', 'streampulse-hourly.json']);
    const daily = jobs['streampulse-daily.json']!;
    expect(daily.tasks.map((t) => t.task_key)).toStrictEqual([...plan.jobs.map((j) => taskKey(j.id)), 'export']);
    const keys = new Set<string>();
    for (const t of daily.tasks) {
      // dependencies come first (a valid topological order) and exist
      for (const d of t.depends_on) expect({ task: t.task_key, dep: d.task_key, seen: keys.has(d.task_key) }).toStrictEqual({ task: t.task_key, dep: d.task_key, seen: true });
      keys.add(t.task_key);
      expect(daily.job_clusters.map((c) => c.job_cluster_key)).toContain(t.job_cluster_key);
    }
    for (const ds of set.datasets) expect(daily.tasks.find((t) => t.task_key === `silver__${ds.dataset}`)!.depends_on).toContainEqual({ task_key: `bronze__${ds.dataset}` });
    const gold = daily.tasks.filter((t) => t.task_key.startsWith('gold__'));
    expect(gold.every((t) => t.depends_on.every((d) => /^(silver|gold)__/.test(d.task_key)))).toBe(true);
    expect(daily.tasks.find((t) => t.task_key === 'export')!.depends_on.map((d) => d.task_key).sort()).toStrictEqual(set.marts.map((m) => `mart__${m.mart}`).sort());
    const hourly = jobs['streampulse-hourly.json']!;
    const hourlyDs = set.datasets.filter((d) => d.source.schedule === 'hourly').map((d) => d.dataset);
    expect(hourly.tasks.map((t) => t.task_key).sort()).toStrictEqual(hourlyDs.flatMap((d) => [`bronze__${d}`, `silver__${d}`]).sort());
    for (const t of hourly.tasks) for (const d of t.depends_on) expect(hourly.tasks.map((x) => x.task_key)).toContain(d.task_key);
  });

  it('clusters: pinned LTS runtime, autoscale, spot with on-demand fallback, cost tags from the contracts', () => {
    for (const job of Object.values(jobs)) {
      const c = job.job_clusters[0]!.new_cluster;
      expect(c['spark_version']).toBe('15.4.x-scala2.12');
      expect(c.autoscale['min_workers']).toBeLessThan(c.autoscale['max_workers']!);
      expect(c.azure_attributes).toStrictEqual({ availability: 'SPOT_WITH_FALLBACK_AZURE', first_on_demand: 1, spot_bid_max_price: -1 });
      expect(c.custom_tags['project']).toBe('streampulse');
      expect(c.custom_tags['job']).toBe(job.name);
    }
    const domains = [...new Set([...set.datasets, ...set.models, ...set.marts].map((c) => c.domain))].sort().join('+');
    expect(jobs['streampulse-daily.json']!.tags['domains']).toBe(domains);
  });

  it('passes the runtime its parameters and no secret', () => {
    const text = JSON.stringify(jobs);
    expect(text).not.toMatch(/password|secret_value|accountKey|sas=|token/i);
    const t = jobs['streampulse-daily.json']!.tasks.find((x) => x.task_key === 'bronze__users')!;
    expect(t.spark_python_task.parameters).toStrictEqual([
      'run',
      '--plan',
      'dbfs:/streampulse/specs',
      '--storage-root',
      'abfss://{layer}@stspulselakedev.dfs.core.windows.net',
      '--run-date',
      '{{job.parameters.run_date}}',
      '--date-offset-days',
      '-1',
      '--secret-scope',
      'streampulse',
      '--job',
      'bronze.users',
      '--freshness',
      '{{job.parameters.freshness}}',
    ]);
    const job = jobs['streampulse-daily.json']! as unknown as { parameters: { name: string; default: string }[] };
    expect(job.parameters).toContainEqual({ name: 'freshness', default: 'enforce' });
  });

  it('writes the specs the runtime loads: index.json in execution order, one file per job', () => {
    const specs = specFiles(plan);
    expect((specs['index.json'] as { jobs: string[] }).jobs).toStrictEqual(plan.jobs.map((j) => j.id));
    expect(Object.keys(specs)).toHaveLength(plan.jobs.length + 1);
  });
});
