/**
 * The factory generator: golden files of the StreamPulse factory (regenerate with
 * UPDATE_GOLDEN=1), determinism, no secrets, a constant entity count as the number of
 * datasets grows (8 vs 80 synthetic datasets), the DatabricksJob activities against the
 * documented contract, and one active schedule per batch.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findWorkspaceRoot, loadContractsOrThrow, STREAMPULSE_CONTRACTS_DIR, type ContractSet } from '@streampulse/contracts';
import { compileJobs, DATABRICKS_JOB_IDS_FILE, DATABRICKS_STEP_JOB, DATABRICKS_STEP_PARAMETERS } from '@streampulse/jobs';
import { entityCounts, factoryFileText, generateFactory, NAMES, startedTriggersByPipeline, type ControlManifest } from '@streampulse/pipelines';

const ROOT = findWorkspaceRoot(process.cwd()) ?? process.cwd();
const GOLDEN = join(ROOT, 'pipelines', 'test', 'golden', 'adf');
const set = loadContractsOrThrow(join(ROOT, STREAMPULSE_CONTRACTS_DIR));

/** A contract set with `n` datasets: the real ones, cloned under new names as needed (or cut down). */
export function syntheticSet(base: ContractSet, n: number): ContractSet {
  const datasets = Array.from({ length: n }, (_, i) => {
    const d = base.datasets[i % base.datasets.length]!;
    if (i < base.datasets.length) return d;
    const name = `${d.dataset}_copy${Math.floor(i / base.datasets.length)}`;
    return { ...d, dataset: name, source: { ...d.source, landing_path: d.source.landing_path.replace(d.dataset, name) } };
  });
  return { ...base, datasets };
}

const listFiles = (dir: string, prefix = ''): string[] =>
  existsSync(dir)
    ? readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
        .sort()
    : [];

describe('generateFactory', () => {
  const factory = generateFactory(set, compileJobs(set));

  it('matches the golden files (UPDATE_GOLDEN=1 rewrites them)', () => {
    if (process.env['UPDATE_GOLDEN'] === '1') {
      rmSync(GOLDEN, { recursive: true, force: true });
      for (const [path, value] of Object.entries(factory.files)) {
        mkdirSync(dirname(join(GOLDEN, path)), { recursive: true });
        writeFileSync(join(GOLDEN, path), factoryFileText(value));
      }
    }
    expect(listFiles(GOLDEN)).toStrictEqual(Object.keys(factory.files));
    for (const [path, value] of Object.entries(factory.files))
      expect({ path, text: factoryFileText(value) }).toStrictEqual({ path, text: readFileSync(join(GOLDEN, path), 'utf8') });
  });

  it('is the git layout: factory, linked services, datasets, pipelines, triggers (+ the control manifest)', () => {
    expect(entityCounts(factory)).toStrictEqual({ factory: 1, linkedService: 5, dataset: 5, pipeline: 4, trigger: 3 });
    expect(Object.keys(factory.files).filter((p) => p.startsWith('control/'))).toStrictEqual(['control/manifest.json']);
  });

  it('is deterministic', () => {
    const again = generateFactory(set, compileJobs(set));
    expect(JSON.stringify(again.files)).toBe(JSON.stringify(factory.files));
  });

  it('keeps the same entity count with 8 or 80 datasets; only the manifest grows', () => {
    const small = syntheticSet(set, 8);
    const big = syntheticSet(set, 80);
    const f8 = generateFactory(small, compileJobs(small));
    const f80 = generateFactory(big, compileJobs(big));
    expect(entityCounts(f80)).toStrictEqual(entityCounts(f8));
    expect(Object.keys(f80.files)).toStrictEqual(Object.keys(f8.files));
    const m8 = f8.files['control/manifest.json'] as ControlManifest;
    const m80 = f80.files['control/manifest.json'] as ControlManifest;
    expect([m8.datasets.length, m80.datasets.length]).toStrictEqual([8, 80]);
    // every entity other than the manifest is byte-identical
    for (const path of Object.keys(f8.files).filter((p) => !p.startsWith('control/')))
      expect(JSON.stringify(f80.files[path])).toBe(JSON.stringify(f8.files[path]));
  });

  it('holds no secret: managed identity everywhere, the SQL connection string as a Key Vault reference', () => {
    const text = JSON.stringify(factory.files);
    expect(text).not.toMatch(/password|accountKey|AccountKey=|SharedAccessSignature|sasToken|servicePrincipalKey|accessToken/i);
    const sql = factory.files[`linkedService/${NAMES.lsSql}.json`] as { properties: { typeProperties: { connectionString: unknown } } };
    expect(sql.properties.typeProperties.connectionString).toStrictEqual({
      type: 'AzureKeyVaultSecret',
      store: { referenceName: NAMES.lsKeyVault, type: 'LinkedServiceReference' },
      secretName: NAMES.sqlSecretName,
    });
    const dbx = factory.files[`linkedService/${NAMES.lsDatabricks}.json`] as { properties: { typeProperties: Record<string, unknown> } };
    expect(dbx.properties.typeProperties['authentication']).toBe('MSI');
  });

  it('lists every contract dataset and mart in the manifest with its job ids', () => {
    const m = factory.files['control/manifest.json'] as ControlManifest;
    expect(m.datasets.map((d) => d.dataset)).toStrictEqual(set.datasets.map((d) => d.dataset).sort());
    expect(m.marts.map((d) => d.mart)).toStrictEqual(set.marts.map((d) => d.mart).sort());
    for (const d of m.datasets) {
      expect([d.bronzeJob, d.silverJob]).toStrictEqual([`bronze.${d.dataset}`, `silver.${d.dataset}`]);
      expect(`${d.landingFolder}/${d.landingFile}`).toBe(set.datasets.find((x) => x.dataset === d.dataset)!.source.landing_path);
    }
  });

  it('orders the datasets in waves: every referential parent is ingested in an earlier wave', () => {
    const m = factory.files['control/manifest.json'] as ControlManifest;
    const plan = compileJobs(set);
    const waveOf = new Map(m.waves.flatMap((w, i) => w.map((d) => [d.dataset, i] as const)));
    expect([...waveOf.keys()].sort()).toStrictEqual(m.datasets.map((d) => d.dataset));
    expect(m.waves.flat().length).toBe(m.datasets.length);
    let edges = 0;
    for (const d of m.datasets)
      for (const dep of plan.jobs.find((j) => j.id === d.bronzeJob)!.depends_on.filter((x) => x.startsWith('silver.'))) {
        edges++;
        expect(waveOf.get(dep.slice('silver.'.length))!).toBeLessThan(waveOf.get(d.dataset)!);
      }
    expect(edges).toBeGreaterThan(0); // the shipped contracts do have referential checks
    expect(m.waves.length).toBeGreaterThan(1);
  });

  // biome-ignore lint/suspicious/noExplicitAny: the test walks generated JSON documents of any shape
  type Act = { name: string; type: string; typeProperties: Record<string, any>; linkedServiceName?: { referenceName: string }; activities?: Act[] };
  /** Every activity of a pipeline, inner activities of containers included. */
  const acts = (pl: string): Act[] => {
    const walk = (list: Act[]): Act[] => list.flatMap((a) => [a, ...walk((a.typeProperties['activities'] as Act[] | undefined) ?? [])]);
    return walk((factory.files[`pipeline/${pl}.json`] as { properties: { activities: Act[] } }).properties.activities);
  };
  const pipelines = Object.keys(factory.files)
    .filter((p) => p.startsWith('pipeline/'))
    .map((p) => p.slice('pipeline/'.length, -'.json'.length));
  const exprOf = (v: unknown): string => {
    expect(v).toStrictEqual({ value: expect.stringMatching(/^@/), type: 'Expression' });
    return (v as { value: string }).value;
  };

  it('runs every Databricks step as a DatabricksJob activity, as documented: typeProperties jobId (string or Expression) + jobParameters', () => {
    // documented contract (Data Factory 'Transform data by running a Databricks job'; REST DatabricksJobActivity):
    // type DatabricksJob, linkedServiceName of an AzureDatabricks linked service, typeProperties.jobId required, jobParameters optional
    const dbx = pipelines.flatMap((pl) =>
      acts(pl)
        .filter((a) => a.type.startsWith('Databricks'))
        .map((a) => ({ pl, a })),
    );
    expect(dbx.map(({ pl, a }) => `${pl}/${a.name}`).sort()).toStrictEqual([
      'pl_daily_master/Export',
      'pl_daily_master/Gold',
      'pl_ingest_dataset/Bronze',
      'pl_ingest_dataset/Silver',
    ]);
    const ls = factory.files[`linkedService/${NAMES.lsDatabricks}.json`] as { properties: { type: string } };
    expect(ls.properties.type).toBe('AzureDatabricks');
    const commands: Record<string, unknown> = {};
    for (const { a } of dbx) {
      expect(a.type).toBe('DatabricksJob');
      expect(a.linkedServiceName?.referenceName).toBe(NAMES.lsDatabricks);
      expect(Object.keys(a.typeProperties)).toStrictEqual(['jobId', 'jobParameters']);
      exprOf(a.typeProperties['jobId']);
      // the step job's parameters, every one of them, in its order
      expect(Object.keys(a.typeProperties['jobParameters'])).toStrictEqual([...DATABRICKS_STEP_PARAMETERS]);
      const p = a.typeProperties['jobParameters'] as Record<string, unknown>;
      commands[a.name] = [p['command'], p['job'], p['layer']];
      expect(exprOf(p['run_date'])).toBe('@pipeline().parameters.runDate');
      expect(exprOf(p['freshness'])).toBe('@pipeline().parameters.freshness');
    }
    const ex = (v: string): unknown => ({ value: v, type: 'Expression' });
    expect(commands).toStrictEqual({
      Bronze: ['run', ex('@pipeline().parameters.bronzeJob'), ''],
      Silver: ['run', ex('@pipeline().parameters.silverJob'), ''],
      Gold: ['run', '', 'gold,mart'],
      Export: ['export', '', ''],
    });
  });

  it("takes the step job's id from a Lookup of the control job-ids file in each master pipeline, passed down as a pipeline parameter", () => {
    const lookedUp = `@string(activity('${NAMES.lookupJobIds}').output.firstRow.jobs['${DATABRICKS_STEP_JOB}'])`;
    const fromParam = `@pipeline().parameters.${NAMES.jobIdParameter}`;
    for (const master of [NAMES.plMaster, NAMES.plHourly]) {
      const lookup = acts(master).find((a) => a.name === NAMES.lookupJobIds)!;
      expect(lookup.type).toBe('Lookup');
      expect(lookup.typeProperties['dataset']).toStrictEqual({
        referenceName: NAMES.dsControl,
        type: 'DatasetReference',
        parameters: { fileName: DATABRICKS_JOB_IDS_FILE },
      });
      expect(lookup.typeProperties['firstRowOnly']).toBe(true);
      const wave = acts(master).find((a) => a.name === 'Ingest wave')!;
      expect(exprOf(wave.typeProperties['parameters'][NAMES.jobIdParameter])).toBe(lookedUp);
    }
    for (const a of acts(NAMES.plMaster).filter((x) => x.type === 'DatabricksJob')) expect(exprOf(a.typeProperties['jobId'])).toBe(lookedUp);
    const ingestDataset = acts(NAMES.plWave).find((a) => a.type === 'ExecutePipeline')!;
    expect(exprOf(ingestDataset.typeProperties['parameters'][NAMES.jobIdParameter])).toBe(fromParam);
    for (const a of acts(NAMES.plIngest).filter((x) => x.type === 'DatabricksJob')) expect(exprOf(a.typeProperties['jobId'])).toBe(fromParam);
    const ds = factory.files[`dataset/${NAMES.dsControl}.json`] as { properties: { typeProperties: { location: Record<string, unknown> } } };
    expect(ds.properties.typeProperties.location).toStrictEqual({
      type: 'AzureBlobFSLocation',
      fileName: { value: '@dataset().fileName', type: 'Expression' },
      fileSystem: NAMES.fsControl,
    });
  });

  it("checks the day's source file the documented way: Get Metadata (fieldList exists) → If Condition: Copy, or a NoData record; then Bronze", () => {
    const top = (factory.files[`pipeline/${NAMES.plIngest}.json`] as { properties: { activities: (Act & { dependsOn: unknown[] })[] } }).properties.activities;
    expect(top.map((a) => `${a.type} ${a.name}`)).toStrictEqual([
      `GetMetadata ${NAMES.checkSource}`,
      `IfCondition ${NAMES.ifSource}`,
      'DatabricksJob Bronze',
      'DatabricksJob Silver',
      'SqlServerStoredProcedure Record ingestion failure',
      'Fail Fail ingestion',
    ]);
    // documented ('Get Metadata activity'): typeProperties dataset + fieldList required, storeSettings / formatSettings for a format dataset;
    // with "exists" in the field list a missing file is exists: false, not a failure
    const [check, branch, bronze] = top as [Act, Act & { dependsOn: unknown[] }, Act & { dependsOn: unknown[] }];
    expect(Object.keys(check.typeProperties)).toStrictEqual(['dataset', 'fieldList', 'storeSettings', 'formatSettings']);
    expect(check.typeProperties['fieldList']).toStrictEqual(['exists']);
    expect(check.typeProperties['formatSettings']).toStrictEqual({ type: 'BinaryReadSettings' });
    expect(check.typeProperties['storeSettings']['type']).toBe('AzureBlobStorageReadSettings');
    const ds = factory.files[`dataset/${check.typeProperties['dataset']['referenceName']}.json`] as {
      properties: { type: string; typeProperties: { location: { type: string } } };
    };
    expect([ds.properties.type, ds.properties.typeProperties.location.type]).toStrictEqual(['Binary', 'AzureBlobStorageLocation']);
    // documented ('If Condition activity'): expression {value, type: Expression} with a boolean result, ifTrueActivities, ifFalseActivities
    expect(branch.dependsOn).toStrictEqual([{ activity: NAMES.checkSource, dependencyConditions: ['Succeeded'] }]);
    expect(Object.keys(branch.typeProperties)).toStrictEqual(['expression', 'ifTrueActivities', 'ifFalseActivities']);
    expect(branch.typeProperties['expression']).toStrictEqual({ value: `@activity('${NAMES.checkSource}').output.exists`, type: 'Expression' });
    const copy = branch.typeProperties['ifTrueActivities'] as (Act & { inputs: unknown[] })[];
    expect(copy.map((a) => `${a.type} ${a.name}`)).toStrictEqual([`Copy ${NAMES.copySource}`]);
    expect(copy[0]!.inputs).toStrictEqual([check.typeProperties['dataset']]); // the Copy reads the file the Get Metadata checked
    const quiet = branch.typeProperties['ifFalseActivities'] as Act[];
    expect(quiet.map((a) => `${a.type} ${a.name}`)).toStrictEqual([`SqlServerStoredProcedure ${NAMES.recordNoData}`]);
    expect(quiet[0]!.typeProperties['storedProcedureName']).toBe(NAMES.spRecordRun);
    expect(quiet[0]!.typeProperties['storedProcedureParameters']['Status']).toStrictEqual({ value: NAMES.noDataStatus, type: 'String' });
    // nesting limits: the If Condition holds no container activity (no ForEach, Until, If Condition, Switch or Validation)
    for (const a of [...copy, ...quiet]) expect(['ForEach', 'Until', 'IfCondition', 'Switch', 'Validation']).not.toContain(a.type);
    // bronze runs either way: it records the empty batch and the contract's freshness rules decide
    expect(bronze.dependsOn).toStrictEqual([{ activity: NAMES.ifSource, dependencyConditions: ['Succeeded'] }]);
    // the hourly refresh ingests through the same pipeline, so it checks the file the same way
    const wave = acts(NAMES.plWave).find((a) => a.type === 'ExecutePipeline')!;
    expect(wave.typeProperties['pipeline']['referenceName']).toBe(NAMES.plIngest);
    expect(acts(NAMES.plHourly).find((a) => a.name === 'Ingest wave')!.typeProperties['pipeline']['referenceName']).toBe(NAMES.plWave);
  });

  it('references no Databricks secret and no DBFS path in any generated file; the linked service configures no cluster', () => {
    for (const [path, doc] of Object.entries(factory.files)) {
      const text = factoryFileText(doc);
      expect({ path, secrets: text.includes('{{secrets/') }).toStrictEqual({ path, secrets: false });
      expect({ path, dbfs: /dbfs:/i.test(text) }).toStrictEqual({ path, dbfs: false });
    }
    // documented: the Job activity runs the job's own compute, so the linked service needs only the workspace and its auth
    const ls = factory.files[`linkedService/${NAMES.lsDatabricks}.json`] as { properties: { typeProperties: Record<string, unknown> } };
    expect(Object.keys(ls.properties.typeProperties)).toStrictEqual(['domain', 'authentication', 'workspaceResourceId']);
  });

  it('has exactly one Started trigger per batch: tr_daily_schedule for the daily master, tr_hourly_schedule for the hourly refresh', () => {
    expect(startedTriggersByPipeline(factory.files)).toStrictEqual({ [NAMES.plMaster]: [NAMES.trSchedule], [NAMES.plHourly]: [NAMES.trHourly] });
    const window = factory.files[`trigger/${NAMES.trWindow}.json`] as {
      properties: { runtimeState: string; pipeline: { pipelineReference: { referenceName: string } } };
    };
    expect([window.properties.runtimeState, window.properties.pipeline.pipelineReference.referenceName]).toStrictEqual(['Stopped', NAMES.plMaster]);
    // every batch (master pipeline) has its active schedule; the ingestion pipelines are only executed by them
    expect(Object.keys(startedTriggersByPipeline(factory.files)).sort()).toStrictEqual(pipelines.filter((p) => p.endsWith('_master')).sort());
  });

  it('refreshes the hourly datasets every hour: a schedule trigger for the running day, the manifest filtered on schedule hourly', () => {
    const tr = factory.files[`trigger/${NAMES.trHourly}.json`] as {
      properties: { type: string; pipelines: { parameters: Record<string, string> }[]; typeProperties: { recurrence: Record<string, unknown> } };
    };
    expect(tr.properties.type).toBe('ScheduleTrigger');
    expect(tr.properties.typeProperties.recurrence).toStrictEqual({ frequency: 'Hour', interval: 1, startTime: '2026-01-01T00:15:00Z', timeZone: 'UTC' });
    expect(tr.properties.pipelines[0]!.parameters).toStrictEqual({ runDate: "@formatDateTime(trigger().scheduledTime, 'yyyy-MM-dd')", freshness: 'report' });
    const filter = acts(NAMES.plHourly).find((a) => a.type === 'Filter')!;
    expect(exprOf(filter.typeProperties['condition'])).toBe("@equals(item().schedule, 'hourly')");
    // the hourly pipeline ingests only: no gold, export or serving activity
    expect(acts(NAMES.plHourly).filter((a) => a.type === 'DatabricksJob' || a.name === 'Merge serving')).toStrictEqual([]);
    const m = factory.files['control/manifest.json'] as ControlManifest;
    const hourly = set.datasets
      .filter((d) => d.source.schedule === 'hourly')
      .map((d) => d.dataset)
      .sort();
    expect(hourly.length).toBeGreaterThan(0); // the shipped contracts have hourly datasets
    expect(m.datasets.filter((d) => d.schedule === 'hourly').map((d) => d.dataset)).toStrictEqual(hourly);
    expect(generateFactory(set, compileJobs(set), { hourlyMinute: 40 }).files[`trigger/${NAMES.trHourly}.json`]).toMatchObject({
      properties: { typeProperties: { recurrence: { startTime: '2026-01-01T00:40:00Z' } } },
    });
    expect(() => generateFactory(set, compileJobs(set), { hourlyMinute: 60 })).toThrow('hourlyMinute must be a whole minute 0..59, got 60');
  });
});
