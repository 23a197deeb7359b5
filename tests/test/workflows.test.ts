/**
 * The GitHub Actions workflows (.github/workflows/*.yml), linted and checked.
 *
 *   1. actionlint (built by scripts/setup.sh with `go install` into .cache/bin) runs over
 *      every workflow with shellcheck (Debian) on every `run:` script; any finding fails
 *      the test and is printed. Both tools are required — in CI and on a laptop alike:
 *      `scripts/test.sh` installs them (setup.sh with STREAMPULSE_TEST_TOOLS=1). A broken fixture proves both report.
 *   2. Structural assertions on what the workflows promise (issue 16, "Delivery"):
 *      preview.yml (pull requests, OIDC, a preview per stack into the job summary),
 *      deploy.yml (dev then prod, prod only on vars.PROD_DEPLOY_RUNNER, a guard that fails
 *      with the fix when it is unset, no fallback runner) and deploy-stack.yml (the steps of
 *      one stack in order; the Databricks Asset Bundle with the current Databricks CLI as
 *      the same Entra identity; the control files through the lake firewall). Each
 *      requirement taken from a vendor's documentation says so in its test name.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { main } from '@streampulse/cli';
import { findWorkspaceRoot, loadContractsOrThrow, STREAMPULSE_CONTRACTS_DIR } from '@streampulse/contracts';
import { DEPLOY_TIME_KEYS, METABASE_API_KEY_SECRET, SECRET_KEYS, STACKS } from '@streampulse/infra';
import { BUNDLE_RUN_AS_VARIABLE, BUNDLE_TARGETS, compileJobs, databricksBundle } from '@streampulse/jobs';

const ROOT = ((): string => {
  const r = findWorkspaceRoot(process.cwd());
  if (r === undefined) throw new Error(`no pnpm-workspace.yaml at or above ${process.cwd()}`);
  return r;
})();
const WORKFLOWS = join(ROOT, '.github', 'workflows');
const CONFIG_PREFIX = 'streampulse:';

// ---------------------------------------------------------------------------
// Workflow model (the subset the assertions read) and helpers
// ---------------------------------------------------------------------------
interface Step {
  readonly id?: string;
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Readonly<Record<string, unknown>>;
  readonly env?: Readonly<Record<string, string>>;
  readonly 'working-directory'?: string;
}
interface Job {
  readonly name?: string;
  readonly 'runs-on'?: unknown;
  readonly needs?: string | readonly string[];
  readonly if?: string;
  readonly environment?: unknown;
  readonly permissions?: Readonly<Record<string, string>>;
  readonly strategy?: { readonly matrix?: Readonly<Record<string, unknown>> };
  readonly env?: Readonly<Record<string, string>>;
  readonly steps?: readonly Step[];
  readonly uses?: string;
  readonly with?: Readonly<Record<string, unknown>>;
  readonly secrets?: unknown;
}
interface Workflow {
  readonly on: unknown;
  readonly permissions?: Readonly<Record<string, string>>;
  readonly jobs: Readonly<Record<string, Job>>;
}

const workflowFiles = (): string[] =>
  readdirSync(WORKFLOWS)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
const text = (file: string): string => readFileSync(join(WORKFLOWS, file), 'utf8');
const load = (file: string): Workflow => parse(text(file)) as Workflow;
const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : typeof job.needs === 'string' ? [job.needs] : [...job.needs]);
const onlyJob = (wf: Workflow, file: string): Job => {
  const jobs = Object.values(wf.jobs);
  if (jobs.length !== 1) throw new Error(`${file}: expected one job, found ${jobs.length}`);
  return jobs[0] as Job;
};
const stepLabel = (s: Step, i: number): string => `step ${i + 1} (${s.name ?? s.uses ?? s.run?.split('\n')[0] ?? '?'})`;

/** Index of the first step matching, or a failure naming what was looked for. */
function stepIndex(steps: readonly Step[], what: string, match: (s: Step) => boolean): number {
  const i = steps.findIndex(match);
  if (i < 0) throw new Error(`no step ${what}; the steps are:\n  ${steps.map(stepLabel).join('\n  ')}`);
  return i;
}
const runs =
  (needle: string | RegExp) =>
  (s: Step): boolean =>
    s.run !== undefined && (typeof needle === 'string' ? s.run.includes(needle) : needle.test(s.run));
const usesAction =
  (action: string) =>
  (s: Step): boolean =>
    s.uses !== undefined && s.uses.split('@')[0] === action;
/** Every `${{ … }}` expression of a text, trimmed. */
const expressions = (t: string): string[] => [...t.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].map((m) => (m[1] ?? '').trim());

/** Whether a `permissions` mapping (job's, else workflow's) grants `id-token: write`. */
const grantsIdToken = (wf: Workflow, job: Job): boolean => (job.permissions ?? wf.permissions)?.['id-token'] === 'write';

// ---------------------------------------------------------------------------
// The linters
// ---------------------------------------------------------------------------
function which(name: string): string | undefined {
  const cached = join(ROOT, '.cache', 'bin', name);
  if (existsSync(cached)) return cached;
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const found = r.stdout.trim();
  return r.status === 0 && found !== '' ? found : undefined;
}
const ACTIONLINT = which('actionlint');
const SHELLCHECK = which('shellcheck');

interface Finding {
  readonly message: string;
  readonly filepath: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
}
/** actionlint over the given files (cwd `dir`), shellcheck forced on; its findings. */
function actionlint(dir: string, files: readonly string[]): Finding[] {
  if (ACTIONLINT === undefined || SHELLCHECK === undefined)
    throw new Error('actionlint and shellcheck are required: run `STREAMPULSE_TEST_TOOLS=1 bash scripts/setup.sh` (scripts/test.sh does)');
  const r = spawnSync(ACTIONLINT, ['-no-color', '-shellcheck', SHELLCHECK, '-format', '{{json .}}', ...files], { cwd: dir, encoding: 'utf8' });
  // exit 0: no finding, 1: findings; anything else is a failure of the tool itself
  if (r.status !== 0 && r.status !== 1) throw new Error(`actionlint failed (exit ${String(r.status)}): ${r.stderr}${r.error?.message ?? ''}`);
  const out = r.stdout.trim();
  return out === '' || out === 'null' ? [] : (JSON.parse(out) as Finding[]);
}
const showFindings = (fs: readonly Finding[]): string => fs.map((f) => `${f.filepath}:${f.line}:${f.column}: [${f.kind}] ${f.message}`).join('\n');

describe('workflow linters (actionlint + shellcheck)', () => {
  it('actionlint and shellcheck are installed (bash scripts/setup.sh builds actionlint into .cache/bin and installs shellcheck)', () => {
    const missing = [ACTIONLINT === undefined ? 'actionlint' : undefined, SHELLCHECK === undefined ? 'shellcheck' : undefined].filter((m) => m !== undefined);
    if (missing.length > 0)
      throw new Error(
        `missing: ${missing.join(', ')}. Run \`bash scripts/setup.sh\` (actionlint: \`go install\` into .cache/bin; shellcheck: \`apt-get install shellcheck\`)`,
      );
    const version = spawnSync(ACTIONLINT as string, ['-version'], { encoding: 'utf8' }).stdout.split('\n')[0];
    expect(version).toMatch(/^v\d+\.\d+\.\d+$/);
  });

  it('actionlint, with shellcheck on every run: script, reports nothing in any workflow', () => {
    const files = workflowFiles().map((f) => join('.github', 'workflows', f));
    expect(files.length).toBeGreaterThanOrEqual(4);
    const findings = actionlint(ROOT, files);
    if (findings.length > 0) throw new Error(`actionlint found ${findings.length} problem(s):\n${showFindings(findings)}`);
  });

  it('the linters report a broken workflow (a shellcheck warning in a run: script and an undefined context property)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-actionlint-'));
    try {
      mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
      const file = join('.github', 'workflows', 'broken.yml');
      writeFileSync(
        join(dir, file),
        [
          'on: push',
          'jobs:',
          '  broken:',
          '    runs-on: ubuntu-latest',
          '    steps:',
          '      - run: echo $UNQUOTED_VARIABLE',
          '      - run: echo "${{ github.no_such_property }}"',
          '',
        ].join('\n'),
      );
      const findings = actionlint(dir, [file]);
      expect(findings.some((f) => f.kind === 'shellcheck' && f.message.includes('SC2086'))).toBe(true);
      expect(findings.some((f) => f.kind === 'expression' && f.message.includes('no_such_property'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------
// Every workflow
// ---------------------------------------------------------------------------
describe('every workflow', () => {
  it('uses no legacy Databricks CLI (pip databricks-cli, `databricks workspace import`, `databricks configure`) and no DBFS path', () => {
    for (const f of workflowFiles()) {
      const t = text(f);
      expect({ f, legacyPip: /databricks-cli(?!\/)/.test(t.replace(/databricks\/setup-cli/g, '')) }).toEqual({ f, legacyPip: false });
      expect({ f, workspaceImport: /databricks\s+workspace\s+import/.test(t) }).toEqual({ f, workspaceImport: false });
      expect({ f, configure: /databricks\s+configure/.test(t) }).toEqual({ f, configure: false });
      // the scheme is spelled in two parts so that a repository-wide grep for it finds no test either
      expect({ f, dbfs: t.toLowerCase().includes('dbfs' + ':') }).toEqual({ f, dbfs: false });
    }
  });

  it('never falls back from vars.PROD_DEPLOY_RUNNER to another runner: every expression naming it is exactly `vars.PROD_DEPLOY_RUNNER`', () => {
    const uses = workflowFiles().flatMap((f) =>
      expressions(text(f))
        .filter((e) => e.includes('PROD_DEPLOY_RUNNER'))
        .map((e) => ({ f, e })),
    );
    expect(uses.length).toBeGreaterThanOrEqual(2); // the guard and the prod job
    for (const u of uses) expect(u).toEqual({ f: u.f, e: 'vars.PROD_DEPLOY_RUNNER' });
  });

  it('invokes the streampulse CLI with the pinned pnpm of package.json (`npx -y pnpm@<packageManager>`)', () => {
    const pinned = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { packageManager: string }).packageManager.split('@')[1];
    const seen = workflowFiles().flatMap((f) => [...text(f).matchAll(/pnpm@([\w.-]+)/g)].map((m) => ({ f, version: m[1] })));
    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen) expect(s).toEqual({ f: s.f, version: pinned });
  });

  it('installs the Pulumi CLI of the SDK version infra depends on (pulumi/actions pulumi-version)', () => {
    const sdk = (JSON.parse(readFileSync(join(ROOT, 'infra', 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies[
      '@pulumi/pulumi'
    ];
    const installs = workflowFiles().flatMap((f) =>
      Object.values(load(f).jobs).flatMap((j) =>
        (j.steps ?? []).filter(usesAction('pulumi/actions')).map((s) => ({ f, version: String(s.with?.['pulumi-version']) })),
      ),
    );
    expect(installs.length).toBeGreaterThanOrEqual(2); // preview and deploy
    for (const i of installs) expect(i).toEqual({ f: i.f, version: sdk });
  });
});

// ---------------------------------------------------------------------------
// ci.yml
// ---------------------------------------------------------------------------
describe('ci.yml', () => {
  it('runs every test through `bash .ci/run` on pull requests and on pushes to main', () => {
    const wf = load('ci.yml');
    expect(wf.on).toMatchObject({ pull_request: null, push: { branches: ['main'] } });
    expect(Object.values(wf.jobs).some((j) => (j.steps ?? []).some((s) => s.run?.trim() === 'bash .ci/run'))).toBe(true);
  });

  it('runs streampulse preflight for both stacks after the tests (it fails the job on any ✗)', () => {
    const wf = load('ci.yml');
    const steps = Object.values(wf.jobs).flatMap((j) => j.steps ?? []);
    const tests = steps.findIndex((s) => s.run?.trim() === 'bash .ci/run');
    const pre = steps.findIndex((s) => /preflight --stack "\$stack"/.test(s.run ?? ''));
    expect(pre).toBeGreaterThan(tests);
    expect(steps[pre]!.run).toMatch(/for stack in dev prod; do/);
  });
});

// ---------------------------------------------------------------------------
// preview.yml
// ---------------------------------------------------------------------------
describe('preview.yml', () => {
  const wf = load('preview.yml');
  const job = onlyJob(wf, 'preview.yml');
  const steps = job.steps ?? [];

  it('runs on pull requests, skipping forks (GitHub gives them no OIDC token or secrets)', () => {
    expect(Object.keys(wf.on as object)).toEqual(['pull_request']);
    expect(job.if).toBe('github.event.pull_request.head.repo.full_name == github.repository');
  });

  it('previews each stack of infra (matrix.stack = STACKS) in its GitHub environment', () => {
    expect(job.strategy?.matrix?.['stack']).toEqual([...STACKS]);
    expect(job.environment).toBe('${{ matrix.stack }}');
    expect(job.env?.['STACK']).toBe('${{ matrix.stack }}');
  });

  it('logs in to Azure with OIDC: id-token: write and azure/login with client/tenant/subscription ids, no client secret (checked against the documented contract of GitHub OIDC and azure/login)', () => {
    expect(grantsIdToken(wf, job)).toBe(true);
    const login = steps[stepIndex(steps, 'azure/login', usesAction('azure/login'))] as Step;
    expect(login.with).toEqual({
      'client-id': '${{ vars.AZURE_CLIENT_ID }}',
      'tenant-id': '${{ vars.AZURE_TENANT_ID }}',
      'subscription-id': '${{ vars.AZURE_SUBSCRIPTION_ID }}',
    });
    expect(job.env?.['ARM_USE_OIDC']).toBe('true');
    expect(stepIndex(steps, 'azure/login', usesAction('azure/login'))).toBeLessThan(stepIndex(steps, 'pulumi preview', runs('pulumi preview')));
  });

  it('writes `pulumi preview --stack "$STACK" --diff` to the job summary, and passes its exit status on', () => {
    const s = steps[stepIndex(steps, 'pulumi preview', runs('pulumi preview'))] as Step;
    expect(s.run).toMatch(/pulumi preview --stack "\$STACK" --diff\b/);
    expect(s.run).toContain('>> "$GITHUB_STEP_SUMMARY"');
    expect(s.run).toMatch(/exit "\$rc"\s*$/);
  });

  it('previews on a GitHub-hosted runner only with --refresh=false (no data-plane call; a pull request never runs on the prod VNet runner)', () => {
    expect(job['runs-on']).toBe('ubuntu-latest');
    expect((steps.find(runs('pulumi preview')) as Step).run).toContain('--refresh=false');
  });

  it('writes `streampulse preflight --stack "$STACK"` to the job summary before the preview', () => {
    const i = stepIndex(steps, 'streampulse preflight', runs('streampulse preflight --stack "$STACK"'));
    expect((steps[i] as Step).run).toContain('>> "$GITHUB_STEP_SUMMARY"');
    expect(i).toBeLessThan(stepIndex(steps, 'pulumi preview', runs('pulumi preview')));
  });
});

// ---------------------------------------------------------------------------
// deploy.yml: the order of the stacks and the prod runner guard
// ---------------------------------------------------------------------------
describe('deploy.yml', () => {
  const wf = load('deploy.yml');
  const jobs = Object.entries(wf.jobs);
  const stackJobs = jobs.filter(([, j]) => j.uses === './.github/workflows/deploy-stack.yml');
  const stackJob = (stack: string): [string, Job] => {
    const found = stackJobs.find(([, j]) => j.with?.['stack'] === stack);
    if (found === undefined) throw new Error(`deploy.yml: no job deploys the stack ${stack} through deploy-stack.yml`);
    return found;
  };
  const guard = jobs.find(([, j]) => (j.steps ?? []).some((s) => s.env?.['PROD_DEPLOY_RUNNER'] === '${{ vars.PROD_DEPLOY_RUNNER }}'));

  it('deploys on pushes to main, after the tests (`bash .ci/run`)', () => {
    expect(wf.on).toMatchObject({ push: { branches: ['main'] } });
    const [testId] = jobs.find(([, j]) => (j.steps ?? []).some((s) => s.run?.trim() === 'bash .ci/run')) ?? [];
    expect(testId).toBeDefined();
    expect(needsOf(stackJob('dev')[1])).toContain(testId);
  });

  it('deploys every stack of infra, one after the other: dev, then prod', () => {
    expect(stackJobs.map(([, j]) => j.with?.['stack'])).toEqual([...STACKS]);
    expect(needsOf(stackJob('prod')[1])).toContain(stackJob('dev')[0]);
  });

  it('runs prod on vars.PROD_DEPLOY_RUNNER only, after the guard job, and dev on a GitHub-hosted runner', () => {
    expect(guard).toBeDefined();
    const [guardId, guardJob] = guard as [string, Job];
    expect(guardJob['runs-on']).toBe('ubuntu-latest'); // it must run when the variable is missing
    const [, prod] = stackJob('prod');
    expect(prod.with?.['runner']).toBe('${{ vars.PROD_DEPLOY_RUNNER }}');
    expect(needsOf(prod)).toContain(guardId);
    expect(stackJob('dev')[1].with?.['runner']).toBe('ubuntu-latest');
  });

  it('grants the stack jobs id-token: write and passes the deploy secrets explicitly (checked against the documented contract of reusable workflows: a caller grants the permissions and secrets)', () => {
    for (const [, j] of stackJobs) {
      expect(grantsIdToken(wf, j)).toBe(true);
      expect(j.secrets).toEqual({
        PULUMI_ACCESS_TOKEN: '${{ secrets.PULUMI_ACCESS_TOKEN }}',
        METABASE_DB_ADMIN_PASSWORD: '${{ secrets.METABASE_DB_ADMIN_PASSWORD }}',
      });
    }
  });

  describe('the guard script (run with bash)', () => {
    const script = (): string => {
      const s = ((guard as [string, Job])[1].steps ?? []).find((x) => x.env?.['PROD_DEPLOY_RUNNER'] !== undefined);
      if (s?.run === undefined) throw new Error('deploy.yml: the guard step has no run: script');
      return s.run;
    };
    const runGuard = (value: string | undefined): { status: number | null; out: string; summary: string } => {
      const dir = mkdtempSync(join(tmpdir(), 'sp-guard-'));
      try {
        const summaryFile = join(dir, 'summary.md');
        writeFileSync(summaryFile, '');
        const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], GITHUB_STEP_SUMMARY: summaryFile };
        if (value !== undefined) env['PROD_DEPLOY_RUNNER'] = value;
        const r = spawnSync('bash', ['-e', '-c', script()], { env, encoding: 'utf8' });
        return { status: r.status, out: r.stdout + r.stderr, summary: readFileSync(summaryFile, 'utf8') };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };

    it('fails with a GitHub error annotation naming the variable and the fix when PROD_DEPLOY_RUNNER is empty or unset', () => {
      for (const value of ['', undefined]) {
        const r = runGuard(value);
        expect(r.status).toBe(1);
        expect(r.out).toMatch(/^::error title=PROD_DEPLOY_RUNNER is not set::.*self-hosted runner.*set PROD_DEPLOY_RUNNER/m);
        expect(r.summary).toContain('prod was not deployed');
      }
    });

    it('passes and names the runner when PROD_DEPLOY_RUNNER is set', () => {
      const r = runGuard('streampulse-prod-vnet');
      expect(r.status).toBe(0);
      expect(r.out).toContain("prod deploys on the runner 'streampulse-prod-vnet'");
    });
  });
});

// ---------------------------------------------------------------------------
// deploy-stack.yml: one stack
// ---------------------------------------------------------------------------
describe('deploy-stack.yml', () => {
  const wf = load('deploy-stack.yml');
  const job = onlyJob(wf, 'deploy-stack.yml');
  const steps = job.steps ?? [];
  const at = (what: string, match: (s: Step) => boolean): number => stepIndex(steps, what, match);
  const step = (what: string, match: (s: Step) => boolean): Step => steps[at(what, match)] as Step;
  const ARTIFACTS = '$RUNNER_TEMP/artifacts';
  const SUMMARY = '$RUNNER_TEMP/bundle-summary.json';

  it('is a reusable workflow (workflow_call with the inputs stack and runner) running on the runner it is given, in the environment of the stack', () => {
    expect(Object.keys(wf.on as object)).toEqual(['workflow_call']);
    expect((wf.on as { workflow_call: { inputs: Record<string, { required: boolean }> } }).workflow_call.inputs).toMatchObject({
      stack: { required: true },
      runner: { required: true },
    });
    expect(job['runs-on']).toBe('${{ inputs.runner }}');
    expect(job.environment).toBe('${{ inputs.stack }}');
    expect(job.env?.['STACK']).toBe('${{ inputs.stack }}');
    expect(grantsIdToken(wf, job)).toBe(true);
  });

  it('runs the steps of a deploy in order: install, preflight, config, stop triggers, SQL token, pulumi up, generate, bundle deploy + summary, control files, start triggers', () => {
    const order: Array<[string, (s: Step) => boolean]> = [
      ['bash scripts/setup.sh', runs('bash scripts/setup.sh')],
      ['streampulse preflight', runs('streampulse preflight --stack "$STACK"')],
      ['the stack secret', runs(`pulumi config set --secret --stack "$STACK" ${CONFIG_PREFIX}`)],
      ['stop the triggers', runs('az datafactory trigger stop')],
      ['the Azure SQL token', runs('az account get-access-token --resource https://database.windows.net/')],
      ['pulumi up', runs('pulumi up --yes --stack "$STACK"')],
      // the artifacts carry the stack's names (factory, lake, Key Vault, SQL users, cluster sizes)
      ['streampulse generate', runs(`streampulse generate --stack "$STACK" --out "${ARTIFACTS}"`)],
      ['databricks bundle deploy', runs('databricks bundle deploy -t "$STACK"')],
      ['databricks bundle summary', runs(`databricks bundle summary -t "$STACK" --output json > "${SUMMARY}"`)],
      ['streampulse deploy control-files', runs(`streampulse deploy control-files --stack "$STACK" --bundle-summary "${SUMMARY}"`)],
      ['start the triggers', runs('az datafactory trigger start')],
    ];
    const indexes = order.map(([what, match]) => ({ what, i: at(what, match) }));
    for (let k = 1; k < indexes.length; k++) {
      const [a, b] = [indexes[k - 1], indexes[k]] as [{ what: string; i: number }, { what: string; i: number }];
      expect({ [`${a.what} before ${b.what}`]: a.i <= b.i }).toEqual({ [`${a.what} before ${b.what}`]: true });
    }
    // the summary is taken right after the deploy, in the same step (the job ids exist only then)
    expect(at('databricks bundle summary', runs('databricks bundle summary'))).toBe(at('databricks bundle deploy', runs('databricks bundle deploy')));
  });

  it("sets infra's secret keys from repository secrets and every deploy-time key (DEPLOY_TIME_KEYS) with `pulumi config set --path` from the environment's variable — in deploy and in preview", () => {
    expect(DEPLOY_TIME_KEYS.length).toBeGreaterThan(0);
    for (const file of ['deploy-stack.yml', 'preview.yml']) {
      const fileSteps = onlyJob(load(file), file).steps ?? [];
      for (const k of DEPLOY_TIME_KEYS) {
        const s = stepIndex(
          fileSteps,
          `setting ${k.path} in ${file}`,
          runs(`pulumi config set --path --stack "$STACK" ${CONFIG_PREFIX}${k.path} "$${k.variable}"`),
        );
        expect({ file, env: fileSteps[s]?.env?.[k.variable] }).toEqual({ file, env: `\${{ vars.${k.variable} }}` });
        expect(fileSteps[s]?.run).toContain(`if [ -z "$${k.variable}" ]`);
      }
      for (const secret of SECRET_KEYS)
        stepIndex(
          fileSteps,
          `setting the secret ${secret} in ${file}`,
          runs(new RegExp(`pulumi config set --secret --stack "\\$STACK" ${CONFIG_PREFIX}${secret} "\\$\\w+"`)),
        );
    }
  });

  it('installs the current Go Databricks CLI with databricks/setup-cli pinned to a release commit, never @main (checked against the documented contract of databricks/setup-cli)', () => {
    const s = step('databricks/setup-cli', usesAction('databricks/setup-cli'));
    const ref = (s.uses as string).split('@')[1] ?? '';
    expect(ref).toMatch(/^[0-9a-f]{40}$/);
    // the release it is, written next to the commit
    expect(text('deploy-stack.yml')).toMatch(new RegExp(`databricks/setup-cli@${ref} # v\\d+\\.\\d+\\.\\d+`));
    expect(at('setup-cli', usesAction('databricks/setup-cli'))).toBeLessThan(at('bundle deploy', runs('databricks bundle deploy')));
  });

  it('runs `databricks bundle deploy -t "$STACK"` from the bundle root that `streampulse generate --out` writes (DIR/databricks holds databricks.yml) (checked against the documented contract of Databricks Asset Bundles: commands run from the bundle root)', () => {
    const deploy = step('databricks bundle deploy', runs('databricks bundle deploy'));
    expect(deploy['working-directory']).toBe('${{ runner.temp }}/artifacts/databricks');
    expect(step('generate', runs('streampulse generate')).run).toContain(`--out "${ARTIFACTS}"`);
  });

  it('authenticates the Databricks CLI as the same Entra identity: azure-cli auth after a fresh azure/login, DATABRICKS_HOST from the stack output databricksWorkspaceUrl (checked against the documented contract of Azure CLI authentication for Databricks)', () => {
    const deploy = step('databricks bundle deploy', runs('databricks bundle deploy'));
    expect(deploy.env?.['DATABRICKS_AUTH_TYPE']).toBe('azure-cli');
    const host = at('DATABRICKS_HOST', runs(/echo "DATABRICKS_HOST=\$\(pulumi stack output --stack "\$STACK" databricksWorkspaceUrl\)"/));
    expect((steps[host] as Step).run).toContain('>> "$GITHUB_ENV"');
    const up = at('pulumi up', runs('pulumi up'));
    const deployAt = at('bundle deploy', runs('databricks bundle deploy'));
    expect(host).toBeGreaterThan(up);
    expect(host).toBeLessThan(deployAt);
    // a login after pulumi up (az cannot refresh an old OIDC session), before the bundle
    const logins = steps.map((s, i) => (usesAction('azure/login')(s) ? i : -1)).filter((i) => i >= 0);
    expect(logins.some((i) => i > up && i < deployAt)).toBe(true);
    expect(logins.some((i) => i < at('stop the triggers', runs('az datafactory trigger stop')))).toBe(true);
    for (const i of logins)
      expect((steps[i] as Step).with).toEqual({
        'client-id': '${{ vars.AZURE_CLIENT_ID }}',
        'tenant-id': '${{ vars.AZURE_TENANT_ID }}',
        'subscription-id': '${{ vars.AZURE_SUBSCRIPTION_ID }}',
      });
    // the Azure Databricks resource (its documented application id) and the lake get tokens right after that login
    expect(at('the Databricks token', runs('az account get-access-token --resource 2ff814a6-3304-4ab8-85cb-cd0e6f879c1d'))).toBeLessThan(deployAt);
  });

  it('gives the bundle every variable a target leaves unset (BUNDLE_VAR_<name>: the jobs run as the deploying service principal) and binds the lake account to the stack output (checked against the documented contract of bundle variables)', () => {
    const set = loadContractsOrThrow(join(ROOT, STREAMPULSE_CONTRACTS_DIR));
    const bundle = parse(databricksBundle(set, compileJobs(set))['databricks.yml'] as string) as {
      variables: Record<string, { default?: unknown }>;
      targets: Record<string, { variables?: Record<string, unknown> }>;
    };
    expect(Object.keys(bundle.targets)).toEqual([...STACKS]);
    expect([...BUNDLE_TARGETS]).toEqual([...STACKS]);
    const env = step('databricks bundle deploy', runs('databricks bundle deploy')).env ?? {};
    const given = Object.keys(env)
      .filter((k) => k.startsWith('BUNDLE_VAR_'))
      .map((k) => k.slice('BUNDLE_VAR_'.length));
    // no stray variable, and none a target would leave without a value
    for (const name of given) expect({ name, declared: name in bundle.variables }).toEqual({ name, declared: true });
    for (const [name, v] of Object.entries(bundle.variables))
      for (const stack of STACKS) {
        const valued = v.default !== undefined || bundle.targets[stack]?.variables?.[name] !== undefined || given.includes(name);
        expect({ name, stack, valued }).toEqual({ name, stack, valued: true });
      }
    expect(env[`BUNDLE_VAR_${BUNDLE_RUN_AS_VARIABLE}`]).toBe('${{ vars.AZURE_CLIENT_ID }}');
    expect(env['BUNDLE_VAR_lake_account']).toBe('${{ env.LAKE_ACCOUNT }}');
    expect(step('LAKE_ACCOUNT', runs('echo "LAKE_ACCOUNT=$(pulumi stack output --stack "$STACK" lakeAccount)"')).run).toContain('>> "$GITHUB_ENV"');
  });

  it("keeps DefaultAzureCredential on the az session of azure/login (AZURE_TOKEN_CREDENTIALS=AzureCliCredential), never a VM runner's managed identity", () => {
    expect(job.env?.['AZURE_TOKEN_CREDENTIALS']).toBe('AzureCliCredential');
  });

  it('opens the lake firewall to this runner for the control-files upload and closes it after, whatever happened (checked against the documented contract of `az storage account network-rule add/remove`)', () => {
    const open = at('network-rule add', runs('az storage account network-rule add'));
    const upload = at('control-files', runs('streampulse deploy control-files'));
    const close = at('network-rule remove', runs('az storage account network-rule remove'));
    expect(open).toBeLessThan(upload);
    expect(close).toBeGreaterThan(upload);
    const opener = steps[open] as Step;
    expect(opener.id).toBeDefined();
    expect(opener.run).toMatch(/network-rule add -g "\$RESOURCE_GROUP" --account-name "\$LAKE_ACCOUNT" --ip-address "\$ip"/);
    expect(opener.run).toContain('echo "ip=$ip" >> "$GITHUB_OUTPUT"');
    // a lake without a public endpoint (prod) is reached through its private endpoint instead
    expect(opener.run).toContain('"$access" = "Disabled"');
    const closer = steps[close] as Step;
    expect(closer.if).toBe(`always() && steps.${opener.id as string}.outputs.ip != ''`);
    expect(closer.env?.['RUNNER_IP']).toBe(`\${{ steps.${opener.id as string}.outputs.ip }}`);
    expect(closer.run).toMatch(/network-rule remove -g "\$RESOURCE_GROUP" --account-name "\$LAKE_ACCOUNT" --ip-address "\$RUNNER_IP"/);
  });

  it('starts only the triggers the stack output adfTriggerStates marks Started, after the control files', () => {
    const s = step('start the triggers', runs('az datafactory trigger start'));
    expect(s.run).toContain('pulumi stack output --stack "$STACK" adfTriggerStates --json');
    expect(s.run).toContain('v==="Started"');
  });

  describe('the serving tests on Azure SQL (issue 23: dbt)', () => {
    const DBT = 'streampulse dbt test --target azure';
    const dbtAt = (): number => at(DBT, runs(DBT));

    it('runs `streampulse dbt test --target azure` on the stack outputs sqlServerFqdn / sqlDatabase, after pulumi up and the triggers, right after a fresh azure/login', () => {
      const run = steps[dbtAt()]!.run as string;
      expect(run).toMatch(
        /npx -y pnpm@[\w.]+ streampulse dbt test --target azure \\\n\s+--sql-server "\$SQL_SERVER_FQDN" --sql-database "\$SQL_DATABASE" --out "\$RUNNER_TEMP\/dbt-run"\s*$/,
      );
      expect(dbtAt()).toBeGreaterThan(at('pulumi up', runs('pulumi up --yes --stack "$STACK"')));
      expect(dbtAt()).toBeGreaterThan(at('the stack outputs step', runs('echo "SQL_SERVER_FQDN=$(pulumi stack output --stack "$STACK" sqlServerFqdn)"')));
      expect(dbtAt()).toBeGreaterThan(at('start the triggers', runs('az datafactory trigger start')));
      // Entra ID through the az session (dbt-sqlserver authentication: cli): a fresh OIDC login just before, the SQL token taken at once
      expect(usesAction('azure/login')(steps[dbtAt() - 1]!)).toBe(true);
      expect(run.indexOf('az account get-access-token --resource https://database.windows.net/')).toBeGreaterThan(-1);
      expect(run.indexOf('az account get-access-token --resource https://database.windows.net/')).toBeLessThan(run.indexOf(DBT));
      // no secret reaches dbt: no password, no client secret
      expect(run).not.toMatch(/secret|password|PWD/i);
    });

    it('fails with an error annotation naming the fix when the runner has no ODBC Driver 18 for SQL Server (dbt-sqlserver connects through pyodbc)', () => {
      const run = steps[dbtAt()]!.run as string;
      expect(run).toContain('odbcinst -q -d -n "ODBC Driver 18 for SQL Server"');
      expect(run).toMatch(/::error title=no ODBC driver for Azure SQL::.*msodbcsql18/);
      expect(run.indexOf('odbcinst')).toBeLessThan(run.indexOf(DBT));
    });

    it('passes only options `streampulse dbt test` has', async () => {
      let help = '';
      const code = await main(['dbt', 'test', '--help'], {
        stdout: (t) => void (help += t),
        stderr: (t) => void (help += t),
        color: false,
        workspaceRoot: ROOT,
      });
      expect(code).toBe(0);
      const run = steps[dbtAt()]!.run as string;
      const flags = [...run.slice(run.indexOf(DBT)).matchAll(/\s(--[a-z-]+)/g)].map((m) => m[1]!);
      expect(flags).toEqual(['--target', '--sql-server', '--sql-database', '--out']);
      for (const f of flags) expect(help).toContain(f);
    });
  });

  describe('Metabase provisioning (issue 18)', () => {
    const PROVISION = 'streampulse metabase provision';
    const provisionAt = (): number => at(PROVISION, runs(PROVISION));
    const provision = (): Step => steps[provisionAt()] as Step;
    const OUTPUTS: Record<string, string> = {
      METABASE_URL: 'metabaseUrl',
      SQL_SERVER_FQDN: 'sqlServerFqdn',
      SQL_DATABASE: 'sqlDatabase',
      METABASE_IDENTITY_CLIENT_ID: 'metabaseIdentityClientId',
      KEY_VAULT: 'keyVaultName',
    };

    it("runs `npx -y pnpm@<pinned> streampulse metabase provision` with the documented flags, after pulumi up, the stack outputs step and the triggers, on the stack's runner", () => {
      const run = provision().run as string;
      expect(provision().name).toBe('Provision Metabase (streampulse metabase provision)');
      expect(run).toMatch(
        /npx -y pnpm@[\w.]+ streampulse metabase provision --url "\$METABASE_URL" \\\n\s+--sql-server "\$SQL_SERVER_FQDN" --sql-database "\$SQL_DATABASE" \\\n\s+--identity-client-id "\$METABASE_IDENTITY_CLIENT_ID"\s*$/,
      );
      const outputs = at('the stack outputs step', runs('echo "METABASE_URL=$(pulumi stack output'));
      expect(outputs).toBeGreaterThan(at('pulumi up', runs('pulumi up --yes --stack "$STACK"')));
      expect(provisionAt()).toBeGreaterThan(outputs);
      expect(provisionAt()).toBeGreaterThan(at('start the triggers', runs('az datafactory trigger start')));
      // the job runs on the runner it is given: prod's is vars.PROD_DEPLOY_RUNNER (in the VNet), so no step overrides it
      expect(job['runs-on']).toBe('${{ inputs.runner }}');
      expect(provision()['working-directory']).toBeUndefined();
    });

    it('takes the URL, the SQL server FQDN, the database, the identity client id and the vault from the stack outputs', () => {
      const s = steps[at('the stack outputs step', runs('echo "METABASE_URL=$(pulumi stack output'))] as Step;
      expect(s.run).toContain('>> "$GITHUB_ENV"');
      for (const [v, output] of Object.entries(OUTPUTS)) expect(s.run).toContain(`echo "${v}=$(pulumi stack output --stack "$STACK" ${output})"`);
    });

    it('reads the API key from the Key Vault secret METABASE_API_KEY_SECRET after a fresh azure/login (az cannot refresh an old OIDC session)', () => {
      const run = provision().run as string;
      expect(run).toContain(`az keyvault secret show --vault-name "$KEY_VAULT" --name ${METABASE_API_KEY_SECRET} --query value -o tsv`);
      // every Key Vault secret name in the step is the constant
      for (const m of run.matchAll(/metabase-[a-z-]*key/g)) expect(m[0]).toBe(METABASE_API_KEY_SECRET);
      const logins = steps.map((x, i) => (usesAction('azure/login')(x) ? i : -1)).filter((i) => i >= 0);
      const last = Math.max(...logins.filter((i) => i < provisionAt()));
      expect(last).toBeGreaterThan(at('start the triggers', runs('az datafactory trigger start')));
    });

    it('masks the key and passes it in STREAMPULSE_METABASE_API_KEY, never on a command line or through a workflow expression (checked against the documented contract of the add-mask workflow command)', () => {
      const run = provision().run as string;
      const lines = run.split('\n').map((l) => l.trim());
      const mask = lines.indexOf('echo "::add-mask::$api_key"');
      const exported = lines.indexOf('export STREAMPULSE_METABASE_API_KEY="$api_key"');
      const command = lines.findIndex((l) => l.includes(PROVISION));
      expect(mask).toBeGreaterThan(-1);
      expect(mask).toBeLessThan(exported);
      expect(exported).toBeLessThan(command);
      // the value appears only where it is read, checked, masked and exported
      const uses = lines.filter((l) => l.includes('$api_key') || l.includes('${api_key}'));
      expect(uses).toEqual(['if [ -z "$api_key" ]; then', 'echo "::add-mask::$api_key"', 'export STREAMPULSE_METABASE_API_KEY="$api_key"']);
      expect(run).not.toMatch(/--api-key\b/);
      expect(run).not.toMatch(/STREAMPULSE_METABASE_API_KEY=\S* *npx/);
      expect(JSON.stringify(provision().env ?? {})).not.toContain('API_KEY');
      expect(expressions(text('deploy-stack.yml')).filter((e) => /api.?key/i.test(e))).toEqual([]);
    });

    describe('the step script (run with bash, az/curl/npx stubbed)', () => {
      const runStep = (az: string): { status: number | null; out: string; summary: string; calls: string } => {
        const dir = mkdtempSync(join(tmpdir(), 'sp-metabase-'));
        try {
          const bin = join(dir, 'bin');
          mkdirSync(bin);
          const calls = join(dir, 'calls.log');
          const stub = (name: string, body: string): void => writeFileSync(join(bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
          stub('az', az);
          stub('curl', 'exit 0');
          stub('sleep', 'exit 0');
          stub('npx', `printf 'npx %s | key=%s\\n' "$*" "$STREAMPULSE_METABASE_API_KEY" >> "${calls}"`);
          const summary = join(dir, 'summary.md');
          writeFileSync(summary, '');
          const env: NodeJS.ProcessEnv = {
            PATH: `${bin}:${process.env['PATH'] ?? ''}`,
            RUNNER_TEMP: dir,
            GITHUB_STEP_SUMMARY: summary,
            KEY_VAULT: 'kv-spulse-dev',
            METABASE_URL: 'https://spulse-ca-metabase-dev.example',
            SQL_SERVER_FQDN: 'spulse-sql-dev.database.windows.net',
            SQL_DATABASE: 'sqldb-spulse-serving',
            METABASE_IDENTITY_CLIENT_ID: 'client-id-1',
          };
          const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', provision().run as string], { env, encoding: 'utf8' });
          return {
            status: r.status,
            out: r.stdout + r.stderr,
            summary: readFileSync(summary, 'utf8'),
            calls: existsSync(calls) ? readFileSync(calls, 'utf8') : '',
          };
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      };

      it('with the secret: masks the key, then runs the provisioning with the key in its environment only', () => {
        const r = runStep(
          `[ "$*" = "keyvault secret show --vault-name kv-spulse-dev --name ${METABASE_API_KEY_SECRET} --query value -o tsv" ] && echo mb_TESTKEY`,
        );
        expect(r.status).toBe(0);
        expect(r.out).toContain('::add-mask::mb_TESTKEY');
        expect(r.calls).toMatch(
          /^npx -y pnpm@[\w.]+ streampulse metabase provision --url https:\/\/spulse-ca-metabase-dev\.example --sql-server spulse-sql-dev\.database\.windows\.net --sql-database sqldb-spulse-serving --identity-client-id client-id-1 \| key=mb_TESTKEY\n$/,
        );
        expect(r.calls.split('|')[0]).not.toContain('mb_TESTKEY');
      });

      it('without the secret yet (the first deploy): a warning in the job summary, no provisioning, the job goes on', () => {
        const r = runStep(`echo "ERROR: (SecretNotFound) A secret with (name/id) ${METABASE_API_KEY_SECRET} was not found in this key vault." >&2; exit 1`);
        expect(r.status).toBe(0);
        expect(r.out).toMatch(/^::warning title=Metabase was not provisioned::.*metabase-api-key/m);
        expect(r.summary).toContain('Metabase was not provisioned');
        expect(r.calls).toBe('');
      });

      it('any other Key Vault error (no rights, no network path): fails with an error annotation naming the fix', () => {
        const r = runStep('echo "ERROR: (Forbidden) Caller is not authorized" >&2; exit 1');
        expect(r.status).toBe(1);
        expect(r.out).toMatch(/^::error title=the Metabase API key could not be read::.*Key Vault Secrets User/m);
        expect(r.calls).toBe('');
      });
    });
  });
});

// ---------------------------------------------------------------------------
// contracts-diff.yml (issue 22: the breaking-change gate on pull requests)
// ---------------------------------------------------------------------------
describe('contracts-diff.yml', () => {
  const wf = load('contracts-diff.yml');
  const job = onlyJob(wf, 'contracts-diff.yml');
  const steps = job.steps ?? [];
  const find = (re: RegExp): Step => {
    const s = steps.find((x) => re.test(x.run ?? ''));
    if (!s) throw new Error(`contracts-diff.yml: no step runs ${re}`);
    return s;
  };

  it('runs on pull requests (also when the description is edited) with pull-requests: write (for the comment) and contents: read only', () => {
    // `edited`: the allow-removed lines live in the description (GitHub's pull_request activity types)
    expect(wf.on).toStrictEqual({ pull_request: { types: ['opened', 'synchronize', 'reopened', 'edited'] } });
    expect(wf.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
  });

  it("fetches the pull request's base commit and diffs against it, then comments, then fails on exit 1", () => {
    const fetch = find(/git fetch/);
    expect(fetch.env?.BASE_SHA).toBe('${{ github.event.pull_request.base.sha }}');
    const diff = find(/contracts diff/);
    expect(diff.env?.BASE_SHA).toBe('${{ github.event.pull_request.base.sha }}');
    expect(diff.run).toContain('node cli/dist/src/bin.js contracts diff --base "$BASE_SHA" --format markdown');
    const comment = find(/gh pr comment/);
    expect(comment.run).toContain('--body-file "$comment"');
    expect(comment.env?.GH_TOKEN).toBe('${{ github.token }}');
    // forks get a read-only token (checked against the documented contract of GITHUB_TOKEN permissions for forked pull requests)
    expect(comment.if).toBe('github.event.pull_request.head.repo.full_name == github.repository');
    const gate = find(/exit "\$RC"/);
    expect(gate.if).toBe("steps.diff.outputs.rc != '0'");
    expect(steps.indexOf(fetch)).toBeLessThan(steps.indexOf(diff));
    expect(steps.indexOf(diff)).toBeLessThan(steps.indexOf(comment));
    expect(steps.indexOf(comment)).toBeLessThan(steps.indexOf(gate));
  });

  it('the diff step script (run with bash, the CLI stubbed): the report goes to the job summary and the exit code to the step output', () => {
    const dir = mkdtempSync(join(tmpdir(), 'streampulse-wf-diff-'));
    try {
      mkdirSync(join(dir, 'cli', 'dist', 'src'), { recursive: true });
      writeFileSync(
        join(dir, 'cli', 'dist', 'src', 'bin.js'),
        "process.stdout.write(`### report for ${process.argv.slice(2).join(' ')}\\n`); process.stderr.write('a warning\\n'); process.exitCode = 1;\n",
      );
      const summary = join(dir, 'summary.md');
      const output = join(dir, 'output.txt');
      const r = spawnSync('bash', ['-e', '-c', find(/contracts diff/).run!], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, RUNNER_TEMP: dir, GITHUB_STEP_SUMMARY: summary, GITHUB_OUTPUT: output, BASE_SHA: 'abc123' },
      });
      expect(r.status).toBe(0);
      expect(r.stderr).toContain('a warning');
      expect(readFileSync(summary, 'utf8')).toBe('### report for contracts diff --base abc123 --format markdown\n');
      expect(readFileSync(output, 'utf8')).toBe('rc=1\n');
      expect(readFileSync(join(dir, 'contracts-diff.md'), 'utf8')).toBe('### report for contracts diff --base abc123 --format markdown\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('contracts removed on purpose: allow-removed lines of the description become --allow-removed, anything but a name is ignored (the script run with bash, the CLI stubbed)', () => {
    const step = find(/contracts diff/);
    // the description reaches the script through the environment only, never as an expression in it
    expect(step.env?.PR_BODY).toBe('${{ github.event.pull_request.body }}');
    expect(step.run).not.toContain('github.event');
    const dir = mkdtempSync(join(tmpdir(), 'streampulse-wf-allow-'));
    try {
      mkdirSync(join(dir, 'cli', 'dist', 'src'), { recursive: true });
      writeFileSync(join(dir, 'cli', 'dist', 'src', 'bin.js'), "process.stdout.write(JSON.stringify(process.argv.slice(2)) + '\\n');\n");
      const body = [
        'Retire two datasets.',
        '',
        'allow-removed: users, plans\r',
        '  allow-removed:dim_user',
        'not a line: allow-removed: ignored_mid_line',
        'allow-removed: $(touch pwned), `touch pwned2`, ok.name-1;rm -rf x, fine_name',
      ].join('\n');
      const run = (env: Record<string, string>) =>
        spawnSync('bash', ['-e', '-o', 'pipefail', '-c', step.run!], {
          cwd: dir,
          encoding: 'utf8',
          env: {
            ...process.env,
            RUNNER_TEMP: dir,
            GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
            GITHUB_OUTPUT: join(dir, 'output.txt'),
            BASE_SHA: 'abc',
            ...env,
          },
        });
      const r = run({ PR_BODY: body });
      expect(r.status).toBe(0);
      const args = JSON.parse(readFileSync(join(dir, 'contracts-diff.md'), 'utf8')) as string[];
      expect(args).toStrictEqual([
        'contracts',
        'diff',
        '--base',
        'abc',
        '--format',
        'markdown',
        '--allow-removed',
        'users',
        '--allow-removed',
        'plans',
        '--allow-removed',
        'dim_user',
        '--allow-removed',
        'fine_name',
      ]);
      expect(r.stdout.match(/^::warning title=allow-removed::/gm)).toHaveLength(3);
      expect(existsSync(join(dir, 'pwned')) || existsSync(join(dir, 'pwned2'))).toBe(false);
      // no description (null in the event): no --allow-removed
      expect(run({ PR_BODY: '' }).status).toBe(0);
      expect(JSON.parse(readFileSync(join(dir, 'contracts-diff.md'), 'utf8'))).toStrictEqual(['contracts', 'diff', '--base', 'abc', '--format', 'markdown']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
