/**
 * Security: the environment's Key Vault — RBAC authorization (no access policies),
 * soft delete and purge protection, public network access per stack, a private
 * endpoint when isolated. Secrets are written by the components that own them
 * (Event Hubs connection info, the Metabase database password) and read by managed
 * identities with "Key Vault Secrets User" on this vault only.
 */
import * as pulumi from '@pulumi/pulumi';
import * as keyvault from '@pulumi/azure-native/keyvault/index.js';
import { type Estate, diagnostics, privateEndpoint, publicAccess } from '../context.js';

export class Security extends pulumi.ComponentResource {
  readonly vault: keyvault.Vault;
  readonly vaultName: string;
  readonly vaultUri: pulumi.Output<string>;

  constructor(name: string, e: Estate, opts?: pulumi.ComponentResourceOptions) {
    super('streampulse:infra:Security', name, {}, opts);
    const isolated = !e.config.network.publicNetworkAccess;
    this.vaultName = e.names.keyVault;
    this.vault = new keyvault.Vault(
      `${name}-kv`,
      {
        resourceGroupName: e.resourceGroupName,
        location: e.location,
        vaultName: this.vaultName,
        properties: {
          tenantId: e.tenantId,
          sku: { family: 'A', name: 'standard' },
          enableRbacAuthorization: true,
          enableSoftDelete: true,
          softDeleteRetentionInDays: 90,
          enablePurgeProtection: true,
          publicNetworkAccess: publicAccess(e),
          networkAcls: {
            bypass: 'AzureServices',
            defaultAction: isolated || e.config.network.allowedIpRanges.length > 0 ? 'Deny' : 'Allow',
            ipRules: e.config.network.allowedIpRanges.map((value) => ({ value })),
          },
        },
        tags: e.tags(),
      },
      { parent: this },
    );
    this.vaultUri = pulumi.output(`https://${this.vaultName}.vault.azure.net/`);
    privateEndpoint(e, 'kv', { resourceId: this.vault.id, groupId: 'vault', zone: 'privatelink.vaultcore.azure.net' }, this);
    diagnostics(e, `${name}-kv`, this.vault.id, this);
    this.registerOutputs({ vaultUri: this.vaultUri });
  }

  /**
   * A secret whose value is a Pulumi secret output (never a literal): it is encrypted in
   * the state and stays wrapped as a secret in every resource input.
   */
  secret(name: string, secretName: string, value: pulumi.Output<string>, e: Estate, parent: pulumi.Resource, contentType = 'text/plain'): keyvault.Secret {
    return new keyvault.Secret(
      `${name}-secret`,
      {
        resourceGroupName: e.resourceGroupName,
        vaultName: this.vault.name,
        secretName,
        properties: { value: pulumi.secret(value), contentType },
        tags: e.tags(),
      },
      { parent },
    );
  }
}
