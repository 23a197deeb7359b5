/**
 * Renders a stack's Pulumi program offline, under Pulumi's runtime mocks
 * (`pulumi.runtime.setMocks`), with the stack file's own config, and records every
 * resource it registers: what the infra tests assert on and what `streampulse
 * preflight` checks. Nothing reaches Azure, Databricks or the Pulumi service.
 *
 * The mocks are set BEFORE the program is imported (a dynamic import after
 * `setMocks`), as Pulumi's unit-testing guide requires. Two programs can be rendered:
 *   - 'main'    the Pulumi entry point itself (src/main.ts: config from the engine,
 *               contracts from the workspace holding the current directory)
 *   - 'estate'  the same steps as main.ts with an explicit workspace root and clock
 *               (`createEstate(parseStackConfig(config), contracts, secrets, { now })`),
 *               so the CLI can render from any directory and tests can fix the date.
 *
 * The config is the stack file's (`infra/Pulumi.<stack>.yaml`); the keys the deploy
 * workflow sets at deploy time (DEPLOY_TIME_KEYS, the stack secret) get stand-ins.
 */
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { findWorkspaceRoot, loadContractsOrThrow, StreamPulseError, STREAMPULSE_CONTRACTS_DIR } from '@streampulse/contracts';
import { CONFIG_NAMESPACE, SECRET_KEYS, withDeployTimeStandIns } from './config.js';
import type { MockResource } from './policy.js';
import { readStackFile } from './stack-file.js';

/** The subscription, tenant and workspace host the mocked provider answers with. */
export const MOCK_SUBSCRIPTION = '00000000-0000-0000-0000-00000000aaaa';
export const MOCK_TENANT = '00000000-0000-0000-0000-00000000bbbb';
export const MOCK_WORKSPACE_HOST = 'adb-1234567890123456.7.azuredatabricks.net';

/** An invoke the program made (`call` of the mocks), e.g. `azure-native:authorization:getClientConfig`. */
export interface MockCall {
  readonly token: string;
  readonly inputs: Readonly<Record<string, unknown>>;
  /** What the mocked provider answered (absent for a call it refused). */
  readonly result?: Readonly<Record<string, unknown>>;
}

/** The object id getClientConfig answers with: the identity running `pulumi up` (the deployment identity). */
export const MOCK_DEPLOYER_OBJECT_ID = 'object';

export interface Rendered {
  readonly stack: string;
  readonly resources: MockResource[];
  /** Per resource (logical name), the names of the resources it depends on (dependsOn and its inputs' resources). */
  readonly dependencies: ReadonlyMap<string, readonly string[]>;
  /** The program's return value (stack outputs; Outputs unresolved: see `resolveOutputs`). */
  readonly outputs: Record<string, unknown>;
  /** The raw config the program ran with (stand-ins included). */
  readonly config: Record<string, unknown>;
  /** Per resource (logical name), the id the mocked provider gave it. */
  readonly ids: ReadonlyMap<string, string>;
  /** Per resource (logical name), the state the mocked provider returned (inputs + computed outputs). */
  readonly states: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  /** Every invoke, in order. */
  readonly calls: readonly MockCall[];
}

export interface RenderOptions {
  /** Workspace root (holds infra/Pulumi.<stack>.yaml and the contracts). Default: the workspace of the current directory. */
  readonly root?: string;
  /** 'main' renders src/main.ts; 'estate' (default) runs its steps with `root` and `now`. */
  readonly program?: 'main' | 'estate';
  /** The deploy's clock given to createEstate ('estate' only). */
  readonly now?: Date;
  /** Values of the stack secrets (SECRET_KEYS without the namespace); default: a stand-in per key. */
  readonly secrets?: Readonly<Record<string, string>>;
  /** Edits the raw config before the program reads it. */
  readonly configOverride?: (config: Record<string, string>) => void;
}

/** The stand-in a stack secret gets when no value is given (never a real credential). */
export const SECRET_STAND_IN = 'preflight-stand-in-not-a-secret';

/** The raw config of a stack file as the Pulumi CLI hands it to the program (objects as JSON text), deploy-time keys stood in. */
export function stackConfig(root: string, stack: string): Record<string, string> {
  return withDeployTimeStandIns(readStackFile(root, stack)) as Record<string, string>;
}

interface RegisterRequest {
  getName(): string;
  getDependenciesList(): string[];
}

/** A Container Apps environment's default domain as the mocked provider answers it. */
const mockDefaultDomain = (environmentName: string, location: string): string => `mock-${environmentName}.${location}.azurecontainerapps.io`;

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
    case 'azure-native:app:ContainerApp': {
      // <app>--<revision>.<the environment's default domain> (the environment's name ends its mocked id)
      const env = String(inputs['managedEnvironmentId']).split('/').pop() ?? 'environment';
      return { latestRevisionFqdn: `${String(inputs['containerAppName'])}--rev1.${mockDefaultDomain(env, String(inputs['location']))}` };
    }
    case 'azure-native:app:ManagedEnvironment':
      // an internal environment's apps resolve through a private zone of this domain to this address
      return { defaultDomain: mockDefaultDomain(String(inputs['environmentName']), String(inputs['location'])), staticIp: '10.255.0.4' };
    case 'random:index/randomPassword:RandomPassword':
      // one value per resource, so a check can tell which generated value a secret holds
      return { result: `mock-random-${name}` };
    default:
      return {};
  }
}

const NAME_KEY: Readonly<Record<string, string>> = {
  BlobContainer: 'containerName',
  StorageAccount: 'accountName',
  Server: 'serverName',
  Namespace: 'namespaceName',
  NamespaceAuthorizationRule: 'authorizationRuleName',
  AccessConnector: 'connectorName',
  ManagedEnvironment: 'environmentName',
  UserAssignedIdentity: 'resourceName',
  MetricAlert: 'ruleName',
  ScheduledQueryRule: 'ruleName',
  DiagnosticSetting: 'name',
};
/** The Azure name of a mocked resource (its `<type>Name` input), as Azure would return it in `name`. */
const nameOf = (type: string, inputs: Record<string, unknown>, fallback: string): string => {
  const t = type.split(':')[2] ?? '';
  const key = NAME_KEY[t] ?? `${t.charAt(0).toLowerCase()}${t.slice(1)}Name`;
  const v = inputs[key];
  return typeof v === 'string' ? v : fallback;
};

/** Renders a stack's program under mocks and records what it registers. */
export async function renderStack(stack: string, options: RenderOptions = {}): Promise<Rendered> {
  const root = options.root ?? findWorkspaceRoot(process.cwd());
  if (root === undefined)
    throw new StreamPulseError('INFRA_NO_WORKSPACE', `no StreamPulse workspace above ${process.cwd()}`, {
      remedy: 'run from inside the repository (a folder with pnpm-workspace.yaml above it)',
    });
  const resources: MockResource[] = [];
  const ids = new Map<string, string>();
  const states = new Map<string, Record<string, unknown>>();
  const calls: MockCall[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const inputs = args.inputs as Record<string, unknown>;
        resources.push({ type: args.type, name: args.name, inputs });
        const id = args.type.startsWith('azure-native:')
          ? `/subscriptions/${MOCK_SUBSCRIPTION}/resourceGroups/rg/providers/${args.type.split(':')[1]}/${nameOf(args.type, inputs, args.name)}`
          : `${args.name}-id`;
        const state = { ...inputs, name: nameOf(args.type, inputs, args.name), ...computed(args.type, args.name, inputs) };
        ids.set(args.name, id);
        states.set(args.name, state);
        return { id, state };
      },
      call(args) {
        const answer = (result: Record<string, unknown>): Record<string, unknown> => {
          calls.push({ token: args.token, inputs: args.inputs as Record<string, unknown>, result });
          return result;
        };
        if (args.token === 'azure-native:authorization:getClientConfig')
          return answer({ subscriptionId: MOCK_SUBSCRIPTION, tenantId: MOCK_TENANT, clientId: 'client', objectId: MOCK_DEPLOYER_OBJECT_ID });
        if (args.token === 'azure-native:eventhub:listNamespaceKeys')
          return answer({
            primaryConnectionString: `Endpoint=sb://mock.servicebus.windows.net/;SharedAccessKeyName=${String(args.inputs['authorizationRuleName'])};SharedAccessKey=MOCKKEY0000`,
          });
        // answered (so a program that asks renders) and recorded: preflight's no-shared-key check reports it
        if (args.token === 'azure-native:storage:listStorageAccountKeys')
          return answer({ keys: [{ keyName: 'key1', permissions: 'FULL', value: 'MOCKSTORAGEKEY' }] });
        calls.push({ token: args.token, inputs: args.inputs as Record<string, unknown> });
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
    dependencies.set(
      req.getName(),
      req.getDependenciesList().map((urn) => urn.slice(urn.lastIndexOf('::') + 2)),
    );
    return register(req, cb);
  };
  const config: Record<string, string> = stackConfig(root, stack);
  for (const key of SECRET_KEYS) config[`${CONFIG_NAMESPACE}:${key}`] = options.secrets?.[key] ?? SECRET_STAND_IN;
  options.configOverride?.(config);
  pulumi.runtime.setAllConfig(
    config,
    SECRET_KEYS.map((k) => `${CONFIG_NAMESPACE}:${k}`),
  );
  let outputs: Record<string, unknown>;
  if (options.program === 'main') {
    const { default: main } = await import('./main.js');
    outputs = main() as unknown as Record<string, unknown>;
  } else {
    // the steps of main.ts, with the workspace root and the clock given
    const [{ parseStackConfig }, { createEstate }] = await Promise.all([import('./config.js'), import('./program.js')]);
    const parsed = parseStackConfig(pulumi.runtime.allConfig(), pulumi.getStack());
    const set = loadContractsOrThrow(join(root, STREAMPULSE_CONTRACTS_DIR));
    const secret = new pulumi.Config(CONFIG_NAMESPACE).requireSecret('metabaseDbAdminPassword');
    outputs = createEstate(parsed, set, { metabaseDbAdminPassword: secret }, options.now === undefined ? {} : { now: options.now }) as unknown as Record<
      string,
      unknown
    >;
  }
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
  return { stack, resources, dependencies, outputs, config, ids, states, calls };
}

/** The value of an Output (or a plain value). */
export function value<T>(o: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(o).apply((v) => resolve(v as T)));
}

/** The program's outputs with every Output (at any depth) replaced by its value; secrets unwrapped. */
export async function resolveOutputs(outputs: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
  const resolve = async (v: unknown): Promise<unknown> => {
    if (pulumi.Output.isInstance(v)) return resolve(await value(v as pulumi.Output<unknown>));
    if (Array.isArray(v)) return Promise.all(v.map(resolve));
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(await Promise.all(Object.entries(v as Record<string, unknown>).map(async ([k, x]) => [k, await resolve(x)] as const)));
    return v;
  };
  return (await resolve(outputs)) as Record<string, unknown>;
}
