/**
 * Runs the real Pulumi program (src/main.ts) of a stack under Pulumi's runtime mocks
 * (`pulumi.runtime.setMocks` is called BEFORE the program is imported) with the
 * stack's own config file, and records every resource it registers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { parse } from 'yaml';
import type { MockResource } from '../src/policy.js';
import { withDeployTimeStandIns } from '../src/config.js';

export const INFRA_DIR = join(__dirname, '..');
/** The value the tests give the stack secret; the policies prove it never appears in plain text. */
export const TEST_SECRET = 'TEST-ONLY-metabase-db-password-5f1c';
export const MOCK_SUBSCRIPTION = '00000000-0000-0000-0000-00000000aaaa';
export const MOCK_TENANT = '00000000-0000-0000-0000-00000000bbbb';
export const MOCK_WORKSPACE_HOST = 'adb-1234567890123456.7.azuredatabricks.net';

export interface Rendered {
  readonly stack: string;
  readonly resources: MockResource[];
  /** Per resource (logical name), the names of the resources it depends on (dependsOn and its inputs' resources). */
  readonly dependencies: ReadonlyMap<string, readonly string[]>;
  readonly outputs: Record<string, unknown>;
  readonly config: Record<string, unknown>;
}

/** The raw config of a stack file, as the Pulumi CLI hands it to the program (objects as JSON text). */
export function stackConfig(stack: string): Record<string, string> {
  const doc = parse(readFileSync(join(INFRA_DIR, `Pulumi.${stack}.yaml`), 'utf8')) as { config: Record<string, unknown> };
  const raw = Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  // the keys deploy.yml sets from repository variables get their stand-in (as under preflight)
  return withDeployTimeStandIns(raw) as Record<string, string>;
}

interface RegisterRequest {
  getName(): string;
  getDependenciesList(): string[];
}

/** Outputs the mocked provider computes for some resource types (what Azure would return). */
function computed(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const principal = { principalId: `principal-${name}`, tenantId: MOCK_TENANT, type: 'SystemAssigned' };
  switch (type) {
    case 'azure-native:databricks:Workspace':
      return { workspaceUrl: MOCK_WORKSPACE_HOST };
    case 'azure-native:datafactory:Factory':
    case 'azure-native:databricks:AccessConnector':
      return { identity: principal };
    case 'azure-native:managedidentity:UserAssignedIdentity':
      return { principalId: `principal-${name}`, clientId: `client-${name}` };
    case 'azure-native:dbforpostgresql:Server':
      return { fullyQualifiedDomainName: `${String(inputs['serverName'])}.postgres.database.azure.com` };
    case 'azure-native:sql:Server':
      return { fullyQualifiedDomainName: `${String(inputs['serverName'])}.database.windows.net` };
    case 'azure-native:app:ContainerApp':
      return { latestRevisionFqdn: `${String(inputs['containerAppName'])}--rev1.example.azurecontainerapps.io` };
    default:
      return {};
  }
}

const NAME_KEY: Readonly<Record<string, string>> = {
  BlobContainer: 'containerName', StorageAccount: 'accountName', Server: 'serverName', Namespace: 'namespaceName', NamespaceAuthorizationRule: 'authorizationRuleName',
  AccessConnector: 'connectorName', ManagedEnvironment: 'environmentName', UserAssignedIdentity: 'resourceName', MetricAlert: 'ruleName', ScheduledQueryRule: 'ruleName', DiagnosticSetting: 'name',
};
/** The Azure name of a mocked resource (its `<type>Name` input), as Azure would return it in `name`. */
const nameOf = (type: string, inputs: Record<string, unknown>, fallback: string): string => {
  const t = type.split(':')[2] ?? '';
  const key = NAME_KEY[t] ?? `${t.charAt(0).toLowerCase()}${t.slice(1)}Name`;
  const v = inputs[key];
  return typeof v === 'string' ? v : fallback;
};

/** Renders a stack's program under mocks. `configOverride` edits the raw config first (for failure tests). */
export async function renderStack(stack: string, configOverride?: (c: Record<string, string>) => void): Promise<Rendered> {
  const resources: MockResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        const id = args.type.startsWith('azure-native:')
          ? `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/rg/providers/${args.type.split(':')[1]}/${nameOf(args.type, args.inputs as Record<string, unknown>, args.name)}`
          : `${args.name}-id`;
        return { id, state: { ...args.inputs, name: nameOf(args.type, args.inputs as Record<string, unknown>, args.name), ...computed(args.type, args.name, args.inputs as Record<string, unknown>) } };
      },
      call(args) {
        if (args.token === 'azure-native:authorization:getClientConfig') return { subscriptionId: MOCK_SUBSCRIPTION, tenantId: MOCK_TENANT, clientId: 'client', objectId: 'object' };
        if (args.token === 'azure-native:eventhub:listNamespaceKeys')
          return { primaryConnectionString: `Endpoint=sb://mock.servicebus.windows.net/;SharedAccessKeyName=${String(args.inputs['authorizationRuleName'])};SharedAccessKey=MOCKKEY0000` };
        throw new Error(`unmocked call ${args.token}`);
      },
    },
    'streampulse',
    stack,
    false,
  );
  // The mocks see a resource's inputs only: record its dependencies from the register request.
  const dependencies = new Map<string, string[]>();
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: RegisterRequest, cb: unknown) => unknown };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    dependencies.set(req.getName(), req.getDependenciesList().map((urn) => urn.slice(urn.lastIndexOf('::') + 2)));
    return register(req, cb);
  };
  const config = stackConfig(stack);
  config['streampulse:metabaseDbAdminPassword'] = TEST_SECRET;
  configOverride?.(config);
  pulumi.runtime.setAllConfig(config, ['streampulse:metabaseDbAdminPassword']);
  const { default: main } = await import('../src/main.js');
  const outputs = main() as unknown as Record<string, unknown>;
  // Wait until the program stops registering resources (every apply has run).
  let seen = -1;
  let quiet = 0;
  while (quiet < 5) {
    await new Promise((r) => setTimeout(r, 20));
    if (resources.length === seen) quiet++;
    else {
      seen = resources.length;
      quiet = 0;
    }
  }
  return { stack, resources, dependencies, outputs, config };
}

/** The value of an Output (or a plain value). */
export function value<T>(o: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(o).apply((v) => resolve(v as T)));
}

export const ofType = (r: Rendered, type: string): MockResource[] => r.resources.filter((x) => x.type === type);
export const one = (r: Rendered, type: string, name?: string): MockResource => {
  const found = ofType(r, type).filter((x) => name === undefined || x.name === name);
  if (found.length !== 1) throw new Error(`expected one ${type}${name === undefined ? '' : ` named ${name}`}, found ${found.length}: ${found.map((f) => f.name).join(', ')}`);
  return found[0]!;
};
