/**
 * The factory generator: golden files of the StreamPulse factory (regenerate with
 * UPDATE_GOLDEN=1), determinism, no secrets, and a constant entity count as the
 * number of datasets grows (8 vs 80 synthetic datasets).
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findWorkspaceRoot, loadContractsOrThrow, STREAMPULSE_CONTRACTS_DIR, type ContractSet } from '@streampulse/contracts';
import { compileJobs, databricksJobs } from '@streampulse/jobs';
import { entityCounts, factoryFileText, generateFactory, NAMES, type ControlManifest } from '@streampulse/pipelines';

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
    ? readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`])).sort()
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
    for (const [path, value] of Object.entries(factory.files)) expect({ path, text: factoryFileText(value) }).toStrictEqual({ path, text: readFileSync(join(GOLDEN, path), 'utf8') });
  });

  it('is the git layout: factory, linked services, datasets, pipelines, triggers (+ the control manifest)', () => {
    expect(entityCounts(factory)).toStrictEqual({ factory: 1, linkedService: 5, dataset: 5, pipeline: 3, trigger: 2 });
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
    for (const path of Object.keys(f8.files).filter((p) => !p.startsWith('control/'))) expect(JSON.stringify(f80.files[path])).toBe(JSON.stringify(f8.files[path]));
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

  it("calls the same runtime entry point, wheel, spec files, storage root and secret scope as the Databricks jobs", () => {
    type Act = { name: string; type: string; typeProperties: { pythonFile?: string; parameters?: string[]; libraries?: unknown; activities?: Act[] } };
    const acts = (pl: string): Act[] => {
      const top = (factory.files[`pipeline/${pl}.json`] as { properties: { activities: Act[] } }).properties.activities;
      return top.flatMap((a) => [a, ...(a.typeProperties.activities ?? [])]);
    };
    const spark = [...acts(NAMES.plIngest), ...acts(NAMES.plMaster)].filter((a) => a.type === 'DatabricksSparkPython');
    expect(spark.map((a) => a.name)).toStrictEqual(['Bronze', 'Silver', 'Gold', 'Export']);
    const jobs = databricksJobs(set, compileJobs(set)) as Record<string, { tasks: { task_key: string; spark_python_task: { python_file: string; parameters: string[] }; libraries: unknown }[] }>;
    const task = jobs['streampulse-daily.json']!.tasks.find((t) => t.task_key === 'export')!;
    const flag = (args: readonly string[], f: string): string | undefined => args[args.indexOf(f) + 1];
    for (const a of spark) {
      const args = a.typeProperties.parameters!;
      expect(a.typeProperties.pythonFile).toBe(task.spark_python_task.python_file);
      expect(a.typeProperties.libraries).toStrictEqual(task.libraries);
      expect(args[0]).toBe(a.name === 'Export' ? 'export' : 'run');
      for (const f of ['--plan', '--storage-root', '--secret-scope']) expect(flag(args, f)).toBe(flag(task.spark_python_task.parameters, f));
      expect(flag(args, '--storage-root')).toContain('{layer}');
    }
  });
});
