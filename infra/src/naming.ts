/**
 * Resource names and tags. Names are deterministic (not auto-named) because the
 * generated artifacts refer to them: the Data Factory linked services name the lake
 * account and the Key Vault, the Databricks jobs name the storage root.
 */
import { createHash } from 'node:crypto';
import type { ContractSet } from '@streampulse/contracts';
import type { StackConfig } from './config.js';

/** The four tags every taggable resource carries (policy-checked). */
export const REQUIRED_TAGS = ['env', 'owner', 'cost-center', 'data-domain'] as const;
export type Tags = Readonly<Record<(typeof REQUIRED_TAGS)[number] | 'managed-by' | 'project', string>>;

export interface Naming {
  readonly env: string;
  /** `<prefix>-<concern>-<env>`, for names that allow dashes. */
  readonly dashed: (concern: string) => string;
  /** `<prefix><concern><env>`, lower-case letters and digits only, at most `max` characters (storage accounts: 24). */
  readonly compact: (concern: string, max?: number) => string;
  readonly resourceGroup: string;
  readonly lakeAccount: string;
  readonly sourceAccount: string;
  readonly keyVault: string;
  /** The Data Factory's name: also its system-assigned identity's Entra display name (the SQL loader user). */
  readonly dataFactory: string;
  /** Metabase's user-assigned identity: its Entra display name (the SQL reader user). */
  readonly metabaseIdentity: string;
}

/** Logical names of the secrets the program generates (`random.RandomPassword`): preflight tells them apart by these. */
export const RANDOM_SECRETS = { piiSalt: 'pii-salt', metabaseEncryptionKey: 'metabase-encryption-key' } as const;

/** The factory name is `adf-<prefix>` + the generator's `-<env>` suffix (`@streampulse/pipelines` appends the environment). */
export const FACTORY_BASE_PREFIX = 'adf-';

/**
 * The Entra principals of the serving database (`CREATE USER … FROM EXTERNAL PROVIDER`):
 * the one source of truth for infra's components, `streampulse generate`, `sql apply`
 * and preflight, so the migrations always name what the stack creates.
 */
export function servingPrincipals(config: Pick<StackConfig, 'namePrefix' | 'env'>): { readonly metabase: string; readonly dataFactory: string } {
  const n = naming(config);
  return { metabase: n.metabaseIdentity, dataFactory: n.dataFactory };
}

export function naming(config: Pick<StackConfig, 'namePrefix' | 'env'>): Naming {
  const { namePrefix: p, env } = config;
  const dashed = (concern: string): string => `${p}-${concern}-${env}`;
  const compact = (concern: string, max = 24): string => {
    const n = `${p}${concern}${env}`.replace(/[^a-z0-9]/g, '');
    if (n.length > max) throw new Error(`name '${n}' is longer than ${max} characters; shorten streampulse:namePrefix`);
    return n;
  };
  const storageName = (n: string): string => {
    if (n.length > 24) throw new Error(`storage account name '${n}' is longer than 24 characters; shorten streampulse:namePrefix`);
    return n;
  };
  return {
    env,
    dashed,
    compact,
    resourceGroup: `rg-${p}-${env}`,
    lakeAccount: storageName(`st${p}lake${env}`),
    sourceAccount: storageName(`st${p}src${env}`),
    keyVault: `kv-${p}-${env}`,
    dataFactory: `${FACTORY_BASE_PREFIX}${p}-${env}`,
    metabaseIdentity: dashed('id-metabase'),
  };
}

/** The data domains a set of contracts serves, as a tag value (`content+engagement+…`). */
export function dataDomains(set: ContractSet): string {
  const domains = new Set<string>();
  for (const c of [...set.datasets, ...set.models, ...set.marts]) domains.add(c.domain);
  return [...domains].sort().join('+');
}

/** The tags of a resource: env, owner and cost center from the stack; the data domain(s) it serves. */
export function tags(config: Pick<StackConfig, 'env' | 'owner' | 'costCenter'>, dataDomain: string): Tags {
  return { env: config.env, owner: config.owner, 'cost-center': config.costCenter, 'data-domain': dataDomain, project: 'streampulse', 'managed-by': 'pulumi' };
}

/** A deterministic GUID (name-based, RFC 4122 version 5 layout) — role assignment names must be GUIDs and stable across runs. */
export function stableGuid(...parts: string[]): string {
  const h = createHash('sha1').update(parts.join('\u0000')).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** Built-in Azure role definition ids (GUIDs are the same in every tenant). */
export const ROLES = {
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  eventHubsDataReceiver: 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde',
  eventHubsDataSender: '2b629674-e913-4c01-ae53-ef4638d8f975',
} as const;
export type RoleName = keyof typeof ROLES;
