/**
 * The Databricks Asset Bundle (`databricksBundle`): golden files (UPDATE_GOLDEN=1 rewrites
 * them), determinism, YAML that reads back to the generated objects, the bundle
 * configuration shape (fixtures/databricks-bundle.schema.json, derived from the public
 * bundle configuration reference and the Jobs API job settings), and each documented
 * requirement the deployment depends on, as its own test.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix } from 'node:path';
import { findWorkspaceRoot, loadContractsOrThrow, STREAMPULSE_CONTRACTS_DIR, StreamPulseError } from '@streampulse/contracts';
import {
  BUNDLE_TARGETS,
  BUNDLE_RUNTIME_DIR,
  DATABRICKS_DAILY_JOB,
  DATABRICKS_STEP_JOB,
  DATABRICKS_STEP_PARAMETERS,
  DATABRICKS_STREAM_JOB,
  EVENT_HUBS_KAFKA_SECRETS,
  LAKE_FILE_SYSTEMS,
  PII_SALT,
  RUNTIME_WHEEL,
  bundleJobFile,
  bundleJobKey,
  compileJobs,
  compileStreams,
  databricksBundle,
  databricksJobs,
  specFiles,
  taskKey,
  yamlText,
  type BundleJob,
  type YamlValue,
} from '@streampulse/jobs';
import { validate, type Schema } from './helpers/json-schema.js';

const ROOT = findWorkspaceRoot(process.cwd()) ?? process.cwd();
const GOLDEN = join(ROOT, 'jobs', 'test', 'golden', 'databricks');
const SCHEMA = JSON.parse(readFileSync(join(ROOT, 'jobs', 'test', 'fixtures', 'databricks-bundle.schema.json'), 'utf8')) as Schema;
// the workspace's YAML parser (a dependency of @streampulse/contracts)
const YAML = createRequire(join(ROOT, 'contracts', 'package.json'))('yaml') as { parse(text: string): unknown };
const set = loadContractsOrThrow(join(ROOT, STREAMPULSE_CONTRACTS_DIR));
const plan = compileJobs(set);
const files = databricksBundle(set, plan);
const jobs = databricksJobs(set, plan);
const streams = compileStreams(set, plan).streams;

type Doc = Record<string, unknown> & {
  bundle?: { name: string };
  include?: string[];
  artifacts?: Record<string, { type: string; path: string; build: string }>;
  sync?: { include: string[] };
  variables?: Record<string, { description: string; default?: string }>;
  targets?: Record<string, { mode: string; workspace: { root_path: string }; variables: Record<string, string>; run_as: Record<string, string> }>;
  resources?: { jobs: Record<string, BundleJob> };
};
const yamlFiles = Object.keys(files).filter((f) => f.endsWith('.yml'));
const docs: Record<string, Doc> = Object.fromEntries(yamlFiles.map((f) => [f, YAML.parse(files[f]!) as Doc]));
const main = docs['databricks.yml']!;
const resourceJobs = (): [string, string, BundleJob][] =>
  Object.entries(docs).flatMap(([file, d]) => Object.entries(d.resources?.jobs ?? {}).map(([key, job]) => [file, key, job] as [string, string, BundleJob]));
const allTasks = (): BundleJob['tasks'][number][] => Object.values(jobs).flatMap((j) => j.tasks);
const globRe = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]*')}$`,
  );

const listFiles = (dir: string, prefix = ''): string[] =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
        .sort()
    : [];

describe('databricksBundle', () => {
  it('matches the golden files (UPDATE_GOLDEN=1 rewrites them)', () => {
    if (process.env['UPDATE_GOLDEN'] === '1') {
      rmSync(GOLDEN, { recursive: true, force: true });
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(GOLDEN, path)), { recursive: true });
        writeFileSync(join(GOLDEN, path), text);
      }
    }
    expect(listFiles(GOLDEN)).toStrictEqual(Object.keys(files).sort());
    for (const [path, text] of Object.entries(files)) expect({ path, text }).toStrictEqual({ path, text: readFileSync(join(GOLDEN, path), 'utf8') });
  });

  it('is deterministic', () => {
    expect(databricksBundle(set, compileJobs(set))).toStrictEqual(files);
  });

  it('writes databricks.yml, one resource file per job and the specs', () => {
    expect(Object.keys(files).filter((f) => !f.startsWith('specs/'))).toStrictEqual([
      'databricks.yml',
      bundleJobFile(DATABRICKS_STEP_JOB),
      bundleJobFile(DATABRICKS_DAILY_JOB),
      bundleJobFile(DATABRICKS_STREAM_JOB),
    ]);
    expect(bundleJobFile(DATABRICKS_STEP_JOB)).toBe('resources/streampulse-step.job.yml');
    expect(
      Object.keys(files)
        .filter((f) => f.startsWith('specs/'))
        .sort(),
    ).toStrictEqual([...Object.keys(specFiles(plan)), 'streams.json'].map((f) => `specs/${f}`).sort());
  });

  it('every YAML file reads back (with the yaml package) to exactly the generated objects', () => {
    expect(resourceJobs().map(([file, key, job]) => [file, key, job.name])).toStrictEqual([
      [bundleJobFile(DATABRICKS_STEP_JOB), bundleJobKey(DATABRICKS_STEP_JOB), DATABRICKS_STEP_JOB],
      [bundleJobFile(DATABRICKS_DAILY_JOB), bundleJobKey(DATABRICKS_DAILY_JOB), DATABRICKS_DAILY_JOB],
      [bundleJobFile(DATABRICKS_STREAM_JOB), bundleJobKey(DATABRICKS_STREAM_JOB), DATABRICKS_STREAM_JOB],
    ]);
    for (const [, key, job] of resourceJobs()) expect(job).toStrictEqual(JSON.parse(JSON.stringify(jobs[key])));
    expect(main.bundle).toStrictEqual({ name: 'streampulse' });
  });

  it('every configuration file has the bundle configuration shape (checked against the documented contract)', () => {
    for (const [file, doc] of Object.entries(docs)) expect({ file, problems: validate(doc, SCHEMA) }).toStrictEqual({ file, problems: [] });
  });

  it('the shape check catches a misspelt key, a wrong enum, a missing wheel task field and a root-level typo', () => {
    const doc = JSON.parse(JSON.stringify(docs[bundleJobFile(DATABRICKS_DAILY_JOB)])) as Doc;
    const job = doc.resources!.jobs[bundleJobKey(DATABRICKS_DAILY_JOB)]! as unknown as Record<string, unknown> & BundleJob;
    job['max_concurent_runs'] = 1;
    (job.job_clusters[0]!.new_cluster['azure_attributes'] as Record<string, unknown>)['availability'] = 'SPOT';
    delete (job.tasks[0]!.python_wheel_task as unknown as Record<string, unknown>)['entry_point'];
    doc['artifact'] = {};
    expect(validate(doc, SCHEMA).sort()).toStrictEqual([
      '$.resources.jobs.streampulse_daily.job_clusters[0].new_cluster.azure_attributes.availability: "SPOT" is not one of ["SPOT_AZURE","ON_DEMAND_AZURE","SPOT_WITH_FALLBACK_AZURE"]',
      '$.resources.jobs.streampulse_daily.tasks[0].python_wheel_task: missing required "entry_point"',
      '$.resources.jobs.streampulse_daily: unknown field "max_concurent_runs"',
      '$: unknown field "artifact"',
    ]);
  });

  it('no batch job has a schedule, trigger or continuous setting: Data Factory owns the batch schedule (one active schedule per batch)', () => {
    for (const [file, key, job] of resourceJobs()) {
      if (job.name === DATABRICKS_STREAM_JOB) continue;
      for (const k of ['schedule', 'trigger', 'triggers', 'continuous']) expect({ file, key, has: k in job }).toStrictEqual({ file, key, has: false });
    }
    for (const text of yamlFiles.filter((f) => f !== bundleJobFile(DATABRICKS_STREAM_JOB)).map((f) => files[f]!))
      expect(text).not.toMatch(/^\s*(schedule|trigger|triggers|continuous|quartz_cron_expression|pause_status):/m);
    // nor presets that would add or unpause one
    for (const t of Object.values(main.targets!)) expect(Object.keys(t)).not.toContain('presets');
  });

  it('every task is a python_wheel_task of the runtime wheel with positional parameters (checked against the documented contract)', () => {
    for (const t of allTasks()) {
      expect(Object.keys(t).filter((k) => k.endsWith('_task'))).toStrictEqual(['python_wheel_task']);
      expect(t.python_wheel_task.package_name).toBe(RUNTIME_WHEEL.packageName);
      expect(t.python_wheel_task.entry_point).toBe(RUNTIME_WHEEL.entryPoint);
      // a JSON array of strings: job parameters are not pushed down to it, so each one is referenced explicitly
      expect(Array.isArray(t.python_wheel_task.parameters) && t.python_wheel_task.parameters.every((p) => typeof p === 'string')).toBe(true);
      expect(Object.keys(t.python_wheel_task)).not.toContain('named_parameters');
      expect(['run', 'export', 'stream', '{{job.parameters.command}}']).toContain(t.python_wheel_task.parameters[0]);
    }
  });

  it('job parameters: names of letters, digits and underscores, and every {{job.parameters.x}} a task uses is defined (checked against the documented contract)', () => {
    for (const job of Object.values(jobs)) {
      const names = job.parameters.map((p) => p.name);
      for (const n of names) expect(n).toMatch(/^[A-Za-z0-9_]+$/);
      const used = new Set(
        job.tasks.flatMap((t) => t.python_wheel_task.parameters.flatMap((p) => [...p.matchAll(/\{\{job\.parameters\.([^}]+)\}\}/g)].map((m) => m[1]!))),
      );
      expect({ job: job.name, used: [...used].sort() }).toStrictEqual({ job: job.name, used: [...names].sort() });
      // dynamic value references are written whole: an unbalanced brace is silently kept as text
      for (const t of job.tasks) for (const p of t.python_wheel_task.parameters) expect(p.replace(/\{\{[a-z_.]+\}\}/g, '')).not.toMatch(/\{\{|\}\}/);
    }
  });

  it('the step job takes DATABRICKS_STEP_PARAMETERS and hands each to the runtime flag of the same meaning', () => {
    const step = jobs[bundleJobKey(DATABRICKS_STEP_JOB)]!;
    expect(step.parameters.map((p) => p.name)).toStrictEqual([...DATABRICKS_STEP_PARAMETERS]);
    expect(step.parameters).toContainEqual({ name: 'command', default: 'run' });
    expect(step.parameters).toContainEqual({ name: 'freshness', default: 'enforce' });
    expect(step.tasks).toHaveLength(1);
    const args = step.tasks[0]!.python_wheel_task.parameters;
    const flag = (f: string): string | undefined => (args.includes(f) ? args[args.indexOf(f) + 1] : undefined);
    expect(args[0]).toBe('{{job.parameters.command}}');
    expect([flag('--job'), flag('--layer'), flag('--run-date'), flag('--freshness')]).toStrictEqual([
      '{{job.parameters.job}}',
      '{{job.parameters.layer}}',
      '{{job.parameters.run_date}}',
      '{{job.parameters.freshness}}',
    ]);
    // Data Factory starts one run per dataset of a wave: runs beyond the limit wait in the queue
    expect(step.max_concurrent_runs).toBeGreaterThan(1);
    expect(step.queue).toStrictEqual({ enabled: true });
  });

  it('the wheel is a bundle artifact of type whl and every library is its dist path relative to the resource file (checked against the documented contract)', () => {
    expect(Object.keys(main.artifacts!)).toStrictEqual([RUNTIME_WHEEL.packageName]);
    const art = main.artifacts![RUNTIME_WHEEL.packageName]!;
    expect(art.type).toBe('whl');
    // paths in a bundle file are relative to that file: the artifact's to databricks.yml (the bundle root);
    // the runtime project sits inside the bundle root (a local library outside the sync root is refused)
    expect(art.path).toBe(BUNDLE_RUNTIME_DIR);
    expect(main.sync).toStrictEqual({ include: ['specs/*.json'], exclude: [`${BUNDLE_RUNTIME_DIR}/**`] });
    expect(art.build).toMatch(/^python3 -m pip wheel --no-deps --wheel-dir dist \.$/);
    for (const [file, , job] of resourceJobs()) {
      for (const t of job.tasks) {
        expect(t.libraries).toHaveLength(1);
        const whl = t.libraries[0]!.whl;
        // a local path (relative, no scheme) is uploaded by the CLI; an absolute one would be read as a workspace path
        expect(whl).toMatch(/^\.\.?\//);
        expect(whl).not.toMatch(/^[a-z]+:/i);
        // resolved from the resource file's folder it is the artifact's dist/*.whl
        expect(posix.normalize(posix.join(posix.dirname(file), whl))).toBe(posix.normalize(posix.join(art.path, 'dist/*.whl')));
      }
    }
  });

  it('targets dev and prod: production mode with an explicit workspace root under /Workspace/Users, the lake account, run_as a service principal (checked against the documented contract)', () => {
    expect(Object.keys(main.targets!)).toStrictEqual([...BUNDLE_TARGETS]);
    for (const [name, t] of Object.entries(main.targets!)) {
      expect(t.mode).toBe('production');
      // production mode requires workspace.root_path set in the target; /Workspace/Shared would be writable by every user
      expect(t.workspace.root_path).toMatch(/^\/Workspace\/Users\/\$\{workspace\.current_user\.userName\}\//);
      expect(t.workspace.root_path).toContain('${bundle.target}');
      expect(t.variables).toStrictEqual({ lake_account: `stspulselake${name}` });
      expect(t.run_as).toStrictEqual({ service_principal_name: '${var.run_as_service_principal}' });
    }
    // every variable a file uses is declared; run_as has no default: the deploy passes it
    const used = new Set(Object.values(files).flatMap((text) => [...text.matchAll(/\$\{var\.([a-z_]+)\}/g)].map((m) => m[1]!)));
    expect([...used].sort()).toStrictEqual(Object.keys(main.variables!).sort());
    expect(main.variables!['run_as_service_principal']!.default).toBeUndefined();
  });

  it('include covers every resource file and sync uploads the specs, also from a git-ignored folder', () => {
    const resources = Object.keys(files).filter((f) => f.startsWith('resources/'));
    for (const f of resources) expect(main.include!.some((g) => globRe(g).test(f))).toBe(true);
    const specs = Object.keys(files).filter((f) => f.startsWith('specs/'));
    for (const f of specs) expect(main.sync!.include.some((g) => globRe(g).test(f))).toBe(true);
    // the runtime reads them where the bundle syncs them
    for (const t of allTasks())
      expect(t.python_wheel_task.parameters[t.python_wheel_task.parameters.indexOf('--plan') + 1]).toBe('${workspace.file_path}/specs');
  });

  it('no generated file names DBFS: libraries in the DBFS root are disabled since Runtime 15.0 (checked against the documented contract)', () => {
    for (const [path, text] of Object.entries(files)) expect({ path, dbfs: /dbfs:|\/dbfs\//i.test(text) }).toStrictEqual({ path, dbfs: false });
  });

  it('the daily job: a task per job spec, the graph bronze → silver → gold → marts → export', () => {
    const daily = jobs[bundleJobKey(DATABRICKS_DAILY_JOB)]!;
    expect(daily.tasks.map((t) => t.task_key)).toStrictEqual([...plan.jobs.map((j) => taskKey(j.id)), 'export']);
    const keys = new Set<string>();
    for (const t of daily.tasks) {
      for (const d of t.depends_on ?? [])
        expect({ task: t.task_key, dep: d.task_key, seen: keys.has(d.task_key) }).toStrictEqual({ task: t.task_key, dep: d.task_key, seen: true });
      keys.add(t.task_key);
      expect(daily.job_clusters.map((c) => c.job_cluster_key)).toContain(t.job_cluster_key);
    }
    for (const ds of set.datasets)
      expect(daily.tasks.find((t) => t.task_key === `silver__${ds.dataset}`)!.depends_on).toContainEqual({ task_key: `bronze__${ds.dataset}` });
    const gold = daily.tasks.filter((t) => t.task_key.startsWith('gold__'));
    expect(gold.every((t) => (t.depends_on ?? []).every((d) => /^(silver|gold)__/.test(d.task_key)))).toBe(true);
    expect(
      daily.tasks
        .find((t) => t.task_key === 'export')!
        .depends_on!.map((d) => d.task_key)
        .sort(),
    ).toStrictEqual(set.marts.map((m) => `mart__${m.mart}`).sort());
    expect(daily.max_concurrent_runs).toBe(1);
  });

  it('clusters: pinned LTS runtime, autoscale, spot with on-demand fallback, single-user access, cost tags from the contracts', () => {
    const domains = [...new Set([...set.datasets, ...set.models, ...set.marts].map((c) => c.domain))].sort().join('+');
    for (const job of Object.values(jobs)) {
      expect(job.job_clusters).toHaveLength(1);
      const c = job.job_clusters[0]!.new_cluster as Record<string, unknown> & {
        autoscale: { min_workers: number; max_workers: number };
        custom_tags: Record<string, string>;
      };
      expect(c['spark_version']).toBe('15.4.x-scala2.12');
      expect(c.autoscale.min_workers).toBeLessThan(c.autoscale.max_workers);
      expect(c['azure_attributes']).toStrictEqual({ availability: 'SPOT_WITH_FALLBACK_AZURE', first_on_demand: 1, spot_bid_max_price: -1 });
      expect(c['data_security_mode']).toBe('SINGLE_USER');
      expect(c.custom_tags).toMatchObject({ project: 'streampulse', environment: '${bundle.target}', job: job.name, domains });
      expect(job.tags).toStrictEqual(c.custom_tags);
    }
  });

  it('passes the runtime the salt scope and key of PII_SALT and no secret value', () => {
    const text = Object.values(files).join('\n');
    expect(text).not.toMatch(/password|secret_value|accountKey|sas=|token/i);
    for (const t of allTasks()) {
      const args = t.python_wheel_task.parameters;
      expect(args.slice(-4)).toStrictEqual(['--secret-scope', PII_SALT.scope, '--secret-key', PII_SALT.key]);
      expect(args[args.indexOf('--storage-root') + 1]).toBe('abfss://{layer}@${var.lake_account}.dfs.core.windows.net');
    }
    const bronze = jobs[bundleJobKey(DATABRICKS_DAILY_JOB)]!.tasks.find((x) => x.task_key === 'bronze__users')!;
    expect(bronze.python_wheel_task.parameters).toStrictEqual([
      'run',
      '--plan',
      '${workspace.file_path}/specs',
      '--storage-root',
      'abfss://{layer}@${var.lake_account}.dfs.core.windows.net',
      '--run-date',
      '{{job.parameters.run_date}}',
      '--job',
      'bronze.users',
      '--freshness',
      '{{job.parameters.freshness}}',
      '--secret-scope',
      'streampulse',
      '--secret-key',
      'streampulse-pii-salt',
    ]);
  });

  it('options: the lake account per target from the name prefix or given, the runtime project from the caller; bad values are refused', () => {
    const target = (o: Parameters<typeof databricksBundle>[2]): Doc => YAML.parse(databricksBundle(set, plan, o)['databricks.yml']!) as Doc;
    expect(target({ namePrefix: 'acme' }).targets!['prod']!.variables).toStrictEqual({ lake_account: 'stacmelakeprod' });
    expect(target({ lakeAccounts: { dev: 'stotherlake' } }).targets!['dev']!.variables).toStrictEqual({ lake_account: 'stotherlake' });
    const runtime = { 'pyproject.toml': '[project]\nname = "streampulse-spark"\n', 'src/streampulse_spark/cli.py': 'def main(): ...\n' };
    const withRuntime = databricksBundle(set, plan, { runtimeFiles: runtime });
    expect(withRuntime[`${BUNDLE_RUNTIME_DIR}/pyproject.toml`]).toBe(runtime['pyproject.toml']);
    expect(withRuntime[`${BUNDLE_RUNTIME_DIR}/src/streampulse_spark/cli.py`]).toBe(runtime['src/streampulse_spark/cli.py']);
    expect(withRuntime[bundleJobFile(DATABRICKS_STEP_JOB)]).toContain(`- whl: "../${BUNDLE_RUNTIME_DIR}/dist/*.whl"`);
    for (const bad of ['/work/jobs/python/x.py', 'C:\\jobs\\x.py', 'file:x.py', '', '../x.py', 'src//x.py']) {
      expect(() => databricksBundle(set, plan, { runtimeFiles: { 'pyproject.toml': '', [bad]: '' } })).toThrow(StreamPulseError);
    }
    expect(() => databricksBundle(set, plan, { runtimeFiles: { 'src/x.py': '' } })).toThrow(/no pyproject\.toml/);
    expect(() => databricksBundle(set, plan, { lakeAccounts: { prod: 'St-Lake' } })).toThrow(/not a storage account name/);
    expect(() => databricksBundle(set, plan, { minWorkers: 3, stepMaxWorkers: 2 })).toThrow(/ends below its start/);
  });

  it('the stream job: a Quartz cron schedule every few minutes in UTC, unpaused, never continuous; one run at a time, a late one skipped (checked against the documented contract)', () => {
    const job = jobs[bundleJobKey(DATABRICKS_STREAM_JOB)]!;
    // Jobs API CronSchedule: quartz_cron_expression and timezone_id required, pause_status PAUSED | UNPAUSED
    expect(job.schedule).toStrictEqual({ quartz_cron_expression: '0 0/5 * * * ?', timezone_id: 'UTC', pause_status: 'UNPAUSED' });
    for (const k of ['trigger', 'continuous']) expect(k in job).toBe(false);
    expect(job.max_concurrent_runs).toBe(1);
    expect(job.queue).toStrictEqual({ enabled: false });
    const every = YAML.parse(databricksBundle(set, plan, { streamEveryMinutes: 15 })[bundleJobFile(DATABRICKS_STREAM_JOB)]!) as Doc;
    expect(every.resources!.jobs[bundleJobKey(DATABRICKS_STREAM_JOB)]!.schedule!.quartz_cron_expression).toBe('0 0/15 * * * ?');
    for (const bad of [0, 7, 90, 2.5]) expect(() => databricksBundle(set, plan, { streamEveryMinutes: bad })).toThrow(StreamPulseError);
  });

  it("the stream job: one task per stream spec, each the runtime's stream command with the Event Hubs secrets by name, never their values", () => {
    const job = jobs[bundleJobKey(DATABRICKS_STREAM_JOB)]!;
    expect(streams.map((s) => s.name).sort()).toStrictEqual(
      set.datasets
        .filter((d) => d.source.stream_topic !== undefined)
        .map((d) => d.dataset)
        .sort(),
    );
    expect(job.tasks.map((t) => t.task_key)).toStrictEqual(streams.map((s) => taskKey(s.id)));
    for (const [i, t] of job.tasks.entries()) {
      const args = t.python_wheel_task.parameters;
      const flag = (f: string): string | undefined => (args.includes(f) ? args[args.indexOf(f) + 1] : undefined);
      expect(args[0]).toBe('stream');
      expect(t.depends_on).toBeUndefined();
      expect(flag('--stream')).toBe(streams[i]!.id);
      expect([flag('--kafka-secret-scope'), flag('--kafka-bootstrap-key'), flag('--kafka-connection-string-key')]).toStrictEqual([
        EVENT_HUBS_KAFKA_SECRETS.scope,
        EVENT_HUBS_KAFKA_SECRETS.bootstrapKey,
        EVENT_HUBS_KAFKA_SECRETS.connectionStringKey,
      ]);
      expect(t.job_cluster_key).toBe(job.job_clusters[0]!.job_cluster_key);
    }
    expect(JSON.parse(files['specs/streams.json']!)).toStrictEqual(JSON.parse(JSON.stringify(compileStreams(set, plan))));
  });

  it("stream specs: the topic, the bronze job's columns and watermark, the targets and keys, a checkpoint in the lake per stream", () => {
    expect(streams.length).toBeGreaterThan(0);
    for (const s of streams) {
      const ds = set.datasets.find((d) => d.dataset === s.name)!;
      const bronze = plan.jobs.find((j) => j.id === s.bronze_job)!;
      const parse = bronze.steps.find((x) => x.op === 'parse')!;
      expect(s.source.topic).toBe(ds.source.stream_topic);
      expect(s.source.key).toBe(ds.source.stream_key ?? null);
      expect(parse.op === 'parse' && s.columns).toStrictEqual(parse.op === 'parse' && parse.columns);
      expect(s.watermark).toStrictEqual({
        event_time: ds.event_time,
        max_delay_hours: ds.watermark.max_delay_hours,
        delay_threshold: `${ds.watermark.max_delay_hours} hours`,
      });
      expect(plan.jobs.some((j) => j.id === s.silver_job && j.layer === 'silver')).toBe(true);
      expect(s.targets.silver.merge_key).toStrictEqual(ds.silver.dedupe.key);
      expect(s.targets.bronze.merge_key).toStrictEqual(['_source_file', '_line_no']);
      // the checkpoint lives in one of the lake's file systems (a Unity Catalog external location covers it)
      expect(LAKE_FILE_SYSTEMS as readonly string[]).toContain(s.checkpoint.split('/')[0]);
      expect(s.trigger).toBe('available_now');
    }
    expect(new Set(streams.map((s) => s.checkpoint)).size).toBe(streams.length);
  });

  it('writes the specs the runtime loads: index.json in execution order, one file per job', () => {
    const index = JSON.parse(files['specs/index.json']!) as { spec_version: number; jobs: string[] };
    expect(index).toStrictEqual({ spec_version: 1, jobs: plan.jobs.map((j) => j.id) });
    for (const j of plan.jobs) expect(JSON.parse(files[`specs/${j.id}.json`]!)).toStrictEqual(JSON.parse(JSON.stringify(j)));
  });
});

describe('yamlText', () => {
  it('writes strings that YAML would read as something else quoted, and reads back every value unchanged', () => {
    const value: YamlValue = {
      plain: 'streampulse-step',
      path: '../../jobs/python/dist/*.whl',
      look_alikes: ['true', 'no', 'null', '~', '15.4', '-1', '2026-01-25', '0x10', '.5', '.inf', '.NaN', '.hidden', 'y', 'Yes', 'OFF', '=', '<<'],
      indicators: [
        '--plan',
        '{{job.parameters.run_date}}',
        '${var.lake_account}',
        'a: b',
        'a #b',
        '* x',
        '& y',
        '! z',
        '%p',
        '@q',
        '`r`',
        "'s'",
        '"t"',
        '[u]',
        '|v',
        '>w',
        '',
      ],
      spaces: [' lead', 'trail ', 'in side'],
      unicode: 'landing → bronze',
      lines: 'one\ntwo',
      numbers: [0, -1, 1.5, 120000],
      flags: [true, false],
      none: null,
      empty_list: [],
      empty_map: {},
      'odd key: x': 1,
      nested: [{ a: 1, b: [{ c: 'd' }] }, [1, 2], 'e'],
    };
    const text = yamlText(value, ['a comment']);
    expect(text.startsWith('# a comment\n')).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
    expect(YAML.parse(text)).toStrictEqual(value);
    expect(text).toContain('\nplain: streampulse-step\n');
  });

  it('ends every document with exactly one newline, also one without lines', () => {
    expect(yamlText({ a: 1 })).toBe('a: 1\n');
    expect(yamlText({ a: 1 }, [''])).toBe('#\na: 1\n');
    expect(yamlText('x')).toBe('x\n');
    expect(yamlText({})).toBe('\n');
    expect(yamlText([], ['c'])).toBe('# c\n');
  });
});
