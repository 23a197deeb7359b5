/**
 * `streampulse generate --out DIR`: the Data Factory factory and the Databricks job
 * definitions + job specs, written deterministically (a second run gives the same bytes).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findWorkspaceRoot } from '@streampulse/contracts';
import { run } from './run.js';

const ROOT = findWorkspaceRoot(process.cwd()) ?? process.cwd();
const TMP = mkdtempSync(join(tmpdir(), 'sp-generate-cli-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
const snapshot = (dir: string): Record<string, string> => Object.fromEntries(files(dir).sort().map((p) => [p.slice(dir.length), readFileSync(p, 'utf8')]));

describe('streampulse generate', () => {
  it('writes adf/, databricks/ (the bundle + specs) and sql/ (migrations + serving tests), the same bytes every time', async () => {
    const a = await run(['generate', '--out', join(TMP, 'a')]);
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/^wrote 19 files to .*adf and \d+ files to .*databricks: a Databricks Asset Bundle with 2 jobs \(streampulse-step, streampulse-daily\) and \d+ job specs in databricks\/specs\/; 10 files to .*sql \(T-SQL migrations \+ serving tests\)\n$/);
    const sql = readdirSync(join(TMP, 'a', 'sql')).sort();
    expect(sql).toStrictEqual([
      '0001_schemas.sql',
      '0002_staging_tables.sql',
      '0003_gold_tables.sql',
      '0004_serving_views.sql',
      '0005_load_procedures.sql',
      '0006_masking.sql',
      '0007_roles_and_grants.sql',
      '0008_row_level_security.sql',
      'migrations.json',
      'tests',
    ]);
    // Data Factory's system-assigned identity is the loader principal, named as the default stack (dev) names it
    expect(readFileSync(join(TMP, 'a', 'sql', '0007_roles_and_grants.sql'), 'utf8')).toContain('CREATE USER [adf-spulse-dev] FROM EXTERNAL PROVIDER;');
    const specs = JSON.parse(readFileSync(join(TMP, 'a', 'databricks', 'specs', 'index.json'), 'utf8')) as { spec_version: number; jobs: string[] };
    expect(specs.spec_version).toBe(1);
    for (const id of specs.jobs) expect(JSON.parse(readFileSync(join(TMP, 'a', 'databricks', 'specs', `${id}.json`), 'utf8')).id).toBe(id);
    // the bundle: databricks.yml, a resource file per job, the specs, and the runtime project the wheel is built from
    const bundle = readdirSync(join(TMP, 'a', 'databricks')).sort();
    expect(bundle).toStrictEqual(['databricks.yml', 'resources', 'runtime', 'specs']);
    expect(readdirSync(join(TMP, 'a', 'databricks', 'resources')).sort()).toStrictEqual(['streampulse-daily.job.yml', 'streampulse-step.job.yml']);
    const yml = readFileSync(join(TMP, 'a', 'databricks', 'databricks.yml'), 'utf8');
    const artifact = /\n {4}path: (\S+)\n/.exec(yml)![1]!;
    // inside the bundle root: the bundle deploys from wherever --out put it
    expect(resolve(TMP, 'a', 'databricks', artifact)).toBe(join(TMP, 'a', 'databricks', 'runtime'));
    const step = readFileSync(join(TMP, 'a', 'databricks', 'resources', 'streampulse-step.job.yml'), 'utf8');
    const whl = /- whl: "([^"]+)"/.exec(step)![1]!;
    expect(resolve(TMP, 'a', 'databricks', 'resources', whl)).toBe(join(TMP, 'a', 'databricks', 'runtime', 'dist', '*.whl'));
    // the runtime project is jobs/python's pyproject.toml and sources, byte for byte (no tests, jars or caches)
    const runtime = snapshot(join(TMP, 'a', 'databricks', 'runtime'));
    expect(runtime['/pyproject.toml']).toBe(readFileSync(join(ROOT, 'jobs', 'python', 'pyproject.toml'), 'utf8'));
    expect(runtime['/src/streampulse_spark/cli.py']).toBe(readFileSync(join(ROOT, 'jobs', 'python', 'src', 'streampulse_spark', 'cli.py'), 'utf8'));
    expect(Object.keys(runtime).filter((k) => !(k === '/pyproject.toml' || (k.startsWith('/src/') && k.endsWith('.py'))))).toStrictEqual([]);
    // no generated artifact names DBFS
    for (const [path, text] of Object.entries(snapshot(join(TMP, 'a')))) expect({ path, dbfs: text.toLowerCase().includes('dbfs:') }).toStrictEqual({ path, dbfs: false });
    const b = await run(['generate', '--out', join(TMP, 'b')]);
    expect(b.code).toBe(0);
    expect(snapshot(join(TMP, 'b'))).toStrictEqual(snapshot(join(TMP, 'a')));
  });
});

describe('streampulse generate --stack', () => {
  it("every artifact carries the stack's names: the factory, its lake and Key Vault, the SQL users, the bundle's cluster size", async () => {
    const r = await run(['generate', '--out', join(TMP, 'prod'), '--stack', 'prod']);
    expect(r.code).toBe(0);
    expect(readdirSync(join(TMP, 'prod', 'adf', 'factory'))).toStrictEqual(['adf-spulse-prod.json']);
    const all = snapshot(join(TMP, 'prod', 'adf'));
    const text = Object.values(all).join('\n');
    expect(text).toContain('https://stspulselakeprod.dfs.core.windows.net/');
    expect(text).toContain('https://kv-spulse-prod.vault.azure.net/');
    expect(text).not.toMatch(/stspulselakedev|kv-spulse-dev|streampulse-dev/);
    const grants = readFileSync(join(TMP, 'prod', 'sql', '0007_roles_and_grants.sql'), 'utf8');
    expect(grants).toContain('CREATE USER [adf-spulse-prod] FROM EXTERNAL PROVIDER;');
    expect(grants).toContain('CREATE USER [spulse-id-metabase-prod] FROM EXTERNAL PROVIDER;');
    expect(readFileSync(join(TMP, 'prod', 'databricks', 'resources', 'streampulse-daily.job.yml'), 'utf8')).toContain('max_workers: 8');
    const bad = await run(['generate', '--out', join(TMP, 'qa'), '--stack', 'qa']);
    expect(bad.code).not.toBe(0);
    expect(bad.err + bad.out).toContain("unknown stack 'qa'");
  });
});
