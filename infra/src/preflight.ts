/**
 * `streampulse preflight --stack dev|prod`: an offline check of a stack's whole estate
 * before anyone runs `pulumi up`. The stack's program is rendered under Pulumi's mocks
 * with the stack file's config (mock-render.ts), every artifact is generated with the
 * stack's names, the deploy workflow is read, and each check (preflight/checks.ts)
 * compares them: `{ id, ok, detail }`, the detail naming what it looked at and, on a
 * failure, the fix. What cannot be checked offline is listed as a manual prerequisite.
 *
 * Deploy-time keys (DEPLOY_TIME_KEYS, the stack secret) get stand-ins here and are
 * listed as prerequisites: the deploy workflow sets them from repository variables and
 * secrets.
 */
import { StreamPulseError } from '@streampulse/contracts';
import { CONFIG_NAMESPACE, DEPLOY_TIME_KEYS, SECRET_KEYS, StackConfigError } from './config.js';
import { METABASE_API_KEY_SECRET } from './components/metabase.js';
import { SECRET_STAND_IN } from './mock-render.js';
import { checkDefinitions, configFailure, deployWorkflow, unsetBundleVariables, type Check, type CheckDefinition } from './preflight/checks.js';
import { loadPreflightEstate, type LoadOptions, type PreflightEstate } from './preflight/estate.js';
import { isStackName, STACKS, type StackName } from './stack-file.js';

export { checkDefinitions, pyprojectFacts, type Check, type CheckDefinition } from './preflight/checks.js';
export { loadPreflightEstate, parseBundle, type PreflightEstate, type MigrationText } from './preflight/estate.js';

/** What `--json` prints. */
export interface PreflightReport {
  readonly stack: StackName;
  readonly checks: readonly Check[];
  /** Manual prerequisites that cannot be checked offline. */
  readonly prerequisites: readonly string[];
}

/** The checks preflight runs (ids in order). */
export const PREFLIGHT_CHECKS: readonly CheckDefinition[] = checkDefinitions([SECRET_STAND_IN]);

/** Runs every check over a rendered estate; a check that throws is a failed check naming the error. */
export async function runChecks(e: PreflightEstate, definitions: readonly CheckDefinition[] = PREFLIGHT_CHECKS): Promise<Check[]> {
  const out: Check[] = [];
  for (const d of definitions) {
    try {
      out.push(await d.run(e));
    } catch (err) {
      out.push({ id: d.id, ok: false, detail: `the check could not run: ${(err as Error).message}` });
    }
  }
  return out;
}

const uniqSorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();

/** The manual prerequisites of a stack: what a deploy needs that no offline check can see. */
export function prerequisites(stack: StackName, e?: PreflightEstate): string[] {
  // what the deploy workflows read: the one running pulumi up and the workflows named deploy*
  const deployWf = e === undefined ? undefined : deployWorkflow(e);
  const deploy =
    e === undefined
      ? undefined
      : Object.entries(e.workflows)
          .filter(([p]) => p === deployWf?.[0] || /(^|\/)deploy[^/]*\.ya?ml$/.test(p))
          .map(([, t]) => t)
          .join('\n');
  const vars = deploy === undefined ? [] : uniqSorted([...deploy.matchAll(/\bvars\.([A-Z0-9_]+)/g)].map((m) => m[1]!));
  const secrets = deploy === undefined ? [] : uniqSorted([...deploy.matchAll(/\bsecrets\.([A-Z0-9_]+)/g)].map((m) => m[1]!));
  const out: string[] = [];
  for (const s of SECRET_KEYS)
    out.push(
      `${CONFIG_NAMESPACE}:${s}: a stand-in here; the deploy workflow sets it with \`pulumi config set --secret\` from a secret of the GitHub environment '${stack}'`,
    );
  for (const k of DEPLOY_TIME_KEYS)
    out.push(
      `${CONFIG_NAMESPACE}:${k.path}: a stand-in here; ${k.what}, set at deploy with \`pulumi config set --path\` from the variable ${k.variable} of the GitHub environment '${stack}'`,
    );
  if (e !== undefined)
    for (const v of unsetBundleVariables(e))
      out.push(`bundle variable ${v}: no value in the bundle for target ${stack}; the deploy passes it (--var ${v}=… or BUNDLE_VAR_${v})`);
  if (vars.length > 0 || secrets.length > 0)
    out.push(
      `GitHub (repository or environment '${stack}'): the variables ${vars.join(', ') || '(none)'} and the secrets ${secrets.join(', ') || '(none)'} the deploy workflows read`,
    );
  out.push(
    `the deployment identity (AZURE_CLIENT_ID) has a federated credential for the GitHub environment '${stack}' and may create resources and role assignments on the subscription (Owner, or Contributor + Role Based Access Control Administrator)`,
  );
  if (e !== undefined)
    out.push(
      `the deployment identity is a member of the Entra group ${e.config.sql.adminGroup.login} (only an Entra admin of the SQL server creates the database users)`,
    );
  out.push(
    "the SQL server's system-assigned identity holds the Entra role Directory Readers (or Graph User.Read.All, GroupMember.Read.All, Application.Read.All): CREATE USER … FROM EXTERNAL PROVIDER needs it",
  );
  out.push(
    'a Unity Catalog metastore in the region is assigned to the workspace, and the deployment identity may create storage credentials and external locations in it (metastore admin, or CREATE STORAGE CREDENTIAL / CREATE EXTERNAL LOCATION)',
  );
  out.push(
    `the Metabase API key: after Metabase's first start, an admin creates an API key in Metabase (Admin settings → Authentication → API keys) and stores it in the stack's Key Vault${e === undefined ? '' : ` ${e.names.keyVault}`} as the secret '${METABASE_API_KEY_SECRET}' (METABASE_API_KEY_SECRET); until it exists the deploy skips \`streampulse metabase provision\` with a warning`,
  );
  out.push(
    "the Metabase image finds com.azure:azure-identity on its classpath: mssql-jdbc's authentication=ActiveDirectoryManagedIdentity (the serving database entry) gets its token through azure-identity, an optional dependency of the driver that the pinned stock image is not known to carry (streampulse:metabase.image: an image that adds it and its dependencies)",
  );
  if (e !== undefined && !e.config.network.publicNetworkAccess)
    out.push(
      `the deploy job of '${stack}' runs on a runner inside the stack's VNet (repository variable PROD_DEPLOY_RUNNER): public network access is off for the SQL server, the lake, the workspace and Key Vault, and Metabase's environment is internal`,
    );
  if (e !== undefined) {
    const d = e.config.databricks;
    out.push(
      `regional vCPU quota in ${e.config.location} for ${d.nodeTypeId} (driver + up to ${d.maxWorkers} workers per job cluster, spot with on-demand fallback)`,
    );
  }
  out.push(
    'the subscription has the resource providers registered: Microsoft.Storage, Microsoft.DataFactory, Microsoft.Databricks, Microsoft.EventHub, Microsoft.Sql, Microsoft.KeyVault, Microsoft.App, Microsoft.DBforPostgreSQL, Microsoft.Network, Microsoft.OperationalInsights, Microsoft.Insights, Microsoft.ManagedIdentity, Microsoft.Consumption',
  );
  out.push('the workspace URL, resource ids and principal ids checked here are mock values: their real values exist only after `pulumi up`');
  return out;
}

export interface PreflightOptions extends LoadOptions {
  /** Only these checks (ids); default: all. */
  readonly only?: readonly string[];
}

/** Preflight of one stack: render, generate, check. A stack file that does not validate is one failed `config-valid` check. */
export async function preflight(root: string, stack: string, options: PreflightOptions = {}): Promise<PreflightReport> {
  if (!isStackName(stack))
    throw new StreamPulseError('INFRA_STACK_UNKNOWN', `unknown stack '${stack}'`, { remedy: `pass --stack ${STACKS.join(' or --stack ')}` });
  let e: PreflightEstate;
  try {
    e = await loadPreflightEstate(root, stack, options);
  } catch (err) {
    if (!(err instanceof StackConfigError)) throw err;
    return { stack, checks: [configFailure(err)], prerequisites: prerequisites(stack) };
  }
  const definitions = options.only === undefined ? PREFLIGHT_CHECKS : PREFLIGHT_CHECKS.filter((d) => options.only!.includes(d.id));
  return { stack, checks: await runChecks(e, definitions), prerequisites: prerequisites(stack, e) };
}

/** The report as text: ✓/✗ per check with its detail, then the manual prerequisites. */
export function formatPreflight(
  report: PreflightReport,
  paint: { ok: (s: string) => string; fail: (s: string) => string; bold: (s: string) => string } = { ok: (s) => s, fail: (s) => s, bold: (s) => s },
): string {
  const failed = report.checks.filter((c) => !c.ok).length;
  const lines = [paint.bold(`preflight of stack ${report.stack}: ${report.checks.length} checks, ${failed} failed`)];
  for (const c of report.checks) lines.push(`${c.ok ? paint.ok('✓') : paint.fail('✗')} ${c.id}: ${c.detail}`);
  lines.push('', paint.bold('Manual prerequisites (cannot be checked offline):'));
  for (const p of report.prerequisites) lines.push(`  - ${p}`);
  return lines.join('\n');
}
