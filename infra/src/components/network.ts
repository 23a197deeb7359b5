/**
 * Network: the spoke VNet of a stack with network isolation — a subnet for private
 * endpoints, the two delegated subnets Databricks VNet injection needs (with their
 * NSG), a delegated subnet for the Container Apps environment, and the private DNS
 * zones (linked to the VNet) the private endpoints register in.
 *
 * Outbound: every subnet has `defaultOutboundAccess: false` (Azure retires default
 * outbound access), so the Databricks subnets get an explicit path — a NAT gateway with a
 * static public IP (Standard SKU). VNet-injected clusters with secure cluster
 * connectivity (no public IP) need it to reach the control plane's relay and artifact
 * repositories ("Deploy Azure Databricks in your Azure virtual network": egress through a
 * NAT gateway). The lake, Key Vault, SQL and Event Hubs stay on private endpoints.
 */
import * as pulumi from '@pulumi/pulumi';
import * as network from '@pulumi/azure-native/network/index.js';
import * as privatedns from '@pulumi/azure-native/privatedns/index.js';
import type { Estate, PrivateNetwork } from '../context.js';

/** Private-link DNS zones of the services the estate reaches privately. */
export const PRIVATE_DNS_ZONES = [
  'privatelink.dfs.core.windows.net',
  'privatelink.blob.core.windows.net',
  'privatelink.vaultcore.azure.net',
  'privatelink.database.windows.net',
  'privatelink.servicebus.windows.net',
  'privatelink.postgres.database.azure.com',
  'privatelink.azuredatabricks.net',
  'privatelink.datafactory.azure.net',
] as const;

export class Network extends pulumi.ComponentResource implements PrivateNetwork {
  readonly vnet: network.VirtualNetwork;
  readonly vnetId: pulumi.Output<string>;
  readonly privateEndpointSubnetId: pulumi.Output<string>;
  readonly containerAppsSubnetId: pulumi.Output<string>;
  readonly databricksHostSubnetName: string;
  readonly databricksContainerSubnetName: string;
  /** The Databricks subnets' outbound path. */
  readonly natGateway: network.NatGateway;
  private readonly zones = new Map<string, privatedns.PrivateZone>();

  constructor(name: string, e: Estate, opts?: pulumi.ComponentResourceOptions) {
    super('streampulse:infra:Network', name, {}, opts);
    const vnetConfig = e.config.network.vnet;
    if (vnetConfig === undefined) throw new Error('Network needs streampulse:network.vnet');
    const parent = { parent: this };
    const rg = e.resourceGroupName;
    this.vnet = new network.VirtualNetwork(
      `${name}-vnet`,
      {
        resourceGroupName: rg,
        location: e.location,
        virtualNetworkName: e.names.dashed('vnet'),
        addressSpace: { addressPrefixes: [vnetConfig.addressSpace] },
        tags: e.tags(),
      },
      parent,
    );
    this.vnetId = this.vnet.id;
    const nsg = new network.NetworkSecurityGroup(
      `${name}-dbw-nsg`,
      { resourceGroupName: rg, location: e.location, networkSecurityGroupName: e.names.dashed('nsg-dbw'), tags: e.tags() },
      parent,
    );
    const subnet = (key: string, prefix: string, extra: Partial<network.SubnetArgs>): network.Subnet =>
      new network.Subnet(
        `${name}-${key}`,
        { resourceGroupName: rg, virtualNetworkName: this.vnet.name, subnetName: `snet-${key}`, addressPrefix: prefix, defaultOutboundAccess: false, ...extra },
        { parent: this, dependsOn: [this.vnet] },
      );
    const s = vnetConfig.subnets;
    const pe = subnet('private-endpoints', s.privateEndpoints, { privateEndpointNetworkPolicies: 'Enabled' });
    const dbwDelegation = [{ name: 'databricks', serviceName: 'Microsoft.Databricks/workspaces' }];
    const egressIp = new network.PublicIPAddress(
      `${name}-nat-ip`,
      {
        resourceGroupName: rg,
        location: e.location,
        publicIpAddressName: e.names.dashed('pip-nat'),
        sku: { name: 'Standard', tier: 'Regional' },
        publicIPAllocationMethod: 'Static',
        publicIPAddressVersion: 'IPv4',
        tags: e.tags(),
      },
      parent,
    );
    this.natGateway = new network.NatGateway(
      `${name}-nat`,
      {
        resourceGroupName: rg,
        location: e.location,
        natGatewayName: e.names.dashed('nat'),
        sku: { name: 'Standard' },
        idleTimeoutInMinutes: 10,
        publicIpAddresses: [{ id: egressIp.id }],
        tags: e.tags(),
      },
      parent,
    );
    const egress = { natGateway: { id: this.natGateway.id } };
    subnet('dbw-host', s.databricksHost, { networkSecurityGroup: { id: nsg.id }, delegations: dbwDelegation, ...egress });
    subnet('dbw-container', s.databricksContainer, { networkSecurityGroup: { id: nsg.id }, delegations: dbwDelegation, ...egress });
    const aca = subnet('container-apps', s.containerApps, { delegations: [{ name: 'container-apps', serviceName: 'Microsoft.App/environments' }] });
    this.privateEndpointSubnetId = pe.id;
    this.containerAppsSubnetId = aca.id;
    this.databricksHostSubnetName = 'snet-dbw-host';
    this.databricksContainerSubnetName = 'snet-dbw-container';
    for (const zone of PRIVATE_DNS_ZONES) {
      const key = zone.replace(/^privatelink\./, '').replace(/\./g, '-');
      const z = new privatedns.PrivateZone(`${name}-dns-${key}`, { resourceGroupName: rg, location: 'global', privateZoneName: zone, tags: e.tags() }, parent);
      new privatedns.VirtualNetworkLink(
        `${name}-dns-${key}-link`,
        {
          resourceGroupName: rg,
          location: 'global',
          privateZoneName: z.name,
          virtualNetworkLinkName: e.names.dashed('vnet'),
          virtualNetwork: { id: this.vnet.id },
          registrationEnabled: false,
          tags: e.tags(),
        },
        parent,
      );
      this.zones.set(zone, z);
    }
    this.registerOutputs({ vnetId: this.vnetId });
  }

  zoneId(zone: string): pulumi.Output<string> {
    const z = this.zones.get(zone);
    if (z === undefined) throw new Error(`no private DNS zone '${zone}' (known: ${[...this.zones.keys()].join(', ')})`);
    return z.id;
  }
}
