/**
 * Databricks: the workspace (premium) with its managed resource group, optional VNet
 * injection (no public IP) and private access; the access connector (the identity
 * Unity Catalog and the jobs use to reach the lake) with "Storage Blob Data
 * Contributor" on the lake account only; and, through the Databricks provider
 * (authenticated against the new workspace), what the generator produces:
 *   - every job of `@streampulse/jobs` databricksJobs (one per schedule), mapped to the
 *     provider's Job resource; schedules paused per stack (databricks.jobsPaused)
 *   - every job-spec file (specFiles) as a workspace file under <root>/specs/
 *   - the Key Vault-backed secret scope the runtime reads the pseudonymisation salt from
 * The runtime itself (runtime/databricks_task.py and the streampulse-spark wheel under
 * <root>/dist/) is a build artifact: the deploy workflow builds and uploads it.
 */
import * as pulumi from '@pulumi/pulumi';
import * as azureDatabricks from '@pulumi/azure-native/databricks/index.js';
import * as databricks from '@pulumi/databricks';
import { DATABRICKS_DEFAULTS, databricksJobs, jsonText, lakeStorageRoot, runtimePaths, specFiles } from '@streampulse/jobs';
import { jobArgs } from '../databricks-mapping.js';
import { type Estate, diagnostics, grant, privateEndpoint, publicAccess } from '../context.js';
import type { DataLake } from './data-lake.js';

export interface DatabricksProps {
  readonly lake: DataLake;
  readonly keyVaultId: pulumi.Input<string>;
  readonly keyVaultUri: pulumi.Input<string>;
}

export class Databricks extends pulumi.ComponentResource {
  readonly workspace: azureDatabricks.Workspace;
  readonly accessConnector: azureDatabricks.AccessConnector;
  readonly workspaceUrl: pulumi.Output<string>;
  /** Workspace folder of the runtime, the wheel and the specs. */
  readonly workspaceRoot: string;
  readonly storageRoot: string;
  readonly jobs: Readonly<Record<string, databricks.Job>>;

  constructor(name: string, e: Estate, p: DatabricksProps, opts?: pulumi.ComponentResourceOptions) {
    super('streampulse:infra:Databricks', name, {}, opts);
    const c = e.config;
    const parent = { parent: this };
    const net = e.network;
    const isolated = !c.network.publicNetworkAccess;
    this.accessConnector = new azureDatabricks.AccessConnector(
      `${name}-connector`,
      { resourceGroupName: e.resourceGroupName, location: e.location, connectorName: e.names.dashed('dbac'), identity: { type: 'SystemAssigned' }, tags: e.tags() },
      parent,
    );
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
    grant(
      e,
      'dbac-lake',
      {
        scope: p.lake.account.id,
        principalId: this.accessConnector.identity.apply((i) => i?.principalId ?? ''),
        principalType: 'ServicePrincipal',
        role: 'storageBlobDataContributor',
        description: 'The Databricks access connector reads and writes the lake layers (bronze, silver, gold, quarantine, reports).',
      },
      this,
    );
    privateEndpoint(e, 'dbw', { resourceId: this.workspace.id, groupId: 'databricks_ui_api', zone: 'privatelink.azuredatabricks.net' }, this);
    diagnostics(e, `${name}-workspace`, this.workspace.id, this, { metrics: false });

    // ---- the generated jobs, spec files and the secret scope, through the workspace's own API
    const provider = new databricks.Provider(`${name}-provider`, { host: this.workspaceUrl, azureWorkspaceResourceId: this.workspace.id }, parent);
    const inWorkspace = { parent: this, provider };
    this.workspaceRoot = DATABRICKS_DEFAULTS.workspaceRoot;
    this.storageRoot = lakeStorageRoot(p.lake.accountName);
    const scope = new databricks.SecretScope(
      `${name}-secret-scope`,
      { name: DATABRICKS_DEFAULTS.secretScope, backendType: 'AZURE_KEYVAULT', keyvaultMetadata: { resourceId: p.keyVaultId, dnsName: p.keyVaultUri } },
      inWorkspace,
    );
    const specs = runtimePaths(this.workspaceRoot, DATABRICKS_DEFAULTS.wheelVersion).specs;
    const files: pulumi.Resource[] = [];
    for (const [file, doc] of Object.entries(specFiles(e.plan))) {
      const rname = `${name}-spec-${file.replace(/\.json$/, '')}`;
      const contentBase64 = Buffer.from(jsonText(doc)).toString('base64');
      // DBFS (dbfs:/…) or workspace files (/Workspace/…), wherever the jobs' root is.
      files.push(
        specs.startsWith('dbfs:')
          ? new databricks.DbfsFile(rname, { path: `${specs.slice('dbfs:'.length)}/${file}`, contentBase64 }, inWorkspace)
          : new databricks.WorkspaceFile(rname, { path: `${specs}/${file}`, contentBase64 }, inWorkspace),
      );
    }
    const generated = databricksJobs(e.set, e.plan, {
      environment: c.env,
      storageRoot: this.storageRoot,
      workspaceRoot: this.workspaceRoot,
      sparkVersion: c.databricks.sparkVersion,
      nodeTypeId: c.databricks.nodeTypeId,
      minWorkers: c.databricks.minWorkers,
      maxWorkers: c.databricks.maxWorkers,
    });
    const jobs: Record<string, databricks.Job> = {};
    for (const [file, doc] of Object.entries(generated)) {
      const key = file.replace(/\.json$/, '');
      jobs[key] = new databricks.Job(`${name}-job-${key}`, jobArgs(doc, `databricks/${file}`, { paused: c.databricks.jobsPaused }) as databricks.JobArgs, {
        ...inWorkspace,
        dependsOn: [scope, ...files],
      });
    }
    this.jobs = jobs;
    this.registerOutputs({ workspaceUrl: this.workspaceUrl });
  }
}
