/** `streampulse deploy control-files`: the command over infra's control-files step (its upload is tested in infra/test/control-files.test.ts). */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findWorkspaceRoot, STREAMPULSE_CONTRACTS_DIR } from '@streampulse/contracts';
import { DATABRICKS_DAILY_JOB, DATABRICKS_JOB_IDS_FILE, DATABRICKS_STEP_JOB } from '@streampulse/jobs';
import { NAMES } from '@streampulse/pipelines';
import { run } from './run.js';

/** The shape `databricks bundle summary --output json` prints after a deploy (resources.jobs.<key> with id, name, url). */
const summary = (jobs: Record<string, { name: string; id?: string }>): string =>
  JSON.stringify({
    bundle: { name: 'streampulse', target: 'dev' },
    resources: {
      jobs: Object.fromEntries(
        Object.entries(jobs).map(([k, j]) => [k, { ...j, url: j.id === undefined ? undefined : `https://adb-1.2.azuredatabricks.net/jobs/${j.id}` }]),
      ),
    },
  });
const DEPLOYED = summary({
  streampulse_step: { name: DATABRICKS_STEP_JOB, id: '1122334455' },
  streampulse_daily: { name: DATABRICKS_DAILY_JOB, id: '998877' },
});

const TMP = mkdtempSync(join(tmpdir(), 'sp-deploy-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe('streampulse deploy control-files', () => {
  it("--dry-run --json names the stack's lake and the files, uploads nothing", async () => {
    const f = join(TMP, 'summary.json');
    writeFileSync(f, DEPLOYED);
    const r = await run([
      'deploy',
      'control-files',
      '--stack',
      'prod',
      '--bundle-summary',
      f,
      '--dry-run',
      '--json',
      '--dir',
      join(findWorkspaceRoot(process.cwd())!, STREAMPULSE_CONTRACTS_DIR),
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as { target: string; files: { file: string }[]; jobs: Record<string, string> };
    expect(out.target).toBe('abfss://control@stspulselakeprod.dfs.core.windows.net');
    expect(out.files.map((x) => x.file)).toEqual([NAMES.manifestFile, DATABRICKS_JOB_IDS_FILE]);
    expect(out.jobs[DATABRICKS_STEP_JOB]).toBe('1122334455');
  });
  it('an unknown stack is refused with the stacks to use', async () => {
    const r = await run(['deploy', 'control-files', '--stack', 'qa', '--bundle-summary', 'x.json']);
    expect(r.code).not.toBe(0);
    expect(r.err + r.out).toMatch(/unknown stack 'qa'[\s\S]*--stack dev or --stack prod/);
  });
});
