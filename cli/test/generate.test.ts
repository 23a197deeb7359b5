/**
 * `streampulse generate --out DIR`: the Data Factory factory and the Databricks job
 * definitions + job specs, written deterministically (a second run gives the same bytes);
 * every folder owned through its marker: never a folder generate did not write.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findWorkspaceRoot } from '@streampulse/contracts';
import { GENERATED_MARKER } from '@streampulse/cli';
import { run } from './run.js';

const ROOT = findWorkspaceRoot(process.cwd()) ?? process.cwd();
const TMP = mkdtempSync(join(tmpdir(), 'sp-generate-cli-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
const snapshot = (dir: string): Record<string, string> =>
  Object.fromEntries(
    files(dir)
      .sort()
      .map((p) => [p.slice(dir.length), readFileSync(p, 'utf8')]),
  );

describe('streampulse generate', () => {
  it('writes adf/, databricks/ (the bundle + specs) and sql/ (migrations + serving tests), the same bytes every time', async () => {
    const a = await run(['generate', '--out', join(TMP, 'a')]);
    expect(a.code).toBe(0);
    expect(a.out).toMatch(
      /^wrote 19 files to .*adf: 5 linked services, 5 datasets, 4 pipelines, 3 triggers, the control manifest \(\d+ datasets\)\nwrote \d+ files to .*databricks: a Databricks Asset Bundle with 3 jobs \(streampulse-step, streampulse-daily, streampulse-stream\) and \d+ job specs \+ \d+ stream specs in specs\/\nwrote 10 files to .*sql: 8 T-SQL migrations, migrations.json and the serving tests\nwrote 13 files to .*metabase: the serving database entry, 1 dashboard with 10 native questions \(ids resolved by `streampulse metabase provision`\)\nwrote 35 files to .*odcs: ODCS v3\.2\.0 data contracts of 9 datasets, 19 models and 7 marts\nwrote 5 files to .*dbt: a dbt project with 7 served views and 7 gold tables as sources, 32 tests, 10 exposures\n$/,
    );
    const sql = readdirSync(join(TMP, 'a', 'sql')).sort();
    expect(sql).toStrictEqual([
      GENERATED_MARKER,
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
    expect(bundle).toStrictEqual([GENERATED_MARKER, 'databricks.yml', 'resources', 'runtime', 'specs']);
    expect(readdirSync(join(TMP, 'a', 'databricks', 'resources')).sort()).toStrictEqual([
      'streampulse-daily.job.yml',
      'streampulse-step.job.yml',
      'streampulse-stream.job.yml',
    ]);
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
    for (const [path, text] of Object.entries(snapshot(join(TMP, 'a'))))
      expect({ path, dbfs: text.toLowerCase().includes('dbfs:') }).toStrictEqual({ path, dbfs: false });
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

describe('streampulse generate owns its folders', () => {
  it('refuses `generate --out .` where sql/ is not its own (the repository root): exit 1, nothing deleted, nothing written', async () => {
    // the repository root as generate sees it: a sql/ package folder that carries no marker
    const root = join(TMP, 'repo-like');
    mkdirSync(join(root, 'sql', 'src'), { recursive: true });
    writeFileSync(join(root, 'sql', 'keep.txt'), 'not generated\n');
    writeFileSync(join(root, 'sql', 'src', 'index.ts'), 'export {};\n');
    writeFileSync(join(root, 'package.json'), '{}\n');
    const before = snapshot(root);
    const r = await run(['generate', '--out', '.'], { cwd: root, workspaceRoot: ROOT });
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `error GENERATE_FOLDER_NOT_OURS: ${join(root, 'sql')} is not empty and was not written by streampulse generate (no ${GENERATED_MARKER} file)`,
    );
    expect(r.err).toContain(`fix: choose a new or empty --out folder, or delete ${join(root, 'sql')} yourself`);
    expect(readFileSync(join(root, 'sql', 'keep.txt'), 'utf8')).toBe('not generated\n');
    // adf/ and databricks/ were free, but a refusal writes nothing at all
    expect(snapshot(root)).toStrictEqual(before);
    expect(readdirSync(root).sort()).toStrictEqual(['package.json', 'sql']);
    // `sql generate` and `adf generate` go through the same writer
    const s = await run(['sql', 'generate', '--out', root]);
    expect([s.code, s.err.split('\n')[0]]).toStrictEqual([1, expect.stringContaining('GENERATE_FOLDER_NOT_OURS')]);
    expect(snapshot(root)).toStrictEqual(before);
  });

  it('replaces only its own folders: a re-run removes stale files in them and leaves everything else under --out', async () => {
    const out = join(TMP, 'rerun');
    expect((await run(['generate', '--out', out])).code).toBe(0);
    const first = snapshot(out);
    expect(readFileSync(join(out, 'sql', GENERATED_MARKER), 'utf8').split('\n')[0]).toBe('sql');
    writeFileSync(join(out, 'sql', '0099_stale.sql'), 'stale\n');
    writeFileSync(join(out, 'notes.txt'), 'mine\n');
    mkdirSync(join(out, 'other'));
    writeFileSync(join(out, 'other', 'keep.txt'), 'mine\n');
    expect((await run(['generate', '--out', out])).code).toBe(0);
    expect(existsSync(join(out, 'sql', '0099_stale.sql'))).toBe(false);
    expect(snapshot(out)).toStrictEqual({ ...first, '/notes.txt': 'mine\n', '/other/keep.txt': 'mine\n' });
    // no temporary sibling left behind
    expect(readdirSync(out).sort()).toStrictEqual(['adf', 'databricks', 'dbt', 'metabase', 'notes.txt', 'odcs', 'other', 'sql']);
  });

  it('--target writes the chosen targets only; an unknown target is a user error', async () => {
    const out = join(TMP, 'only-sql');
    const r = await run(['generate', '--out', out, '--target', 'sql']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^wrote 10 files to .*sql: 8 T-SQL migrations, migrations.json and the serving tests\n$/);
    expect(readdirSync(out)).toStrictEqual(['sql']);
    const bad = await run(['generate', '--out', join(TMP, 'looker'), '--target', 'sql,looker']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("error GENERATE_UNKNOWN_TARGET: unknown target 'looker'");
    expect(bad.err).toContain('fix: pass --target with a comma-separated list of: adf, databricks, sql, metabase, odcs, dbt');
    expect(existsSync(join(TMP, 'looker'))).toBe(false);
  });

  it('--json lists each target with its folder and files', async () => {
    const out = join(TMP, 'json');
    const r = await run(['generate', '--out', out, '--target', 'adf,sql', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { ok: boolean; out: string; targets: { target: string; dir: string; files: string[] }[] };
    expect(doc.ok).toBe(true);
    expect(doc.targets.map((t) => [t.target, t.dir, t.files.length])).toStrictEqual([
      ['adf', join(out, 'adf'), 19],
      ['sql', join(out, 'sql'), 10],
    ]);
    expect(doc.targets[1]!.files).toContain('tests/serving_tests.sql');
  });
});

describe('streampulse generate --target metabase', () => {
  it('writes the Metabase payloads: database, collection, one native question per card, the dashboard — sorted keys, ids unresolved', async () => {
    const out = join(TMP, 'metabase');
    const r = await run(['generate', '--out', out, '--target', 'metabase']);
    expect(r.code).toBe(0);
    const dir = join(out, 'metabase');
    const cards = readdirSync(join(dir, 'cards')).sort();
    expect(readdirSync(dir).sort()).toStrictEqual([GENERATED_MARKER, 'cards', 'collection.json', 'dashboard.json', 'database.json']);
    expect(cards).toHaveLength(10);
    const card = JSON.parse(readFileSync(join(dir, 'cards', 'mrr_this_month.json'), 'utf8')) as {
      display: string;
      dataset_query: { type: string; database: string; native: { query: string } };
    };
    expect(card.display).toBe('smartscalar');
    expect(card.dataset_query).toMatchObject({ type: 'native', database: '<database>' });
    expect(card.dataset_query.native.query).toContain('FROM [serving].[analytics_kpi_monthly]');
    const text = readFileSync(join(dir, 'dashboard.json'), 'utf8');
    expect(Object.keys(JSON.parse(text) as object)).toStrictEqual(['collection_id', 'dashcards', 'description', 'name', 'parameters']);
    expect(text).toContain('"card_id": "<card mrr_this_month>"');
    const db = JSON.parse(readFileSync(join(dir, 'database.json'), 'utf8')) as { engine: string; details: Record<string, unknown> };
    expect(db.engine).toBe('sqlserver');
    expect(db.details).not.toHaveProperty('password');
    const again = join(TMP, 'metabase-again');
    expect((await run(['generate', '--out', again, '--target', 'metabase'])).code).toBe(0);
    expect(snapshot(join(again, 'metabase'))).toStrictEqual(snapshot(dir));
  });
});
