/**
 * DataFactory: the factory (system-assigned identity, optional git integration for
 * authoring) and EVERY linked service, dataset, pipeline and trigger the generator
 * (`@streampulse/pipelines` generateFactory) produces, as Pulumi resources — iterated
 * from its output, never written by hand — plus the factory identity's role assignments
 * and diagnostics. The control files are uploaded by the deploy step (see below).
 *
 * The generator is called with this stack's names (lake and source accounts, Key Vault,
 * Databricks workspace URL and id, schedule settings). The workspace URL and id are
 * known only after deployment, so the entity list comes from a generation with
 * placeholders (the set of entities does not depend on those values) and each
 * resource's inputs from the generation with the real values.
 *
 * Triggers: ARM creates triggers stopped (runtimeState is read-only). The stack output
 * `adfTriggerStates` says which to start — the generator's `Started` triggers when
 * streampulse:dataFactory.startTriggers is true, none otherwise — and the deploy
 * workflow stops every trigger before `pulumi up` (ADF refuses to update a started
 * trigger) and starts those afterwards.
 */
import * as pulumi from '@pulumi/pulumi';
import * as datafactory from '@pulumi/azure-native/datafactory/index.js';
import { type AdfFactory, type FactoryOptions, generateFactory } from '@streampulse/pipelines';
import { type AdfEntity, adfEntities, factoryDocument, triggerStates } from '../adf-mapping.js';
import { type Estate, diagnostics, grant, publicAccess } from '../context.js';
import { stackFactoryOptions } from '../stack-file.js';
import type { DataLake } from './data-lake.js';

/** The pipeline arguments a generated pipeline may carry (anything else is an error, never dropped). */
const PIPELINE_KEYS = ['activities', 'annotations', 'concurrency', 'description', 'folder', 'parameters', 'policy', 'variables'] as const;

export interface DataFactoryProps {
  readonly lake: DataLake;
  readonly keyVaultName: string;
  readonly keyVaultId: pulumi.Input<string>;
  readonly databricksWorkspaceUrl: pulumi.Input<string>;
  readonly databricksWorkspaceId: pulumi.Input<string>;
}

export class DataFactory extends pulumi.ComponentResource {
  readonly factory: datafactory.Factory;
  readonly factoryName: string;
  readonly entities: readonly AdfEntity[];
  readonly triggerStates: Record<string, 'Started' | 'Stopped'>;
  readonly principalId: pulumi.Output<string>;

  /** The generator options of this stack (URL and id are the workspace's): `stackFactoryOptions`, which `streampulse generate --stack` uses too. */
  static options(
    e: Estate,
    p: Pick<DataFactoryProps, 'keyVaultName'> & { lakeAccount: string; sourceAccount: string },
    url: string,
    id: string,
  ): FactoryOptions {
    const o = stackFactoryOptions(e.config, { url, id });
    if (o.lakeAccount !== p.lakeAccount || o.sourceAccount !== p.sourceAccount || o.keyVaultName !== p.keyVaultName)
      throw new Error(
        `the factory's names (${o.lakeAccount}, ${o.sourceAccount}, ${o.keyVaultName}) differ from the resources' (${p.lakeAccount}, ${p.sourceAccount}, ${p.keyVaultName})`,
      );
    return o;
  }

  constructor(name: string, e: Estate, p: DataFactoryProps, opts?: pulumi.ComponentResourceOptions) {
    super('streampulse:infra:DataFactory', name, {}, opts);
    const c = e.config;
    const rg = e.resourceGroupName;
    const names = { keyVaultName: p.keyVaultName, lakeAccount: p.lake.accountName, sourceAccount: p.lake.sourceAccountName };
    const generate = (url: string, id: string): AdfFactory => generateFactory(e.set, e.plan, DataFactory.options(e, names, url, id));
    const shape = generate('https://workspace.placeholder', '/placeholder');
    const live = pulumi.all([p.databricksWorkspaceUrl, p.databricksWorkspaceId]).apply(([url, id]) => generate(url, id));
    const liveEntities = live.apply(adfEntities);

    const { name: factoryName, doc } = factoryDocument(shape);
    if (factoryName !== e.names.dataFactory)
      throw new Error(
        `the generated factory is named '${factoryName}' but the stack names it '${e.names.dataFactory}' (infra/src/naming.ts): the SQL loader user would not match the factory's identity`,
      );
    this.factoryName = factoryName;
    const props = (doc['properties'] ?? {}) as { globalParameters?: Record<string, { type: string; value: unknown }> };
    this.factory = new datafactory.Factory(
      `${name}-factory`,
      {
        resourceGroupName: rg,
        location: e.location,
        factoryName,
        identity: { type: 'SystemAssigned' },
        globalParameters: props.globalParameters ?? {},
        publicNetworkAccess: publicAccess(e),
        ...(c.dataFactory.git === undefined
          ? {}
          : {
              repoConfiguration: {
                type: 'FactoryGitHubConfiguration',
                accountName: c.dataFactory.git.accountName,
                repositoryName: c.dataFactory.git.repositoryName,
                collaborationBranch: c.dataFactory.git.collaborationBranch,
                rootFolder: c.dataFactory.git.rootFolder,
              },
            }),
        tags: e.tags(),
      },
      { parent: this },
    );
    this.principalId = this.factory.identity.apply((i) => i?.principalId ?? '');

    this.entities = adfEntities(shape);
    const argsOf = (path: string): pulumi.Output<Record<string, unknown>> =>
      liveEntities.apply((list) => {
        const found = list.find((x) => x.path === path);
        if (found === undefined) throw new Error(`generated factory lost ${path} between generations`);
        return found.args;
      });
    const common = { resourceGroupName: rg, factoryName: this.factory.name };
    const created: Record<AdfEntity['kind'], pulumi.Resource[]> = { linkedService: [], dataset: [], pipeline: [], trigger: [] };
    const after = (kind: AdfEntity['kind']): pulumi.CustomResourceOptions => {
      const deps = {
        linkedService: [this.factory],
        dataset: created.linkedService,
        pipeline: [...created.linkedService, ...created.dataset],
        trigger: created.pipeline,
      }[kind];
      return { parent: this, dependsOn: [...deps] };
    };
    // Linked services first, then datasets, pipelines, triggers: ADF checks references on create.
    for (const kind of ['linkedService', 'dataset', 'pipeline', 'trigger'] as const) {
      for (const ent of this.entities.filter((x) => x.kind === kind)) {
        const args = argsOf(ent.path);
        const props = args.apply((a) => a['properties']);
        const rname = `${name}-${kind}-${ent.name}`;
        let r: pulumi.Resource;
        if (kind === 'linkedService')
          r = new datafactory.LinkedService(
            rname,
            { ...common, linkedServiceName: ent.name, properties: props as unknown as datafactory.LinkedServiceArgs['properties'] },
            after(kind),
          );
        else if (kind === 'dataset')
          r = new datafactory.Dataset(
            rname,
            { ...common, datasetName: ent.name, properties: props as unknown as datafactory.DatasetArgs['properties'] },
            after(kind),
          );
        else if (kind === 'trigger')
          r = new datafactory.Trigger(
            rname,
            { ...common, triggerName: ent.name, properties: props as unknown as datafactory.TriggerArgs['properties'] },
            after(kind),
          );
        else {
          const unknown = Object.keys(ent.args).filter((k) => !(PIPELINE_KEYS as readonly string[]).includes(k));
          if (unknown.length > 0)
            throw new Error(`${ent.path}: pipeline properties ${unknown.join(', ')} have no azure-native argument in infra/src/components/data-factory.ts`);
          const pick = (k: (typeof PIPELINE_KEYS)[number]): pulumi.Output<never> => args.apply((a) => a[k]) as pulumi.Output<never>;
          r = new datafactory.Pipeline(
            rname,
            {
              ...common,
              pipelineName: ent.name,
              ...Object.fromEntries(PIPELINE_KEYS.filter((k) => k in ent.args).map((k) => [k, pick(k)])),
            },
            after(kind),
          );
        }
        created[kind].push(r);
      }
    }

    const generated = triggerStates(shape);
    this.triggerStates = Object.fromEntries(Object.entries(generated).map(([t, s]) => [t, c.dataFactory.startTriggers ? s : 'Stopped']));

    // The control files the master pipelines look up (the manifest, and the Databricks job
    // ids that exist only after `databricks bundle deploy`) are uploaded by the deploy step
    // `streampulse deploy control-files` with an Entra token: the lake refuses shared-key
    // auth (allowSharedKeyAccess: false), which azure-native's storage.Blob would use.

    // Least privilege for the factory's identity.
    const sp = { principalId: this.principalId, principalType: 'ServicePrincipal' as const };
    grant(
      e,
      'adf-lake',
      {
        ...sp,
        scope: p.lake.account.id,
        role: 'storageBlobDataContributor',
        description: 'Data Factory copies source drops into landing and reads gold for the serving copy.',
      },
      this,
    );
    grant(
      e,
      'adf-source',
      { ...sp, scope: p.lake.sourceAccount.id, role: 'storageBlobDataReader', description: 'Data Factory reads the files the source systems drop.' },
      this,
    );
    grant(
      e,
      'adf-kv',
      { ...sp, scope: p.keyVaultId, role: 'keyVaultSecretsUser', description: 'Data Factory reads the serving connection string from Key Vault.' },
      this,
    );
    grant(
      e,
      'adf-dbw',
      {
        ...sp,
        scope: p.databricksWorkspaceId,
        role: 'contributor',
        description: 'Data Factory runs Databricks job clusters with its managed identity (MSI authentication needs Contributor on the workspace).',
      },
      this,
    );
    diagnostics(e, `${name}-factory`, this.factory.id, this, { dedicated: true });
    this.registerOutputs({ factoryName: this.factoryName, triggerStates: this.triggerStates });
  }
}
