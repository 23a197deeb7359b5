/**
 * What every component gets: the validated stack config, the contracts and the job
 * plan (the single source of truth), names, tags, and the shared helpers that attach
 * a resource to the estate's cross-cutting concerns — diagnostics into Log Analytics,
 * least-privilege role assignments, private endpoints.
 */
import * as pulumi from '@pulumi/pulumi';
import * as authorization from '@pulumi/azure-native/authorization/index.js';
import * as monitor from '@pulumi/azure-native/monitor/index.js';
import * as network from '@pulumi/azure-native/network/index.js';
import type { ContractSet } from '@streampulse/contracts';
import type { JobPlan } from '@streampulse/jobs';
import type { StackConfig } from './config.js';
import { type Naming, type RoleName, type Tags, ROLES, stableGuid } from './naming.js';

export interface PrivateNetwork {
  readonly vnetId: pulumi.Output<string>;
  readonly privateEndpointSubnetId: pulumi.Output<string>;
  readonly databricksHostSubnetName: string;
  readonly databricksContainerSubnetName: string;
  readonly containerAppsSubnetId: pulumi.Output<string>;
  /** Private DNS zone id per private-link zone name (privatelink.dfs.core.windows.net, …). */
  readonly zoneId: (zone: string) => pulumi.Output<string>;
}

export interface Estate {
  readonly config: StackConfig;
  readonly set: ContractSet;
  readonly plan: JobPlan;
  readonly names: Naming;
  readonly location: string;
  readonly resourceGroupName: pulumi.Output<string>;
  readonly resourceGroupId: pulumi.Output<string>;
  readonly subscriptionId: pulumi.Output<string>;
  readonly tenantId: pulumi.Output<string>;
  /** Tags of a resource serving the given data domain(s) (default: every domain of the contracts). */
  readonly tags: (dataDomain?: string) => Tags;
  /** Set once the private network exists (stacks with network.vnet). */
  readonly network: PrivateNetwork | undefined;
  /** Set once Observability exists. */
  logAnalyticsWorkspaceId: pulumi.Output<string> | undefined;
  /** The deploy's clock (budget start). */
  readonly now: Date;
}

/** `Enabled` / `Disabled` from the stack's network.publicNetworkAccess. */
export const publicAccess = (e: Estate): 'Enabled' | 'Disabled' => (e.config.network.publicNetworkAccess ? 'Enabled' : 'Disabled');

/** Sends every log (category group allLogs) and every metric of a resource to the estate's Log Analytics workspace. */
export function diagnostics(
  e: Estate,
  name: string,
  resourceUri: pulumi.Input<string>,
  parent: pulumi.Resource,
  options: { readonly dedicated?: boolean; readonly metrics?: boolean; readonly logs?: boolean } = {},
): monitor.DiagnosticSetting {
  if (e.logAnalyticsWorkspaceId === undefined) throw new Error('diagnostics(): Observability must be created before the other components');
  return new monitor.DiagnosticSetting(
    `${name}-diag`,
    {
      name: 'to-log-analytics',
      resourceUri,
      workspaceId: e.logAnalyticsWorkspaceId,
      ...(options.dedicated === true ? { logAnalyticsDestinationType: 'Dedicated' } : {}),
      ...(options.logs === false ? {} : { logs: [{ categoryGroup: 'allLogs', enabled: true }] }),
      ...(options.metrics === false ? {} : { metrics: [{ category: 'AllMetrics', enabled: true }] }),
    },
    { parent },
  );
}

/** A role assignment with a stable GUID name: `principal` gets `role` on `scope` (least privilege: the narrowest scope that works). */
export function grant(
  e: Estate,
  name: string,
  args: {
    readonly scope: pulumi.Input<string>;
    readonly principalId: pulumi.Input<string>;
    readonly role: RoleName;
    readonly principalType: 'ServicePrincipal' | 'Group';
    readonly description: string;
  },
  parent: pulumi.Resource,
): authorization.RoleAssignment {
  return new authorization.RoleAssignment(
    `${name}-role`,
    {
      roleAssignmentName: stableGuid(e.config.env, name, args.role),
      scope: args.scope,
      principalId: args.principalId,
      principalType: args.principalType,
      description: args.description,
      roleDefinitionId: pulumi.interpolate`/subscriptions/${e.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${ROLES[args.role]}`,
    },
    { parent },
  );
}

/** A private endpoint and its DNS registration (what a client inside the VNet resolves the service to). */
export interface PrivateAccess {
  readonly endpoint: network.PrivateEndpoint;
  readonly dnsZoneGroup: network.PrivateDnsZoneGroup;
}

/** A private endpoint of a resource in the private-endpoint subnet, registered in its private DNS zone. No-op without a private network. */
export function privateEndpoint(
  e: Estate,
  name: string,
  args: { readonly resourceId: pulumi.Input<string>; readonly groupId: string; readonly zone: string },
  parent: pulumi.Resource,
): PrivateAccess | undefined {
  const net = e.network;
  if (net === undefined) return undefined;
  const pe = new network.PrivateEndpoint(
    `${name}-pe`,
    {
      resourceGroupName: e.resourceGroupName,
      location: e.location,
      privateEndpointName: `pe-${name}-${e.config.env}`,
      subnet: { id: net.privateEndpointSubnetId },
      privateLinkServiceConnections: [{ name: `${name}-${args.groupId}`, privateLinkServiceId: args.resourceId, groupIds: [args.groupId] }],
      tags: e.tags(),
    },
    { parent },
  );
  const dnsZoneGroup = new network.PrivateDnsZoneGroup(
    `${name}-pe-dns`,
    {
      resourceGroupName: e.resourceGroupName,
      privateEndpointName: pe.name,
      privateDnsZoneGroupName: 'default',
      privateDnsZoneConfigs: [{ name: args.zone.replace(/\./g, '-'), privateDnsZoneId: net.zoneId(args.zone) }],
    },
    { parent },
  );
  return { endpoint: pe, dnsZoneGroup };
}
