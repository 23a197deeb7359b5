/**
 * The estate of one environment: every component, wired together. A pure function of
 * the validated stack config and the contracts (plus the one stack secret), so the
 * Pulumi entry point (`main.ts`) and the mock tests build exactly the same graph.
 */
import type * as pulumi from '@pulumi/pulumi';
import * as authorization from '@pulumi/azure-native/authorization/index.js';
import * as resources from '@pulumi/azure-native/resources/index.js';
import type { ContractSet } from '@streampulse/contracts';
import { PII_SALT, compileJobs } from '@streampulse/jobs';
import * as random from '@pulumi/random';
import type { StackConfig } from './config.js';
import type { Estate } from './context.js';
import { DataFactory } from './components/data-factory.js';
import { DataLake, deltaRetention } from './components/data-lake.js';
import { Databricks, accessConnector } from './components/databricks.js';
import { EventHubs } from './components/event-hubs.js';
import { Metabase } from './components/metabase.js';
import { Network } from './components/network.js';
import { Observability } from './components/observability.js';
import { Security } from './components/security.js';
import { Sql } from './components/sql.js';
import { SqlMigrations } from './components/sql-migrations.js';
import { dataDomains, naming, RANDOM_SECRETS, tags } from './naming.js';

export interface EstateSecrets {
  readonly metabaseDbAdminPassword: pulumi.Output<string>;
}

export interface EstateOutputs {
  readonly resourceGroupName: pulumi.Output<string>;
  readonly lakeAccount: string;
  readonly keyVaultUri: pulumi.Output<string>;
  readonly dataFactoryName: string;
  /** Trigger → the state the deploy workflow puts it in after `pulumi up`. */
  readonly adfTriggerStates: Record<string, 'Started' | 'Stopped'>;
  readonly databricksWorkspaceUrl: pulumi.Output<string>;
  /** The lake root the bundle's jobs pass the runtime (`abfss://{layer}@<lake>…`). */
  readonly databricksStorageRoot: string;
  readonly databricksSecretScope: string;
  /** Lake container → Unity Catalog external location URL. */
  readonly databricksExternalLocations: Record<string, pulumi.Output<string>>;
  readonly kafkaBootstrap: string;
  readonly eventHubs: string[];
  readonly sqlServer: string;
  /** The SQL server's FQDN (the Metabase database entry and `streampulse metabase provision --sql-server`). */
  readonly sqlServerFqdn: pulumi.Output<string>;
  readonly sqlDatabase: string;
  /** The serving migrations `pulumi up` applied (ids, in order) and the Entra principals they create users for. */
  readonly sqlMigrations: string[];
  readonly sqlPrincipals: { readonly metabase: string; readonly dataFactory: string };
  readonly metabaseUrl: pulumi.Output<string>;
  /** Client id of Metabase's user-assigned identity (`streampulse metabase provision --identity-client-id`). */
  readonly metabaseIdentityClientId: pulumi.Output<string>;
  /** The Key Vault's name (the deploy workflow reads the Metabase API key from it). */
  readonly keyVaultName: string;
  /** Per dataset, the retention the runtime enforces on the Delta layers. */
  readonly deltaRetention: ReturnType<typeof deltaRetention>;
}

export interface EstateOptions {
  /** The deploy's clock (the budget starts in its month). Default: now. */
  readonly now?: Date;
}

export function createEstate(config: StackConfig, set: ContractSet, secrets: EstateSecrets, options: EstateOptions = {}): EstateOutputs {
  const names = naming(config);
  const domains = dataDomains(set);
  const client = authorization.getClientConfigOutput();
  const rg = new resources.ResourceGroup('rg', { resourceGroupName: names.resourceGroup, location: config.location, tags: tags(config, domains) });
  const e: Estate = {
    config,
    set,
    plan: compileJobs(set),
    names,
    location: config.location,
    resourceGroupName: rg.name,
    resourceGroupId: rg.id,
    subscriptionId: client.subscriptionId,
    tenantId: client.tenantId,
    tags: (domain) => tags(config, domain ?? domains),
    network: undefined,
    logAnalyticsWorkspaceId: undefined,
    now: options.now ?? new Date(),
  };
  const network = config.network.vnet !== undefined ? new Network('network', e) : undefined;
  const estate: Estate = { ...e, network };
  const observability = new Observability('observability', estate);
  estate.logAnalyticsWorkspaceId = observability.workspace.id;
  const security = new Security('security', estate);
  const connector = accessConnector(estate);
  const lake = new DataLake('datalake', estate, { trustedResources: [connector.id] });
  const eventHubs = new EventHubs('eventhubs', estate, { security });
  const sqlServing = new Sql('sql', estate, { security });
  // The pseudonymisation salt: generated once, kept in the state as a secret, written to Key
  // Vault (its record) and to the Databricks secret scope the jobs read (one name: PII_SALT).
  const salt = new random.RandomPassword(RANDOM_SECRETS.piiSalt, { length: 48, special: false });
  security.secret('pii-salt', PII_SALT.keyVaultSecret, salt.result, estate, security);
  const dbw = new Databricks('databricks', estate, {
    lake,
    accessConnector: connector,
    piiSalt: salt.result,
    eventHubs: { kafkaBootstrap: eventHubs.kafkaBootstrap, listenConnectionString: eventHubs.listenConnectionString },
  });
  const adf = new DataFactory('datafactory', estate, {
    lake,
    keyVaultName: security.vaultName,
    keyVaultId: security.vault.id,
    databricksWorkspaceUrl: dbw.workspaceUrl,
    databricksWorkspaceId: dbw.workspace.id,
  });
  observability.alerts(adf.factory.id);
  // Metabase's MB_ENCRYPTION_SECRET_KEY: generated once and kept (a new value would make the stored connection details unreadable)
  const encryptionKey = new random.RandomPassword(RANDOM_SECRETS.metabaseEncryptionKey, { length: 64, special: false });
  const metabase = new Metabase('metabase', estate, {
    security,
    appDbPassword: secrets.metabaseDbAdminPassword,
    encryptionKey: encryptionKey.result,
    deployerPrincipalId: client.objectId,
  });
  const migrations = new SqlMigrations('sql-migrations', estate, { sql: sqlServing, metabase, dataFactory: adf });
  return {
    resourceGroupName: rg.name,
    lakeAccount: lake.accountName,
    keyVaultUri: security.vaultUri,
    dataFactoryName: adf.factoryName,
    adfTriggerStates: adf.triggerStates,
    databricksWorkspaceUrl: dbw.workspaceUrl,
    databricksStorageRoot: dbw.storageRoot,
    databricksSecretScope: PII_SALT.scope,
    databricksExternalLocations: Object.fromEntries(Object.entries(dbw.externalLocations).map(([fs, l]) => [fs, l.url])),
    kafkaBootstrap: eventHubs.kafkaBootstrap,
    eventHubs: Object.keys(eventHubs.hubs),
    sqlServer: sqlServing.serverName,
    sqlServerFqdn: sqlServing.server.fullyQualifiedDomainName,
    sqlDatabase: sqlServing.databaseName,
    sqlMigrations: migrations.migrations.map((m) => m.id),
    sqlPrincipals: migrations.principals,
    metabaseUrl: metabase.url,
    metabaseIdentityClientId: metabase.identityClientId,
    keyVaultName: security.vaultName,
    deltaRetention: deltaRetention(set),
  };
}
