/**
 * The typed stack configuration. Everything that differs between environments (SKUs,
 * network isolation, retention, trigger state, …) lives in `infra/Pulumi.<stack>.yaml`
 * under the `streampulse:` namespace and is validated here, once, at program start.
 * A problem names the stack file, the key and how to fix it.
 *
 * Pure: `parseStackConfig` takes the raw key → value map (as the Pulumi CLI hands it
 * over: objects as JSON text, scalars as text) so tests can feed the stack files directly.
 */
import { z } from 'zod';
import { StreamPulseError, closest } from '@streampulse/contracts';

export const CONFIG_NAMESPACE = 'streampulse';

/** A GUID that is not a stand-in: the nil GUID and GUIDs of one repeated digit (11111111-1111-…) are placeholders. */
export const isPlaceholderGuid = (g: string): boolean => /^([0-9a-f])\1{7}-\1{4}-\1{4}-\1{4}-\1{12}$/i.test(g);
const uuid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a GUID such as 3f2a…-…')
  .refine((g) => !isPlaceholderGuid(g), 'is a placeholder GUID; set the real Entra object id');
const cidr = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'must be an IPv4 CIDR range such as 10.40.0.0/16');
/** RFC 5737 documentation ranges: a firewall that admits only these admits nobody. */
export const DOCUMENTATION_RANGES = ['192.0.2.', '198.51.100.', '203.0.113.'] as const;
const clientRange = cidr.refine(
  (r) => !DOCUMENTATION_RANGES.some((p) => r.startsWith(p)),
  'is an RFC 5737 documentation range (it admits nobody); set the real client range or remove it',
);
const email = z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must be an e-mail address');
const days = z.number().int().positive();

const networkSchema = z.strictObject({
  /** false: every service that can turns public network access off and is reached through private endpoints. */
  publicNetworkAccess: z.boolean(),
  /** Client IP ranges allowed through the service firewalls while public access is on (dev). */
  allowedIpRanges: z.array(clientRange).default([]),
  /** The spoke network: required when public network access is off or Databricks uses VNet injection. */
  vnet: z
    .strictObject({
      addressSpace: cidr,
      /** /26 or larger each; Databricks needs two delegated subnets. */
      subnets: z.strictObject({
        privateEndpoints: cidr,
        databricksHost: cidr,
        databricksContainer: cidr,
        containerApps: cidr,
      }),
    })
    .optional(),
});

const lakeSchema = z.strictObject({
  sku: z.enum(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS', 'Standard_RAGRS', 'Standard_RAGZRS']),
  /** Blobs not modified for this many days move to the cool tier (before the contract's retention deletes them). */
  coolAfterDays: days,
  /** Optional archive tier (only for data kept long enough; must be later than cool). */
  archiveAfterDays: days.optional(),
  /** Days the runtime's quality reports are kept. */
  reportsRetentionDays: days.default(400),
});

const dataFactorySchema = z.strictObject({
  /** Start the triggers the generator marks `Started` (the daily schedule). false: deploy them stopped. */
  startTriggers: z.boolean(),
  /** Parallel ingestion runs of the master pipeline (ADF allows 1..50). */
  ingestBatchCount: z.number().int().min(1).max(50).default(4),
  /** Hour (UTC) of the daily schedule. */
  scheduleHour: z.number().int().min(0).max(23).default(2),
  /** First trigger window (UTC, ISO 8601). */
  triggerStart: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, 'must be a UTC timestamp such as 2026-01-01T00:00:00Z'),
  /** Optional git integration of the factory (authoring only; the deployment is this program). */
  git: z
    .strictObject({
      accountName: z.string().min(1),
      repositoryName: z.string().min(1),
      collaborationBranch: z.string().min(1).default('main'),
      rootFolder: z.string().startsWith('/').default('/adf'),
    })
    .optional(),
});

const databricksSchema = z.strictObject({
  /** Premium is required for the access connector, secret scopes backed by Key Vault and cluster policies. */
  sku: z.literal('premium', { error: 'must be premium (Unity Catalog access connector, Key Vault-backed secret scopes)' }),
  /** Deploy the workspace into the stack's VNet (requires network.vnet). */
  vnetInjection: z.boolean(),
  /** Deploy the generated jobs with their schedules paused (dev) or running (prod). */
  jobsPaused: z.boolean(),
  sparkVersion: z.string().min(1).default('15.4.x-scala2.12'),
  nodeTypeId: z.string().min(1).default('Standard_D4ds_v5'),
  minWorkers: z.number().int().min(1).default(1),
  maxWorkers: z.number().int().min(1).default(4),
});

const eventHubsSchema = z.strictObject({
  /** Kafka needs Standard or above. */
  sku: z.enum(['Standard', 'Premium'], { error: 'must be Standard or Premium (the Kafka endpoint is not available on Basic)' }),
  capacity: z.number().int().min(1).max(40),
  partitionCount: z.number().int().min(1).max(32),
  retentionDays: z.number().int().min(1).max(90),
  /** Consumer groups created on every hub (besides $Default). */
  consumerGroups: z.array(z.string().regex(/^[a-z][a-z0-9-]{1,48}$/, 'must be lower-case letters, digits and -')).min(1),
});

const sqlSchema = z.strictObject({
  /** The Entra group that administers the server (the only way in: Entra-only authentication). */
  adminGroup: z.strictObject({ login: z.string().min(1), objectId: uuid }),
  database: z.discriminatedUnion('mode', [
    z.strictObject({
      mode: z.literal('serverless'),
      skuName: z.string().regex(/^GP_S_Gen5_\d+$/, 'serverless SKUs are GP_S_Gen5_<max vCores>, e.g. GP_S_Gen5_1'),
      /** Minutes of inactivity before the database pauses (60..10080, or -1 to never pause). */
      autoPauseDelayMinutes: z
        .number()
        .int()
        .refine((n) => n === -1 || (n >= 60 && n <= 10080), 'must be between 60 and 10080 minutes, or -1 (never pause)'),
      minCapacity: z.number().positive(),
    }),
    z.strictObject({
      mode: z.literal('provisioned'),
      /** A fixed SKU, e.g. S2 or GP_Gen5_2. */
      skuName: z.string().min(1),
    }),
  ]),
  maxSizeGb: z.number().int().min(1).max(4096),
});

/** Metabase settings the component sets itself (the application database; the encryption key, from Key Vault): a stack may not set them. */
export const METABASE_RESERVED_SETTINGS: readonly RegExp[] = [/^MB_DB_/, /^MB_ENCRYPTION_SECRET_KEY$/];

const metabaseSchema = z.strictObject({
  image: z.string().regex(/^[\w./-]+:[\w.-]+$/, 'must be an image reference with a pinned tag, e.g. metabase/metabase:v0.56.9'),
  cpu: z.number().positive(),
  memory: z.string().regex(/^\d+(\.\d+)?Gi$/, 'must be a size in Gi, e.g. 2Gi'),
  minReplicas: z.number().int().min(0).default(1),
  maxReplicas: z.number().int().min(1).default(1),
  /** The application database (PostgreSQL flexible server). */
  appDb: z.strictObject({ skuName: z.string().min(1), tier: z.enum(['Burstable', 'GeneralPurpose', 'MemoryOptimized']), storageGb: z.number().int().min(32) }),
  /** Extra MB_* environment settings (no secrets: those come from Key Vault). */
  settings: z.record(z.string().regex(/^MB_[A-Z0-9_]+$/, 'Metabase settings are MB_* variables'), z.string()).default({}),
});

const observabilitySchema = z.strictObject({
  logRetentionDays: z.number().int().min(30).max(730),
  alertEmails: z.array(email).min(1),
  budget: z.strictObject({
    amount: z.number().positive(),
    /** First day of the first budget month; default: the current month at deploy (Azure requires a start inside the current grain). */
    startDate: z
      .string()
      .regex(/^\d{4}-\d{2}-01$/, 'must be the first day of a month, e.g. 2026-01-01')
      .optional(),
    /** Percentages of the amount that notify (actual spend). */
    thresholds: z.array(z.number().positive().max(1000)).min(1),
  }),
});

/** The `streampulse:*` keys of a stack file. */
export const stackConfigSchema = z
  .strictObject({
    env: z.enum(['dev', 'prod']),
    location: z.string().regex(/^[a-z0-9]+$/, 'must be an Azure region name such as westeurope'),
    /** Short prefix of every resource name (3–8 lower-case letters/digits). */
    namePrefix: z.string().regex(/^[a-z][a-z0-9]{2,7}$/, 'must be 3–8 lower-case letters and digits, starting with a letter'),
    owner: email,
    costCenter: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and -'),
    network: networkSchema,
    lake: lakeSchema,
    dataFactory: dataFactorySchema,
    databricks: databricksSchema,
    eventHubs: eventHubsSchema,
    sql: sqlSchema,
    metabase: metabaseSchema,
    observability: observabilitySchema,
  })
  .superRefine((c, ctx) => {
    if (!c.network.publicNetworkAccess && c.network.vnet === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['network', 'vnet'],
        message: 'is required when network.publicNetworkAccess is false (private endpoints live in it)',
      });
    if (c.databricks.vnetInjection && c.network.vnet === undefined)
      ctx.addIssue({ code: 'custom', path: ['network', 'vnet'], message: 'is required when databricks.vnetInjection is true' });
    if (!c.network.publicNetworkAccess && !c.databricks.vnetInjection)
      ctx.addIssue({
        code: 'custom',
        path: ['databricks', 'vnetInjection'],
        message: 'must be true when network.publicNetworkAccess is false (a private workspace needs VNet injection)',
      });
    if (c.lake.archiveAfterDays !== undefined && c.lake.archiveAfterDays <= c.lake.coolAfterDays)
      ctx.addIssue({ code: 'custom', path: ['lake', 'archiveAfterDays'], message: `must be greater than lake.coolAfterDays (${c.lake.coolAfterDays})` });
    if (c.databricks.maxWorkers < c.databricks.minWorkers)
      ctx.addIssue({ code: 'custom', path: ['databricks', 'maxWorkers'], message: `must be at least databricks.minWorkers (${c.databricks.minWorkers})` });
    for (const k of Object.keys(c.metabase.settings))
      if (METABASE_RESERVED_SETTINGS.some((r) => r.test(k)))
        ctx.addIssue({
          code: 'custom',
          path: ['metabase', 'settings', k],
          message: 'is set by the Metabase component (the application database; the encryption key, from Key Vault): remove it from the stack file',
        });
    if (c.metabase.maxReplicas < c.metabase.minReplicas)
      ctx.addIssue({ code: 'custom', path: ['metabase', 'maxReplicas'], message: `must be at least metabase.minReplicas (${c.metabase.minReplicas})` });
  });

export type StackConfig = z.infer<typeof stackConfigSchema>;

/** Stack secrets: set with `pulumi config set --secret`, never in plain text in a stack file; read as Pulumi secrets. */
export const SECRET_KEYS = ['metabaseDbAdminPassword'] as const;

/**
 * Keys that are not in the stack files but set by the deploy workflow before `pulumi up`
 * (`pulumi config set --path`), from a repository variable of the GitHub environment:
 * tenant-specific ids that must never be committed as placeholders.
 */
export const DEPLOY_TIME_KEYS = [
  {
    path: 'sql.adminGroup.objectId',
    variable: 'SQL_ADMIN_GROUP_OBJECT_ID',
    what: 'the Entra object id of the SQL admin group (streampulse:sql.adminGroup.login)',
  },
] as const;
export const STACK_CONFIG_KEYS = Object.keys(stackConfigSchema.shape) as readonly (keyof StackConfig)[];

/**
 * The raw config with every missing deploy-time key set to a stand-in (what the mock tests
 * and `streampulse preflight` use in place of the repository variable). The stand-in is a
 * well-formed, non-placeholder GUID that says what it is in its last group.
 */
export const DEPLOY_TIME_STAND_IN = '5a5a5a5a-0000-4000-8000-0000deadbeef';
export function withDeployTimeStandIns(raw: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  for (const k of DEPLOY_TIME_KEYS) {
    const [top, ...rest] = k.path.split('.');
    const key = `${CONFIG_NAMESPACE}:${top!}`;
    const value = out[key];
    const doc = (typeof value === 'string' ? (decode(value) as unknown) : value) as Record<string, unknown> | undefined;
    if (doc === undefined || typeof doc !== 'object') continue;
    const copy = structuredClone(doc);
    let at: Record<string, unknown> = copy;
    for (const p of rest.slice(0, -1)) {
      const next = at[p];
      if (next === null || typeof next !== 'object') break;
      at = next as Record<string, unknown>;
    }
    const leaf = rest[rest.length - 1]!;
    if (at[leaf] === undefined) at[leaf] = DEPLOY_TIME_STAND_IN;
    out[key] = typeof value === 'string' ? JSON.stringify(copy) : copy;
  }
  return out;
}

/** Thrown when a stack file does not validate; lists every problem. */
export class StackConfigError extends StreamPulseError {
  constructor(
    readonly stackName: string,
    readonly problems: readonly string[],
  ) {
    super(
      'INFRA_CONFIG_INVALID',
      `${problems.length} problem(s) in the configuration of stack '${stackName}' (${stackFile(stackName)}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      {
        remedy: `Edit ${stackFile(stackName)} (or run \`pulumi config set --path '${CONFIG_NAMESPACE}:<key>' <value> --stack ${stackName}\`); the keys and their meaning are documented in infra/README.md and infra/src/config.ts.`,
      },
    );
    this.name = 'StackConfigError';
  }
}

export const stackFile = (stack: string): string => `infra/Pulumi.${stack}.yaml`;

/** A config value as the Pulumi CLI hands it over: JSON for objects, arrays, numbers and booleans; text otherwise. */
function decode(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  const t = raw.trim();
  if (t.startsWith('{') || t.startsWith('[') || t === 'true' || t === 'false' || /^-?\d+(\.\d+)?$/.test(t)) {
    try {
      return JSON.parse(t);
    } catch {
      return raw;
    }
  }
  return raw;
}

/**
 * Validates the raw config of a stack. `raw` maps full keys (`streampulse:env`,
 * `azure-native:location`, …) to values; keys of other namespaces are ignored.
 */
export function parseStackConfig(raw: Readonly<Record<string, unknown>>, stack: string): StackConfig {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (!key.startsWith(prefix)) continue;
    const name = key.slice(prefix.length);
    if ((SECRET_KEYS as readonly string[]).includes(name)) continue;
    if (!(STACK_CONFIG_KEYS as readonly string[]).includes(name)) {
      const guess = closest(name, STACK_CONFIG_KEYS);
      problems.push(
        `${key}: unknown key${guess === undefined ? '' : ` (did you mean ${prefix}${guess}?)`}; the known keys are ${STACK_CONFIG_KEYS.map((k) => prefix + k).join(', ')}`,
      );
      continue;
    }
    values[name] = decode(value);
  }
  for (const secret of SECRET_KEYS)
    if (raw[prefix + secret] === undefined)
      problems.push(
        `${prefix}${secret}: is missing; it is a secret: set it with \`pulumi config set --secret ${prefix}${secret} <value> --stack ${stack}\` (the deploy workflow does this from a repository secret)`,
      );
  const parsed = stackConfigSchema.safeParse(values);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')
        .replace(/^\./, '');
      let at: unknown = values;
      for (const p of issue.path) at = at !== null && typeof at === 'object' ? (at as Record<PropertyKey, unknown>)[p as PropertyKey] : undefined;
      const missing = issue.code === 'invalid_type' && at === undefined;
      const deployTime = DEPLOY_TIME_KEYS.find((k) => k.path === path);
      if (missing && deployTime !== undefined) {
        problems.push(
          `${prefix}${path}: is missing; it is ${deployTime.what}, set at deploy: \`pulumi config set --path '${prefix}${path}' <value> --stack ${stack}\` (deploy.yml does this from the repository variable ${deployTime.variable})`,
        );
        continue;
      }
      problems.push(
        `${prefix}${path || '(root)'}: ${missing ? `is missing (required: ${issue.message.replace(/, received undefined$/, '')})` : issue.message}`,
      );
    }
  }
  if (problems.length > 0) throw new StackConfigError(stack, problems);
  const config = parsed.data!;
  if (config.env !== stack)
    throw new StackConfigError(stack, [`${prefix}env: is '${config.env}' but the stack is '${stack}'; a stack deploys the environment it is named after`]);
  return config;
}
