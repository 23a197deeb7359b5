/**
 * Metabase: the BI container on Azure Container Apps — a user-assigned managed identity
 * (it reads its secrets from Key Vault and nothing else), a Container Apps environment
 * (logs to Azure Monitor → Log Analytics; inside the VNet and internal-only when the
 * stack is isolated), the app with its pinned image and MB_* settings from config — and
 * its application database, a PostgreSQL flexible server (Metabase's app database must
 * be PostgreSQL or MySQL; Azure SQL is not supported for it).
 *
 * The PostgreSQL administrator password is the stack secret
 * `streampulse:metabaseDbAdminPassword` (set by the deploy workflow with
 * `pulumi config set --secret`): it stays a Pulumi secret in every input, is written to
 * Key Vault, and the container reads it through a Key Vault reference.
 */
import * as pulumi from '@pulumi/pulumi';
import * as app from '@pulumi/azure-native/app/index.js';
import * as dbforpostgresql from '@pulumi/azure-native/dbforpostgresql/index.js';
import * as managedidentity from '@pulumi/azure-native/managedidentity/index.js';
import { type Estate, diagnostics, grant, privateEndpoint, publicAccess } from '../context.js';
import type { Security } from './security.js';

export const METABASE_DB_SECRET = 'metabase-db-password';
const APP_DB_NAME = 'metabase';
const APP_DB_ADMIN = 'metabaseadmin';

export interface MetabaseProps {
  readonly security: Security;
  /** The PostgreSQL administrator password (a Pulumi secret). */
  readonly appDbPassword: pulumi.Output<string>;
}

export class Metabase extends pulumi.ComponentResource {
  readonly identity: managedidentity.UserAssignedIdentity;
  /** The identity's name: its Entra display name, the database user the serving migrations create for Metabase. */
  readonly identityName: string;
  readonly environment: app.ManagedEnvironment;
  readonly app: app.ContainerApp;
  readonly appDb: dbforpostgresql.Server;
  readonly url: pulumi.Output<string>;

  constructor(name: string, e: Estate, p: MetabaseProps, opts?: pulumi.ComponentResourceOptions) {
    super('streampulse:infra:Metabase', name, {}, opts);
    const c = e.config;
    const m = c.metabase;
    const rg = e.resourceGroupName;
    const parent = { parent: this };
    const isolated = !c.network.publicNetworkAccess;
    this.identityName = e.names.metabaseIdentity;
    this.identity = new managedidentity.UserAssignedIdentity(
      `${name}-identity`,
      { resourceGroupName: rg, location: e.location, resourceName: this.identityName, tags: e.tags() },
      parent,
    );

    this.appDb = new dbforpostgresql.Server(
      `${name}-appdb`,
      {
        resourceGroupName: rg,
        location: e.location,
        serverName: e.names.dashed('psql-metabase'),
        version: '16',
        sku: { name: m.appDb.skuName, tier: m.appDb.tier },
        storage: { storageSizeGB: m.appDb.storageGb },
        administratorLogin: APP_DB_ADMIN,
        administratorLoginPassword: pulumi.secret(p.appDbPassword),
        authConfig: { activeDirectoryAuth: 'Enabled', passwordAuth: 'Enabled', tenantId: e.tenantId },
        network: { publicNetworkAccess: publicAccess(e) },
        backup: { backupRetentionDays: c.env === 'prod' ? 35 : 7, geoRedundantBackup: c.env === 'prod' ? 'Enabled' : 'Disabled' },
        tags: e.tags(),
      },
      parent,
    );
    new dbforpostgresql.Database(
      `${name}-appdb-metabase`,
      { resourceGroupName: rg, serverName: this.appDb.name, databaseName: APP_DB_NAME, charset: 'UTF8', collation: 'en_US.utf8' },
      parent,
    );
    if (!isolated)
      new dbforpostgresql.FirewallRule(
        `${name}-appdb-fw-azure`,
        { resourceGroupName: rg, serverName: this.appDb.name, firewallRuleName: 'AllowAllAzureServices', startIpAddress: '0.0.0.0', endIpAddress: '0.0.0.0' },
        parent,
      );
    privateEndpoint(e, 'psql-metabase', { resourceId: this.appDb.id, groupId: 'postgresqlServer', zone: 'privatelink.postgres.database.azure.com' }, this);
    diagnostics(e, `${name}-appdb`, this.appDb.id, this);

    const dbSecret = p.security.secret(`${name}-db-password`, METABASE_DB_SECRET, p.appDbPassword, e, this);
    const kvRead = grant(
      e,
      'metabase-kv',
      {
        scope: p.security.vault.id,
        principalId: this.identity.principalId,
        principalType: 'ServicePrincipal',
        role: 'keyVaultSecretsUser',
        description: 'Metabase reads its application database password from Key Vault.',
      },
      this,
    );

    this.environment = new app.ManagedEnvironment(
      `${name}-env`,
      {
        resourceGroupName: rg,
        location: e.location,
        environmentName: e.names.dashed('cae'),
        appLogsConfiguration: { destination: 'azure-monitor' },
        workloadProfiles: [{ name: 'Consumption', workloadProfileType: 'Consumption' }],
        publicNetworkAccess: publicAccess(e),
        ...(isolated && e.network !== undefined ? { vnetConfiguration: { infrastructureSubnetId: e.network.containerAppsSubnetId, internal: true } } : {}),
        tags: e.tags(),
      },
      parent,
    );
    diagnostics(e, `${name}-env`, this.environment.id, this);

    const env: { name: string; value?: pulumi.Input<string>; secretRef?: string }[] = [
      { name: 'MB_DB_TYPE', value: 'postgres' },
      { name: 'MB_DB_HOST', value: this.appDb.fullyQualifiedDomainName.apply((h) => h ?? '') },
      { name: 'MB_DB_PORT', value: '5432' },
      { name: 'MB_DB_DBNAME', value: APP_DB_NAME },
      { name: 'MB_DB_USER', value: APP_DB_ADMIN },
      { name: 'MB_DB_PASS', secretRef: 'mb-db-pass' },
      { name: 'MB_SITE_NAME', value: `StreamPulse (${c.env})` },
      { name: 'MB_ANON_TRACKING_ENABLED', value: 'false' },
      { name: 'MB_CHECK_FOR_UPDATES', value: 'false' },
      ...Object.entries(m.settings)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([n, value]) => ({ name: n, value })),
    ];
    this.app = new app.ContainerApp(
      `${name}-app`,
      {
        resourceGroupName: rg,
        location: e.location,
        containerAppName: e.names.dashed('ca-metabase'),
        managedEnvironmentId: this.environment.id,
        workloadProfileName: 'Consumption',
        identity: { type: 'UserAssigned', userAssignedIdentities: [this.identity.id] },
        configuration: {
          activeRevisionsMode: 'Single',
          ingress: { external: !isolated, targetPort: 3000, transport: 'http', allowInsecure: false },
          secrets: [{ name: 'mb-db-pass', keyVaultUrl: pulumi.interpolate`${p.security.vaultUri}secrets/${METABASE_DB_SECRET}`, identity: this.identity.id }],
        },
        template: {
          containers: [
            {
              name: 'metabase',
              image: m.image,
              resources: { cpu: m.cpu, memory: m.memory },
              env,
              probes: [{ type: 'Liveness', httpGet: { path: '/api/health', port: 3000 }, initialDelaySeconds: 60, periodSeconds: 30 }],
            },
          ],
          scale: { minReplicas: m.minReplicas, maxReplicas: m.maxReplicas },
        },
        tags: e.tags(),
      },
      { parent: this, dependsOn: [dbSecret, kvRead] },
    );
    this.url = this.app.latestRevisionFqdn.apply((f) => `https://${f}`);
    this.registerOutputs({ url: this.url });
  }
}
