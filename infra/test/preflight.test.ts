/**
 * `streampulse preflight`: both stacks rendered once under Pulumi mocks (with a fixed
 * clock), every check run over them, then one broken input per kind of reference or
 * documented constraint — on a copy of the rendered estate — and exactly the matching
 * check turns ✗.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATABRICKS_STEP_JOB, DATABRICKS_STREAM_JOB, PII_SALT, RUNTIME_WHEEL } from '@streampulse/jobs';
import { NAMES } from '@streampulse/pipelines';
import { METABASE_API_KEY_SECRET, METABASE_ENCRYPTION_KEY_SECRET } from '../src/components/metabase.js';
import { DEPLOY_TIME_KEYS, SECRET_KEYS } from '../src/config.js';
import { SECRET_STAND_IN } from '../src/mock-render.js';
import type { MockResource } from '../src/policy.js';
import {
  formatPreflight,
  loadPreflightEstate,
  preflight,
  PREFLIGHT_CHECKS,
  prerequisites,
  pyprojectFacts,
  runChecks,
  type Check,
  type PreflightEstate,
} from '../src/preflight.js';
import { renderStack, TEST_SECRET } from './harness.js';

const ROOT = join(__dirname, '..', '..');
/** The clock of every check here: the budget window moves with it. */
const NOW = new Date(Date.UTC(2026, 5, 15, 12));
/** The DBFS scheme, spelled so that no file of the repository contains it. */
const DBFS = ['dbfs', ':/'].join('');

let dev: PreflightEstate;
let prod: PreflightEstate;
const baseline = new Map<string, Check[]>();
beforeAll(async () => {
  dev = await loadPreflightEstate(ROOT, 'dev', { now: NOW });
  prod = await loadPreflightEstate(ROOT, 'prod', { now: NOW });
  baseline.set('dev', await runChecks(dev));
  baseline.set('prod', await runChecks(prod));
}, 180_000);

const failed = (checks: readonly Check[]): string[] => checks.filter((c) => !c.ok).map((c) => c.id);

// ---- copies of the rendered estate with one thing changed
// biome-ignore lint/suspicious/noExplicitAny: the test walks generated JSON documents of any shape
type Json = Record<string, any>;
const clone = <T>(v: T): T => structuredClone(v);
const resources = (e: PreflightEstate, f: (rs: MockResource[]) => MockResource[]): PreflightEstate => ({
  ...e,
  resources: f(clone(e.resources) as MockResource[]),
});
const editResource = (e: PreflightEstate, pick: (r: MockResource) => boolean, edit: (inputs: Json) => void): PreflightEstate =>
  resources(e, (rs) => {
    const r = rs.find(pick);
    if (r === undefined) throw new Error('the fixture found no resource to break');
    edit(r.inputs as Json);
    return rs;
  });
const dropResource = (e: PreflightEstate, pick: (r: MockResource) => boolean): PreflightEstate =>
  resources(e, (rs) => {
    const i = rs.findIndex(pick);
    if (i < 0) throw new Error('the fixture found no resource to drop');
    return rs.filter((_, j) => j !== i);
  });
const factory = (e: PreflightEstate, edit: (files: Json) => void): PreflightEstate => {
  const files = clone(e.artifacts.factory) as Json;
  edit(files);
  return { ...e, artifacts: { ...e.artifacts, factory: files } };
};
const bundle = (e: PreflightEstate, edit: (files: Json) => void): PreflightEstate => {
  const files = clone(e.artifacts.bundle) as Json;
  edit(files);
  return { ...e, artifacts: { ...e.artifacts, bundle: files } };
};
const migrations = (e: PreflightEstate, edit: (text: string) => string): PreflightEstate => ({
  ...e,
  artifacts: { ...e.artifacts, migrations: e.artifacts.migrations.map((m) => ({ ...m, text: edit(m.text) })) },
});
const workflows = (e: PreflightEstate, edit: (text: string, path: string) => string): PreflightEstate => ({
  ...e,
  workflows: Object.fromEntries(Object.entries(e.workflows).map(([p, t]) => [p, edit(t, p)])),
});
const dropLines =
  (re: RegExp) =>
  (text: string): string =>
    text
      .split('\n')
      .filter((l) => !re.test(l))
      .join('\n');
const type =
  (t: string) =>
  (r: MockResource): boolean =>
    r.type === t;
const AZ = 'azure-native:';
const stepJob = (files: Json): Json => files[`resources/${DATABRICKS_STEP_JOB}.job.yml`].resources.jobs[DATABRICKS_STEP_JOB.replace(/-/g, '_')];
const dailyJob = (files: Json): Json =>
  Object.values(files)
    .flatMap((d: Json) => Object.values(d?.resources?.jobs ?? {}) as Json[])
    .find((j) => j.name !== DATABRICKS_STEP_JOB)!;
const streamJob = (files: Json): Json => files[`resources/${DATABRICKS_STREAM_JOB}.job.yml`].resources.jobs[DATABRICKS_STREAM_JOB.replace(/-/g, '_')];
const databricksJobActivity = (files: Json): Json =>
  (files[`pipeline/${NAMES.plIngest}.json`].properties.activities as Json[]).find((a) => a.type === 'DatabricksJob')!;

describe('preflight of the committed stacks (Pulumi mocks, fixed clock)', () => {
  it.each(['dev', 'prod'])('%s: at least 20 checks, every one passes, each names what it looked at', (stack) => {
    const checks = baseline.get(stack)!;
    expect(checks.length).toBeGreaterThanOrEqual(20);
    expect(new Set(checks.map((c) => c.id)).size).toBe(checks.length);
    expect(checks.map((c) => c.id)).toStrictEqual(PREFLIGHT_CHECKS.map((d) => d.id));
    expect(checks.filter((c) => !c.ok)).toStrictEqual([]);
    for (const c of checks) expect(c.detail.length).toBeGreaterThan(20);
  });

  it('the manual prerequisites list the deploy-time stand-ins and what no offline check can see', () => {
    const list = prerequisites('prod', prod);
    for (const k of DEPLOY_TIME_KEYS) expect(list.some((p) => p.startsWith(`streampulse:${k.path}:`) && p.includes(k.variable))).toBe(true);
    for (const s of SECRET_KEYS) expect(list.some((p) => p.startsWith(`streampulse:${s}:`))).toBe(true);
    expect(list.join('\n')).toMatch(/Directory Readers/);
    expect(list.join('\n')).toMatch(/Unity Catalog metastore/);
    expect(list.join('\n')).toMatch(/PROD_DEPLOY_RUNNER/);
    expect(list.join('\n')).toContain(`Key Vault kv-spulse-prod as the secret '${METABASE_API_KEY_SECRET}'`);
    expect(list.join('\n')).toMatch(/com\.azure:azure-identity/);
    expect(prerequisites('dev', dev).join('\n')).not.toMatch(/runs on a runner inside/);
  });

  it('the text report: ✓/✗ per check with its detail, then the manual prerequisites', async () => {
    const broken = await runChecks(dropResource(dev, type(`${AZ}eventhub:EventHub`)));
    const text = formatPreflight({ stack: 'dev', checks: broken, prerequisites: prerequisites('dev', dev) });
    expect(text.split('\n')[0]).toBe(`preflight of stack dev: ${broken.length} checks, 1 failed`);
    expect(text).toMatch(/^✓ config-valid: /m);
    expect(text).toMatch(/^✗ event-hubs: .*Wrong: no event hub '.+'.*Fix: /m);
    expect(text).toContain('\nManual prerequisites (cannot be checked offline):\n  - streampulse:metabaseDbAdminPassword: ');
  });

  it('preflight renders what the Pulumi entry point (src/main.ts) renders', async () => {
    const main = await renderStack('dev');
    const key = (r: MockResource): string => `${r.type}::${r.name}`;
    expect(dev.resources.map(key).sort()).toStrictEqual(main.resources.map(key).sort());
    const comparable = (rs: readonly MockResource[]): string[] =>
      rs
        .filter((r) => r.type !== `${AZ}consumption:Budget`) // the budget starts in the month of each clock
        .map((r) => `${key(r)} ${JSON.stringify(r.inputs).split(TEST_SECRET).join('S').split(SECRET_STAND_IN).join('S')}`)
        .sort();
    expect(comparable(dev.resources)).toStrictEqual(comparable(main.resources));
  }, 60_000);
});

/** [what is broken, stack, the check that must fail, the copy with that one thing broken] */
const breaks: [string, 'dev' | 'prod', string, () => PreflightEstate][] = [
  [
    'a placeholder object id in the stack file',
    'dev',
    'config-valid',
    () => ({
      ...dev,
      rawConfig: {
        ...dev.rawConfig,
        'streampulse:sql': dev.rawConfig['streampulse:sql']!.replace(/"objectId":"[^"]+"/, '"objectId":"11111111-1111-1111-1111-111111111111"'),
      },
    }),
  ],
  [
    'a nil GUID in a resource (the SQL admin group sid)',
    'dev',
    'no-placeholder-ids',
    () => editResource(dev, type(`${AZ}sql:Server`), (i) => void (i['administrators'].sid = '00000000-0000-0000-0000-000000000000')),
  ],
  [
    'an RFC 5737 documentation range in a firewall',
    'dev',
    'no-placeholder-ids',
    () =>
      editResource(
        dev,
        (r) => r.type === `${AZ}storage:StorageAccount` && r.inputs['isHnsEnabled'] === true,
        (i) => void (i['networkRuleSet'].ipRules = [{ iPAddressOrRange: '203.0.113.0/24' }]),
      ),
  ],
  [
    'a storage account accepting TLS 1.0 (a policy)',
    'prod',
    'policies',
    () => editResource(prod, type(`${AZ}storage:StorageAccount`), (i) => void (i['minimumTlsVersion'] = 'TLS1_0')),
  ],
  [
    'an activity depending on one that does not exist (the ADF validator)',
    'dev',
    'adf-validator',
    () =>
      factory(
        dev,
        (f) =>
          void (f[`pipeline/${NAMES.plMaster}.json`].properties.activities as Json[])
            .find((a) => a.name === 'Merge serving')!
            .dependsOn.push({ activity: 'Nowhere', dependencyConditions: ['Succeeded'] }),
      ),
  ],
  [
    'a renamed Key Vault secret (the SQL connection string the linked service reads)',
    'dev',
    'key-vault-secret-references',
    () =>
      editResource(
        dev,
        (r) => r.inputs['secretName'] === NAMES.sqlSecretName,
        (i) => void (i['secretName'] = 'sql-connection'),
      ),
  ],
  [
    'a renamed Key Vault secret (the Metabase password its container app reads)',
    'prod',
    'key-vault-secret-references',
    () =>
      editResource(
        prod,
        (r) => r.inputs['secretName'] === 'metabase-db-password',
        (i) => void (i['secretName'] = 'metabase-password'),
      ),
  ],
  [
    'a renamed Databricks secret key (the salt the jobs read)',
    'dev',
    'databricks-secret-references',
    () => editResource(dev, type('databricks:index/secret:Secret'), (i) => void (i['key'] = 'pii-salt')),
  ],
  [
    'a {{secrets/…}} reference to a key nobody creates (the old ADF spark conf)',
    'dev',
    'databricks-secret-references',
    () =>
      factory(
        dev,
        (f) =>
          void (f[`linkedService/${NAMES.lsDatabricks}.json`].properties.typeProperties.newClusterSparkConf = {
            'spark.streampulse.pii_salt': '{{secrets/streampulse/pii-salt}}',
          }),
      ),
  ],
  [
    'job specs naming another salt key than the jobs pass',
    'prod',
    'databricks-secret-references',
    () =>
      bundle(
        prod,
        (f) =>
          void Object.entries(f)
            .filter(([p]) => p.startsWith('specs/') && p !== 'specs/index.json')
            .forEach(([p, s]) => (f[p] = JSON.parse(JSON.stringify(s).split(`"salt_secret":"${PII_SALT.key}"`).join('"salt_secret":"pii-salt"')))),
      ),
  ],
  [
    'the salt missing from Key Vault (renamed)',
    'dev',
    'pii-salt',
    () =>
      editResource(
        dev,
        (r) => r.inputs['secretName'] === PII_SALT.keyVaultSecret,
        (i) => void (i['secretName'] = 'pii-salt'),
      ),
  ],
  [
    'the lake linked service naming another account',
    'dev',
    'lake-linked-services',
    () => factory(dev, (f) => void (f[`linkedService/${NAMES.lsLake}.json`].properties.typeProperties.url = 'https://stspulselakeqa.dfs.core.windows.net/')),
  ],
  [
    'a missing lake container (control)',
    'dev',
    'lake-containers',
    () => dropResource(dev, (r) => r.type === `${AZ}storage:BlobContainer` && r.inputs['containerName'] === NAMES.fsControl),
  ],
  [
    "the bundle's storage root on another lake account",
    'dev',
    'bundle-storage-root',
    () => bundle(dev, (f) => void (f['databricks.yml'].targets.dev.variables.lake_account = 'stspulselakeqa')),
  ],
  [
    'a missing Unity Catalog external location (gold)',
    'prod',
    'uc-external-locations',
    () => dropResource(prod, (r) => r.type === 'databricks:index/externalLocation:ExternalLocation' && String(r.inputs['url']).startsWith('abfss://gold@')),
  ],
  [
    'an external location on a credential that is not the access connector',
    'dev',
    'uc-external-locations',
    () =>
      editResource(
        dev,
        type('databricks:index/storageCredential:StorageCredential'),
        (i) => void (i['azureManagedIdentity'].accessConnectorId = '/subscriptions/x/providers/databricks/other'),
      ),
  ],
  [
    'a wrong principal in CREATE USER … FROM EXTERNAL PROVIDER (the CLI default)',
    'dev',
    'sql-principals',
    () => migrations(dev, (t) => t.split('[adf-spulse-dev]').join('[adf-streampulse]')),
  ],
  [
    'a stored procedure the factory calls missing from the migrations',
    'dev',
    'stored-procedures',
    () => migrations(dev, (t) => t.replace(/CREATE OR ALTER PROCEDURE \[ops\]\.\[usp_record_pipeline_run\]/, '-- dropped')),
  ],
  [
    "a mart's staging table missing from the migrations",
    'prod',
    'sql-staging-tables',
    () => migrations(prod, (t) => t.replace(/CREATE TABLE \[staging\]\.\[analytics_kpi_monthly\]/, 'CREATE TABLE [staging].[renamed]')),
  ],
  [
    'a wrong wheel entry point in a bundle task',
    'dev',
    'wheel-entry-point',
    () => bundle(dev, (f) => void (stepJob(f).tasks[0].python_wheel_task.entry_point = RUNTIME_WHEEL.packageName)),
  ],
  [
    "a console script the bundle's entry point does not name",
    'dev',
    'wheel-entry-point',
    () => ({ ...dev, pyproject: dev.pyproject.replace(/^streampulse-spark = /m, 'streampulse = ') }),
  ],
  [
    'a wheel that requires pyspark (the runtime provides it)',
    'dev',
    'wheel-dependencies',
    () => ({ ...dev, pyproject: dev.pyproject.replace(/^dependencies = \[\]/m, 'dependencies = ["pyspark==3.5.7"]') }),
  ],
  [
    'a bundle cluster on another runtime than the stack',
    'prod',
    'wheel-dependencies',
    () => bundle(prod, (f) => void (dailyJob(f).job_clusters[0].new_cluster.spark_version = '13.3.x-scala2.12')),
  ],
  [
    'the factory starting a job the bundle does not define',
    'dev',
    'factory-jobs-in-bundle',
    () =>
      factory(
        dev,
        (f) =>
          (f[`pipeline/${NAMES.plMaster}.json`] = JSON.parse(
            JSON.stringify(f[`pipeline/${NAMES.plMaster}.json`]).split(`['${DATABRICKS_STEP_JOB}']`).join("['streampulse-hourly']"),
          )),
      ),
  ],
  [
    'a Databricks activity running a file by path (DatabricksSparkPython)',
    'dev',
    'factory-jobs-in-bundle',
    () =>
      factory(
        dev,
        (f) =>
          void (f[`pipeline/${NAMES.plIngest}.json`].properties.activities as Json[]).push({
            name: 'Legacy',
            type: 'DatabricksSparkPython',
            dependsOn: [],
            typeProperties: { pythonFile: 'x.py' },
          }),
      ),
  ],
  [
    'a DatabricksJob activity leaving a job parameter unset',
    'dev',
    'adf-job-parameters',
    () => factory(dev, (f) => void delete databricksJobActivity(f).typeProperties.jobParameters.freshness),
  ],
  [
    'the Databricks linked service pointing at another workspace',
    'prod',
    'adf-databricks-workspace',
    () =>
      editResource(
        prod,
        (r) => r.type === `${AZ}datafactory:LinkedService` && r.inputs['linkedServiceName'] === NAMES.lsDatabricks,
        (i) => void (i['properties'].domain = 'https://adb-1.1.azuredatabricks.net'),
      ),
  ],
  ['a contract stream topic without an event hub', 'dev', 'event-hubs', () => dropResource(dev, type(`${AZ}eventhub:EventHub`))],
  [
    'a DBFS path in a bundle library',
    'dev',
    'no-dbfs',
    () => bundle(dev, (f) => void (stepJob(f).tasks[0].libraries = [{ whl: `${DBFS}streampulse/dist/x.whl` }])),
  ],
  ['a DBFS path in a workflow', 'prod', 'no-dbfs', () => workflows(prod, (t, p) => (p.endsWith('ci.yml') ? `${t}\n# ${DBFS}streampulse\n` : t))],
  [
    'a second Started trigger on the daily batch (the backfill window)',
    'prod',
    'one-schedule-per-batch',
    () => factory(prod, (f) => void (f[`trigger/${NAMES.trWindow}.json`].properties.runtimeState = 'Started')),
  ],
  [
    'the hourly batch without a Started trigger',
    'dev',
    'one-schedule-per-batch',
    () =>
      factory(
        dev,
        (f) =>
          void Object.values(f)
            .filter((d: Json) => d?.properties?.typeProperties?.recurrence?.frequency === 'Hour')
            .forEach((d: Json) => (d.properties.runtimeState = 'Stopped')),
      ),
  ],
  [
    'a schedule on a bundle job',
    'prod',
    'databricks-jobs-unscheduled',
    () => bundle(prod, (f) => void (dailyJob(f).schedule = { quartz_cron_expression: '0 30 2 * * ?', timezone_id: 'UTC', pause_status: 'UNPAUSED' })),
  ],
  [
    'the scheduled stream job running continuously',
    'prod',
    'databricks-jobs-unscheduled',
    () => bundle(prod, (f) => void (streamJob(f).continuous = { pause_status: 'UNPAUSED' })),
  ],
  [
    'a batch step in the scheduled stream job',
    'dev',
    'databricks-jobs-unscheduled',
    () => bundle(dev, (f) => void (streamJob(f).tasks[0].python_wheel_task.parameters[0] = 'run')),
  ],
  [
    'the Event Hubs connection string the stream job reads missing from the secret scope',
    'dev',
    'databricks-secret-references',
    () => dropResource(dev, (r) => r.name === 'databricks-secret-eventhubs-listen'),
  ],
  [
    'a Databricks job with a schedule in the estate',
    'prod',
    'databricks-jobs-unscheduled',
    () =>
      resources(prod, (rs) => [
        ...rs,
        {
          type: 'databricks:index/job:Job',
          name: 'daily',
          inputs: { name: 'streampulse-daily', schedule: { quartzCronExpression: '0 30 2 * * ?', timezoneId: 'UTC' } },
        },
      ]),
  ],
  [
    'a shared-key storage:Blob on the keyless lake',
    'dev',
    'no-shared-key',
    () =>
      resources(dev, (rs) => [
        ...rs,
        {
          type: `${AZ}storage:Blob`,
          name: 'control-manifest',
          inputs: { accountName: 'stspulselakedev', containerName: 'control', blobName: 'manifest.json' },
        },
      ]),
  ],
  [
    'listStorageAccountKeys on the keyless lake',
    'dev',
    'no-shared-key',
    () => ({
      ...dev,
      calls: [...dev.calls, { token: `${AZ}storage:listStorageAccountKeys`, inputs: { accountName: 'stspulselakedev', resourceGroupName: 'rg-spulse-dev' } }],
    }),
  ],
  [
    'a budget starting in a past month',
    'dev',
    'budget-start',
    () => editResource(dev, type(`${AZ}consumption:Budget`), (i) => void (i['timePeriod'].startDate = '2026-01-01T00:00:00Z')),
  ],
  [
    'a lake firewall without the access connector rule',
    'prod',
    'lake-firewall',
    () =>
      editResource(
        prod,
        (r) => r.type === `${AZ}storage:StorageAccount` && r.inputs['isHnsEnabled'] === true,
        (i) => void delete i['networkRuleSet'].resourceAccessRules,
      ),
  ],
  [
    'a lake firewall without trusted services (Data Factory)',
    'dev',
    'lake-firewall',
    () =>
      editResource(
        dev,
        (r) => r.type === `${AZ}storage:StorageAccount` && r.inputs['isHnsEnabled'] === true,
        (i) => void (i['networkRuleSet'].bypass = 'None'),
      ),
  ],
  [
    'a VNet-injected Databricks subnet without the NAT gateway',
    'prod',
    'databricks-egress',
    () =>
      editResource(
        prod,
        (r) => r.type === `${AZ}network:Subnet` && r.inputs['subnetName'] === 'snet-dbw-host',
        (i) => void delete i['natGateway'],
      ),
  ],
  ['Data Factory without Contributor on the workspace', 'dev', 'role-assignments', () => dropResource(dev, (r) => r.name === 'adf-dbw-role')],
  [
    'the access connector without Storage Blob Data Contributor on the lake',
    'prod',
    'role-assignments',
    () => dropResource(prod, (r) => r.name === 'dbac-lake-role'),
  ],
  [
    'a bundle cluster in no-isolation shared mode',
    'dev',
    'uc-access-mode',
    () => bundle(dev, (f) => void (stepJob(f).job_clusters[0].new_cluster.data_security_mode = 'NONE')),
  ],
  ['the prod target in development mode', 'prod', 'bundle-targets', () => bundle(prod, (f) => void (f['databricks.yml'].targets.prod.mode = 'development'))],
  ['a deploy workflow that never deploys the bundle', 'prod', 'workflow-bundle-deploy', () => workflows(prod, dropLines(/databricks\s+bundle\s+deploy/))],
  [
    'a deploy workflow generating without --stack (the dev names on prod)',
    'prod',
    'workflow-bundle-deploy',
    () => workflows(prod, (t) => t.replace(/generate --stack "\$STACK"/g, 'generate')),
  ],
  ['a deploy workflow that never uploads the control files', 'dev', 'workflow-control-files', () => workflows(dev, dropLines(/deploy\s+control-files/))],
  [
    'a deploy workflow that does not set the deploy-time key',
    'dev',
    'workflow-deploy-time-keys',
    () => workflows(dev, dropLines(/pulumi\s+config\s+set\s+--path/)),
  ],
  ['no workflow running preflight', 'prod', 'workflow-preflight', () => workflows(prod, dropLines(/preflight\s+--stack/))],
  [
    'a renamed Key Vault secret (the Metabase encryption key its container app reads)',
    'dev',
    'key-vault-secret-references',
    () =>
      editResource(
        dev,
        (r) => r.inputs['secretName'] === METABASE_ENCRYPTION_KEY_SECRET,
        (i) => void (i['secretName'] = 'metabase-key'),
      ),
  ],
  [
    'the deployment identity without Key Vault Secrets User (the Metabase API key)',
    'prod',
    'role-assignments',
    () => dropResource(prod, (r) => r.name === 'deployer-kv-role'),
  ],
  [
    "Metabase's container without AZURE_CLIENT_ID",
    'dev',
    'metabase-serving-access',
    () =>
      editResource(
        dev,
        type(`${AZ}app:ContainerApp`),
        (i) => void (i['template'].containers[0].env = (i['template'].containers[0].env as Json[]).filter((v) => v.name !== 'AZURE_CLIENT_ID')),
      ),
  ],
  [
    'MB_ENCRYPTION_SECRET_KEY as a plain value',
    'dev',
    'metabase-serving-access',
    () =>
      editResource(
        dev,
        type(`${AZ}app:ContainerApp`),
        (i) =>
          void (i['template'].containers[0].env = (i['template'].containers[0].env as Json[]).map((v) =>
            v.name === 'MB_ENCRYPTION_SECRET_KEY' ? { name: v.name, value: 'plain' } : v,
          )),
      ),
  ],
  [
    'the dev SQL server without the Azure-services firewall rule',
    'dev',
    'metabase-serving-access',
    () => dropResource(dev, (r) => r.type === `${AZ}sql:FirewallRule` && r.inputs['firewallRuleName'] === 'AllowAllWindowsAzureIps'),
  ],
  [
    'privatelink.database.windows.net not linked to the VNet',
    'prod',
    'metabase-serving-access',
    () => dropResource(prod, (r) => r.type === `${AZ}privatedns:VirtualNetworkLink` && r.inputs['privateZoneName'] === 'privatelink.database.windows.net'),
  ],
  [
    "the internal environment's domain without its private DNS zone",
    'prod',
    'metabase-serving-access',
    () => dropResource(prod, (r) => r.name === 'metabase-env-dns-wildcard'),
  ],
  [
    'a deploy workflow reading the API key from another Key Vault secret',
    'dev',
    'workflow-metabase-provision',
    () => workflows(dev, (t) => t.split(`--name ${METABASE_API_KEY_SECRET} `).join('--name metabase-key ')),
  ],
  [
    'a deploy workflow passing the API key on the command line',
    'prod',
    'workflow-metabase-provision',
    () => workflows(prod, (t) => t.replace('streampulse metabase provision --url', 'streampulse metabase provision --api-key "$api_key" --url')),
  ],
  ['a deploy workflow that never provisions Metabase', 'dev', 'workflow-metabase-provision', () => workflows(dev, dropLines(/metabase\s+provision/))],
  [
    'a workflow reading a stack output the program does not export',
    'prod',
    'workflow-stack-outputs',
    () => workflows(prod, (t) => t.replace('output --stack "$STACK" metabaseIdentityClientId', 'output --stack "$STACK" metabaseClientId')),
  ],
];

describe('one broken reference or constraint → exactly its check fails', () => {
  it.each(breaks.map(([what, stack, id, f]) => [`${what} (${stack}) → ${id} ✗`, stack, id, f] as const))('%s', async (_name, stack, id, fixture) => {
    const before = baseline.get(stack)!;
    expect(before.find((c) => c.id === id)?.ok).toBe(true);
    const after = await runChecks(fixture());
    const newly = failed(after).filter((x) => !failed(before).includes(x));
    expect(newly).toStrictEqual([id]);
    expect(after.find((c) => c.id === id)!.detail).toMatch(/Wrong: .+Fix: /);
  });

  it('every check has a fixture that breaks it', () => {
    expect(new Set(breaks.map(([, , id]) => id))).toStrictEqual(new Set(PREFLIGHT_CHECKS.map((d) => d.id)));
  });
});

describe('documented constraints (checked against the documented contract)', () => {
  const budgetAt = async (start: string): Promise<boolean> =>
    (
      await runChecks(
        editResource(dev, type(`${AZ}consumption:Budget`), (i) => void (i['timePeriod'].startDate = start)),
        PREFLIGHT_CHECKS.filter((d) => d.id === 'budget-start'),
      )
    )[0]!.ok;

  it('a monthly budget starts on the first of a month, not before the current month, at most 12 months ahead (Cost Management BudgetTimePeriod)', async () => {
    expect(await budgetAt('2026-06-01T00:00:00Z')).toBe(true);
    expect(await budgetAt('2027-06-01T00:00:00Z')).toBe(true);
    expect(await budgetAt('2027-07-01T00:00:00Z')).toBe(false);
    expect(await budgetAt('2026-05-01T00:00:00Z')).toBe(false);
    expect(await budgetAt('2026-06-15T00:00:00Z')).toBe(false);
  });

  it('DatabricksJob activities carry typeProperties.jobId and jobParameters (ADF DatabricksJobActivity), and start the bundle step job by its id from the job-ids file', () => {
    const a = databricksJobActivity(dev.artifacts.factory as Json);
    expect(Object.keys(a.typeProperties).sort()).toStrictEqual(['jobId', 'jobParameters']);
    expect(JSON.stringify(dev.artifacts.factory)).toContain(`jobs['${DATABRICKS_STEP_JOB}']`);
  });

  it('pyproject facts: [project] name, dependencies, console scripts and extras are read as written', () => {
    const facts = pyprojectFacts(readFileSync(join(ROOT, 'jobs', 'python', 'pyproject.toml'), 'utf8'));
    expect(facts.name).toBe(RUNTIME_WHEEL.distribution);
    expect(facts.scripts[RUNTIME_WHEEL.entryPoint]).toMatch(new RegExp(`^${RUNTIME_WHEEL.packageName}\\.`));
    expect(facts.dependencies.filter((d) => /^(pyspark|delta-spark)/.test(d))).toStrictEqual([]);
    const multi = pyprojectFacts('[project]\nname = "x"\ndependencies = [\n  "a==1",  # pinned\n  "b>=2",\n]\n[project.scripts]\nx = "x.cli:main"\n');
    expect(multi).toStrictEqual({ name: 'x', dependencies: ['a==1', 'b>=2'], scripts: { x: 'x.cli:main' }, extras: {} });
  });
});

describe('a stack file that does not validate', () => {
  it('is one failed config-valid check naming the key and the fix, and preflight renders nothing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sp-preflight-'));
    try {
      writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages: []\n');
      mkdirSync(join(root, 'infra'));
      const stack = readFileSync(join(ROOT, 'infra', 'Pulumi.dev.yaml'), 'utf8').replace('autoPauseDelayMinutes: 60', 'autoPauseDelayMinutes: 5');
      writeFileSync(join(root, 'infra', 'Pulumi.dev.yaml'), stack);
      const report = await preflight(root, 'dev');
      expect(report.checks).toHaveLength(1);
      expect(report.checks[0]).toMatchObject({ id: 'config-valid', ok: false });
      expect(report.checks[0]!.detail).toContain('streampulse:sql.database.autoPauseDelayMinutes');
      expect(report.checks[0]!.detail).toContain('Fix: ');
      expect(report.prerequisites.length).toBeGreaterThan(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("infra/README.md 'What a real deploy needs' and preflight's prerequisites", () => {
  const readme = readFileSync(join(ROOT, 'infra', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## What a real deploy needs'), readme.indexOf('\n## ', readme.indexOf('## What a real deploy needs') + 5));
  const phrases = [...section.matchAll(/\*\*([^*]+)\*\*/g)].map((m) => m[1]!.toLowerCase());

  it('is short, and every bold phrase names a prerequisite preflight lists (for prod, which has them all)', () => {
    expect(section.length).toBeGreaterThan(0);
    expect((section.match(/^\d+\. /gm) ?? []).length).toBeLessThanOrEqual(10);
    const listed = prerequisites('prod', prod).map((p) => p.toLowerCase());
    for (const phrase of phrases) expect([phrase, listed.some((p) => p.includes(phrase))]).toEqual([phrase, true]);
  });

  it('every prerequisite preflight prints for either stack is one of the README items', () => {
    for (const [stack, e] of [
      ['dev', dev],
      ['prod', prod],
    ] as const)
      for (const p of prerequisites(stack, e)) expect([p, phrases.some((ph) => p.toLowerCase().includes(ph))]).toEqual([p, true]);
  });
});
