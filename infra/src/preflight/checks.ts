/**
 * The preflight checks: each a small function of the rendered estate (resources,
 * outputs, artifacts, workflow texts) returning `{ id, ok, detail }`. The detail names
 * the objects the check looked at and, on failure, what is wrong and the fix.
 *
 * Two kinds: cross-references between the parts a deploy creates (a secret an artifact
 * names exists in the estate, a container a linked service names exists, the job Data
 * Factory starts is in the bundle, …) and documented service constraints (no DBFS paths,
 * one active schedule per batch, no shared-key access to a keyless account, a budget
 * start Azure accepts, Unity Catalog-capable clusters, …).
 */
import { formatProblem, innerActivityLists, NAMES, validateFactory } from '@streampulse/pipelines';
import {
  BUNDLE_RUNTIME_DIR,
  DATABRICKS_JOB_IDS_FILE,
  DATABRICKS_STEP_JOB,
  DATABRICKS_STEP_PARAMETERS,
  DATABRICKS_STREAM_JOB,
  EVENT_HUBS_KAFKA_SECRETS,
  LAKE_FILE_SYSTEMS,
  PII_SALT,
  RUNTIME_WHEEL,
} from '@streampulse/jobs';
import {
  CONFIG_NAMESPACE,
  DEPLOY_TIME_KEYS,
  DOCUMENTATION_RANGES,
  isPlaceholderGuid,
  parseStackConfig,
  SECRET_KEYS,
  StackConfigError,
  stackFile,
} from '../config.js';
import { budgetStartWindow } from '../components/observability.js';
import { streamTopics } from '../components/event-hubs.js';
import { METABASE_API_KEY_SECRET, METABASE_ENCRYPTION_KEY_SECRET } from '../components/metabase.js';
import { RANDOM_SECRETS, ROLES, type RoleName } from '../naming.js';
import { checkPolicies, isPulumiSecret, type MockResource, type PolicyName } from '../policy.js';
import { ofType, type PreflightEstate } from './estate.js';

export interface Check {
  readonly id: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** A check: its id, what it asserts (one line, for --help and the README) and the function. */
export interface CheckDefinition {
  readonly id: string;
  readonly what: string;
  readonly run: (e: PreflightEstate) => Check | Promise<Check>;
}

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const unwrap = (v: unknown): unknown => (isPulumiSecret(v) ? (v as { value: unknown }).value : v);
const get = (o: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, p) => (v !== null && typeof v === 'object' ? (unwrap(v) as Record<string | number, unknown>)[p] : undefined), unwrap(o));
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const AZ = 'azure-native:';
/** The DBFS scheme, spelled so that this file does not contain it. */
const DBFS = new RegExp(['dbfs', ':'].join(''), 'i');

/** Every string inside a value, with its JSON path. */
function strings(v: unknown, path = ''): { path: string; text: string }[] {
  const u = unwrap(v);
  if (typeof u === 'string') return [{ path, text: u }];
  if (Array.isArray(u)) return u.flatMap((x, i) => strings(x, `${path}[${i}]`));
  if (isObj(u)) return Object.entries(u).flatMap(([k, x]) => strings(x, path === '' ? k : `${path}.${k}`));
  return [];
}

/** Every object inside a value (the value itself included). */
function objects(v: unknown): Obj[] {
  const u = unwrap(v);
  if (Array.isArray(u)) return u.flatMap(objects);
  if (isObj(u)) return [u, ...Object.values(u).flatMap(objects)];
  return [];
}

const list = (xs: readonly string[], max = 8): string =>
  xs.length === 0 ? '(none)' : xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')} (+${xs.length - max} more)`;
const uniq = (xs: readonly string[]): string[] => [...new Set(xs)].sort();

function result(id: string, looked: string, problems: readonly string[], fix: string): Check {
  return problems.length === 0 ? { id, ok: true, detail: looked } : { id, ok: false, detail: `${looked}. Wrong: ${problems.join('; ')}. Fix: ${fix}` };
}

const stateOf = (e: PreflightEstate, r: MockResource | undefined): Readonly<Obj> => (r === undefined ? {} : (e.states.get(r.name) ?? {}));
const idOf = (e: PreflightEstate, r: MockResource | undefined): string | undefined => (r === undefined ? undefined : e.ids.get(r.name));

/** The lake: the HNS storage account. */
const lakeAccount = (e: PreflightEstate): MockResource | undefined => ofType(e, `${AZ}storage:StorageAccount`).find((r) => r.inputs['isHnsEnabled'] === true);
const accountName = (r: MockResource | undefined): string | undefined => str(r?.inputs['accountName']);
const one = (e: PreflightEstate, type: string): MockResource | undefined => ofType(e, type)[0];
/** The generator of the pseudonymisation salt (the estate generates other secrets too). */
const saltGenerator = (e: PreflightEstate): MockResource | undefined =>
  ofType(e, 'random:index/randomPassword:RandomPassword').find((r) => r.name === RANDOM_SECRETS.piiSalt);

// ---- the Data Factory artifact
const entities = (e: PreflightEstate, folder: string): [string, Obj][] =>
  Object.entries(e.artifacts.factory)
    .filter(([p, d]) => p.startsWith(`${folder}/`) && isObj(d))
    .map(([p, d]) => [p, d as Obj]);
const props = (doc: Obj): Obj => (isObj(doc['properties']) ? doc['properties'] : {});
interface ActivityAt {
  readonly pipeline: string;
  readonly activity: Obj;
}
function activities(e: PreflightEstate): ActivityAt[] {
  const out: ActivityAt[] = [];
  const visit = (pipeline: string, xs: unknown[]): void => {
    for (const a of xs.filter(isObj)) {
      out.push({ pipeline, activity: a });
      for (const inner of innerActivityLists(a)) visit(pipeline, inner);
    }
  };
  for (const [, doc] of entities(e, 'pipeline')) visit(str(doc['name']) ?? '?', asArray(props(doc)['activities']));
  return out;
}
const activityName = (a: ActivityAt): string => `${a.pipeline}/${str(a.activity['name']) ?? '?'}`;

// ---- the bundle artifact
const bundleRoot = (e: PreflightEstate): Obj => (isObj(e.artifacts.bundle['databricks.yml']) ? (e.artifacts.bundle['databricks.yml'] as Obj) : {});
interface BundleJobAt {
  readonly file: string;
  readonly key: string;
  readonly job: Obj;
}
function bundleJobs(e: PreflightEstate): BundleJobAt[] {
  const out: BundleJobAt[] = [];
  for (const [file, doc] of Object.entries(e.artifacts.bundle)) {
    const jobs = get(doc, 'resources', 'jobs');
    if (isObj(jobs)) for (const [key, job] of Object.entries(jobs)) if (isObj(job)) out.push({ file, key, job });
  }
  return out;
}
const jobName = (j: BundleJobAt): string => str(j.job['name']) ?? j.key;
const tasksOf = (j: BundleJobAt): Obj[] => asArray(j.job['tasks']).filter(isObj);
const clustersOf = (j: BundleJobAt): Obj[] => asArray(j.job['job_clusters']).filter(isObj);
/** A `${var.x}` reference resolved for the stack's target (target value, else the variable's default). */
function resolveVars(e: PreflightEstate, text: string): string {
  const root = bundleRoot(e);
  return text.replace(/\$\{var\.([A-Za-z0-9_]+)\}/g, (all, name: string) => {
    const v = get(root, 'targets', e.stack, 'variables', name) ?? get(root, 'variables', name, 'default');
    return typeof v === 'string' || typeof v === 'number' ? String(v) : all;
  });
}
/** The value following `flag` in a task's parameter list. */
const flagValue = (params: readonly unknown[], flag: string): string | undefined => {
  const i = params.indexOf(flag);
  return i < 0 ? undefined : str(params[i + 1]);
};
const wheelParams = (t: Obj): unknown[] => asArray(get(t, 'python_wheel_task', 'parameters'));

/** The job specs of the bundle (`specs/<id>.json`, not the index). */
const specs = (e: PreflightEstate): [string, Obj][] =>
  Object.entries(e.artifacts.bundle)
    .filter(([p, d]) => p.startsWith('specs/') && p !== 'specs/index.json' && isObj(d))
    .map(([p, d]) => [p, d as Obj]);

/**
 * The workflow that deploys a stack (its path and text): the one that runs `pulumi up`
 * (deploy.yml itself, or the reusable workflow it calls), preferring one that also
 * deploys the bundle.
 */
export function deployWorkflow(e: Pick<PreflightEstate, 'workflows'>): [string, string] | undefined {
  const up = Object.entries(e.workflows)
    .map(([p, t]) => [p, withoutComments(t)] as [string, string])
    .filter(([, t]) => /pulumi\s+up\b/.test(t));
  return up.find(([, t]) => /databricks\s+bundle\s+deploy\b/.test(t)) ?? up[0];
}
/** A workflow's text without its comment lines and step names (their prose names commands too). */
const withoutComments = (text: string): string =>
  text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l) && !/^\s*(-\s+)?name:/.test(l))
    .join('\n');

// ---------------------------------------------------------------------------
// the checks
// ---------------------------------------------------------------------------

function configValid(e: PreflightEstate): Check {
  const id = 'config-valid';
  const file = `infra/Pulumi.${e.stack}.yaml`;
  const standIns = [...DEPLOY_TIME_KEYS.map((k) => `${CONFIG_NAMESPACE}:${k.path}`), ...SECRET_KEYS.map((k) => `${CONFIG_NAMESPACE}:${k}`)];
  try {
    parseStackConfig({ ...e.rawConfig, ...Object.fromEntries(SECRET_KEYS.map((k) => [`${CONFIG_NAMESPACE}:${k}`, 'stand-in'])) }, e.stack);
    const keys = Object.keys(e.rawConfig).filter((k) => k.startsWith(`${CONFIG_NAMESPACE}:`));
    return { id, ok: true, detail: `${file}: ${keys.length} ${CONFIG_NAMESPACE}:* keys validate (parseStackConfig); deploy-time stand-ins: ${list(standIns)}` };
  } catch (err) {
    return configFailure(err);
  }
}

/** A stack file that does not validate, as the failed config-valid check. */
export function configFailure(err: unknown): Check {
  const problems = err instanceof StackConfigError ? err.problems : [(err as Error).message];
  const file = err instanceof StackConfigError ? stackFile(err.stackName) : 'the stack file';
  return result('config-valid', `${file} (parseStackConfig)`, problems, (err as { remedy?: string }).remedy ?? 'edit the stack file');
}

function noPlaceholderIds(e: PreflightEstate): Check {
  const problems: string[] = [];
  const guid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
  const scan = (where: string, v: unknown): void => {
    for (const { path, text } of strings(v)) {
      for (const g of text.match(guid) ?? []) if (isPlaceholderGuid(g)) problems.push(`${where} ${path}: placeholder GUID ${g}`);
      if (DOCUMENTATION_RANGES.some((p) => new RegExp(`(^|[^0-9.])${p.replace(/\./g, '\\.')}\\d`).test(text)))
        problems.push(`${where} ${path}: RFC 5737 documentation address ${text}`);
    }
  };
  for (const r of e.resources) scan(`${r.type} ${r.name}`, r.inputs);
  for (const [p, d] of Object.entries(e.artifacts.factory)) scan(`adf ${p}`, d);
  for (const [p, d] of Object.entries(e.artifacts.bundle)) scan(`bundle ${p}`, d);
  return result(
    'no-placeholder-ids',
    `object ids, tenant/subscription ids and address ranges in ${e.resources.length} resources (the stack file: config-valid), ${Object.keys(e.artifacts.factory).length} factory files and ${Object.keys(e.artifacts.bundle).length} bundle files`,
    problems.slice(0, 10),
    'replace each placeholder with the real value (object ids: a deploy-time key set from a repository variable, never committed; ranges: the real client range, or none)',
  );
}

/** The policies reported by checks of their own (so one broken thing fails one check). */
const OWN_CHECK: readonly PolicyName[] = ['keyless-data-plane', 'one-scheduler'];

function policies(e: PreflightEstate, secretStandIns: readonly string[]): Check {
  const violations = checkPolicies(e.resources, { privateNetwork: !e.config.network.publicNetworkAccess, knownSecrets: secretStandIns }).filter(
    (v) => !OWN_CHECK.includes(v.policy),
  );
  return result(
    'policies',
    `infra/src/policy.ts over ${e.resources.length} resources: tags, no-public-blob, tls, sql-entra-only, no-secret-values${e.config.network.publicNetworkAccess ? '' : ', private-network'}`,
    violations.slice(0, 10).map((v) => `${v.policy}: ${v.resource}: ${v.message}`),
    'change the component that registers the resource (infra/src/components/*) so it satisfies the policy',
  );
}

/** Validator rules reported by a check of their own (one-schedule-per-batch). */
const OWN_RULES: readonly string[] = ['one-active-schedule'];

async function adfValidator(e: PreflightEstate): Promise<Check> {
  const problems = (await validateFactory(e.artifacts.factory)).filter((p) => !OWN_RULES.includes(p.rule));
  const counts = ['linkedService', 'dataset', 'pipeline', 'trigger'].map((f) => `${entities(e, f).length} ${f}s`).join(', ');
  return result(
    'adf-validator',
    `the generated factory (${counts}) through the Data Factory SDK's serializer and the reference/expression/limit checks`,
    problems.slice(0, 8).map(formatProblem),
    'fix the generator (pipelines/src/generate.ts); `streampulse adf validate` shows every problem',
  );
}

function keyVaultSecretReferences(e: PreflightEstate): Check {
  const problems: string[] = [];
  const looked: string[] = [];
  const vaults = ofType(e, `${AZ}keyvault:Vault`).map((v) => str(v.inputs['vaultName']) ?? '?');
  const secrets = ofType(e, `${AZ}keyvault:Secret`);
  const secretIn = (vault: string, name: string): boolean => secrets.some((s) => str(s.inputs['secretName']) === name && str(s.inputs['vaultName']) === vault);
  const linked = new Map(entities(e, 'linkedService').map(([, d]) => [str(d['name']) ?? '?', d]));
  // Data Factory: AzureKeyVaultSecret references through a Key Vault linked service
  for (const [path, doc] of Object.entries(e.artifacts.factory)) {
    for (const o of objects(doc)) {
      if (o['type'] !== 'AzureKeyVaultSecret') continue;
      const store = str(get(o, 'store', 'referenceName')) ?? '?';
      const name = str(o['secretName']) ?? '?';
      const baseUrl = str(get(linked.get(store), 'properties', 'typeProperties', 'baseUrl')) ?? '';
      const vault = /^https:\/\/([^.]+)\.vault\.azure\.net\/?$/.exec(baseUrl)?.[1];
      looked.push(`${path}: ${store}/${name}`);
      if (vault === undefined) problems.push(`${path}: linked service ${store} is not a Key Vault linked service with a vault URL (baseUrl '${baseUrl}')`);
      else if (!vaults.includes(vault)) problems.push(`${path}: vault ${vault} (linked service ${store}) is not in the estate (vaults: ${list(vaults)})`);
      else if (!secretIn(vault, name))
        problems.push(
          `${path}: Key Vault secret '${name}' does not exist in ${vault} (secrets: ${list(uniq(secrets.map((s) => str(s.inputs['secretName']) ?? '?')))})`,
        );
    }
  }
  // Key Vault references by URL in any resource (Metabase's container app secrets, …)
  for (const r of e.resources) {
    for (const { path, text } of strings(r.inputs)) {
      const m = /^https:\/\/([^.]+)\.vault\.azure\.net\/secrets\/([^/]+)\/?$/.exec(text);
      if (m === null) continue;
      looked.push(`${r.name} ${path}: ${m[1]}/${m[2]}`);
      if (!secretIn(m[1]!, m[2]!)) problems.push(`${r.type} ${r.name} ${path} references Key Vault secret ${m[1]}/${m[2]}, which the estate does not create`);
    }
  }
  if (looked.length === 0)
    problems.push('no Key Vault secret reference found in the factory (its SQL linked service should read the connection string from Key Vault)');
  return result(
    'key-vault-secret-references',
    `Key Vault secrets referenced by the factory's linked services and by resources: ${list(looked, 6)}`,
    problems,
    'create the secret under that name (Security.secret in the owning component) or correct the reference; the names live in one constant each (NAMES.sqlSecretName, METABASE_DB_SECRET, …)',
  );
}

/**
 * The (scope, key) pairs the artifacts name: the bundle's --secret-scope/--secret-key (the salt), the stream
 * tasks' --kafka-secret-scope with --kafka-bootstrap-key / --kafka-connection-string-key (Event Hubs), the
 * specs' salt_secret, any {{secrets/scope/key}}.
 */
function databricksSecretRefs(e: PreflightEstate): { where: string; scope: string; key: string; kafka?: boolean }[] {
  const refs: { where: string; scope: string; key: string; kafka?: boolean }[] = [];
  const scopes = new Set<string>();
  for (const j of bundleJobs(e)) {
    for (const t of tasksOf(j)) {
      const params = wheelParams(t);
      const scope = flagValue(params, '--secret-scope');
      const key = flagValue(params, '--secret-key');
      const where = `bundle ${jobName(j)}/${str(t['task_key']) ?? '?'}`;
      if (scope !== undefined) scopes.add(scope);
      if (scope !== undefined || key !== undefined) refs.push({ where, scope: scope ?? '(none)', key: key ?? '(none)' });
      const kafkaScope = flagValue(params, '--kafka-secret-scope');
      for (const flag of ['--kafka-bootstrap-key', '--kafka-connection-string-key']) {
        const k = flagValue(params, flag);
        if (kafkaScope !== undefined || k !== undefined)
          refs.push({ where: `${where} (${flag})`, scope: kafkaScope ?? '(none)', key: k ?? '(none)', kafka: true });
      }
    }
  }
  const specScope = scopes.size === 1 ? [...scopes][0]! : PII_SALT.scope;
  for (const [path, spec] of specs(e)) {
    for (const o of objects(spec)) {
      const key = str(o['salt_secret']);
      if (key !== undefined) refs.push({ where: `bundle ${path} (salt_secret)`, scope: specScope, key });
    }
  }
  const all = {
    ...Object.fromEntries(Object.entries(e.artifacts.factory).map(([p, d]) => [`adf ${p}`, d])),
    ...Object.fromEntries(Object.entries(e.artifacts.bundle).map(([p, d]) => [`bundle ${p}`, d])),
  };
  for (const [where, doc] of Object.entries(all)) {
    for (const { path, text } of strings(doc))
      for (const m of text.matchAll(/\{\{secrets\/([^/}]+)\/([^}]+)\}\}/g)) refs.push({ where: `${where} ${path}`, scope: m[1]!, key: m[2]! });
  }
  return refs;
}

function databricksSecretReferences(e: PreflightEstate): Check {
  const refs = databricksSecretRefs(e);
  const scopes = ofType(e, 'databricks:index/secretScope:SecretScope');
  const secrets = ofType(e, 'databricks:index/secret:Secret');
  const salt = saltGenerator(e);
  const saltValue = stateOf(e, salt)['result'];
  const problems: string[] = [];
  if (refs.length === 0) problems.push('no artifact names the salt secret (the jobs need --secret-scope/--secret-key, the specs salt_secret)');
  const pairs = uniq(refs.map((r) => `${r.scope}/${r.key}`));
  for (const pair of pairs) {
    const [scope, key] = pair.split('/') as [string, string];
    const where = list(
      refs.filter((r) => r.scope === scope && r.key === key).map((r) => r.where),
      3,
    );
    if (!scopes.some((s) => s.inputs['name'] === scope))
      problems.push(`secret scope '${scope}' (named by ${where}) is not created (scopes: ${list(scopes.map((s) => String(s.inputs['name'])))})`);
    const secret = secrets.find((s) => s.inputs['scope'] === scope && s.inputs['key'] === key);
    const kafka = refs.some((r) => r.kafka === true && r.scope === scope && r.key === key);
    if (secret === undefined)
      problems.push(
        `secret ${scope}/${key} (named by ${where}) is not created (secrets: ${list(secrets.map((s) => `${String(s.inputs['scope'])}/${String(s.inputs['key'])}`))})`,
      );
    else if (kafka) {
      // Event Hubs' Kafka endpoint: the bootstrap server and the listen rule's connection string (a Pulumi secret)
      if (key === EVENT_HUBS_KAFKA_SECRETS.connectionStringKey && !isPulumiSecret(secret.inputs['stringValue']))
        problems.push(`secret ${scope}/${key} (the Event Hubs connection string) is not a Pulumi secret`);
      if (![EVENT_HUBS_KAFKA_SECRETS.bootstrapKey, EVENT_HUBS_KAFKA_SECRETS.connectionStringKey].includes(key as never))
        problems.push(`secret ${scope}/${key} (named by ${where}) is not one of EVENT_HUBS_KAFKA_SECRETS`);
    } else if (!isPulumiSecret(secret.inputs['stringValue']) || unwrap(secret.inputs['stringValue']) !== saltValue || saltValue === undefined)
      problems.push(`secret ${scope}/${key} does not hold the generated salt (random.RandomPassword) as a Pulumi secret`);
  }
  return result(
    'databricks-secret-references',
    `Databricks secrets named by the bundle's tasks, the job specs' salt_secret and {{secrets/…}} references: ${list(pairs)}; in the estate: ${list(secrets.map((s) => `${String(s.inputs['scope'])}/${String(s.inputs['key'])}`))}`,
    problems,
    `name the salt PII_SALT everywhere (scope '${PII_SALT.scope}', key '${PII_SALT.key}', @streampulse/jobs deploy-names.ts) and the Event Hubs secrets EVENT_HUBS_KAFKA_SECRETS, and create them with databricks.SecretScope/Secret (infra/src/components/databricks.ts)`,
  );
}

function piiSaltKeyVault(e: PreflightEstate): Check {
  const salt = saltGenerator(e);
  const saltValue = stateOf(e, salt)['result'];
  const kv = ofType(e, `${AZ}keyvault:Secret`).find((s) => s.inputs['secretName'] === PII_SALT.keyVaultSecret);
  const problems: string[] = [];
  if (salt === undefined) problems.push('no random.RandomPassword generates the salt');
  else if (Number(salt.inputs['length']) < 32) problems.push(`the salt is ${String(salt.inputs['length'])} characters (at least 32)`);
  if (kv === undefined) problems.push(`no Key Vault secret '${PII_SALT.keyVaultSecret}'`);
  else {
    const p = kv.inputs['properties'];
    const secret = isPulumiSecret(p) || isPulumiSecret(get(p, 'value') === undefined ? undefined : (unwrap(p) as Obj)['value']);
    if (!secret) problems.push(`Key Vault secret '${PII_SALT.keyVaultSecret}' is not a Pulumi secret`);
    else if (saltValue === undefined || get(p, 'value') !== saltValue)
      problems.push(`Key Vault secret '${PII_SALT.keyVaultSecret}' does not hold the generated salt`);
  }
  return result(
    'pii-salt',
    `the pseudonymisation salt: ${salt === undefined ? 'no generator' : `random.RandomPassword ${salt.name} (length ${String(salt.inputs['length'])})`} → Key Vault secret '${PII_SALT.keyVaultSecret}'${kv === undefined ? ' (missing)' : ''}`,
    problems,
    `generate it with random.RandomPassword and write it to Key Vault under PII_SALT.keyVaultSecret ('${PII_SALT.keyVaultSecret}') as a Pulumi secret (infra/src/program.ts)`,
  );
}

function lakeLinkedServices(e: PreflightEstate): Check {
  const accounts = ofType(e, `${AZ}storage:StorageAccount`);
  const problems: string[] = [];
  const looked: string[] = [];
  for (const [path, doc] of entities(e, 'linkedService')) {
    const p = props(doc);
    const tp = isObj(p['typeProperties']) ? p['typeProperties'] : {};
    const url = str(tp['url']) ?? str(tp['serviceEndpoint']);
    if (p['type'] !== 'AzureBlobFS' && p['type'] !== 'AzureBlobStorage') continue;
    const m = url === undefined ? null : /^https:\/\/([a-z0-9]+)\.(dfs|blob)\.core\.windows\.net\/?$/.exec(url);
    looked.push(`${path} → ${url ?? '(no url)'}`);
    if (m === null) {
      problems.push(`${path}: ${String(p['type'])} has no account endpoint (url/serviceEndpoint '${url ?? ''}')`);
      continue;
    }
    const account = accounts.find((a) => a.inputs['accountName'] === m[1]);
    if (account === undefined)
      problems.push(`${path}: account ${m[1]} is not in the estate (accounts: ${list(accounts.map((a) => String(a.inputs['accountName'])))})`);
    else if (p['type'] === 'AzureBlobFS' && account.inputs['isHnsEnabled'] !== true)
      problems.push(`${path}: ${m[1]} is not an ADLS Gen2 account (isHnsEnabled)`);
    else if (p['type'] === 'AzureBlobFS' && m[2] !== 'dfs') problems.push(`${path}: an AzureBlobFS linked service needs the dfs endpoint, not ${m[2]}`);
  }
  if (looked.length === 0) problems.push('the factory has no storage linked service');
  return result(
    'lake-linked-services',
    `storage accounts named by the factory's linked services: ${list(looked)}`,
    problems,
    "generate the factory with the stack's account names (DataFactory.options: lakeAccount, sourceAccount from infra's naming)",
  );
}

function lakeContainers(e: PreflightEstate): Check {
  const lake = accountName(lakeAccount(e));
  const containers = ofType(e, `${AZ}storage:BlobContainer`);
  const has = (account: string | undefined, c: string): boolean =>
    containers.some((x) => x.inputs['containerName'] === c && str(x.inputs['accountName']) === account);
  const lsAccount = new Map(
    entities(e, 'linkedService').map(([, d]) => {
      const tp = props(d)['typeProperties'];
      const url = str(get(tp, 'url')) ?? str(get(tp, 'serviceEndpoint')) ?? '';
      return [str(d['name']) ?? '?', /^https:\/\/([a-z0-9]+)\./.exec(url)?.[1]] as const;
    }),
  );
  const wanted: { account: string | undefined; container: string; why: string }[] = [];
  for (const [path, doc] of entities(e, 'dataset')) {
    const p = props(doc);
    const account = lsAccount.get(str(get(p, 'linkedServiceName', 'referenceName')) ?? '');
    // a linked service on an account the estate lacks is lake-linked-services' finding
    if (!ofType(e, `${AZ}storage:StorageAccount`).some((a) => a.inputs['accountName'] === account)) continue;
    const fs = str(get(p, 'typeProperties', 'location', 'fileSystem')) ?? str(get(p, 'typeProperties', 'location', 'container'));
    if (fs !== undefined) wanted.push({ account, container: fs, why: path });
  }
  for (const fs of LAKE_FILE_SYSTEMS) wanted.push({ account: lake, container: fs, why: 'the jobs (storage root abfss://{layer}@…)' });
  wanted.push({ account: lake, container: NAMES.fsControl, why: `the control files (${NAMES.manifestFile}, ${DATABRICKS_JOB_IDS_FILE})` });
  const problems = wanted
    .filter((w) => !has(w.account, w.container))
    .map((w) => `container '${w.container}' on ${w.account ?? '(unknown account)'} (used by ${w.why}) does not exist`);
  return result(
    'lake-containers',
    `containers the factory's datasets, the jobs and the control files use: ${list(uniq(wanted.map((w) => `${w.account ?? '?'}/${w.container}`)), 12)}`,
    uniq(problems),
    'create the container in DataLake (LAKE_CONTAINERS) or correct the dataset / file system name',
  );
}

function bundleStorageRoot(e: PreflightEstate): Check {
  const lake = accountName(lakeAccount(e));
  const roots = new Set<string>();
  const problems: string[] = [];
  for (const j of bundleJobs(e))
    for (const t of tasksOf(j)) {
      const raw = flagValue(wheelParams(t), '--storage-root');
      if (raw === undefined) problems.push(`bundle ${jobName(j)}/${str(t['task_key']) ?? '?'} passes no --storage-root`);
      else roots.add(resolveVars(e, raw));
    }
  const expected = `abfss://{layer}@${lake ?? '?'}.dfs.core.windows.net`;
  for (const r of roots) if (r !== expected) problems.push(`the bundle's storage root for target ${e.stack} is ${r}, not the estate's lake (${expected})`);
  if (roots.size === 0) problems.push('no bundle task has a storage root');
  const output = e.outputs['databricksStorageRoot'];
  if (output !== undefined && output !== expected) problems.push(`the stack output databricksStorageRoot is ${String(output)}, not ${expected}`);
  return result(
    'bundle-storage-root',
    `the bundle's --storage-root (target ${e.stack}: ${list([...roots])}) against the lake account ${lake ?? '(none)'} and the stack output databricksStorageRoot`,
    problems,
    `generate the bundle with the stack's lake account (databricksBundle option lakeAccounts.${e.stack} = '${lake ?? ''}'; the default is st<prefix>lake<target>)`,
  );
}

function unityCatalogLocations(e: PreflightEstate): Check {
  const lake = accountName(lakeAccount(e));
  const connector = one(e, `${AZ}databricks:AccessConnector`);
  const connectorId = idOf(e, connector);
  const credentials = ofType(e, 'databricks:index/storageCredential:StorageCredential');
  const locations = ofType(e, 'databricks:index/externalLocation:ExternalLocation');
  const problems: string[] = [];
  const good = credentials
    .filter((c) => connectorId !== undefined && get(c.inputs, 'azureManagedIdentity', 'accessConnectorId') === connectorId)
    .map((c) => String(c.inputs['name']));
  if (credentials.length === 0) problems.push('no Unity Catalog storage credential');
  else if (good.length === 0)
    problems.push(`no storage credential uses the access connector ${connector === undefined ? '(none)' : String(connector.inputs['connectorName'])}`);
  for (const fs of LAKE_FILE_SYSTEMS) {
    const url = `abfss://${fs}@${lake ?? '?'}.dfs.core.windows.net/`;
    const loc = locations.find((l) => l.inputs['url'] === url);
    if (loc === undefined) problems.push(`no external location for ${url}`);
    else if (!good.includes(String(loc.inputs['credentialName'])))
      problems.push(
        `external location ${String(loc.inputs['name'])} uses credential '${String(loc.inputs['credentialName'])}', not the access connector's (${list(good)})`,
      );
  }
  return result(
    'uc-external-locations',
    `Unity Catalog: ${credentials.length} storage credential(s) (${list(credentials.map((c) => String(c.inputs['name'])))}), ${locations.length} external location(s) for the lake containers the jobs use (${LAKE_FILE_SYSTEMS.join(', ')})`,
    problems,
    'create a databricks.StorageCredential on the access connector (azureManagedIdentity.accessConnectorId) and a databricks.ExternalLocation per lake container (infra/src/components/databricks.ts)',
  );
}

function sqlPrincipals(e: PreflightEstate): Check {
  const identity = one(e, `${AZ}managedidentity:UserAssignedIdentity`);
  const factory = one(e, `${AZ}datafactory:Factory`);
  const expected = uniq([str(identity?.inputs['resourceName']) ?? '(no Metabase identity)', str(factory?.inputs['factoryName']) ?? '(no factory)']);
  const users = uniq(
    e.artifacts.migrations.flatMap((m) =>
      [...m.text.matchAll(/CREATE USER \[((?:[^\]]|\]\])+)\] FROM EXTERNAL PROVIDER/gi)].map((x) => x[1]!.replace(/\]\]/g, ']')),
    ),
  );
  const problems: string[] = [];
  if (e.artifacts.migrations.length === 0) problems.push('no serving migrations in the estate (SqlMigrations resource)');
  for (const u of users) if (!expected.includes(u)) problems.push(`CREATE USER [${u}] FROM EXTERNAL PROVIDER names no identity of the estate`);
  for (const x of expected) if (!users.includes(x)) problems.push(`no database user for ${x}`);
  const named = e.outputs['sqlPrincipals'];
  if (isObj(named) && uniq(Object.values(named).map(String)).join() !== expected.join())
    problems.push(`the stack output sqlPrincipals (${list(Object.values(named).map(String))}) differs`);
  return result(
    'sql-principals',
    `database users of the serving migrations (${list(users)}) against the Metabase identity and the factory (${list(expected)})`,
    problems,
    "generate the migrations with the stack's principals (servingPrincipals in infra/src/naming.ts; `streampulse sql generate --stack <env>`), never a default name",
  );
}

const procName = (n: string): string => n.replace(/[[\]]/g, '').toLowerCase();

function storedProcedures(e: PreflightEstate): Check {
  const created = new Set(
    e.artifacts.migrations.flatMap((m) =>
      [...m.text.matchAll(/CREATE\s+(?:OR\s+ALTER\s+)?PROC(?:EDURE)?\s+((?:\[[^\]]+\]|\w+)\.(?:\[[^\]]+\]|\w+))/gi)].map((x) => procName(x[1]!)),
    ),
  );
  const called = activities(e)
    .filter((a) => a.activity['type'] === 'SqlServerStoredProcedure')
    .map((a) => ({ where: activityName(a), name: str(get(a.activity, 'typeProperties', 'storedProcedureName')) ?? '?' }));
  const problems = called.filter((c) => !created.has(procName(c.name))).map((c) => `${c.where} calls ${c.name}, which no migration creates`);
  return result(
    'stored-procedures',
    `stored procedures the factory calls (${list(uniq(called.map((c) => c.name)))}) against the ${created.size} the migrations create`,
    uniq(problems),
    'create the procedure in the serving migrations (sql/src/serving-tsql.ts) or call one that exists (NAMES.spMerge / NAMES.spRecordRun)',
  );
}

function stagingTables(e: PreflightEstate): Check {
  const manifest = e.artifacts.factory[`control/${NAMES.manifestFile}`];
  const marts = asArray(get(manifest, 'marts')).map((m) => str(get(m, 'mart')) ?? '?');
  const tables = new Set(
    e.artifacts.migrations.flatMap((m) => [...m.text.matchAll(/CREATE TABLE \[staging\]\.\[([^\]]+)\]/gi)].map((x) => x[1]!.toLowerCase())),
  );
  const problems = marts
    .filter((m) => !tables.has(m.toLowerCase()))
    .map((m) => `[${NAMES.sqlStagingSchema}].[${m}] (the copy target of mart ${m}) is not created`);
  if (marts.length === 0) problems.push('the control manifest lists no marts');
  return result(
    'sql-staging-tables',
    `the factory's copy targets [${NAMES.sqlStagingSchema}].[<mart>] for the manifest's marts (${list(marts)}) against the migrations' staging tables`,
    problems,
    'generate the migrations and the factory from the same contracts',
  );
}

/** A minimal reader of the pyproject.toml keys preflight needs: [project] name, dependencies, [project.scripts], [project.optional-dependencies]. */
export function pyprojectFacts(text: string): { name?: string; dependencies: string[]; scripts: Record<string, string>; extras: Record<string, string[]> } {
  const out: { name?: string; dependencies: string[]; scripts: Record<string, string>; extras: Record<string, string[]> } = {
    dependencies: [],
    scripts: {},
    extras: {},
  };
  let section = '';
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\s+#.*$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const head = /^\[([^\]]+)\]$/.exec(line);
    if (head !== null) {
      section = head[1]!.trim();
      continue;
    }
    const kv = /^("?[\w.-]+"?)\s*=\s*(.*)$/.exec(line);
    if (kv === null) continue;
    const key = kv[1]!.replace(/"/g, '');
    let value = kv[2]!;
    if (value.startsWith('[')) while (!value.includes(']') && i + 1 < lines.length) value += lines[++i]!.replace(/\s+#.*$/, '');
    const strs = [...value.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
    if (section === 'project' && key === 'name') out.name = strs[0];
    else if (section === 'project' && key === 'dependencies') out.dependencies = strs;
    else if (section === 'project.scripts') out.scripts[key] = strs[0] ?? '';
    else if (section === 'project.optional-dependencies') out.extras[key] = strs;
  }
  return out;
}

function wheelEntryPoint(e: PreflightEstate): Check {
  const py = pyprojectFacts(e.pyproject);
  const problems: string[] = [];
  const tasks = bundleJobs(e).flatMap((j) => tasksOf(j).map((t) => ({ where: `${jobName(j)}/${str(t['task_key']) ?? '?'}`, t })));
  for (const { where, t } of tasks) {
    const w = t['python_wheel_task'];
    if (!isObj(w)) {
      problems.push(`bundle task ${where} is not a python_wheel_task (${list(Object.keys(t).filter((k) => k.endsWith('_task')))})`);
      continue;
    }
    if (w['package_name'] !== RUNTIME_WHEEL.packageName)
      problems.push(`bundle task ${where}: package_name '${String(w['package_name'])}', not '${RUNTIME_WHEEL.packageName}'`);
    if (w['entry_point'] !== RUNTIME_WHEEL.entryPoint)
      problems.push(`bundle task ${where}: entry_point '${String(w['entry_point'])}', not '${RUNTIME_WHEEL.entryPoint}'`);
    if (!asArray(t['libraries']).some((l) => /\.whl$/.test(str(get(l, 'whl')) ?? ''))) problems.push(`bundle task ${where} installs no wheel library`);
  }
  if (tasks.length === 0) problems.push('the bundle has no job tasks');
  if (py.name !== RUNTIME_WHEEL.distribution)
    problems.push(`jobs/python/pyproject.toml [project] name is '${py.name ?? '(none)'}', not '${RUNTIME_WHEEL.distribution}'`);
  const script = py.scripts[RUNTIME_WHEEL.entryPoint];
  if (script === undefined)
    problems.push(`jobs/python/pyproject.toml [project.scripts] has no '${RUNTIME_WHEEL.entryPoint}' (it has ${list(Object.keys(py.scripts))})`);
  else if (!script.startsWith(`${RUNTIME_WHEEL.packageName}.`) && !script.startsWith(`${RUNTIME_WHEEL.packageName}:`))
    problems.push(`the console script ${RUNTIME_WHEEL.entryPoint} = '${script}' is not in package ${RUNTIME_WHEEL.packageName}`);
  const artifacts = get(bundleRoot(e), 'artifacts');
  const whl = isObj(artifacts) ? Object.entries(artifacts).filter(([, a]) => get(a, 'type') === 'whl') : [];
  if (whl.length === 0) problems.push('databricks.yml builds no wheel artifact (artifacts.<name>.type: whl)');
  for (const [k, a] of whl)
    if (get(a, 'path') !== BUNDLE_RUNTIME_DIR)
      problems.push(
        `artifact ${k} builds ${String(get(a, 'path'))}, not the bundle's ${BUNDLE_RUNTIME_DIR}/ (the copy of jobs/python that \`streampulse generate\` writes)`,
      );
  return result(
    'wheel-entry-point',
    `${tasks.length} bundle task(s) against RUNTIME_WHEEL (${RUNTIME_WHEEL.packageName} / ${RUNTIME_WHEEL.entryPoint}), jobs/python/pyproject.toml (${py.name ?? '?'}, ${RUNTIME_WHEEL.entryPoint} = ${script ?? '?'}) and the bundle's wheel artifact`,
    problems,
    'keep the bundle (jobs/src/bundle.ts), pyproject.toml and RUNTIME_WHEEL (jobs/src/deploy-names.ts) on the same names',
  );
}

/** Spark line of a Databricks LTS runtime (release notes: 13.3 = Spark 3.4.1, 14.3 / 15.4 / 16.4 = Spark 3.5). */
const SPARK_LINE: Readonly<Record<string, string>> = { '13.3': '3.4', '14.3': '3.5', '15.4': '3.5', '16.4': '3.5' };

function wheelDependencies(e: PreflightEstate): Check {
  const py = pyprojectFacts(e.pyproject);
  const problems: string[] = [];
  const provided = py.dependencies.filter((d) => /^(pyspark|delta-spark)\b/i.test(d));
  if (provided.length > 0)
    problems.push(`the wheel requires ${provided.join(', ')}, which the Databricks Runtime provides (it would install open-source PySpark over the runtime's)`);
  const versions = uniq(bundleJobs(e).flatMap((j) => clustersOf(j).map((c) => str(get(c, 'new_cluster', 'spark_version')) ?? '?')));
  for (const v of versions)
    if (v !== e.config.databricks.sparkVersion)
      problems.push(`a bundle cluster runs ${v}, the stack's databricks.sparkVersion is ${e.config.databricks.sparkVersion}`);
  const line = SPARK_LINE[/^(\d+\.\d+)/.exec(e.config.databricks.sparkVersion)?.[1] ?? ''];
  const pin = Object.values(py.extras)
    .flat()
    .find((d) => /^pyspark\s*==/.test(d));
  if (line !== undefined && pin !== undefined && !new RegExp(`==\\s*${line.replace('.', '\\.')}\\.`).test(pin))
    problems.push(`the local extra pins ${pin}, but ${e.config.databricks.sparkVersion} runs Spark ${line}`);
  return result(
    'wheel-dependencies',
    `jobs/python/pyproject.toml dependencies (${list(py.dependencies)}), its extras' pyspark pin (${pin ?? 'none'}) and the bundle clusters' runtime (${list(versions)})`,
    problems,
    "keep pyspark/delta-spark out of [project] dependencies (an extra for local runs, pinned to the runtime's Spark line) and the clusters on the stack's databricks.sparkVersion",
  );
}

const LEGACY_DATABRICKS = ['DatabricksSparkPython', 'DatabricksNotebook', 'DatabricksSparkJar'];

function factoryJobsInBundle(e: PreflightEstate): Check {
  const names = new Set(bundleJobs(e).map(jobName));
  const text = JSON.stringify(e.artifacts.factory);
  const started = uniq([...text.matchAll(/\.jobs\[(?:'|\\")([^'"\\]+)(?:'|\\")\]/g)].map((m) => m[1]!));
  const problems: string[] = [];
  const legacy = activities(e).filter((a) => LEGACY_DATABRICKS.includes(String(a.activity['type'])));
  for (const a of legacy)
    problems.push(
      `${activityName(a)} is a ${String(a.activity['type'])} activity (it runs files by path; start the bundle's job with a DatabricksJob activity)`,
    );
  const jobActivities = activities(e).filter((a) => a.activity['type'] === 'DatabricksJob');
  if (jobActivities.length === 0) problems.push('the factory has no DatabricksJob activity');
  if (started.length === 0 && jobActivities.length > 0) problems.push(`the factory never looks a job id up by name in ${DATABRICKS_JOB_IDS_FILE}`);
  for (const n of started)
    if (!names.has(n)) problems.push(`the factory starts the Databricks job '${n}', which the bundle does not define (jobs: ${list([...names])})`);
  if (!started.includes(DATABRICKS_STEP_JOB) && jobActivities.length > 0) problems.push(`the factory does not start ${DATABRICKS_STEP_JOB}`);
  if (jobActivities.length > 0 && !text.includes(DATABRICKS_JOB_IDS_FILE)) problems.push(`the factory does not read control/${DATABRICKS_JOB_IDS_FILE}`);
  return result(
    'factory-jobs-in-bundle',
    `${jobActivities.length} DatabricksJob activities; jobs the factory starts (by name, from control/${DATABRICKS_JOB_IDS_FILE}): ${list(started)}; the bundle's jobs: ${list([...names])}`,
    problems,
    `start the bundle's ${DATABRICKS_STEP_JOB} (DATABRICKS_STEP_JOB) with DatabricksJob activities whose jobId is looked up in control/${DATABRICKS_JOB_IDS_FILE}`,
  );
}

function adfJobParameters(e: PreflightEstate): Check {
  const step = bundleJobs(e).find((j) => jobName(j) === DATABRICKS_STEP_JOB);
  const declared = asArray(step?.job['parameters']).map((p) => str(get(p, 'name')) ?? '?');
  const problems: string[] = [];
  if (step === undefined) problems.push(`the bundle has no job ${DATABRICKS_STEP_JOB}`);
  else if (uniq(declared).join() !== uniq([...DATABRICKS_STEP_PARAMETERS]).join())
    problems.push(`${DATABRICKS_STEP_JOB} declares the parameters ${list(declared)}, not ${DATABRICKS_STEP_PARAMETERS.join(', ')}`);
  const jobActivities = activities(e).filter((a) => a.activity['type'] === 'DatabricksJob');
  for (const a of jobActivities) {
    const tp = get(a.activity, 'typeProperties');
    const given = Object.keys(isObj(get(tp, 'jobParameters')) ? (get(tp, 'jobParameters') as Obj) : {});
    if (get(tp, 'jobId') === undefined) problems.push(`${activityName(a)} has no jobId`);
    const missing = DATABRICKS_STEP_PARAMETERS.filter((p) => !given.includes(p));
    const unknown = given.filter((p) => !declared.includes(p));
    if (missing.length > 0) problems.push(`${activityName(a)} leaves ${missing.join(', ')} unset (the job's default would run)`);
    if (unknown.length > 0) problems.push(`${activityName(a)} passes ${unknown.join(', ')}, which ${DATABRICKS_STEP_JOB} does not declare`);
  }
  if (jobActivities.length === 0) problems.push('the factory has no DatabricksJob activity');
  return result(
    'adf-job-parameters',
    `jobParameters of ${jobActivities.length} DatabricksJob activities against ${DATABRICKS_STEP_JOB}'s job parameters (${list(declared)})`,
    uniq(problems),
    `pass exactly DATABRICKS_STEP_PARAMETERS (${DATABRICKS_STEP_PARAMETERS.join(', ')}) from every DatabricksJob activity and declare them on the step job`,
  );
}

function adfDatabricksWorkspace(e: PreflightEstate): Check {
  const ws = one(e, `${AZ}databricks:Workspace`);
  const host = str(stateOf(e, ws)['workspaceUrl']);
  const wsId = idOf(e, ws);
  const linked = ofType(e, `${AZ}datafactory:LinkedService`).filter((l) => get(l.inputs, 'properties', 'type') === 'AzureDatabricks');
  const problems: string[] = [];
  if (ws === undefined) problems.push('no Databricks workspace');
  if (linked.length === 0) problems.push('the factory deploys no AzureDatabricks linked service');
  for (const l of linked) {
    const p = get(l.inputs, 'properties');
    const name = String(l.inputs['linkedServiceName']);
    if (get(p, 'domain') !== `https://${host ?? '?'}`)
      problems.push(`${name}: domain ${String(get(p, 'domain'))}, the workspace URL is https://${host ?? '?'}`);
    if (get(p, 'workspaceResourceId') !== wsId)
      problems.push(`${name}: workspaceResourceId ${String(get(p, 'workspaceResourceId'))}, the workspace is ${wsId ?? '?'}`);
    if (get(p, 'authentication') !== 'MSI') problems.push(`${name}: authentication ${String(get(p, 'authentication'))} (the factory's managed identity: MSI)`);
  }
  return result(
    'adf-databricks-workspace',
    `the deployed AzureDatabricks linked service(s) (${list(linked.map((l) => String(l.inputs['linkedServiceName'])))}) against the workspace ${ws === undefined ? '(none)' : String(ws.inputs['workspaceName'])} (URL and resource id are mock values until deploy)`,
    problems,
    "generate the factory with the workspace's outputs (DataFactory: databricksWorkspaceUrl = https://<workspaceUrl>, databricksWorkspaceResourceId = workspace.id)",
  );
}

function eventHubs(e: PreflightEstate): Check {
  const topics = streamTopics(e.set);
  const ns = one(e, `${AZ}eventhub:Namespace`);
  const nsName = str(ns?.inputs['namespaceName']);
  const hubs = ofType(e, `${AZ}eventhub:EventHub`);
  const groups = ofType(e, `${AZ}eventhub:ConsumerGroup`);
  const problems: string[] = [];
  for (const t of topics) {
    const hub = hubs.find((h) => h.inputs['eventHubName'] === t.topic);
    if (hub === undefined) problems.push(`no event hub '${t.topic}' (the stream topic of ${t.dataset})`);
    else if (str(hub.inputs['namespaceName']) !== nsName) problems.push(`event hub '${t.topic}' is not in namespace ${nsName ?? '(none)'}`);
    else
      for (const g of e.config.eventHubs.consumerGroups)
        if (!groups.some((c) => c.inputs['consumerGroupName'] === g && str(c.inputs['eventHubName']) === t.topic))
          problems.push(`event hub '${t.topic}' has no consumer group '${g}'`);
  }
  const extra = hubs.map((h) => String(h.inputs['eventHubName'])).filter((h) => !topics.some((t) => t.topic === h));
  if (extra.length > 0) problems.push(`event hubs no contract streams to: ${extra.join(', ')}`);
  return result(
    'event-hubs',
    `an event hub per contract stream topic (${list(topics.map((t) => t.topic))}) in ${nsName ?? '(no namespace)'}, with the consumer groups ${e.config.eventHubs.consumerGroups.join(', ')}`,
    problems,
    'create the hubs from the contracts (EventHubs component: streamTopics) and the consumer groups from streampulse:eventHubs.consumerGroups',
  );
}

function noDbfs(e: PreflightEstate): Check {
  const hits: string[] = [];
  const scan = (where: string, v: unknown): void => {
    for (const { path, text } of strings(v)) if (DBFS.test(text)) hits.push(`${where}${path === '' ? '' : ` ${path}`}`);
  };
  for (const [p, d] of Object.entries(e.artifacts.factory)) scan(`adf ${p}`, d);
  for (const [p, d] of Object.entries(e.artifacts.bundle)) scan(`bundle ${p}`, d);
  for (const m of e.artifacts.migrations) scan(`sql ${m.file}`, m.text);
  for (const r of e.resources) scan(`resource ${r.name}`, r.inputs);
  scan('stack outputs', e.outputs);
  for (const [p, t] of Object.entries({ ...e.workflows, ...e.sources }))
    t.split('\n').forEach((line, i) => {
      if (DBFS.test(line)) hits.push(`${p}:${i + 1}`);
    });
  const scanned =
    Object.keys(e.artifacts.factory).length +
    Object.keys(e.artifacts.bundle).length +
    e.artifacts.migrations.length +
    Object.keys(e.workflows).length +
    Object.keys(e.sources).length;
  return result(
    'no-dbfs',
    `${scanned} artifact, workflow and infra source files, ${e.resources.length} resources and the stack outputs searched for the DBFS scheme`,
    hits.slice(0, 10).concat(hits.length > 10 ? [`+${hits.length - 10} more`] : []),
    'use workspace files or a Unity Catalog volume (the bundle uploads the wheel and the specs): libraries in the DBFS root are disabled from Databricks Runtime 15.0',
  );
}

const triggerPipelines = (doc: Obj): string[] => {
  const p = props(doc);
  return [
    ...asArray(p['pipelines']).map((x) => str(get(x, 'pipelineReference', 'referenceName'))),
    str(get(p, 'pipeline', 'pipelineReference', 'referenceName')),
  ].filter((x): x is string => x !== undefined);
};
const triggerFrequency = (doc: Obj): string | undefined => {
  const p = props(doc);
  const f = str(get(p, 'typeProperties', 'recurrence', 'frequency')) ?? str(get(p, 'typeProperties', 'frequency'));
  const interval = Number(get(p, 'typeProperties', 'recurrence', 'interval') ?? get(p, 'typeProperties', 'interval') ?? 1);
  return f === 'Hour' && interval === 24 ? 'Day' : f;
};

function oneSchedulePerBatch(e: PreflightEstate): Check {
  const triggers = entities(e, 'trigger').map(([, d]) => d);
  const started = triggers.filter((t) => props(t)['runtimeState'] === 'Started');
  const problems: string[] = [];
  const byPipeline = new Map<string, string[]>();
  for (const t of started) for (const p of triggerPipelines(t)) byPipeline.set(p, [...(byPipeline.get(p) ?? []), String(t['name'])]);
  for (const [p, ts] of byPipeline)
    if (ts.length > 1) problems.push(`pipeline ${p} has ${ts.length} Started triggers (${ts.join(', ')}): the batch would run twice`);
  const hourly = e.set.datasets.filter((d) => d.source.schedule === 'hourly').map((d) => d.dataset);
  const batches: { name: string; frequency: string }[] = [
    { name: 'daily batch', frequency: 'Day' },
    ...(hourly.length > 0 ? [{ name: `hourly refresh (${list(hourly, 4)})`, frequency: 'Hour' }] : []),
  ];
  for (const b of batches) {
    const owners = started.filter((t) => triggerFrequency(t) === b.frequency);
    if (owners.length === 0) problems.push(`the ${b.name} has no Started trigger (frequency ${b.frequency}): nothing schedules it`);
  }
  const freqs = started.map((t) => `${String(t['name'])} (${triggerFrequency(t) ?? '?'})`);
  const extra = started.filter((t) => !batches.some((b) => b.frequency === triggerFrequency(t)));
  for (const t of extra) problems.push(`Started trigger ${String(t['name'])} schedules no batch of the contracts (frequency ${triggerFrequency(t) ?? '?'})`);
  // what the stack starts after pulumi up
  const states = isObj(e.outputs['adfTriggerStates']) ? (e.outputs['adfTriggerStates'] as Record<string, unknown>) : {};
  const stackStarts = Object.entries(states)
    .filter(([, s]) => s === 'Started')
    .map(([t]) => t);
  const generated = started.map((t) => String(t['name']));
  for (const t of stackStarts) if (!generated.includes(t)) problems.push(`the stack starts ${t}, which the generator leaves Stopped`);
  if (e.config.dataFactory.startTriggers && uniq(stackStarts).join() !== uniq(generated).join())
    problems.push(`dataFactory.startTriggers is true but the stack output adfTriggerStates starts ${list(stackStarts)}, not ${list(generated)}`);
  return result(
    'one-schedule-per-batch',
    `Started triggers of the factory: ${list(freqs)}; batches: ${batches.map((b) => b.name).join(', ')}; the stack starts ${stackStarts.length === 0 ? `none (dataFactory.startTriggers ${String(e.config.dataFactory.startTriggers)})` : list(stackStarts)}`,
    problems,
    'generate exactly one Started schedule trigger per batch (pipelines/src/generate.ts triggers); backfill triggers stay Stopped',
  );
}

function databricksJobsUnscheduled(e: PreflightEstate): Check {
  const problems: string[] = [];
  const jobs = bundleJobs(e);
  for (const j of jobs) {
    // the stream job (DATABRICKS_STREAM_JOB) is the one scheduled job: a cron schedule, never continuous,
    // and its tasks only run the stream command (bronze/silver of the streamed topics), never a batch step
    const stream = jobName(j) === DATABRICKS_STREAM_JOB;
    for (const k of stream ? ['trigger', 'continuous'] : ['schedule', 'trigger', 'continuous'])
      if (j.job[k] !== undefined && j.job[k] !== null)
        problems.push(`bundle job ${jobName(j)} (${j.file}) has '${k}': it would run the batch beside Data Factory's trigger`);
    if (stream)
      for (const t of tasksOf(j))
        if (wheelParams(t)[0] !== 'stream')
          problems.push(
            `bundle job ${jobName(j)} task ${str(t['task_key']) ?? '?'} runs '${String(wheelParams(t)[0])}', not the stream command: a scheduled batch step would run beside Data Factory's trigger`,
          );
  }
  for (const v of checkPolicies(e.resources, { privateNetwork: false }).filter((x) => x.policy === 'one-scheduler'))
    problems.push(`${v.resource}: ${v.message}`);
  const estateJobs = ofType(e, 'databricks:index/job:Job');
  return result(
    'databricks-jobs-unscheduled',
    `${jobs.length} bundle job(s) (${list(jobs.map(jobName))}) and ${estateJobs.length} Databricks job resource(s) in the estate: no schedule, trigger or continuous (the stream job ${DATABRICKS_STREAM_JOB}: its cron schedule only, stream tasks only)`,
    problems,
    "remove the job's schedule/trigger/continuous: Data Factory's triggers own every schedule (policy one-scheduler)",
  );
}

function noSharedKey(e: PreflightEstate): Check {
  const keyless = ofType(e, `${AZ}storage:StorageAccount`)
    .filter((a) => a.inputs['allowSharedKeyAccess'] === false)
    .map((a) => String(a.inputs['accountName']));
  const problems = checkPolicies(e.resources, { privateNetwork: false })
    .filter((v) => v.policy === 'keyless-data-plane')
    .map((v) => `${v.resource}: ${v.message}`);
  for (const c of e.calls) {
    if (!/^azure-native:storage:list\w*Keys$/.test(c.token)) continue;
    const account = str(c.inputs['accountName']) ?? '?';
    if (keyless.includes(account)) problems.push(`the program calls ${c.token} for ${account}, which refuses shared-key auth (allowSharedKeyAccess: false)`);
  }
  return result(
    'no-shared-key',
    `shared-key users (storage:Blob resources, list*Keys invokes: ${e.calls.filter((c) => /list\w*Keys$/.test(c.token) && c.token.startsWith(`${AZ}storage:`)).length}) against the keyless accounts ${list(keyless)}`,
    problems,
    'write to the lake with an Entra identity (the deploy step `streampulse deploy control-files`), never with the account key',
  );
}

function budgetStart(e: PreflightEstate): Check {
  const budgets = ofType(e, `${AZ}consumption:Budget`);
  const { earliest, latest } = budgetStartWindow(e.now);
  const problems: string[] = [];
  for (const b of budgets) {
    const start = str(get(b.inputs, 'timePeriod', 'startDate')) ?? '';
    const day = start.slice(0, 10);
    if (!/^\d{4}-\d{2}-01$/.test(day)) problems.push(`${String(b.inputs['budgetName'])}: start ${start || '(none)'} is not the first day of a month`);
    else if (day < earliest || day > latest)
      problems.push(
        `${String(b.inputs['budgetName'])}: start ${day} is outside ${earliest} … ${latest} (a new budget starts in the current month or up to 12 months ahead)`,
      );
    if (b.inputs['timeGrain'] !== 'Monthly')
      problems.push(`${String(b.inputs['budgetName'])}: time grain ${String(b.inputs['timeGrain'])} (the check assumes Monthly)`);
  }
  if (budgets.length === 0) problems.push('no budget');
  return result(
    'budget-start',
    `budget(s) ${list(budgets.map((b) => `${String(b.inputs['budgetName'])} from ${String(get(b.inputs, 'timePeriod', 'startDate'))}`))} at ${e.now.toISOString().slice(0, 10)}`,
    problems,
    "leave streampulse:observability.budget.startDate unset (the first day of the deploy's month, budgetStartDate) or set a first day within the window",
  );
}

function lakeFirewall(e: PreflightEstate): Check {
  const lake = lakeAccount(e);
  const connectorId = idOf(e, one(e, `${AZ}databricks:AccessConnector`));
  const rules = get(lake?.inputs, 'networkRuleSet');
  const problems: string[] = [];
  const access = asArray(get(rules, 'resourceAccessRules'));
  if (!access.some((r) => get(r, 'resourceId') === connectorId && typeof get(r, 'tenantId') === 'string'))
    problems.push(`networkRuleSet.resourceAccessRules does not admit the access connector ${connectorId ?? '(none)'}`);
  const bypass = String(get(rules, 'bypass') ?? '');
  if (!bypass.split(/\s*,\s*/).includes('AzureServices'))
    problems.push(`networkRuleSet.bypass is '${bypass}': Data Factory (a trusted service, managed identity) needs AzureServices`);
  return result(
    'lake-firewall',
    `the lake ${accountName(lake) ?? '(none)'}'s firewall (defaultAction ${String(get(rules, 'defaultAction'))}, bypass ${bypass || '(none)'}, ${access.length} resource-instance rule(s), ${asArray(get(rules, 'ipRules')).length} IP rule(s))`,
    problems,
    'admit the access connector by resource instance (resourceAccessRules: its id and tenant) and trusted services (bypass AzureServices) in DataLake',
  );
}

function databricksEgress(e: PreflightEstate): Check {
  const ws = one(e, `${AZ}databricks:Workspace`);
  if (!e.config.databricks.vnetInjection) {
    return {
      id: 'databricks-egress',
      ok: true,
      detail: `no VNet injection (streampulse:databricks.vnetInjection false): ${String(ws?.inputs['workspaceName'] ?? 'the workspace')} uses the Databricks-managed VNet and its egress`,
    };
  }
  const subnetNames = [
    str(get(ws?.inputs, 'parameters', 'customPublicSubnetName', 'value')),
    str(get(ws?.inputs, 'parameters', 'customPrivateSubnetName', 'value')),
  ];
  const subnets = ofType(e, `${AZ}network:Subnet`);
  const nats = ofType(e, `${AZ}network:NatGateway`);
  const ips = ofType(e, `${AZ}network:PublicIPAddress`).map((p) => idOf(e, p));
  const problems: string[] = [];
  for (const n of subnetNames) {
    const s = subnets.find((x) => x.inputs['subnetName'] === n);
    if (n === undefined || s === undefined) {
      problems.push(`the workspace's subnet ${n ?? '(unset)'} is not in the estate`);
      continue;
    }
    const natId = str(get(s.inputs, 'natGateway', 'id'));
    const nat = nats.find((x) => idOf(e, x) === natId);
    if (nat === undefined) {
      if (s.inputs['defaultOutboundAccess'] === false)
        problems.push(`subnet ${n} has no default outbound access and no NAT gateway: clusters cannot reach the control plane's dependencies`);
      else if (natId !== undefined) problems.push(`subnet ${n} names NAT gateway ${natId}, which is not in the estate`);
      continue;
    }
    const natIps = asArray(nat.inputs['publicIpAddresses']).map((p) => str(get(p, 'id')));
    if (!natIps.some((p) => p !== undefined && ips.includes(p)))
      problems.push(`NAT gateway ${String(nat.inputs['natGatewayName'])} has no public IP of the estate`);
  }
  return result(
    'databricks-egress',
    `outbound path of the VNet-injected subnets ${list(subnetNames.map((n) => n ?? '?'))} (NAT gateways: ${list(nats.map((n) => String(n.inputs['natGatewayName'])))})`,
    problems,
    'attach a NAT gateway with a Standard public IP to both Databricks subnets (Network component): subnets with defaultOutboundAccess false have no implicit egress',
  );
}

function roleAssignments(e: PreflightEstate): Check {
  const factory = one(e, `${AZ}datafactory:Factory`);
  const connector = one(e, `${AZ}databricks:AccessConnector`);
  const metabase = one(e, `${AZ}managedidentity:UserAssignedIdentity`);
  const principal = (r: MockResource | undefined): string | undefined =>
    str(get(stateOf(e, r), 'identity', 'principalId')) ?? str(stateOf(e, r)['principalId']);
  const lake = lakeAccount(e);
  const source = ofType(e, `${AZ}storage:StorageAccount`).find((r) => r.inputs['isHnsEnabled'] !== true);
  const vault = one(e, `${AZ}keyvault:Vault`);
  const ws = one(e, `${AZ}databricks:Workspace`);
  const needs: { who: string; id: string | undefined; role: RoleName; on: string; scope: string | undefined; why: string }[] = [
    {
      who: 'Data Factory',
      id: principal(factory),
      role: 'contributor',
      on: 'the Databricks workspace',
      scope: idOf(e, ws),
      why: 'MSI authentication to Databricks',
    },
    {
      who: 'the access connector',
      id: principal(connector),
      role: 'storageBlobDataContributor',
      on: 'the lake',
      scope: idOf(e, lake),
      why: 'the Unity Catalog storage credential',
    },
    {
      who: 'Data Factory',
      id: principal(factory),
      role: 'storageBlobDataContributor',
      on: 'the lake',
      scope: idOf(e, lake),
      why: 'copies into landing, control lookups, extracts',
    },
    {
      who: 'Data Factory',
      id: principal(factory),
      role: 'storageBlobDataReader',
      on: 'the source drop',
      scope: idOf(e, source),
      why: 'reads the source files',
    },
    { who: 'Data Factory', id: principal(factory), role: 'keyVaultSecretsUser', on: 'Key Vault', scope: idOf(e, vault), why: 'the SQL connection string' },
    {
      who: 'Metabase',
      id: principal(metabase),
      role: 'keyVaultSecretsUser',
      on: 'Key Vault',
      scope: idOf(e, vault),
      why: 'its database password and encryption key',
    },
    {
      who: 'the deployment identity',
      id: str(e.calls.find((c) => c.token === `${AZ}authorization:getClientConfig`)?.result?.['objectId']),
      role: 'keyVaultSecretsUser',
      on: 'Key Vault',
      scope: idOf(e, vault),
      why: `the deploy workflow reads the Metabase API key '${METABASE_API_KEY_SECRET}'`,
    },
  ];
  const grants = ofType(e, `${AZ}authorization:RoleAssignment`);
  const problems = needs
    .filter(
      (n) =>
        !grants.some(
          (g) =>
            n.id !== undefined &&
            g.inputs['principalId'] === n.id &&
            g.inputs['scope'] === n.scope &&
            String(g.inputs['roleDefinitionId']).endsWith(`/${ROLES[n.role]}`),
        ),
    )
    .map((n) => `${n.who} has no ${n.role} on ${n.on} (${n.why})`);
  return result(
    'role-assignments',
    `${needs.length} role assignments the data path needs, among the ${grants.length} the estate creates`,
    problems,
    'grant the role on exactly that resource (context.ts grant) in the owning component',
  );
}

const UC_ACCESS_MODES = ['SINGLE_USER', 'USER_ISOLATION', 'DATA_SECURITY_MODE_DEDICATED', 'DATA_SECURITY_MODE_STANDARD', 'DATA_SECURITY_MODE_AUTO'];

function ucAccessMode(e: PreflightEstate): Check {
  const clusters = bundleJobs(e).flatMap((j) =>
    clustersOf(j).map((c) => ({ where: `${jobName(j)}/${str(c['job_cluster_key']) ?? '?'}`, mode: str(get(c, 'new_cluster', 'data_security_mode')) })),
  );
  const problems = clusters
    .filter((c) => c.mode === undefined || !UC_ACCESS_MODES.includes(c.mode))
    .map((c) => `${c.where}: data_security_mode ${c.mode ?? '(unset)'} cannot use Unity Catalog external locations`);
  if (clusters.length === 0) problems.push('the bundle has no job clusters');
  return result(
    'uc-access-mode',
    `access mode of the bundle's job clusters (${list(clusters.map((c) => `${c.where}=${c.mode ?? '?'}`))})`,
    problems,
    'use a Unity Catalog access mode (SINGLE_USER = dedicated, or USER_ISOLATION = standard): no-isolation shared compute cannot read through external locations',
  );
}

function bundleTargets(e: PreflightEstate): Check {
  const root = bundleRoot(e);
  const target = get(root, 'targets', e.stack);
  const problems: string[] = [];
  if (!isObj(target))
    problems.push(
      `databricks.yml has no target '${e.stack}' (targets: ${list(Object.keys(isObj(get(root, 'targets')) ? (get(root, 'targets') as Obj) : {}))})`,
    );
  else {
    if (e.stack === 'prod' && target['mode'] !== 'production') problems.push(`target prod has mode ${String(target['mode'])}, not production`);
    if (target['mode'] === 'production' && str(get(target, 'workspace', 'root_path')) === undefined)
      problems.push(`target ${e.stack} (mode production) sets no workspace.root_path`);
    if (target['mode'] === 'production' && get(target, 'run_as') === undefined) problems.push(`target ${e.stack} (mode production) sets no run_as identity`);
  }
  const include = asArray(get(root, 'include')).map(String);
  const resourceFiles = Object.keys(e.artifacts.bundle).filter((p) => p.startsWith('resources/'));
  const globbed = (p: string): boolean => include.some((g) => new RegExp(`^${g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`).test(p));
  for (const f of resourceFiles) if (!globbed(f)) problems.push(`${f} is not included by databricks.yml (include: ${list(include)})`);
  // every ${var.x} is declared
  const declared = Object.keys(isObj(get(root, 'variables')) ? (get(root, 'variables') as Obj) : {});
  const used = uniq(
    Object.values(e.artifacts.bundle).flatMap((d) => strings(d).flatMap((s) => [...s.text.matchAll(/\$\{var\.([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!))),
  );
  for (const v of used) if (!declared.includes(v)) problems.push(`\${var.${v}} is used but not declared in databricks.yml variables`);
  return result(
    'bundle-targets',
    `databricks.yml target ${e.stack} (mode ${String(get(target, 'mode'))}), include ${list(include)} over ${resourceFiles.length} resource file(s), variables ${list(declared)}`,
    problems,
    'generate the bundle with a target per stack (jobs/src/bundle.ts BUNDLE_TARGETS)',
  );
}

/** Offsets of the first line matching each pattern in a text (-1 when absent). */
const firstAt = (text: string, re: RegExp): number => {
  const m = re.exec(text);
  return m === null ? -1 : m.index;
};

/** Bundle variables without a value for the stack's target (no default, no target value): the deploy must pass them. */
export function unsetBundleVariables(e: PreflightEstate): string[] {
  const root = bundleRoot(e);
  const vars = isObj(get(root, 'variables')) ? (get(root, 'variables') as Obj) : {};
  return Object.keys(vars).filter((k) => get(vars, k, 'default') === undefined && get(root, 'targets', e.stack, 'variables', k) === undefined);
}

function workflowBundleDeploy(e: PreflightEstate): Check {
  const wf = deployWorkflow(e);
  const problems: string[] = [];
  if (wf === undefined)
    return result('workflow-bundle-deploy', '.github/workflows (no deploy workflow)', ['no workflow runs `pulumi up`'], 'add the deploy workflow');
  const [path, text] = wf;
  const deploy = firstAt(text, /databricks\s+bundle\s+deploy\b/);
  const up = firstAt(text, /pulumi\s+up\b/);
  const generate = firstAt(text, /\bstreampulse\s+generate\b/);
  if (deploy < 0) problems.push(`${path} never runs \`databricks bundle deploy\``);
  else {
    const line = text.slice(deploy, text.indexOf('\n', deploy) < 0 ? undefined : text.indexOf('\n', deploy));
    if (!/(\s-t\s|\s--target[\s=])/.test(`${line} `)) problems.push(`${path}: \`databricks bundle deploy\` names no target (-t <stack>)`);
    if (up >= 0 && deploy < up)
      problems.push(`${path} deploys the bundle before \`pulumi up\` (the workspace, secret scope and external locations come from pulumi up)`);
    if (generate < 0 || generate > deploy)
      problems.push(`${path} does not generate the bundle (\`streampulse generate --stack <stack> --out …\`) before deploying it`);
    else {
      const gen = text.slice(generate, text.indexOf('\n', generate) < 0 ? undefined : text.indexOf('\n', generate));
      // without --stack, generate names the dev stack's factory, lake and SQL users
      if (!/--stack[\s=]"?\$\{?(STACK|\{\s*inputs\.stack\s*\})/.test(gen))
        problems.push(`${path}: \`streampulse generate\` does not pass --stack "$STACK" (the artifacts would carry the dev stack's names)`);
    }
  }
  if (/databricks\s+workspace\s+import\b/.test(text))
    problems.push(`${path} still uploads files with \`databricks workspace import\` (the bundle deploys the wheel and the specs)`);
  if (/databricks-cli\b/.test(text)) problems.push(`${path} installs the legacy pip package databricks-cli (the bundle needs the current Databricks CLI)`);
  for (const v of unsetBundleVariables(e))
    if (!new RegExp(`(--var[ =]"?${v}=|BUNDLE_VAR_${v}\\b)`).test(text))
      problems.push(`${path} does not pass the bundle variable ${v} (--var ${v}=… or BUNDLE_VAR_${v})`);
  return result(
    'workflow-bundle-deploy',
    `${path}: generate → pulumi up → databricks bundle deploy -t <stack>, and the bundle variables without a value (${list(unsetBundleVariables(e))})`,
    problems,
    'deploy the generated bundle with the current Databricks CLI after pulumi up: `databricks bundle deploy -t "$STACK"` from DIR/databricks, passing the variables without a value',
  );
}

function workflowControlFiles(e: PreflightEstate): Check {
  const wf = deployWorkflow(e);
  if (wf === undefined)
    return result('workflow-control-files', '.github/workflows (no deploy workflow)', ['no workflow runs `pulumi up`'], 'add the deploy workflow');
  const [path, text] = wf;
  const problems: string[] = [];
  const deploy = firstAt(text, /databricks\s+bundle\s+deploy\b/);
  const summary = firstAt(text, /databricks\s+bundle\s+summary\b/);
  const upload = firstAt(text, /\bdeploy\s+control-files\b/);
  const start = firstAt(text, /trigger\s+start\b/);
  if (upload < 0)
    problems.push(`${path} never runs \`streampulse deploy control-files\` (control/${NAMES.manifestFile} and control/${DATABRICKS_JOB_IDS_FILE})`);
  else {
    if (!/deploy\s+control-files[^\n]*--stack/.test(text)) problems.push(`${path}: \`deploy control-files\` names no --stack`);
    if (!/deploy\s+control-files[^\n]*--bundle-summary/.test(text)) problems.push(`${path}: \`deploy control-files\` gets no --bundle-summary`);
    if (summary < 0) problems.push(`${path} takes no \`databricks bundle summary\` (the job ids)`);
    if (deploy >= 0 && upload < deploy) problems.push(`${path} uploads the control files before the bundle deploy (the job ids exist only after it)`);
    if (summary >= 0 && deploy >= 0 && summary < deploy) problems.push(`${path} takes the bundle summary before the deploy (it would list no job ids)`);
    if (start >= 0 && start < upload) problems.push(`${path} starts the triggers before the control files are uploaded`);
  }
  return result(
    'workflow-control-files',
    `${path}: databricks bundle deploy → databricks bundle summary → streampulse deploy control-files → trigger start`,
    problems,
    'after the bundle deploy: `databricks bundle summary -t "$STACK" -o json > summary.json` then `streampulse deploy control-files --stack "$STACK" --bundle-summary summary.json`, before the triggers start',
  );
}

function workflowDeployTimeKeys(e: PreflightEstate): Check {
  const wf = deployWorkflow(e);
  if (wf === undefined)
    return result('workflow-deploy-time-keys', '.github/workflows (no deploy workflow)', ['no workflow runs `pulumi up`'], 'add the deploy workflow');
  const [path, text] = wf;
  const lines = text.split('\n');
  const problems: string[] = [];
  for (const k of DEPLOY_TIME_KEYS) {
    const key = `${CONFIG_NAMESPACE}:${k.path}`;
    if (!lines.some((l) => /pulumi\s+config\s+set\b/.test(l) && l.includes('--path') && l.includes(key)))
      problems.push(`${path} does not set ${key} (\`pulumi config set --path '${key}' …\`)`);
    if (!text.includes(`vars.${k.variable}`)) problems.push(`${path} does not read the repository variable ${k.variable} (${k.what})`);
  }
  for (const s of SECRET_KEYS) {
    const key = `${CONFIG_NAMESPACE}:${s}`;
    if (!lines.some((l) => /pulumi\s+config\s+set\b/.test(l) && l.includes('--secret') && l.includes(key)))
      problems.push(`${path} does not set the secret ${key} (\`pulumi config set --secret ${key} …\`)`);
  }
  return result(
    'workflow-deploy-time-keys',
    `${path} sets the keys preflight stands in for: ${list([...DEPLOY_TIME_KEYS.map((k) => `${CONFIG_NAMESPACE}:${k.path} ← vars.${k.variable}`), ...SECRET_KEYS.map((s) => `${CONFIG_NAMESPACE}:${s} (secret)`)])}`,
    problems,
    'set every deploy-time key before `pulumi up`: `pulumi config set --path \'streampulse:<key>\' "${{ vars.<VARIABLE> }}" --stack "$STACK"`, secrets with --secret',
  );
}

function workflowPreflight(e: PreflightEstate): Check {
  const stacks = new Set<string>();
  const where: string[] = [];
  for (const [path, full] of Object.entries(e.workflows)) {
    const text = withoutComments(full);
    for (const m of text.matchAll(/preflight\s+--stack[ =]("?)([^\s"]+)\1/g)) {
      const arg = m[2]!;
      where.push(path);
      if (arg === 'dev' || arg === 'prod') stacks.add(arg);
      else if (arg.includes('${{') || arg.startsWith('$'))
        for (const x of text.matchAll(/stack:\s*\[([^\]]*)\]/g)) for (const s of x[1]!.split(',').map((v) => v.trim().replace(/['"]/g, ''))) stacks.add(s);
    }
  }
  const problems = ['dev', 'prod'].filter((s) => !stacks.has(s)).map((s) => `no workflow runs \`streampulse preflight --stack ${s}\``);
  return result(
    'workflow-preflight',
    `workflows running preflight: ${list(uniq(where))} (stacks ${list([...stacks].sort())})`,
    problems,
    'run `streampulse preflight --stack <env>` for dev and prod in CI (before any deploy)',
  );
}

// ---- Metabase

const SQL_PRIVATE_ZONE = 'privatelink.database.windows.net';

function metabaseServingAccess(e: PreflightEstate): Check {
  const problems: string[] = [];
  const identity = one(e, `${AZ}managedidentity:UserAssignedIdentity`);
  const containerApp = one(e, `${AZ}app:ContainerApp`);
  const environment = one(e, `${AZ}app:ManagedEnvironment`);
  const server = one(e, `${AZ}sql:Server`);
  const identityId = idOf(e, identity);
  const clientId = str(stateOf(e, identity)['clientId']);
  const looked: string[] = [];
  // the identity: assigned to the app, named to azure-identity, exported for the provisioning
  const assigned = asArray(get(containerApp?.inputs, 'identity', 'userAssignedIdentities')).map(String);
  if (identityId === undefined || !assigned.includes(identityId))
    problems.push(`the container app is not assigned Metabase's identity ${str(identity?.inputs['resourceName']) ?? '(none)'}`);
  const container = asArray(get(containerApp?.inputs, 'template', 'containers'))[0];
  const env = asArray(get(container, 'env'));
  const envVar = (n: string): unknown => env.find((v) => get(v, 'name') === n);
  const azureClientId = get(envVar('AZURE_CLIENT_ID'), 'value');
  if (clientId === undefined || azureClientId !== clientId)
    problems.push(`the container's AZURE_CLIENT_ID is ${String(azureClientId ?? '(unset)')}, not the identity's client id ${clientId ?? '(none)'}`);
  if (e.outputs['metabaseIdentityClientId'] !== clientId)
    problems.push(`the stack output metabaseIdentityClientId is ${String(e.outputs['metabaseIdentityClientId'] ?? '(missing)')}, not ${clientId ?? '(none)'}`);
  // the encryption key: a Key Vault reference read with the identity, never a value
  const encryption = envVar('MB_ENCRYPTION_SECRET_KEY');
  const ref = str(get(encryption, 'secretRef'));
  const secret = asArray(get(containerApp?.inputs, 'configuration', 'secrets')).find((x) => get(x, 'name') === ref);
  if (encryption === undefined) problems.push('the container has no MB_ENCRYPTION_SECRET_KEY (Metabase would store database connection details unencrypted)');
  else if (get(encryption, 'value') !== undefined || ref === undefined) problems.push('MB_ENCRYPTION_SECRET_KEY is a value, not a secretRef');
  else if (!String(get(secret, 'keyVaultUrl') ?? '').endsWith(`/secrets/${METABASE_ENCRYPTION_KEY_SECRET}`) || get(secret, 'identity') !== identityId)
    problems.push(
      `MB_ENCRYPTION_SECRET_KEY's secret '${ref}' is not the Key Vault reference to '${METABASE_ENCRYPTION_KEY_SECRET}' read with Metabase's identity`,
    );
  // the network path to the SQL server
  const serverName = str(server?.inputs['serverName']);
  if (e.config.network.publicNetworkAccess) {
    const azure = ofType(e, `${AZ}sql:FirewallRule`).find(
      (r) => r.inputs['serverName'] === serverName && r.inputs['startIpAddress'] === '0.0.0.0' && r.inputs['endIpAddress'] === '0.0.0.0',
    );
    looked.push(`dev path: ${serverName ?? '?'}'s firewall ${azure === undefined ? 'has no' : 'has the'} Azure-services rule (0.0.0.0)`);
    if (azure === undefined)
      problems.push(
        `the SQL server ${serverName ?? '?'} has public access but no AllowAllWindowsAzureIps rule (0.0.0.0–0.0.0.0): the container's outbound addresses are not admitted`,
      );
  } else {
    const subnets = ofType(e, `${AZ}network:Subnet`);
    const vnetOfSubnet = (subnetId: unknown): MockResource | undefined => {
      const sub = subnets.find((x) => idOf(e, x) === subnetId);
      return ofType(e, `${AZ}network:VirtualNetwork`).find((v) => sub !== undefined && v.inputs['virtualNetworkName'] === sub.inputs['virtualNetworkName']);
    };
    const vnet = vnetOfSubnet(get(environment?.inputs, 'vnetConfiguration', 'infrastructureSubnetId'));
    const vnetId = idOf(e, vnet);
    if (vnet === undefined) problems.push("the Container Apps environment is not in the stack's VNet (vnetConfiguration.infrastructureSubnetId)");
    const pe = ofType(e, `${AZ}network:PrivateEndpoint`).find((r) =>
      asArray(r.inputs['privateLinkServiceConnections']).some(
        (c) => get(c, 'privateLinkServiceId') === idOf(e, server) && asArray(get(c, 'groupIds')).includes('sqlServer'),
      ),
    );
    if (pe === undefined) problems.push(`the SQL server ${serverName ?? '?'} has no private endpoint (group sqlServer)`);
    else if (vnetOfSubnet(get(pe.inputs, 'subnet', 'id')) !== vnet) problems.push(`the SQL server's private endpoint is not in the environment's VNet`);
    const zone = ofType(e, `${AZ}privatedns:PrivateZone`).find((z) => z.inputs['privateZoneName'] === SQL_PRIVATE_ZONE);
    const registered = ofType(e, `${AZ}network:PrivateDnsZoneGroup`).some(
      (g) =>
        pe !== undefined &&
        g.inputs['privateEndpointName'] === pe.inputs['privateEndpointName'] &&
        asArray(g.inputs['privateDnsZoneConfigs']).some((c) => zone !== undefined && get(c, 'privateDnsZoneId') === idOf(e, zone)),
    );
    if (!registered) problems.push(`the SQL server's private endpoint is not registered in the private DNS zone ${SQL_PRIVATE_ZONE}`);
    const linked = (zoneName: unknown): boolean =>
      ofType(e, `${AZ}privatedns:VirtualNetworkLink`).some(
        (l) => vnetId !== undefined && l.inputs['privateZoneName'] === zoneName && get(l.inputs, 'virtualNetwork', 'id') === vnetId,
      );
    if (!linked(SQL_PRIVATE_ZONE))
      problems.push(
        `the private DNS zone ${SQL_PRIVATE_ZONE} is not linked to the environment's VNet: the container would resolve the server's public address`,
      );
    looked.push(
      `prod path: environment in ${str(vnet?.inputs['virtualNetworkName']) ?? '?'}, private endpoint ${str(pe?.inputs['privateEndpointName']) ?? '?'} in ${SQL_PRIVATE_ZONE}`,
    );
    // an internal environment: its apps resolve only through a private zone of its default domain
    if (get(environment?.inputs, 'vnetConfiguration', 'internal') === true) {
      const domain = str(stateOf(e, environment)['defaultDomain']);
      const staticIp = str(stateOf(e, environment)['staticIp']);
      const wildcard = ofType(e, `${AZ}privatedns:PrivateRecordSet`).find(
        (r) =>
          r.inputs['privateZoneName'] === domain &&
          r.inputs['relativeRecordSetName'] === '*' &&
          asArray(r.inputs['aRecords']).some((a) => staticIp !== undefined && get(a, 'ipv4Address') === staticIp),
      );
      if (domain === undefined || !ofType(e, `${AZ}privatedns:PrivateZone`).some((z) => z.inputs['privateZoneName'] === domain))
        problems.push(`no private DNS zone for the internal environment's default domain ${domain ?? '?'} (its apps have no public DNS)`);
      else if (wildcard === undefined) problems.push(`the zone ${domain} has no '*' A record to the environment's static IP ${staticIp ?? '?'}`);
      else if (!linked(domain)) problems.push(`the zone ${domain} is not linked to the VNet: the deploy runner in the VNet cannot resolve Metabase`);
      const url = String(e.outputs['metabaseUrl'] ?? '');
      if (domain !== undefined && !url.endsWith(`.${domain}`))
        problems.push(`the stack output metabaseUrl ${url || '(missing)'} is not in the environment's domain ${domain}`);
      looked.push(`internal environment ${domain ?? '?'} → ${staticIp ?? '?'}`);
    }
  }
  return result(
    'metabase-serving-access',
    `Metabase → the serving database: identity ${str(identity?.inputs['resourceName']) ?? '?'} (AZURE_CLIENT_ID ${clientId ?? '?'}), MB_ENCRYPTION_SECRET_KEY from Key Vault; ${looked.join('; ')}`,
    problems,
    "wire it in infra/src/components/metabase.ts (identity, env, Key Vault references, the internal environment's DNS) and sql.ts / network.ts (firewall, private endpoint, DNS zone link)",
  );
}

/** The text of the command starting at `at` (backslash-continued lines joined). */
function commandAt(text: string, at: number): string {
  const lines = text.slice(at).split('\n');
  const out: string[] = [];
  for (const l of lines) {
    out.push(l);
    if (!/\\\s*$/.test(l)) break;
  }
  return out.join('\n');
}

function workflowMetabaseProvision(e: PreflightEstate): Check {
  const wf = deployWorkflow(e);
  if (wf === undefined)
    return result('workflow-metabase-provision', '.github/workflows (no deploy workflow)', ['no workflow runs `pulumi up`'], 'add the deploy workflow');
  const [path, text] = wf;
  const problems: string[] = [];
  const up = firstAt(text, /pulumi\s+up\b/);
  const provision = firstAt(text, /\bstreampulse\s+metabase\s+provision\b/);
  const reads = [...text.matchAll(/az\s+keyvault\s+secret\s+show\b[^\n]*/g)].map((m) => ({ at: m.index, name: /--name[ =]"?([\w-]+)"?/.exec(m[0])?.[1] }));
  const read = reads.find((r) => r.name === METABASE_API_KEY_SECRET);
  if (provision < 0) problems.push(`${path} never runs \`streampulse metabase provision\``);
  else {
    if (up >= 0 && provision < up) problems.push(`${path} provisions Metabase before \`pulumi up\` (Metabase and its identity come from it)`);
    const command = commandAt(text, provision);
    for (const flag of ['--url', '--sql-server', '--sql-database', '--identity-client-id'])
      if (!new RegExp(`${flag}[ =]`).test(command)) problems.push(`${path}: \`metabase provision\` gets no ${flag}`);
    if (/--api-key\b/.test(command)) problems.push(`${path} passes the API key on the command line (--api-key): pass it in STREAMPULSE_METABASE_API_KEY`);
    if (!text.includes('STREAMPULSE_METABASE_API_KEY')) problems.push(`${path} does not pass the API key in STREAMPULSE_METABASE_API_KEY`);
    if (read === undefined)
      problems.push(
        `${path} does not read the Key Vault secret '${METABASE_API_KEY_SECRET}' (METABASE_API_KEY_SECRET) with \`az keyvault secret show\` (it reads: ${list(reads.map((r) => r.name ?? '?'))})`,
      );
    else if (read.at > provision) problems.push(`${path} reads the API key after it provisions`);
    if (!text.includes('::add-mask::')) problems.push(`${path} does not mask the API key (::add-mask::) before using it`);
  }
  return result(
    'workflow-metabase-provision',
    `${path}: pulumi up → az keyvault secret show --name ${read?.name ?? '?'} → streampulse metabase provision (the key in STREAMPULSE_METABASE_API_KEY)`,
    problems,
    `after pulumi up, read the key with \`az keyvault secret show --vault-name "$KEY_VAULT" --name ${METABASE_API_KEY_SECRET} --query value -o tsv\`, mask it, export it as STREAMPULSE_METABASE_API_KEY and run \`streampulse metabase provision --url … --sql-server … --sql-database … --identity-client-id …\``,
  );
}

function workflowStackOutputs(e: PreflightEstate): Check {
  const read: { path: string; name: string }[] = [];
  for (const [path, full] of Object.entries(e.workflows))
    for (const m of withoutComments(full).matchAll(/pulumi\s+stack\s+output\s+(?:--stack[ =]"?[^\s"]+"?\s+)?([A-Za-z][A-Za-z0-9]*)\b/g))
      read.push({ path, name: m[1]! });
  const exported = Object.keys(e.outputs);
  const problems = read.filter((r) => !exported.includes(r.name)).map((r) => `${r.path} reads the stack output ${r.name}, which the program does not export`);
  return result(
    'workflow-stack-outputs',
    `stack outputs the workflows read (${list(uniq(read.map((r) => r.name)), 12)}) against the program's (${exported.length})`,
    uniq(problems),
    'export the output from createEstate (infra/src/program.ts EstateOutputs) or correct its name in the workflow',
  );
}

/** Every check, in the order they print. */
export function checkDefinitions(secretStandIns: readonly string[]): readonly CheckDefinition[] {
  return [
    { id: 'config-valid', what: 'the stack file validates (placeholders and documentation ranges rejected)', run: configValid },
    {
      id: 'no-placeholder-ids',
      what: 'no placeholder GUID or documentation address range in the stack, the resources or the artifacts',
      run: noPlaceholderIds,
    },
    { id: 'policies', what: "infra's policies over every resource", run: (e) => policies(e, secretStandIns) },
    { id: 'adf-validator', what: 'the generated factory passes the Data Factory validator', run: adfValidator },
    { id: 'key-vault-secret-references', what: 'every Key Vault secret a linked service or resource references exists', run: keyVaultSecretReferences },
    {
      id: 'databricks-secret-references',
      what: 'every Databricks secret scope/key the bundle and the specs name exists and holds the salt',
      run: databricksSecretReferences,
    },
    { id: 'pii-salt', what: 'the salt is generated and kept in Key Vault under PII_SALT.keyVaultSecret', run: piiSaltKeyVault },
    { id: 'lake-linked-services', what: "the factory's storage linked services name the estate's accounts", run: lakeLinkedServices },
    { id: 'lake-containers', what: 'every container the datasets, jobs and control files use exists', run: lakeContainers },
    { id: 'bundle-storage-root', what: "the bundle's storage root is the stack's lake", run: bundleStorageRoot },
    { id: 'uc-external-locations', what: 'an external location per lake container, bound to the access connector', run: unityCatalogLocations },
    { id: 'sql-principals', what: "the migrations' CREATE USER principals are the Metabase identity and the factory", run: sqlPrincipals },
    { id: 'stored-procedures', what: 'every stored procedure the factory calls is created by the migrations', run: storedProcedures },
    { id: 'sql-staging-tables', what: "every mart's staging table the factory copies to exists", run: stagingTables },
    { id: 'wheel-entry-point', what: 'python_wheel_task package/entry point = RUNTIME_WHEEL = pyproject console script', run: wheelEntryPoint },
    { id: 'wheel-dependencies', what: "the wheel requires nothing the runtime provides; clusters on the stack's runtime", run: wheelDependencies },
    { id: 'factory-jobs-in-bundle', what: 'every Databricks job the factory starts is in the bundle', run: factoryJobsInBundle },
    { id: 'adf-job-parameters', what: "DatabricksJob jobParameters = the step job's parameters", run: adfJobParameters },
    { id: 'adf-databricks-workspace', what: 'the Databricks linked service points at the workspace (URL, resource id, MSI)', run: adfDatabricksWorkspace },
    { id: 'event-hubs', what: 'an event hub per contract stream topic, with the consumer groups', run: eventHubs },
    { id: 'no-dbfs', what: 'no DBFS path in any artifact, workflow, resource or infra source', run: noDbfs },
    { id: 'one-schedule-per-batch', what: 'exactly one Started trigger per batch; the stack starts only those', run: oneSchedulePerBatch },
    { id: 'databricks-jobs-unscheduled', what: 'no bundle job or estate job carries a schedule, trigger or continuous mode', run: databricksJobsUnscheduled },
    { id: 'no-shared-key', what: 'no shared-key resource or key listing on a keyless account', run: noSharedKey },
    { id: 'budget-start', what: 'the budget starts on a first of a month Azure accepts', run: budgetStart },
    { id: 'lake-firewall', what: 'the lake firewall admits the access connector and trusted services', run: lakeFirewall },
    { id: 'databricks-egress', what: 'VNet-injected Databricks subnets have an outbound path (NAT gateway)', run: databricksEgress },
    { id: 'role-assignments', what: 'the role assignments the data path needs exist', run: roleAssignments },
    { id: 'uc-access-mode', what: 'bundle job clusters use a Unity Catalog access mode', run: ucAccessMode },
    { id: 'bundle-targets', what: 'the bundle has the stack as a target, includes its resources, declares its variables', run: bundleTargets },
    { id: 'workflow-bundle-deploy', what: 'deploy.yml generates and deploys the bundle after pulumi up', run: workflowBundleDeploy },
    { id: 'workflow-control-files', what: 'deploy.yml uploads the control files after the bundle deploy', run: workflowControlFiles },
    { id: 'workflow-deploy-time-keys', what: 'deploy.yml sets every deploy-time key and secret preflight stands in for', run: workflowDeployTimeKeys },
    {
      id: 'metabase-serving-access',
      what: "Metabase reaches the serving database: its identity's client id, the encryption key from Key Vault, the network path and DNS",
      run: metabaseServingAccess,
    },
    {
      id: 'workflow-metabase-provision',
      what: 'deploy.yml provisions Metabase after pulumi up with the API key from Key Vault (METABASE_API_KEY_SECRET), never on a command line',
      run: workflowMetabaseProvision,
    },
    { id: 'workflow-stack-outputs', what: 'every stack output a workflow reads is one the program exports', run: workflowStackOutputs },
    { id: 'workflow-preflight', what: 'CI runs preflight for dev and prod', run: workflowPreflight },
  ];
}
