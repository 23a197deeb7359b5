/**
 * `streampulse adf`: generate → validate → run the daily master pipeline on the local
 * executor over a small generated lake (the DuckDB runner and SQLite serving bound in).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './run.js';

const TMP = mkdtempSync(join(tmpdir(), 'sp-adf-cli-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe('streampulse adf', () => {
  it('generates a factory that validates clean', async () => {
    const g = await run(['adf', 'generate', '--out', TMP]);
    expect(g.code).toBe(0);
    expect(g.out).toMatch(/^wrote 19 files to .*adf: 5 linked services, 5 datasets, 4 pipelines, 3 triggers, the control manifest \(\d+ datasets\)\n$/);
    const v = await run(['adf', 'validate', join(TMP, 'adf')]);
    expect([v.code, v.out]).toStrictEqual([0, `${join(TMP, 'adf')}: 19 files, no problems\n`]);
  });

  it("generate --stack names the factory, its lake and Key Vault as the stack does (infra's stackFactoryOptions)", async () => {
    const out = join(TMP, 'prod');
    const g = await run(['adf', 'generate', '--out', out, '--stack', 'prod']);
    expect(g.code).toBe(0);
    expect(existsSync(join(out, 'adf', 'factory', 'adf-spulse-prod.json'))).toBe(true);
    const lake = readFileSync(join(out, 'adf', 'linkedService', 'ls_adls_lake.json'), 'utf8');
    expect(lake).toContain('https://stspulselakeprod.dfs.core.windows.net/');
    expect(readFileSync(join(out, 'adf', 'linkedService', 'ls_key_vault.json'), 'utf8')).toContain('https://kv-spulse-prod.vault.azure.net/');
    const v = await run(['adf', 'validate', join(out, 'adf')]);
    expect(v.code).toBe(0);
  });

  it('validate reports a broken factory with exit code 1', async () => {
    const p = join(TMP, 'adf', 'pipeline', 'pl_ingest_dataset.json');
    const saved = readFileSync(p, 'utf8');
    writeFileSync(p, saved.replace('"activity": "Bronze"', '"activity": "Bronce"'));
    try {
      const v = await run(['adf', 'validate', join(TMP, 'adf')]);
      expect(v.code).toBe(1);
      expect(v.out).toContain("activity 'Silver' depends on 'Bronce', which is not an activity of the same pipeline");
      expect(v.out.trim().endsWith(`1 problem in ${join(TMP, 'adf')}`)).toBe(true);
    } finally {
      writeFileSync(p, saved);
    }
  });

  it('validate exits 1 on a dynamic value in a form Data Factory Studio would not write (a stored procedure parameter as a plain "@…" string)', async () => {
    const p = join(TMP, 'adf', 'pipeline', 'pl_ingest_dataset.json');
    const saved = readFileSync(p, 'utf8');
    const doc = JSON.parse(saved) as {
      properties: { activities: { name: string; typeProperties: { storedProcedureParameters: Record<string, unknown> } }[] };
    };
    doc.properties.activities.find((a) => a.name === 'Record ingestion failure')!.typeProperties.storedProcedureParameters['RunId'] = {
      value: '@pipeline().RunId',
      type: 'String',
    };
    writeFileSync(p, JSON.stringify(doc, null, 4));
    try {
      const v = await run(['adf', 'validate', join(TMP, 'adf')]);
      expect(v.code).toBe(1);
      expect(v.out).toContain(
        `pipeline/pl_ingest_dataset.json: activity 'Record ingestion failure' typeProperties.storedProcedureParameters.RunId.value: "@pipeline().RunId" is a plain string holding an expression; Data Factory Studio writes a dynamic value here as {"value": "@pipeline().RunId", "type": "Expression"}`,
      );
      expect(v.out.trim().endsWith(`1 problem in ${join(TMP, 'adf')}`)).toBe(true);
    } finally {
      writeFileSync(p, saved);
    }
  });

  it('runs the daily master over a generated lake and writes the activity-run log', async () => {
    const lake = join(TMP, 'lake');
    const s = await run(['sources', 'generate', '--out', join(lake, 'landing'), '--users', '40', '--days', '1', '--start', '2026-01-25', '--no-progress']);
    expect(s.code).toBe(0);
    const r = await run(['adf', 'run', 'pl_daily_master', '--dir', join(TMP, 'adf'), '--lake', lake, '--param', 'runDate=2026-01-25', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as { ok: boolean; log: string; run: { status: string; activityRuns: { activityName: string; status: string }[] } };
    expect(out.ok).toBe(true);
    expect(out.run.activityRuns.filter((a) => a.activityName === 'Record completion').map((a) => a.status)).toStrictEqual(['Succeeded']);
    expect(existsSync(join(lake, 'serving', 'streampulse.sqlite'))).toBe(true);
    expect(existsSync(join(lake, 'reports', 'batches', '2026-01-25.json'))).toBe(true);
    const log = JSON.parse(readFileSync(out.log, 'utf8')) as {
      pipelineRun: { status: string };
      value: { activityName: string; activityType: string; input: { jobId?: string } }[];
    };
    expect(log.pipelineRun.status).toBe('Succeeded');
    expect(log.value.length).toBe(out.run.activityRuns.length);
    // the control files the master pipeline looks up, as the deploy step writes them in the cloud
    const ids = JSON.parse(readFileSync(join(lake, 'control', 'databricks_jobs.json'), 'utf8')) as { jobs: Record<string, number> };
    expect(Object.keys(ids.jobs).sort()).toStrictEqual(['streampulse-daily', 'streampulse-step']);
    expect(existsSync(join(lake, 'control', 'manifest.json'))).toBe(true);
    // every Databricks step is a DatabricksJob activity started with the step job's looked-up id
    const dbx = log.value.filter((a) => a.activityType.startsWith('Databricks'));
    expect(dbx.length).toBeGreaterThan(2);
    expect([...new Set(dbx.map((a) => `${a.activityType} ${a.input.jobId}`))]).toStrictEqual([`DatabricksJob ${ids.jobs['streampulse-step']}`]);
  }, 120_000);

  it('the local Databricks binding refuses a DatabricksJob activity that does not start the looked-up step job', async () => {
    const p = join(TMP, 'adf', 'pipeline', 'pl_ingest_dataset.json');
    const saved = readFileSync(p, 'utf8');
    const doc = JSON.parse(saved) as { properties: { activities: { name: string; typeProperties: { jobId: unknown } }[] } };
    doc.properties.activities.find((a) => a.name === 'Bronze')!.typeProperties.jobId = '9';
    writeFileSync(p, JSON.stringify(doc));
    try {
      const r = await run(['adf', 'run', 'pl_daily_master', '--dir', join(TMP, 'adf'), '--lake', join(TMP, 'lake'), '--param', 'runDate=2026-01-25', '--json']);
      expect(r.code).toBe(1);
      const out = JSON.parse(r.out) as { run: { activityRuns: { activityName: string; status: string; error: { message: string } | null }[] } };
      const bronze = out.run.activityRuns.filter((a) => a.activityName === 'Bronze' && a.status === 'Failed');
      expect(bronze.length).toBeGreaterThan(0);
      expect(bronze[0]!.error!.message).toBe(
        "activity 'Bronze' starts Databricks job '9', not the streampulse-step job (1001 in control/databricks_jobs.json)",
      );
    } finally {
      writeFileSync(p, saved);
    }
  }, 120_000);
});
