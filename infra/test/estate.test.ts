/**
 * The dev and prod programs under Pulumi's runtime mocks: each component's resources
 * and key properties, the Data Factory and Databricks resources compared with the
 * generators' own output, and the policies over every mocked resource of both stacks
 * (with a broken fixture per policy that proves the check fails).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { findWorkspaceRoot, loadContractsOrThrow, STREAMPULSE_CONTRACTS_DIR, type ContractSet } from '@streampulse/contracts';
import { EVENT_HUBS_KAFKA_SECRETS, PII_SALT, compileJobs } from '@streampulse/jobs';
import { generateFactory, NAMES } from '@streampulse/pipelines';
import { SERVING_DEFAULTS, servingMigrations } from '@streampulse/sql';
import { join } from 'node:path';
import { adfEntities } from '../src/adf-mapping.js';
import { LAKE_CONTAINERS, landingPrefix } from '../src/components/data-lake.js';
import { EVENT_HUBS_SECRETS, streamTopics } from '../src/components/event-hubs.js';
import { METABASE_API_KEY_SECRET, METABASE_ENCRYPTION_KEY_SECRET } from '../src/components/metabase.js';
import { migrationInput } from '../src/components/sql-migrations.js';
import { MOCK_DEPLOYER_OBJECT_ID } from '../src/mock-render.js';
import { RANDOM_SECRETS, ROLES } from '../src/naming.js';
import { checkPolicies, isPulumiSecret, POLICIES, type MockResource, type PolicyName } from '../src/policy.js';
import { MOCK_SUBSCRIPTION, MOCK_WORKSPACE_HOST, one, ofType, renderStack, resolveOutputs, TEST_SECRET, type Rendered } from './harness.js';

const T = 'azure-native:';
let dev: Rendered;
let prod: Rendered;
let set: ContractSet;
beforeAll(async () => {
  set = loadContractsOrThrow(join(findWorkspaceRoot()!, STREAMPULSE_CONTRACTS_DIR));
  dev = await renderStack('dev');
  prod = await renderStack('prod');
}, 120_000);

const unwrap = (v: unknown): unknown => (isPulumiSecret(v) ? (v as { value: unknown }).value : v);
const get = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, p) => (v !== null && typeof v === 'object' ? (unwrap(v) as Record<string, unknown>)[p] : undefined), o);
const stacks = (): [string, Rendered][] => [
  ['dev', dev],
  ['prod', prod],
];

describe('DataLake (Pulumi mocks)', () => {
  it('an ADLS Gen2 account and a source-drop account, hardened', () => {
    for (const [, s] of stacks()) {
      const accounts = [one(s, `${T}storage:StorageAccount`, 'datalake-lake'), one(s, `${T}storage:StorageAccount`, 'datalake-source')];
      expect(accounts.map((a) => a.inputs['isHnsEnabled'])).toEqual([true, false]);
      expect(ofType(s, `${T}storage:StorageAccount`)).toHaveLength(2);
      for (const a of accounts)
        expect(a.inputs).toMatchObject({
          kind: 'StorageV2',
          minimumTlsVersion: 'TLS1_2',
          allowBlobPublicAccess: false,
          allowSharedKeyAccess: false,
          enableHttpsTrafficOnly: true,
        });
    }
    expect(one(dev, `${T}storage:StorageAccount`, 'datalake-lake').inputs['accountName']).toBe('stspulselakedev');
    expect(get(one(prod, `${T}storage:StorageAccount`, 'datalake-lake').inputs, 'sku', 'name')).toBe('Standard_ZRS');
  });

  it('one private container per layer (and the source drop)', () => {
    const names = ofType(dev, `${T}storage:BlobContainer`).map((c) => c.inputs['containerName']);
    expect([...names].sort()).toEqual([...LAKE_CONTAINERS, NAMES.sourceContainer].sort());
  });

  it('the lake firewall admits the Databricks access connector by resource instance (Unity Catalog) and trusted services (Data Factory)', () => {
    for (const [env, s] of stacks()) {
      const rules = get(one(s, `${T}storage:StorageAccount`, 'datalake-lake').inputs, 'networkRuleSet') as Record<string, unknown>;
      expect(rules['bypass']).toBe('AzureServices');
      expect(rules['resourceAccessRules']).toEqual([
        { tenantId: expect.any(String), resourceId: expect.stringContaining('/providers/databricks/spulse-dbac-') },
      ]);
      // dev: no client ranges, so the public endpoint stays open (Entra only); prod: deny + private endpoints
      expect(rules['defaultAction']).toBe(env === 'dev' ? 'Allow' : 'Deny');
    }
  });

  it('no resource writes to a keyless account with the shared key (the control files are a deploy step)', () => {
    for (const [, s] of stacks()) expect(ofType(s, `${T}storage:Blob`)).toHaveLength(0);
  });

  it("lifecycle rules follow every dataset's retention; Delta layers are never deleted or archived by the lifecycle", () => {
    for (const [, s] of stacks()) {
      const rules = get(one(s, `${T}storage:ManagementPolicy`, 'datalake-lake-lifecycle').inputs, 'policy', 'rules') as {
        name: string;
        definition: { filters: { prefixMatch: string[] }; actions: { baseBlob: Record<string, { daysAfterModificationGreaterThan: number }> } };
      }[];
      for (const d of set.datasets) {
        const landing = rules.find((r) => r.definition.filters.prefixMatch.includes(`landing/${landingPrefix(d.source.landing_path)}`));
        expect(landing?.definition.actions.baseBlob['delete']?.daysAfterModificationGreaterThan).toBe(d.retention.landing_days);
        for (const layer of ['bronze', 'silver', 'quarantine']) {
          const rule = rules.find((r) => r.definition.filters.prefixMatch.includes(`${layer}/${d.dataset}/`));
          expect(Object.keys(rule?.definition.actions.baseBlob ?? {})).toEqual(['tierToCool']);
        }
      }
      for (const r of rules) expect(r.definition.filters.prefixMatch.length).toBeLessThanOrEqual(10);
    }
    const prodRules = JSON.stringify(get(one(prod, `${T}storage:ManagementPolicy`, 'datalake-lake-lifecycle').inputs, 'policy'));
    expect(prodRules).toContain('tierToArchive');
  });
});

describe('DataFactory (Pulumi mocks)', () => {
  const expected = (s: Rendered) => {
    const env = s.stack;
    const plan = compileJobs(set);
    return generateFactory(set, plan, {
      factoryName: 'adf-spulse',
      environment: env,
      location: 'westeurope',
      lakeAccount: `stspulselake${env}`,
      sourceAccount: `stspulsesrc${env}`,
      keyVaultName: `kv-spulse-${env}`,
      databricksWorkspaceUrl: `https://${MOCK_WORKSPACE_HOST}`,
      databricksWorkspaceResourceId: `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/rg/providers/databricks/spulse-dbw-${env}`,
      ingestBatchCount: env === 'prod' ? 8 : 4,
      triggerStart: '2026-01-01T00:00:00Z',
      scheduleHour: 2,
    });
  };

  it('the factory has a system-assigned identity and the generated global parameters', () => {
    const f = one(dev, `${T}datafactory:Factory`);
    expect(f.inputs).toMatchObject({
      factoryName: 'adf-spulse-dev',
      identity: { type: 'SystemAssigned' },
      globalParameters: { environment: { type: 'String', value: 'dev' } },
    });
  });

  it("every linked service, dataset, pipeline and trigger is the generator's, mapped to azure-native (typeProperties flattened)", () => {
    for (const [, s] of stacks()) {
      const entities = adfEntities(expected(s));
      const kinds = { linkedService: 'LinkedService', dataset: 'Dataset', pipeline: 'Pipeline', trigger: 'Trigger' } as const;
      for (const [kind, type] of Object.entries(kinds)) {
        const mine = entities.filter((e) => e.kind === kind);
        const deployed = ofType(s, `${T}datafactory:${type}`);
        expect(deployed.map((d) => d.inputs[`${kind}Name`]).sort()).toEqual(mine.map((e) => e.name).sort());
        for (const e of mine) {
          const d = deployed.find((x) => x.inputs[`${kind}Name`] === e.name)!;
          const { resourceGroupName: _rg, factoryName: _f, [`${kind}Name`]: _n, ...args } = d.inputs;
          expect(args).toEqual(e.args);
        }
      }
      expect(JSON.stringify(ofType(s, `${T}datafactory:Pipeline`).map((p) => p.inputs))).not.toContain('typeProperties');
    }
  });

  it('nested activities are flattened too (ForEach → Execute Pipeline)', () => {
    const master = ofType(dev, `${T}datafactory:Pipeline`).find((p) => p.inputs['pipelineName'] === NAMES.plMaster)!;
    const forEach = (master.inputs['activities'] as Record<string, unknown>[]).find((a) => a['type'] === 'ForEach')!;
    expect(forEach['items']).toMatchObject({ type: 'Expression', value: expect.stringContaining("activity('Lookup control manifest')") });
    const inner = (forEach['activities'] as Record<string, unknown>[])[0]!;
    expect(inner['typeProperties']).toBeUndefined();
    expect(inner).toMatchObject({ type: 'ExecutePipeline', pipeline: { type: 'PipelineReference' }, waitOnCompletion: true });
  });

  it('the Databricks linked service points at the deployed workspace; secrets only as Key Vault references', () => {
    const ls = ofType(dev, `${T}datafactory:LinkedService`).find((l) => l.inputs['linkedServiceName'] === NAMES.lsDatabricks)!;
    expect(get(ls.inputs, 'properties', 'domain')).toBe(`https://${MOCK_WORKSPACE_HOST}`);
    const sql = ofType(dev, `${T}datafactory:LinkedService`).find((l) => l.inputs['linkedServiceName'] === NAMES.lsSql)!;
    expect(get(sql.inputs, 'properties', 'connectionString')).toMatchObject({ type: 'AzureKeyVaultSecret', secretName: NAMES.sqlSecretName });
  });

  it('triggers: started per stack setting (dev none, prod the generated schedule)', async () => {
    expect(dev.outputs['adfTriggerStates']).toEqual({ [NAMES.trSchedule]: 'Stopped', [NAMES.trWindow]: 'Stopped', [NAMES.trHourly]: 'Stopped' });
    // exactly one Started trigger per batch: the daily schedule (pl_daily_master) and the hourly one (pl_hourly_master)
    expect(prod.outputs['adfTriggerStates']).toEqual({ [NAMES.trSchedule]: 'Started', [NAMES.trWindow]: 'Stopped', [NAMES.trHourly]: 'Started' });
    for (const t of ofType(prod, `${T}datafactory:Trigger`)) expect(get(t.inputs, 'properties', 'runtimeState')).toBeUndefined();
  });
});

describe('Databricks (Pulumi mocks)', () => {
  it('premium workspace with a managed resource group; prod is VNet-injected and private', () => {
    const d = one(dev, `${T}databricks:Workspace`).inputs;
    expect(d).toMatchObject({
      sku: { name: 'premium' },
      managedResourceGroupId: `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/rg-spulse-dbw-managed-dev`,
      publicNetworkAccess: 'Enabled',
    });
    expect(get(d, 'parameters', 'customVirtualNetworkId')).toBeUndefined();
    const p = one(prod, `${T}databricks:Workspace`).inputs;
    expect(p).toMatchObject({
      publicNetworkAccess: 'Disabled',
      requiredNsgRules: 'NoAzureDatabricksRules',
      parameters: {
        customPublicSubnetName: { value: 'snet-dbw-host' },
        customPrivateSubnetName: { value: 'snet-dbw-container' },
        enableNoPublicIp: { value: true },
      },
    });
  });

  it('the access connector may write the lake (and nothing else)', () => {
    const grants = ofType(dev, `${T}authorization:RoleAssignment`).filter((r) => r.name.startsWith('dbac-'));
    expect(grants).toHaveLength(1);
    expect(grants[0]!.inputs).toMatchObject({ principalId: 'principal-databricks-connector', scope: expect.stringContaining('/storage/stspulselakedev') });
    expect(String(grants[0]!.inputs['roleDefinitionId'])).toMatch(/ba92f5b4-2d11-453d-a403-e96b0029c9fe$/);
  });

  it('no Databricks jobs or DBFS files: the bundle owns the jobs, Data Factory the schedule', () => {
    for (const [, s] of stacks()) {
      expect(s.resources.filter((r) => /^databricks:index\/(job|dbfsFile|workspaceFile):/.test(r.type))).toEqual([]);
      expect(JSON.stringify(s.resources)).not.toContain('dbfs:');
    }
  });

  it('the salt: one generated value in Key Vault and in a Databricks-backed secret scope, under the PII_SALT names', () => {
    for (const [, s] of stacks()) {
      expect(one(s, 'random:index/randomPassword:RandomPassword', RANDOM_SECRETS.piiSalt).inputs).toMatchObject({ length: 48, special: false });
      expect(ofType(s, `${T}keyvault:Secret`).map((x) => x.inputs['secretName'])).toContain(PII_SALT.keyVaultSecret);
      // a service principal cannot create a Key Vault-backed scope (it needs a user's Entra token)
      expect(one(s, 'databricks:index/secretScope:SecretScope').inputs).toMatchObject({ name: PII_SALT.scope, backendType: 'DATABRICKS' });
      const secret = one(s, 'databricks:index/secret:Secret', 'databricks-secret-pii-salt').inputs;
      expect(secret).toMatchObject({ scope: PII_SALT.scope, key: PII_SALT.key });
      expect(isPulumiSecret(secret['stringValue'])).toBe(true);
    }
  });

  it("the stream job's Kafka endpoint: Event Hubs' bootstrap server and listen connection string in the same scope, under EVENT_HUBS_KAFKA_SECRETS", () => {
    for (const [, s] of stacks()) {
      const keys = ofType(s, 'databricks:index/secret:Secret').map((x) => `${String(x.inputs['scope'])}/${String(x.inputs['key'])}`);
      expect(keys.sort()).toEqual(
        [PII_SALT.key, EVENT_HUBS_KAFKA_SECRETS.bootstrapKey, EVENT_HUBS_KAFKA_SECRETS.connectionStringKey].map((k) => `${PII_SALT.scope}/${k}`).sort(),
      );
      const ns = String(one(s, `${T}eventhub:Namespace`).inputs['namespaceName']);
      const bootstrap = one(s, 'databricks:index/secret:Secret', 'databricks-secret-eventhubs-bootstrap').inputs;
      expect(bootstrap).toMatchObject({ scope: EVENT_HUBS_KAFKA_SECRETS.scope, key: EVENT_HUBS_KAFKA_SECRETS.bootstrapKey });
      // the provider marks every secret value secret; the bootstrap server is the namespace's Kafka endpoint
      const raw = bootstrap['stringValue'];
      expect(isPulumiSecret(raw) ? (raw as { value: unknown }).value : raw).toBe(`${ns}.servicebus.windows.net:9093`);
      const listen = one(s, 'databricks:index/secret:Secret', 'databricks-secret-eventhubs-listen').inputs;
      expect(listen).toMatchObject({ scope: EVENT_HUBS_KAFKA_SECRETS.scope, key: EVENT_HUBS_KAFKA_SECRETS.connectionStringKey });
      expect(isPulumiSecret(listen['stringValue'])).toBe(true);
    }
  });

  it('Unity Catalog: a storage credential of the access connector and an external location per lake container', () => {
    for (const [env, s] of stacks()) {
      const cred = one(s, 'databricks:index/storageCredential:StorageCredential').inputs;
      expect(cred['name']).toBe(`spulse_${env}_lake`);
      expect(String(get(cred, 'azureManagedIdentity', 'accessConnectorId'))).toContain('/providers/databricks/spulse-dbac-');
      const locations = ofType(s, 'databricks:index/externalLocation:ExternalLocation');
      expect(locations.map((l) => l.inputs['url']).sort()).toEqual(LAKE_CONTAINERS.map((c) => `abfss://${c}@stspulselake${env}.dfs.core.windows.net/`).sort());
      for (const l of locations) expect(l.inputs['credentialName']).toBe(`spulse_${env}_lake`);
      // the storage credential waits for the connector's role on the lake
      expect(s.dependencies.get('databricks-storage-credential')).toEqual(expect.arrayContaining(['dbac-lake-role']));
    }
  });

  it('prod: the VNet-injected Databricks subnets have an outbound path (NAT gateway), since subnets have no default outbound access', () => {
    const nat = one(prod, `${T}network:NatGateway`);
    expect(nat.inputs).toMatchObject({ sku: { name: 'Standard' } });
    expect(one(prod, `${T}network:PublicIPAddress`).inputs).toMatchObject({ sku: { name: 'Standard' }, publicIPAllocationMethod: 'Static' });
    const subnets = ofType(prod, `${T}network:Subnet`);
    for (const sub of subnets) expect(sub.inputs['defaultOutboundAccess']).toBe(false);
    const dbw = subnets.filter((x) => String(x.inputs['subnetName']).startsWith('snet-dbw-'));
    expect(dbw).toHaveLength(2);
    for (const sub of dbw) expect(get(sub.inputs, 'natGateway', 'id')).toEqual(expect.stringContaining('/providers/network/spulse-nat-prod'));
    expect(ofType(dev, `${T}network:NatGateway`)).toHaveLength(0);
  });
});

describe('EventHubs (Pulumi mocks)', () => {
  it("a Kafka-enabled namespace, a hub per contract stream topic, the stack's consumer groups, listen/send rules", () => {
    const topics = streamTopics(set);
    expect(topics.length).toBeGreaterThan(0);
    for (const [env, s] of stacks()) {
      expect(one(s, `${T}eventhub:Namespace`).inputs).toMatchObject({ kafkaEnabled: true, minimumTlsVersion: '1.2' });
      expect(ofType(s, `${T}eventhub:EventHub`).map((h) => h.inputs['eventHubName'])).toEqual(topics.map((t) => t.topic));
      const groups = env === 'dev' ? 1 : 2;
      expect(ofType(s, `${T}eventhub:ConsumerGroup`)).toHaveLength(topics.length * groups);
      expect(ofType(s, `${T}eventhub:NamespaceAuthorizationRule`).map((r) => r.inputs['rights'])).toEqual([['Listen'], ['Send']]);
    }
  });

  it('connection information is in Key Vault, as Pulumi secrets', () => {
    const secrets = ofType(dev, `${T}keyvault:Secret`);
    for (const name of Object.values(EVENT_HUBS_SECRETS)) {
      const s = secrets.find((x) => x.inputs['secretName'] === name)!;
      expect(isPulumiSecret(s.inputs['properties'])).toBe(true);
    }
  });
});

describe('Sql (Pulumi mocks)', () => {
  it('Entra-only server administered by the stack group; serverless auto-pause in dev, a fixed SKU in prod', () => {
    expect(one(dev, `${T}sql:Server`).inputs['administrators']).toMatchObject({
      azureADOnlyAuthentication: true,
      principalType: 'Group',
      login: 'sg-streampulse-sql-admins-dev',
    });
    expect(one(dev, `${T}sql:Database`).inputs).toMatchObject({ sku: { name: 'GP_S_Gen5_1', tier: 'GeneralPurpose' }, autoPauseDelay: 60, minCapacity: 0.5 });
    const p = one(prod, `${T}sql:Database`).inputs;
    expect(p).toMatchObject({ sku: { name: 'S3' } });
    expect(p['autoPauseDelay']).toBeUndefined();
  });

  it('dev: firewall for Azure services and the client ranges; prod: a private endpoint, no firewall rules', () => {
    expect(ofType(dev, `${T}sql:FirewallRule`).map((f) => [f.inputs['startIpAddress'], f.inputs['endIpAddress']])).toEqual([['0.0.0.0', '0.0.0.0']]);
    expect(ofType(prod, `${T}sql:FirewallRule`)).toHaveLength(0);
    const pe = ofType(prod, `${T}network:PrivateEndpoint`).find((x) => x.name === 'sql-pe')!;
    expect(get(pe.inputs, 'privateLinkServiceConnections')).toEqual([expect.objectContaining({ groupIds: ['sqlServer'] })]);
  });
});

describe('SqlMigrations (Pulumi mocks)', () => {
  const MIGRATIONS = 'pulumi-nodejs:dynamic/streampulse:SqlMigrations';

  it.each(['dev', 'prod'])("%s: one migrations resource holding exactly the generator's migrations for this stack's principals", (stack) => {
    const s = stack === 'dev' ? dev : prod;
    const r = one(s, MIGRATIONS).inputs;
    const metabase = String(one(s, `${T}managedidentity:UserAssignedIdentity`).inputs['resourceName']);
    const factory = String(one(s, `${T}datafactory:Factory`).inputs['factoryName']);
    expect(r['principals']).toStrictEqual({ metabase, dataFactory: factory });
    expect([metabase, factory]).toStrictEqual([`spulse-id-metabase-${stack}`, `adf-spulse-${stack}`]);
    // the generator called with the same principal names, file for file (text and checksum)
    const expected = servingMigrations(set, { readerPrincipals: [metabase], loaderPrincipals: [factory] });
    expect(r['migrations']).toStrictEqual(expected.map(migrationInput));
    expect(s.outputs['sqlMigrations']).toStrictEqual(expected.map((m) => m.id));
    // the database users come from infra's names, not from the generator's defaults
    const roles = expected.find((m) => m.id === '0007_roles_and_grants')!.text;
    expect(roles).toContain(`CREATE USER [${metabase}] FROM EXTERNAL PROVIDER`);
    expect(roles).toContain(`CREATE USER [${factory}] FROM EXTERNAL PROVIDER`);
    expect(roles).not.toContain(`[${SERVING_DEFAULTS.readerPrincipals[0]}]`);
    // where: the Sql component's server FQDN and database
    const server = one(s, `${T}sql:Server`).inputs;
    expect(r['server']).toBe(`${String(server['serverName'])}.database.windows.net`);
    expect(r['port']).toBe(1433);
    expect(r['database']).toBe(one(s, `${T}sql:Database`).inputs['databaseName']);
    expect(typeof r['__provider']).toBe('string');
  });

  it('depends on the server (its Entra admin), the database, the network access and both identities', () => {
    const deps = (s: Rendered): readonly string[] => s.dependencies.get('sql-migrations-apply') ?? [];
    const always = ['sql-server', 'sql-serving', 'metabase-identity', 'datafactory-factory'];
    expect(deps(dev)).toEqual(expect.arrayContaining([...always, 'sql-fw-azure']));
    expect(deps(prod)).toEqual(expect.arrayContaining([...always, 'sql-pe', 'sql-pe-dns']));
    expect(get(one(dev, `${T}sql:Server`).inputs, 'administrators', 'azureADOnlyAuthentication')).toBe(true);
  });

  it('its inputs hold no credential: the Entra token is fetched when the migrations are applied', () => {
    for (const [, s] of stacks()) {
      const r = one(s, MIGRATIONS);
      expect(checkPolicies([r], { privateNetwork: s.stack === 'prod', knownSecrets: [TEST_SECRET] })).toStrictEqual([]);
      expect(JSON.stringify(r.inputs)).not.toMatch(/password|pwd=|accessToken|eyJ/i);
      expect(String(r.inputs['__provider'])).toContain('Authentication=Active Directory Default');
      expect(String(r.inputs['__provider'])).not.toContain(findWorkspaceRoot()!); // the same state on every machine
    }
  });
});

describe('Metabase (Pulumi mocks)', () => {
  it('a container app with a managed identity, settings from config and its password from Key Vault', () => {
    const app = one(dev, `${T}app:ContainerApp`).inputs;
    expect(get(app, 'identity', 'type')).toBe('UserAssigned');
    const container = (get(app, 'template', 'containers') as Record<string, unknown>[])[0]!;
    expect(container['image']).toBe('metabase/metabase:v0.56.9');
    expect(container['env']).toEqual(
      expect.arrayContaining([
        { name: 'MB_DB_TYPE', value: 'postgres' },
        { name: 'MB_DB_PASS', secretRef: 'mb-db-pass' },
      ]),
    );
    expect(get(app, 'configuration', 'secrets')).toEqual([
      expect.objectContaining({ name: 'mb-db-pass', keyVaultUrl: 'https://kv-spulse-dev.vault.azure.net/secrets/metabase-db-password' }),
      expect.objectContaining({ name: 'mb-encryption-key', keyVaultUrl: 'https://kv-spulse-dev.vault.azure.net/secrets/metabase-encryption-key' }),
    ]);
    expect(one(dev, `${T}dbforpostgresql:Server`).inputs).toMatchObject({ sku: { name: 'Standard_B1ms' } });
    expect(get(one(prod, `${T}app:ContainerApp`).inputs, 'configuration', 'ingress', 'external')).toBe(false);
  });
});

describe('Metabase → the serving database (Pulumi mocks)', () => {
  type EnvVar = { name: string; value?: unknown; secretRef?: string };
  const app = (s: Rendered) => one(s, `${T}app:ContainerApp`).inputs;
  const envOf = (s: Rendered): EnvVar[] => ((get(app(s), 'template', 'containers') as Record<string, unknown>[])[0]!['env'] as EnvVar[]) ?? [];
  const identity = (s: Rendered) => one(s, `${T}managedidentity:UserAssignedIdentity`);
  const state = (s: Rendered, name: string): Record<string, unknown> => (s.states.get(name) ?? {}) as Record<string, unknown>;
  const idOf = (s: Rendered, name: string): string => s.ids.get(name) ?? `(no id for ${name})`;

  it("the container is given its identity's client id as AZURE_CLIENT_ID, and the stack exports it", async () => {
    for (const [, s] of stacks()) {
      const clientId = state(s, identity(s).name)['clientId'];
      expect(clientId).toEqual(expect.any(String));
      expect(envOf(s)).toContainEqual({ name: 'AZURE_CLIENT_ID', value: clientId });
      expect(get(app(s), 'identity', 'userAssignedIdentities')).toEqual([idOf(s, identity(s).name)]);
      expect((await resolveOutputs(s.outputs))['metabaseIdentityClientId']).toBe(clientId);
    }
  });

  it("its identity is the serving database's reader user (the name the migrations create it under)", () => {
    for (const [, s] of stacks())
      expect(one(s, 'pulumi-nodejs:dynamic/streampulse:SqlMigrations').inputs['principals']).toMatchObject({ metabase: identity(s).inputs['resourceName'] });
  });

  it('MB_ENCRYPTION_SECRET_KEY: a generated key (random, ≥ 16 characters as Metabase requires) in Key Vault, read by secretRef with the identity', () => {
    for (const [env, s] of stacks()) {
      expect(envOf(s)).toContainEqual({ name: 'MB_ENCRYPTION_SECRET_KEY', secretRef: 'mb-encryption-key' });
      expect(envOf(s).find((v) => v.name === 'MB_ENCRYPTION_SECRET_KEY')?.value).toBeUndefined();
      expect(get(app(s), 'configuration', 'secrets')).toContainEqual({
        name: 'mb-encryption-key',
        keyVaultUrl: `https://kv-spulse-${env}.vault.azure.net/secrets/${METABASE_ENCRYPTION_KEY_SECRET}`,
        identity: idOf(s, identity(s).name),
      });
      const generator = one(s, 'random:index/randomPassword:RandomPassword', RANDOM_SECRETS.metabaseEncryptionKey);
      expect(Number(generator.inputs['length'])).toBeGreaterThanOrEqual(16);
      const secret = ofType(s, `${T}keyvault:Secret`).find((x) => x.inputs['secretName'] === METABASE_ENCRYPTION_KEY_SECRET)!;
      expect(isPulumiSecret(secret.inputs['properties'])).toBe(true);
      expect(get(secret.inputs, 'properties', 'value')).toBe(state(s, generator.name)['result']);
      // the app starts after its secrets exist
      expect(s.dependencies.get('metabase-app')).toEqual(
        expect.arrayContaining(['metabase-encryption-key-secret', 'metabase-db-password-secret', 'metabase-kv-role']),
      );
    }
  });

  it('dev: the SQL server admits Azure services (AllowAllWindowsAzureIps, 0.0.0.0–0.0.0.0), the Container Apps outbound path (documented contract of the Azure SQL firewall)', () => {
    const server = String(one(dev, `${T}sql:Server`).inputs['serverName']);
    expect(ofType(dev, `${T}sql:FirewallRule`)).toContainEqual(
      expect.objectContaining({
        inputs: expect.objectContaining({
          serverName: server,
          firewallRuleName: 'AllowAllWindowsAzureIps',
          startIpAddress: '0.0.0.0',
          endIpAddress: '0.0.0.0',
        }),
      }),
    );
    expect(get(one(dev, `${T}app:ManagedEnvironment`).inputs, 'vnetConfiguration')).toBeUndefined();
  });

  it("prod: the environment is in the VNet that the SQL server's private endpoint and its privatelink.database.windows.net zone are linked to", () => {
    const subnet = (name: string) => ofType(prod, `${T}network:Subnet`).find((x) => x.inputs['subnetName'] === name)!;
    const vnet = one(prod, `${T}network:VirtualNetwork`);
    const environment = one(prod, `${T}app:ManagedEnvironment`).inputs;
    expect(get(environment, 'vnetConfiguration')).toEqual({ infrastructureSubnetId: idOf(prod, subnet('snet-container-apps').name), internal: true });
    for (const name of ['snet-container-apps', 'snet-private-endpoints'])
      expect(subnet(name).inputs['virtualNetworkName']).toBe(vnet.inputs['virtualNetworkName']);
    const pe = one(prod, `${T}network:PrivateEndpoint`, 'sql-pe').inputs;
    expect(get(pe, 'subnet', 'id')).toBe(idOf(prod, subnet('snet-private-endpoints').name));
    expect(get(pe, 'privateLinkServiceConnections')).toEqual([
      expect.objectContaining({ privateLinkServiceId: idOf(prod, 'sql-server'), groupIds: ['sqlServer'] }),
    ]);
    const zone = ofType(prod, `${T}privatedns:PrivateZone`).find((z) => z.inputs['privateZoneName'] === 'privatelink.database.windows.net')!;
    expect(get(one(prod, `${T}network:PrivateDnsZoneGroup`, 'sql-pe-dns').inputs, 'privateDnsZoneConfigs')).toEqual([
      expect.objectContaining({ privateDnsZoneId: idOf(prod, zone.name) }),
    ]);
    const links = ofType(prod, `${T}privatedns:VirtualNetworkLink`).filter((l) => l.inputs['privateZoneName'] === 'privatelink.database.windows.net');
    expect(links.map((l) => get(l.inputs, 'virtualNetwork', 'id'))).toEqual([idOf(prod, vnet.name)]);
    expect(one(prod, `${T}sql:Server`).inputs['publicNetworkAccess']).toBe('Disabled');
  });

  it("prod: the internal environment's default domain is a private DNS zone ('*' → its static IP) linked to the VNet, so the VNet runner reaches metabaseUrl (documented contract of internal Container Apps environments)", async () => {
    const env = state(prod, 'metabase-env');
    const zone = one(prod, `${T}privatedns:PrivateZone`, 'metabase-env-dns');
    expect(zone.inputs['privateZoneName']).toBe(env['defaultDomain']);
    expect(one(prod, `${T}privatedns:PrivateRecordSet`, 'metabase-env-dns-wildcard').inputs).toMatchObject({
      privateZoneName: env['defaultDomain'],
      recordType: 'A',
      relativeRecordSetName: '*',
      aRecords: [{ ipv4Address: env['staticIp'] }],
    });
    expect(get(one(prod, `${T}privatedns:VirtualNetworkLink`, 'metabase-env-dns-link').inputs, 'virtualNetwork', 'id')).toBe(
      idOf(prod, one(prod, `${T}network:VirtualNetwork`).name),
    );
    expect(String((await resolveOutputs(prod.outputs))['metabaseUrl'])).toMatch(
      new RegExp(`^https://[^/]+\\.${String(env['defaultDomain']).replace(/\./g, '\\.')}$`),
    );
    expect(ofType(dev, `${T}privatedns:PrivateZone`)).toHaveLength(0);
  });

  it('the deployment identity (the one running pulumi up) may read the Metabase API key: Key Vault Secrets User on the vault', () => {
    for (const [env, s] of stacks()) {
      const grant = one(s, `${T}authorization:RoleAssignment`, 'deployer-kv-role').inputs;
      expect(grant).toMatchObject({ principalId: MOCK_DEPLOYER_OBJECT_ID, principalType: 'ServicePrincipal', scope: idOf(s, 'security-kv') });
      expect(String(grant['roleDefinitionId'])).toMatch(new RegExp(`/${ROLES.keyVaultSecretsUser}$`));
      expect(String(grant['description'])).toContain(METABASE_API_KEY_SECRET);
      expect(String(grant['scope'])).toContain(`kv-spulse-${env}`);
    }
  });

  it('the stack outputs the deploy workflow provisions Metabase with', async () => {
    for (const [env, s] of stacks()) {
      const o = await resolveOutputs(s.outputs);
      expect(o).toMatchObject({
        metabaseUrl: expect.stringMatching(/^https:\/\/spulse-ca-metabase-/),
        sqlServerFqdn: `spulse-sql-${env}.database.windows.net`,
        sqlDatabase: one(s, `${T}sql:Database`).inputs['databaseName'],
        metabaseIdentityClientId: state(s, identity(s).name)['clientId'],
        keyVaultName: `kv-spulse-${env}`,
      });
    }
  });
});

describe('Security and observability (Pulumi mocks)', () => {
  it('Key Vault with RBAC authorization and purge protection', () => {
    expect(get(one(dev, `${T}keyvault:Vault`).inputs, 'properties')).toMatchObject({
      enableRbacAuthorization: true,
      enablePurgeProtection: true,
      tenantId: expect.any(String),
    });
  });

  it('every service sends its logs and metrics to Log Analytics', () => {
    for (const [, s] of stacks()) {
      const uris = new Set(ofType(s, `${T}monitor:DiagnosticSetting`).map((d) => String(d.inputs['resourceUri'])));
      const services = [
        'storage:StorageAccount',
        'datafactory:Factory',
        'databricks:Workspace',
        'eventhub:Namespace',
        'sql:Database',
        'keyvault:Vault',
        'dbforpostgresql:Server',
        'app:ManagedEnvironment',
      ];
      for (const t of services)
        for (const r of ofType(s, `${T}${t}`))
          expect(
            [...uris].some((u) =>
              u.includes(`/${t.split(':')[0]}/${String(Object.values(r.inputs).find((v) => typeof v === 'string' && u.includes(v)) ?? '???')}`),
            ),
          ).toBe(true);
      expect(ofType(s, `${T}monitor:DiagnosticSetting`).every((d) => String(d.inputs['workspaceId']).includes('/operationalinsights/'))).toBe(true);
    }
  });

  it('alerts on pipeline failure and on every contract SLA; a budget', () => {
    const failed = one(dev, `${T}monitor:MetricAlert`).inputs;
    expect(JSON.stringify(failed['criteria'])).toContain('PipelineFailedRuns');
    expect(failed['scopes']).toEqual([expect.stringContaining('/datafactory/adf-spulse-dev')]);
    const query = String(get((get(one(dev, `${T}monitor:ScheduledQueryRule`).inputs, 'criteria', 'allOf') as unknown[])[0], 'query'));
    for (const d of set.datasets) expect(query).toContain(`'${d.dataset}', ${d.sla.freshness_hours}`);
    expect(one(prod, `${T}consumption:Budget`).inputs).toMatchObject({ amount: 5000, timeGrain: 'Monthly', category: 'Cost' });
  });

  it('least privilege: role assignments are the expected (principal, role, scope) pairs, none on the resource group or subscription', () => {
    const grants = ofType(dev, `${T}authorization:RoleAssignment`)
      .map((r) => r.name.replace(/-role$/, ''))
      .sort();
    expect(grants).toEqual(['adf-dbw', 'adf-kv', 'adf-lake', 'adf-source', 'dbac-lake', 'deployer-kv', 'metabase-kv']);
    for (const r of ofType(prod, `${T}authorization:RoleAssignment`)) expect(String(r.inputs['scope'])).toMatch(/\/providers\/[a-z]+\/[^/]+$/);
  });
});

describe('policies over every mocked resource of dev and prod (Pulumi mocks)', () => {
  const check = (s: Rendered, resources: MockResource[] = s.resources) =>
    checkPolicies(resources, { privateNetwork: s.stack === 'prod', knownSecrets: [TEST_SECRET] });

  it('both stacks satisfy every policy', () => {
    for (const [, s] of stacks()) expect(check(s)).toEqual([]);
  });

  it('every taggable resource carries env, owner, cost-center and data-domain', () => {
    const tagged = prod.resources.filter((r) => r.type.startsWith(T) && r.inputs['tags'] !== undefined);
    expect(tagged.length).toBeGreaterThan(20);
    for (const r of tagged) expect(Object.keys(r.inputs['tags'] as object)).toEqual(expect.arrayContaining(['env', 'owner', 'cost-center', 'data-domain']));
  });

  // One broken fixture per policy: the same stack with one resource changed must fail that policy.
  const mutate = (s: Rendered, type: string, change: (inputs: Record<string, unknown>) => Record<string, unknown>): MockResource[] => {
    let done = false;
    return s.resources.map((r) => {
      if (done || r.type !== type) return r;
      done = true;
      return { ...r, inputs: change(structuredClone(r.inputs) as Record<string, unknown>) };
    });
  };
  const fixtures: [PolicyName, () => [Rendered, MockResource[]]][] = [
    ['tags', () => [dev, mutate(dev, `${T}sql:Database`, (i) => ({ ...i, tags: { env: 'dev', owner: 'x' } }))]],
    ['tags', () => [dev, [...dev.resources, { type: `${T}cdn:Profile`, name: 'unclassified', inputs: {} }]]],
    ['no-public-blob', () => [dev, mutate(dev, `${T}storage:StorageAccount`, (i) => ({ ...i, allowBlobPublicAccess: true }))]],
    ['no-public-blob', () => [dev, mutate(dev, `${T}storage:BlobContainer`, (i) => ({ ...i, publicAccess: 'Blob' }))]],
    ['tls', () => [dev, mutate(dev, `${T}storage:StorageAccount`, (i) => ({ ...i, minimumTlsVersion: 'TLS1_0' }))]],
    ['tls', () => [prod, mutate(prod, `${T}sql:Server`, (i) => ({ ...i, minimalTlsVersion: '1.1' }))]],
    [
      'sql-entra-only',
      () => [dev, mutate(dev, `${T}sql:Server`, (i) => ({ ...i, administrators: { ...(i['administrators'] as object), azureADOnlyAuthentication: false } }))],
    ],
    ['sql-entra-only', () => [dev, mutate(dev, `${T}sql:Server`, (i) => ({ ...i, administratorLogin: 'sqladmin' }))]],
    ['no-secret-values', () => [dev, mutate(dev, `${T}dbforpostgresql:Server`, (i) => ({ ...i, administratorLoginPassword: TEST_SECRET }))]],
    [
      'no-secret-values',
      () => [dev, mutate(dev, `${T}datafactory:LinkedService`, (i) => ({ ...i, properties: { ...(i['properties'] as object), accountKey: 'abc' } }))],
    ],
    [
      'no-secret-values',
      () => [
        dev,
        mutate(dev, `${T}app:ContainerApp`, (i) => ({ ...i, template: { note: 'DefaultEndpointsProtocol=https;AccountName=x;AccountKey=c2VjcmV0' } })),
      ],
    ],
    ['no-secret-values', () => [dev, mutate(dev, `${T}keyvault:Secret`, (i) => ({ ...i, properties: { value: 'plain' } }))]],
    ['private-network', () => [prod, mutate(prod, `${T}storage:StorageAccount`, (i) => ({ ...i, publicNetworkAccess: 'Enabled' }))]],
    [
      'private-network',
      () => [prod, mutate(prod, `${T}keyvault:Vault`, (i) => ({ ...i, properties: { ...(i['properties'] as object), publicNetworkAccess: 'Enabled' } }))],
    ],
    ['private-network', () => [prod, mutate(prod, `${T}dbforpostgresql:Server`, (i) => ({ ...i, network: {} }))]],
    [
      'keyless-data-plane',
      () => [
        dev,
        [
          ...dev.resources,
          {
            type: `${T}storage:Blob`,
            name: 'control-manifest',
            inputs: { accountName: 'stspulselakedev', containerName: 'control', blobName: 'manifest.json' },
          },
        ],
      ],
    ],
    [
      'one-scheduler',
      () => [
        prod,
        [
          ...prod.resources,
          {
            type: 'databricks:index/job:Job',
            name: 'daily',
            inputs: { name: 'streampulse-daily', schedule: { quartzCronExpression: '0 30 2 * * ?', timezoneId: 'UTC', pauseStatus: 'UNPAUSED' } },
          },
        ],
      ],
    ],
  ];
  it.each(fixtures.map(([p, f], i) => [`${p} #${i + 1}`, p, f] as const))('a fixture that breaks %s fails the check', (_label, policy, fixture) => {
    const [s, resources] = fixture();
    const violations = check(s, resources);
    expect(violations.map((v) => v.policy)).toContain(policy);
    expect(violations.every((v) => v.policy === policy)).toBe(true);
  });

  it('every policy has at least one broken fixture', () => {
    expect(new Set(fixtures.map(([p]) => p))).toEqual(new Set(POLICIES));
  });

  it('the dev stack would fail the private-network policy (it is what makes prod different)', () => {
    expect(checkPolicies(dev.resources, { privateNetwork: true }).map((v) => v.policy)).toContain('private-network');
  });
});
