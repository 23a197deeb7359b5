/**
 * Policies every stack must satisfy, checked over the resources a program registers
 * (in the tests: every resource the Pulumi mocks record, for dev and prod). Pure: a
 * list of { type, name, inputs } in, violations out. Each policy has a broken fixture in
 * infra/test/policy.test.ts that proves it fails.
 *
 *   tags                 every taggable Azure resource carries env, owner, cost-center,
 *                        data-domain (non-empty); every Azure resource type is classified
 *                        as taggable or not, so a new type forces a decision
 *   no-public-blob       storage accounts disallow public blob access; containers are private
 *   tls                  TLS 1.2 or later (storage, SQL, Event Hubs), HTTPS only, no insecure ingress
 *   sql-entra-only       SQL servers: Entra-only authentication, no SQL login or password
 *   no-secret-values     no input holds a secret in plain text: credential-named inputs are
 *                        Pulumi secrets or Key Vault references, and no string anywhere
 *                        looks like a credential (or equals a known secret value)
 *   private-network      (stacks with public access off, i.e. prod) every service that has
 *                        public network access has it Disabled; storage firewalls deny
 *   keyless-data-plane   no resource writes to a storage account's data plane with shared-key
 *                        auth when the account has allowSharedKeyAccess false (azure-native's
 *                        storage:Blob signs with the account key: "Prevent Shared Key
 *                        authorization for an Azure Storage account" — such requests get 403)
 *   one-scheduler        Data Factory owns every schedule: no Databricks job in the estate
 *                        carries a schedule, file-arrival/periodic trigger or continuous mode
 */

export interface MockResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Readonly<Record<string, unknown>>;
}

export type PolicyName = 'tags' | 'no-public-blob' | 'tls' | 'sql-entra-only' | 'no-secret-values' | 'private-network' | 'keyless-data-plane' | 'one-scheduler';
export const POLICIES: readonly PolicyName[] = [
  'tags',
  'no-public-blob',
  'tls',
  'sql-entra-only',
  'no-secret-values',
  'private-network',
  'keyless-data-plane',
  'one-scheduler',
];

/** Resource types that reach a storage account's data plane with its shared key. */
export const SHARED_KEY_DATA_PLANE_TYPES = ['azure-native:storage:Blob'] as const;

export interface PolicyViolation {
  readonly policy: PolicyName;
  readonly resource: string;
  readonly message: string;
}

export interface PolicyOptions {
  /** Enforce private-network (the stack has network.publicNetworkAccess false). */
  readonly privateNetwork: boolean;
  /** Secret values that must never appear in plain text in any input. */
  readonly knownSecrets?: readonly string[];
}

const REQUIRED_TAGS = ['env', 'owner', 'cost-center', 'data-domain'] as const;

/** Azure resource types that take tags (tracked resources). */
export const TAGGABLE = new Set([
  'azure-native:resources:ResourceGroup',
  'azure-native:storage:StorageAccount',
  'azure-native:datafactory:Factory',
  'azure-native:databricks:Workspace',
  'azure-native:databricks:AccessConnector',
  'azure-native:eventhub:Namespace',
  'azure-native:sql:Server',
  'azure-native:sql:Database',
  'azure-native:keyvault:Vault',
  'azure-native:keyvault:Secret',
  'azure-native:operationalinsights:Workspace',
  'azure-native:monitor:ActionGroup',
  'azure-native:monitor:MetricAlert',
  'azure-native:monitor:ScheduledQueryRule',
  'azure-native:managedidentity:UserAssignedIdentity',
  'azure-native:app:ManagedEnvironment',
  'azure-native:app:ContainerApp',
  'azure-native:dbforpostgresql:Server',
  'azure-native:network:VirtualNetwork',
  'azure-native:network:NatGateway',
  'azure-native:network:PublicIPAddress',
  'azure-native:network:NetworkSecurityGroup',
  'azure-native:network:PrivateEndpoint',
  'azure-native:privatedns:PrivateZone',
  'azure-native:privatedns:VirtualNetworkLink',
]);
/** Azure resource types ARM does not tag (child/proxy resources); they inherit the tags of their parent for cost reporting. */
export const UNTAGGABLE = new Set([
  'azure-native:storage:BlobContainer',
  'azure-native:storage:ManagementPolicy',
  'azure-native:storage:Blob',
  'azure-native:datafactory:LinkedService',
  'azure-native:datafactory:Dataset',
  'azure-native:datafactory:Pipeline',
  'azure-native:datafactory:Trigger',
  'azure-native:eventhub:EventHub',
  'azure-native:eventhub:ConsumerGroup',
  'azure-native:eventhub:NamespaceAuthorizationRule',
  'azure-native:sql:FirewallRule',
  'azure-native:dbforpostgresql:Database',
  'azure-native:dbforpostgresql:FirewallRule',
  'azure-native:monitor:DiagnosticSetting',
  'azure-native:authorization:RoleAssignment',
  'azure-native:consumption:Budget',
  'azure-native:network:Subnet',
  'azure-native:network:PrivateDnsZoneGroup',
  'azure-native:privatedns:PrivateRecordSet',
]);

/** Where each service type keeps its public network access switch. */
const PUBLIC_ACCESS: Readonly<Record<string, readonly string[]>> = {
  'azure-native:storage:StorageAccount': ['publicNetworkAccess'],
  'azure-native:datafactory:Factory': ['publicNetworkAccess'],
  'azure-native:databricks:Workspace': ['publicNetworkAccess'],
  'azure-native:eventhub:Namespace': ['publicNetworkAccess'],
  'azure-native:sql:Server': ['publicNetworkAccess'],
  'azure-native:keyvault:Vault': ['properties', 'publicNetworkAccess'],
  'azure-native:app:ManagedEnvironment': ['publicNetworkAccess'],
  'azure-native:dbforpostgresql:Server': ['network', 'publicNetworkAccess'],
};

/** How the Pulumi SDK marks a secret value in serialized inputs (runtime/rpc: specialSigKey → specialSecretSig). */
const SECRET_SIG_KEY = '4dabf18193072939515e22adb298388d';
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';
export const isPulumiSecret = (v: unknown): boolean => v !== null && typeof v === 'object' && (v as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
const isKeyVaultReference = (v: unknown): boolean => v !== null && typeof v === 'object' && (v as Record<string, unknown>)['type'] === 'AzureKeyVaultSecret';

/** Input names that hold credentials (their value must be a Pulumi secret or a Key Vault reference). */
const CREDENTIAL_KEY =
  /^(administratorLoginPassword|password|clientSecret|accountKey|sasToken|sasUri|accessToken|servicePrincipalKey|connectionString|primaryKey|secondaryKey|sharedKey|encryptedCredential)$/i;
/** Strings that look like credentials wherever they appear. */
const CREDENTIAL_TEXT = [
  /AccountKey=/i,
  /SharedAccessKey=/i,
  /(^|;)\s*(Password|Pwd)\s*=/i,
  /[?&]sig=/i,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\bdapi[0-9a-f]{32}\b/,
  /\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./,
];

function at(obj: unknown, path: readonly string[]): unknown {
  let v: unknown = obj;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

function walk(value: unknown, visit: (key: string, v: unknown, path: string) => boolean, path = ''): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, visit, `${path}[${i}]`));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const p = path === '' ? k : `${path}.${k}`;
    if (visit(k, v, p)) walk(v, visit, p);
  }
}

export function checkPolicies(resources: readonly MockResource[], options: PolicyOptions): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  const fail = (policy: PolicyName, r: MockResource, message: string): void => {
    out.push({ policy, resource: `${r.type}::${r.name}`, message });
  };
  const keyless = new Set(
    resources
      .filter((r) => r.type === 'azure-native:storage:StorageAccount' && r.inputs['allowSharedKeyAccess'] === false)
      .map((r) => String(r.inputs['accountName'])),
  );
  for (const r of resources) {
    const i = r.inputs;
    const azure = r.type.startsWith('azure-native:');
    // keyless data plane
    if ((SHARED_KEY_DATA_PLANE_TYPES as readonly string[]).includes(r.type) && keyless.has(String(i['accountName'])))
      fail(
        'keyless-data-plane',
        r,
        `${r.type} authorizes with the account key, which ${String(i['accountName'])} refuses (allowSharedKeyAccess: false); upload with an Entra identity instead (the deploy step \`streampulse deploy control-files\`)`,
      );
    // one scheduler
    if (r.type === 'databricks:index/job:Job') {
      for (const k of ['schedule', 'trigger', 'continuous'] as const)
        if (i[k] !== undefined && i[k] !== null)
          fail('one-scheduler', r, `a Databricks job with '${k}' would run the batch a second time: Data Factory's triggers own the schedule`);
    }
    // tags
    if (azure && TAGGABLE.has(r.type)) {
      const t = i['tags'] as Record<string, unknown> | undefined;
      for (const k of REQUIRED_TAGS)
        if (t === undefined || typeof t[k] !== 'string' || (t[k] as string).length === 0) fail('tags', r, `tag '${k}' is missing or empty`);
    } else if (azure && !UNTAGGABLE.has(r.type)) fail('tags', r, `resource type ${r.type} is not classified as taggable or untaggable in infra/src/policy.ts`);
    // no public blob access
    if (r.type === 'azure-native:storage:StorageAccount' && i['allowBlobPublicAccess'] !== false)
      fail('no-public-blob', r, 'allowBlobPublicAccess must be false');
    if (r.type === 'azure-native:storage:BlobContainer' && i['publicAccess'] !== 'None') fail('no-public-blob', r, "publicAccess must be 'None'");
    // TLS
    if (r.type === 'azure-native:storage:StorageAccount') {
      if (!['TLS1_2', 'TLS1_3'].includes(String(i['minimumTlsVersion']))) fail('tls', r, 'minimumTlsVersion must be TLS1_2 or later');
      if (i['enableHttpsTrafficOnly'] !== true) fail('tls', r, 'enableHttpsTrafficOnly must be true');
    }
    if (r.type === 'azure-native:sql:Server' && !['1.2', '1.3'].includes(String(i['minimalTlsVersion'])))
      fail('tls', r, 'minimalTlsVersion must be 1.2 or later');
    if (r.type === 'azure-native:eventhub:Namespace' && !['1.2', '1.3'].includes(String(i['minimumTlsVersion'])))
      fail('tls', r, 'minimumTlsVersion must be 1.2 or later');
    if (r.type === 'azure-native:app:ContainerApp' && at(i, ['configuration', 'ingress', 'allowInsecure']) !== false)
      fail('tls', r, 'ingress.allowInsecure must be false');
    // SQL Entra-only
    if (r.type === 'azure-native:sql:Server') {
      if (at(i, ['administrators', 'azureADOnlyAuthentication']) !== true) fail('sql-entra-only', r, 'administrators.azureADOnlyAuthentication must be true');
      if (at(i, ['administrators', 'administratorType']) !== 'ActiveDirectory')
        fail('sql-entra-only', r, "administrators.administratorType must be 'ActiveDirectory'");
      if (i['administratorLogin'] !== undefined || i['administratorLoginPassword'] !== undefined)
        fail('sql-entra-only', r, 'no SQL administrator login or password may be set');
    }
    // no secret values
    const secrets = options.knownSecrets ?? [];
    walk(i, (key, v, path) => {
      if (isPulumiSecret(v) || isKeyVaultReference(v)) return false;
      if (CREDENTIAL_KEY.test(key) && v !== undefined && v !== null) {
        fail('no-secret-values', r, `${path} holds a credential in plain text (use a Pulumi secret or a Key Vault reference)`);
        return false;
      }
      if (r.type === 'azure-native:keyvault:Secret' && path === 'properties.value') {
        fail('no-secret-values', r, 'properties.value of a Key Vault secret must be a Pulumi secret');
        return false;
      }
      if (typeof v === 'string') {
        if (CREDENTIAL_TEXT.some((re) => re.test(v))) fail('no-secret-values', r, `${path} looks like a credential`);
        if (secrets.some((s) => s.length > 0 && v.includes(s))) fail('no-secret-values', r, `${path} contains a stack secret in plain text`);
      }
      return true;
    });
    // private network
    if (options.privateNetwork && azure) {
      const where = PUBLIC_ACCESS[r.type];
      if (where !== undefined && at(i, where) !== 'Disabled') fail('private-network', r, `${where.join('.')} must be 'Disabled'`);
      if (r.type === 'azure-native:storage:StorageAccount' && at(i, ['networkRuleSet', 'defaultAction']) !== 'Deny')
        fail('private-network', r, "networkRuleSet.defaultAction must be 'Deny'");
      if (r.type === 'azure-native:app:ContainerApp' && at(i, ['configuration', 'ingress', 'external']) !== false)
        fail('private-network', r, 'ingress.external must be false');
      if (r.type === 'azure-native:sql:FirewallRule' || r.type === 'azure-native:dbforpostgresql:FirewallRule')
        fail('private-network', r, 'no firewall rules: the server is reached through its private endpoint');
    }
  }
  return out;
}
