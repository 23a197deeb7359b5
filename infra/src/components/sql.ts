/**
 * Sql: the logical server with Microsoft Entra-only authentication (the stack's admin
 * group is the administrator; no SQL logins, no password anywhere), TLS 1.2, public
 * network access per stack; the serving database — serverless with auto-pause (dev) or
 * a fixed SKU (prod) — and its network access: firewall rules for the stack's client
 * ranges plus Azure services while public (dev), a private endpoint otherwise (prod).
 *
 * The Data Factory linked service reads the serving connection string from Key Vault
 * (`NAMES.sqlSecretName`); it authenticates with the factory's managed identity, so the
 * string holds no credential. The database users of the identities are created by the
 * serving migrations, which `SqlMigrations` applies after this component's server (its
 * Entra admin), database and network access (`networkAccess`) exist.
 */
import * as pulumi from '@pulumi/pulumi';
import * as sql from '@pulumi/azure-native/sql/index.js';
import { NAMES } from '@streampulse/pipelines';
import { type Estate, diagnostics, privateEndpoint, publicAccess } from '../context.js';
import type { Security } from './security.js';

/** First and last address of an IPv4 CIDR range (Azure SQL firewall rules take a start and an end). */
export function cidrRange(cidr: string): { start: string; end: string } {
  const [ip, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const n = ip!.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - bits);
  const first = Math.floor(n / size) * size;
  const text = (v: number): string => [24, 16, 8, 0].map((s) => Math.floor(v / 2 ** s) % 256).join('.');
  return { start: text(first), end: text(first + size - 1) };
}

export class Sql extends pulumi.ComponentResource {
  readonly server: sql.Server;
  readonly database: sql.Database;
  readonly serverName: string;
  readonly databaseName: string;
  /** What lets a client reach the server: the firewall rules (public stacks) or the private endpoint and its DNS (isolated stacks). */
  readonly networkAccess: pulumi.Resource[] = [];

  constructor(name: string, e: Estate, p: { readonly security: Security }, opts?: pulumi.ComponentResourceOptions) {
    super('streampulse:infra:Sql', name, {}, opts);
    const c = e.config;
    const rg = e.resourceGroupName;
    const parent = { parent: this };
    this.serverName = e.names.dashed('sql');
    this.databaseName = `sqldb-${c.namePrefix}-serving`;
    this.server = new sql.Server(
      `${name}-server`,
      {
        resourceGroupName: rg,
        location: e.location,
        serverName: this.serverName,
        version: '12.0',
        minimalTlsVersion: '1.2',
        publicNetworkAccess: publicAccess(e),
        restrictOutboundNetworkAccess: 'Disabled',
        identity: { type: 'SystemAssigned' },
        administrators: {
          administratorType: 'ActiveDirectory',
          azureADOnlyAuthentication: true,
          principalType: 'Group',
          login: c.sql.adminGroup.login,
          sid: c.sql.adminGroup.objectId,
          tenantId: e.tenantId,
        },
        tags: e.tags(),
      },
      parent,
    );
    const db = c.sql.database;
    this.database = new sql.Database(
      `${name}-serving`,
      {
        resourceGroupName: rg,
        location: e.location,
        serverName: this.server.name,
        databaseName: this.databaseName,
        maxSizeBytes: c.sql.maxSizeGb * 1024 ** 3,
        requestedBackupStorageRedundancy: c.env === 'prod' ? 'Geo' : 'Local',
        ...(db.mode === 'serverless'
          ? { sku: { name: db.skuName, tier: 'GeneralPurpose' }, autoPauseDelay: db.autoPauseDelayMinutes, minCapacity: db.minCapacity }
          : { sku: { name: db.skuName } }),
        tags: e.tags(),
      },
      parent,
    );
    if (c.network.publicNetworkAccess) {
      this.networkAccess.push(
        new sql.FirewallRule(
          `${name}-fw-azure`,
          {
            resourceGroupName: rg,
            serverName: this.server.name,
            firewallRuleName: 'AllowAllWindowsAzureIps',
            startIpAddress: '0.0.0.0',
            endIpAddress: '0.0.0.0',
          },
          parent,
        ),
      );
      c.network.allowedIpRanges.forEach((range, i) => {
        const { start, end } = cidrRange(range);
        this.networkAccess.push(
          new sql.FirewallRule(
            `${name}-fw-client-${i + 1}`,
            { resourceGroupName: rg, serverName: this.server.name, firewallRuleName: `client-${i + 1}`, startIpAddress: start, endIpAddress: end },
            parent,
          ),
        );
      });
    }
    const connection = `Server=tcp:${this.serverName}.database.windows.net,1433;Database=${this.databaseName};Authentication=Active Directory Managed Identity;Encrypt=True;TrustServerCertificate=False;`;
    p.security.secret(`${name}-connection`, NAMES.sqlSecretName, pulumi.output(connection), e, this);
    const pe = privateEndpoint(e, 'sql', { resourceId: this.server.id, groupId: 'sqlServer', zone: 'privatelink.database.windows.net' }, this);
    if (pe !== undefined) this.networkAccess.push(pe.endpoint, pe.dnsZoneGroup);
    diagnostics(e, `${name}-serving`, this.database.id, this);
    this.registerOutputs({ serverName: this.serverName, databaseName: this.databaseName });
  }
}
