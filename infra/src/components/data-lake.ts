/**
 * DataLake: the ADLS Gen2 account (StorageV2, hierarchical namespace) with one
 * container per layer, the blob account the source systems drop their files into,
 * and the lifecycle rules derived from the contracts' retention.
 *
 * Hardening: no public blob access, TLS 1.2, HTTPS only, shared-key access off
 * (every client — Data Factory, Databricks' access connector, the runtime — uses Entra
 * identities), OAuth by default in the portal, public network access per stack.
 *
 * Lifecycle (per dataset, from `retention` of its contract; datasets with the same
 * numbers share a rule, at most 10 prefixes per rule):
 *   landing/<folder>/     cool after lake.coolAfterDays, archive after lake.archiveAfterDays
 *                         (when sooner than deletion), delete after retention.landing_days
 *   bronze|silver|quarantine/<dataset>/
 *                         cool after lake.coolAfterDays only. These are Delta tables: a
 *                         lifecycle delete (or archive) of a data file the Delta log still
 *                         references corrupts the table, so deletion after bronze_days /
 *                         silver_days / quarantine_days is the runtime's job (DELETE +
 *                         VACUUM); the days are exported per dataset for it.
 *   reports/              delete after lake.reportsRetentionDays
 *   source-drop (source account): delete after the longest landing retention
 */
import * as pulumi from '@pulumi/pulumi';
import * as storage from '@pulumi/azure-native/storage/index.js';
import type * as types from '@pulumi/azure-native/types/index.js';
import type { ContractSet } from '@streampulse/contracts';
import { LAKE_FILE_SYSTEMS, type LakeFileSystem } from '@streampulse/jobs';
import { NAMES } from '@streampulse/pipelines';
import type { StackConfig } from '../config.js';
import { type Estate, diagnostics, privateEndpoint, publicAccess } from '../context.js';

/** The lake's containers (ADLS file systems): one per layer, plus reports, serving extracts and control (the ADF manifest) — the runtime's and the factory's layout (`@streampulse/jobs` LAKE_FILE_SYSTEMS). */
export const LAKE_CONTAINERS = LAKE_FILE_SYSTEMS;

type Rule = types.input.storage.ManagementPolicyRuleArgs;

/** The landing folder of a dataset: its landing path up to the `{date}` part. */
export function landingPrefix(landingPath: string): string {
  const i = landingPath.indexOf('{date}');
  return `${landingPath.slice(0, i).replace(/\/+$/, '')}/`;
}

/** Per-dataset retention the runtime enforces on the Delta layers (exported as a stack output). */
export function deltaRetention(set: ContractSet): Record<string, { bronzeDays: number; silverDays: number; quarantineDays: number }> {
  return Object.fromEntries(
    set.datasets.map((d) => [
      d.dataset,
      { bronzeDays: d.retention.bronze_days, silverDays: d.retention.silver_days, quarantineDays: d.retention.quarantine_days },
    ]),
  );
}

/** The lake's lifecycle rules (pure: contracts + lake config in, rules out). */
export function lifecycleRules(set: ContractSet, lake: StackConfig['lake']): Rule[] {
  const rules: Rule[] = [];
  const groups = new Map<string, { key: string; actions: types.input.storage.ManagementPolicyBaseBlobArgs; prefixes: string[] }>();
  const add = (key: string, actions: types.input.storage.ManagementPolicyBaseBlobArgs, prefix: string): void => {
    const g = groups.get(key) ?? { key, actions, prefixes: [] };
    g.prefixes.push(prefix);
    groups.set(key, g);
  };
  const after = (days: number): types.input.storage.DateAfterModificationArgs => ({ daysAfterModificationGreaterThan: days });
  for (const d of [...set.datasets].sort((a, b) => (a.dataset < b.dataset ? -1 : 1))) {
    const keep = d.retention.landing_days;
    const landing: types.input.storage.ManagementPolicyBaseBlobArgs = {
      ...(lake.coolAfterDays < keep ? { tierToCool: after(lake.coolAfterDays) } : {}),
      ...(lake.archiveAfterDays !== undefined && lake.archiveAfterDays < keep ? { tierToArchive: after(lake.archiveAfterDays) } : {}),
      delete: after(keep),
    };
    add(`landing-${keep}d`, landing, `landing/${landingPrefix(d.source.landing_path)}`);
    for (const layer of ['bronze', 'silver', 'quarantine'] as const) add(`${layer}-cool`, { tierToCool: after(lake.coolAfterDays) }, `${layer}/${d.dataset}/`);
  }
  for (const g of [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    for (let i = 0; i < g.prefixes.length; i += 10) {
      const chunk = g.prefixes.slice(i, i + 10);
      rules.push({
        name: g.prefixes.length > 10 ? `${g.key}-${i / 10 + 1}` : g.key,
        enabled: true,
        type: 'Lifecycle',
        definition: { filters: { blobTypes: ['blockBlob'], prefixMatch: chunk }, actions: { baseBlob: g.actions } },
      });
    }
  }
  rules.push({
    name: 'reports-delete',
    enabled: true,
    type: 'Lifecycle',
    definition: { filters: { blobTypes: ['blockBlob'], prefixMatch: ['reports/'] }, actions: { baseBlob: { delete: after(lake.reportsRetentionDays) } } },
  });
  return rules;
}

export class DataLake extends pulumi.ComponentResource {
  readonly account: storage.StorageAccount;
  readonly sourceAccount: storage.StorageAccount;
  readonly accountName: string;
  readonly sourceAccountName: string;
  readonly containers: Readonly<Record<LakeFileSystem, storage.BlobContainer>>;
  readonly dfsEndpoint: string;

  /**
   * `trustedResources`: Azure resources admitted through the lake's firewall by resource
   * instance (`networkRuleSet.resourceAccessRules`) — the Databricks access connector, so
   * Unity Catalog reaches the lake whatever the firewall's IP rules say.
   */
  constructor(name: string, e: Estate, props: { readonly trustedResources?: readonly pulumi.Input<string>[] } = {}, opts?: pulumi.ComponentResourceOptions) {
    super('streampulse:infra:DataLake', name, {}, opts);
    const c = e.config;
    const parent = { parent: this };
    const trusted = props.trustedResources ?? [];
    const hardened = (accountName: string, hns: boolean): storage.StorageAccountArgs => ({
      resourceGroupName: e.resourceGroupName,
      location: e.location,
      accountName,
      kind: 'StorageV2',
      sku: { name: c.lake.sku },
      accessTier: 'Hot',
      isHnsEnabled: hns,
      minimumTlsVersion: 'TLS1_2',
      enableHttpsTrafficOnly: true,
      allowBlobPublicAccess: false,
      allowSharedKeyAccess: false,
      defaultToOAuthAuthentication: true,
      allowCrossTenantReplication: false,
      publicNetworkAccess: publicAccess(e),
      networkRuleSet: {
        bypass: 'AzureServices',
        defaultAction: !c.network.publicNetworkAccess || c.network.allowedIpRanges.length > 0 ? 'Deny' : 'Allow',
        ipRules: c.network.allowedIpRanges.map((iPAddressOrRange) => ({ iPAddressOrRange, action: 'Allow' })),
        ...(hns && trusted.length > 0 ? { resourceAccessRules: trusted.map((resourceId) => ({ tenantId: e.tenantId, resourceId })) } : {}),
      },
      tags: e.tags(),
    });
    this.accountName = e.names.lakeAccount;
    this.sourceAccountName = e.names.sourceAccount;
    this.account = new storage.StorageAccount(`${name}-lake`, hardened(this.accountName, true), parent);
    this.sourceAccount = new storage.StorageAccount(`${name}-source`, hardened(this.sourceAccountName, false), parent);
    this.dfsEndpoint = `https://${this.accountName}.dfs.core.windows.net/`;

    const containers: Partial<Record<LakeFileSystem, storage.BlobContainer>> = {};
    for (const layer of LAKE_CONTAINERS) {
      containers[layer] = new storage.BlobContainer(
        `${name}-${layer}`,
        { resourceGroupName: e.resourceGroupName, accountName: this.account.name, containerName: layer, publicAccess: 'None' },
        parent,
      );
    }
    this.containers = containers as Record<LakeFileSystem, storage.BlobContainer>;
    new storage.BlobContainer(
      `${name}-source-drop`,
      { resourceGroupName: e.resourceGroupName, accountName: this.sourceAccount.name, containerName: NAMES.sourceContainer, publicAccess: 'None' },
      parent,
    );

    new storage.ManagementPolicy(
      `${name}-lake-lifecycle`,
      {
        resourceGroupName: e.resourceGroupName,
        accountName: this.account.name,
        managementPolicyName: 'default',
        policy: { rules: lifecycleRules(e.set, c.lake) },
      },
      parent,
    );
    const longestLanding = Math.max(...e.set.datasets.map((d) => d.retention.landing_days));
    new storage.ManagementPolicy(
      `${name}-source-lifecycle`,
      {
        resourceGroupName: e.resourceGroupName,
        accountName: this.sourceAccount.name,
        managementPolicyName: 'default',
        policy: {
          rules: [
            {
              name: 'source-drop-delete',
              enabled: true,
              type: 'Lifecycle',
              definition: {
                filters: { blobTypes: ['blockBlob'], prefixMatch: [`${NAMES.sourceContainer}/`] },
                actions: { baseBlob: { delete: { daysAfterModificationGreaterThan: longestLanding } } },
              },
            },
          ],
        },
      },
      parent,
    );

    privateEndpoint(e, 'lake-dfs', { resourceId: this.account.id, groupId: 'dfs', zone: 'privatelink.dfs.core.windows.net' }, this);
    privateEndpoint(e, 'lake-blob', { resourceId: this.account.id, groupId: 'blob', zone: 'privatelink.blob.core.windows.net' }, this);
    privateEndpoint(e, 'source-blob', { resourceId: this.sourceAccount.id, groupId: 'blob', zone: 'privatelink.blob.core.windows.net' }, this);
    diagnostics(e, `${name}-lake`, this.account.id, this, { logs: false });
    diagnostics(e, `${name}-lake-blob`, pulumi.interpolate`${this.account.id}/blobServices/default`, this);
    diagnostics(e, `${name}-source-blob`, pulumi.interpolate`${this.sourceAccount.id}/blobServices/default`, this);
    this.registerOutputs({ accountName: this.accountName, sourceAccountName: this.sourceAccountName });
  }
}
