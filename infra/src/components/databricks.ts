/**
 * Databricks: the workspace (premium) with its managed resource group, optional VNet
 * injection (no public IP) and private access; the access connector (the identity Unity
 * Catalog uses to reach the lake) with "Storage Blob Data Contributor" on the lake
 * account only; and, through the Databricks provider (authenticated against the new
 * workspace as the deployment identity), the workspace objects the jobs need:
 *   - the Unity Catalog storage credential of the access connector and one external
 *     location per lake container (`abfss://<container>@<lake>.dfs.core.windows.net/`),
 *     so the jobs' `abfss://` paths are governed by Unity Catalog, not by keys;
 *   - the Databricks-backed secret scope `PII_SALT.scope` with the pseudonymisation salt
 *     under `PII_SALT.key` (a service principal cannot create a Key Vault-backed scope:
 *     that needs a user's Entra token; the same value is kept in Key Vault by the program),
 *     and Event Hubs' Kafka bootstrap server and `listen` connection string under
 *     `EVENT_HUBS_KAFKA_SECRETS` (the stream job's Kafka source reads them).
 * The jobs themselves, the runtime wheel and the job specs are NOT created here: the
 * Databricks Asset Bundle that `streampulse generate` writes owns them (`databricks bundle
 * deploy -t <env>` in the deploy workflow, as the same identity). The batch schedule is
 * Data Factory's; only the stream job carries a schedule of its own.
 */
import * as pulumi from '@pulumi/pulumi';
import * as azureDatabricks from '@pulumi/azure-native/databricks/index.js';
import * as databricks from '@pulumi/databricks';
import { EVENT_HUBS_KAFKA_SECRETS, LAKE_FILE_SYSTEMS, PII_SALT, type LakeFileSystem, lakeStorageRoot } from '@streampulse/jobs';
import { type Estate, diagnostics, grant, privateEndpoint, publicAccess } from '../context.js';
import type { DataLake } from './data-lake.js';

/** Unity Catalog names of a stack's storage credential and external locations (letters, digits, underscores). */
export function unityCatalogNames(e: Pick<Estate, 'config'>): { readonly credential: string; readonly location: (fs: LakeFileSystem) => string } {
  const base = `${e.config.namePrefix}_${e.config.env}`;
  return { credential: `${base}_lake`, location: (fs) => `${base}_${fs}` };
}

/** The URL of a lake container as an external location (and as the jobs address it). */
export const containerUrl = (account: string, fs: LakeFileSystem): string => `abfss://${fs}@${account}.dfs.core.windows.net/`;

/**
 * The access connector: created before the lake, whose firewall admits it by resource
 * instance (the lake's `resourceAccessRules`), and before the workspace that uses it.
 */
export function accessConnector(e: Estate): azureDatabricks.AccessConnector {
  return new azureDatabricks.AccessConnector('databricks-connector', {
    resourceGroupName: e.resourceGroupName,
    location: e.location,
    connectorName: e.names.dashed('dbac'),
    identity: { type: 'SystemAssigned' },
    tags: e.tags(),
  });
}

export interface DatabricksProps {
  readonly lake: DataLake;
  readonly accessConnector: azureDatabricks.AccessConnector;
  /** The pseudonymisation salt (a Pulumi secret). */
  readonly piiSalt: pulumi.Output<string>;
  /** Event Hubs' Kafka endpoint for the stream job: bootstrap server and the `listen` connection string (a Pulumi secret). */
  readonly eventHubs: { readonly kafkaBootstrap: string; readonly listenConnectionString: pulumi.Output<string> };
}

export class Databricks extends pulumi.ComponentResource {
  readonly workspace: azureDatabricks.Workspace;
  readonly accessConnector: azureDatabricks.AccessConnector;
  readonly workspaceUrl: pulumi.Output<string>;
  /** `abfss://{layer}@<lake>.dfs.core.windows.net` — what the bundle's jobs pass the runtime. */
  readonly storageRoot: string;
  readonly secretScope: databricks.SecretScope;
  readonly storageCredential: databricks.StorageCredential;
  readonly externalLocations: Readonly<Record<LakeFileSystem, databricks.ExternalLocation>>;

  constructor(name: string, e: Estate, p: DatabricksProps, opts?: pulumi.ComponentResourceOptions) {
    super('streampulse:infra:Databricks', name, {}, opts);
    const c = e.config;
    const parent = { parent: this };
    const net = e.network;
    const isolated = !c.network.publicNetworkAccess;
    this.accessConnector = p.accessConnector;
    const injected = c.databricks.vnetInjection && net !== undefined;
    this.workspace = new azureDatabricks.Workspace(
      `${name}-workspace`,
      {
        resourceGroupName: e.resourceGroupName,
        location: e.location,
        workspaceName: e.names.dashed('dbw'),
        sku: { name: c.databricks.sku },
        managedResourceGroupId: pulumi.interpolate`/subscriptions/${e.subscriptionId}/resourceGroups/rg-${c.namePrefix}-dbw-managed-${c.env}`,
        publicNetworkAccess: publicAccess(e),
        ...(isolated ? { requiredNsgRules: 'NoAzureDatabricksRules' } : {}),
        accessConnector: { id: this.accessConnector.id, identityType: 'SystemAssigned' },
        defaultStorageFirewall: isolated ? 'Enabled' : 'Disabled',
        parameters: {
          enableNoPublicIp: { value: true },
          ...(injected
            ? {
                customVirtualNetworkId: { value: net.vnetId },
                customPublicSubnetName: { value: net.databricksHostSubnetName },
                customPrivateSubnetName: { value: net.databricksContainerSubnetName },
              }
            : {}),
        },
        tags: e.tags(),
      },
      parent,
    );
    this.workspaceUrl = this.workspace.workspaceUrl.apply((u) => `https://${u}`);
    const lakeAccess = grant(
      e,
      'dbac-lake',
      {
        scope: p.lake.account.id,
        principalId: this.accessConnector.identity.apply((i) => i?.principalId ?? ''),
        principalType: 'ServicePrincipal',
        role: 'storageBlobDataContributor',
        description: 'The Databricks access connector (Unity Catalog storage credential) reads and writes the lake layers.',
      },
      this,
    );
    privateEndpoint(e, 'dbw', { resourceId: this.workspace.id, groupId: 'databricks_ui_api', zone: 'privatelink.azuredatabricks.net' }, this);
    diagnostics(e, `${name}-workspace`, this.workspace.id, this, { metrics: false });

    // ---- workspace objects, through the workspace's own API (as the deployment identity)
    const provider = new databricks.Provider(`${name}-provider`, { host: this.workspaceUrl, azureWorkspaceResourceId: this.workspace.id }, parent);
    const inWorkspace = { parent: this, provider };
    this.storageRoot = lakeStorageRoot(p.lake.accountName);

    this.secretScope = new databricks.SecretScope(`${name}-secret-scope`, { name: PII_SALT.scope, backendType: 'DATABRICKS' }, inWorkspace);
    new databricks.Secret(
      `${name}-secret-pii-salt`,
      { scope: PII_SALT.scope, key: PII_SALT.key, stringValue: pulumi.secret(p.piiSalt) },
      { ...inWorkspace, dependsOn: [this.secretScope] },
    );
    new databricks.Secret(
      `${name}-secret-eventhubs-bootstrap`,
      { scope: EVENT_HUBS_KAFKA_SECRETS.scope, key: EVENT_HUBS_KAFKA_SECRETS.bootstrapKey, stringValue: p.eventHubs.kafkaBootstrap },
      { ...inWorkspace, dependsOn: [this.secretScope] },
    );
    new databricks.Secret(
      `${name}-secret-eventhubs-listen`,
      {
        scope: EVENT_HUBS_KAFKA_SECRETS.scope,
        key: EVENT_HUBS_KAFKA_SECRETS.connectionStringKey,
        stringValue: pulumi.secret(p.eventHubs.listenConnectionString),
      },
      { ...inWorkspace, dependsOn: [this.secretScope] },
    );

    const uc = unityCatalogNames(e);
    this.storageCredential = new databricks.StorageCredential(
      `${name}-storage-credential`,
      {
        name: uc.credential,
        comment: `The lake ${p.lake.accountName} through the access connector ${e.names.dashed('dbac')} (managed identity).`,
        azureManagedIdentity: { accessConnectorId: this.accessConnector.id },
      },
      // the connector must hold its role on the lake before Unity Catalog validates the credential
      { ...inWorkspace, dependsOn: [lakeAccess] },
    );
    const locations: Partial<Record<LakeFileSystem, databricks.ExternalLocation>> = {};
    for (const fs of LAKE_FILE_SYSTEMS) {
      locations[fs] = new databricks.ExternalLocation(
        `${name}-location-${fs}`,
        { name: uc.location(fs), url: containerUrl(p.lake.accountName, fs), credentialName: uc.credential, comment: `Lake container '${fs}'.` },
        { ...inWorkspace, dependsOn: [p.lake.containers[fs], this.storageCredential] },
      );
    }
    this.externalLocations = locations as Record<LakeFileSystem, databricks.ExternalLocation>;
    this.registerOutputs({ workspaceUrl: this.workspaceUrl });
  }
}
