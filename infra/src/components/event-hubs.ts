/**
 * EventHubs: the namespace (Kafka endpoint on, TLS 1.2, public access per stack), one
 * event hub per `source.stream_topic` of the contracts (the dataset, its owner and
 * domain in the hub's user metadata, since hubs take no tags), the stack's consumer
 * groups on every hub, namespace-level `listen` and `send` rules, and the connection
 * information in Key Vault: the Kafka bootstrap server and one connection string per
 * rule (Pulumi secrets: encrypted in the state, never a literal input).
 */
import * as pulumi from '@pulumi/pulumi';
import * as eventhub from '@pulumi/azure-native/eventhub/index.js';
import type { ContractSet } from '@streampulse/contracts';
import { EVENT_HUBS_KAFKA_SECRETS } from '@streampulse/jobs';
import { type Estate, diagnostics, privateEndpoint, publicAccess } from '../context.js';
import type { Security } from './security.js';

/** The stream topics of the contracts: topic → the dataset it feeds. */
export function streamTopics(set: ContractSet): { topic: string; dataset: string; owner: string; domain: string }[] {
  return set.datasets
    .filter((d) => d.source.stream_topic !== undefined)
    .map((d) => ({ topic: d.source.stream_topic!, dataset: d.dataset, owner: d.owner, domain: d.domain }))
    .sort((a, b) => (a.topic < b.topic ? -1 : 1));
}

/** Key Vault secret names of the Event Hubs connection information (the Databricks secret scope uses the same names: EVENT_HUBS_KAFKA_SECRETS). */
export const EVENT_HUBS_SECRETS = {
  bootstrap: EVENT_HUBS_KAFKA_SECRETS.bootstrapKey,
  listen: EVENT_HUBS_KAFKA_SECRETS.connectionStringKey,
  send: 'eventhubs-send-connection-string',
} as const;

export class EventHubs extends pulumi.ComponentResource {
  readonly namespace: eventhub.Namespace;
  readonly namespaceName: string;
  readonly hubs: Readonly<Record<string, eventhub.EventHub>>;
  readonly kafkaBootstrap: string;
  /** The namespace-level `listen` rule's connection string (a Pulumi secret): what the streaming job reads with. */
  readonly listenConnectionString: pulumi.Output<string>;

  constructor(name: string, e: Estate, p: { readonly security: Security }, opts?: pulumi.ComponentResourceOptions) {
    super('streampulse:infra:EventHubs', name, {}, opts);
    const c = e.config.eventHubs;
    const rg = e.resourceGroupName;
    const parent = { parent: this };
    const topics = streamTopics(e.set);
    this.namespaceName = e.names.dashed('evhns');
    this.namespace = new eventhub.Namespace(
      `${name}-namespace`,
      {
        resourceGroupName: rg,
        location: e.location,
        namespaceName: this.namespaceName,
        sku: { name: c.sku, tier: c.sku, capacity: c.capacity },
        kafkaEnabled: true,
        minimumTlsVersion: '1.2',
        publicNetworkAccess: publicAccess(e),
        disableLocalAuth: false,
        tags: e.tags([...new Set(topics.map((t) => t.domain))].sort().join('+') || undefined),
      },
      parent,
    );
    this.kafkaBootstrap = `${this.namespaceName}.servicebus.windows.net:9093`;
    const hubs: Record<string, eventhub.EventHub> = {};
    for (const t of topics) {
      const hub = new eventhub.EventHub(
        `${name}-hub-${t.topic}`,
        {
          resourceGroupName: rg,
          namespaceName: this.namespace.name,
          eventHubName: t.topic,
          partitionCount: c.partitionCount,
          messageRetentionInDays: c.retentionDays,
          userMetadata: JSON.stringify({ dataset: t.dataset, owner: t.owner, 'data-domain': t.domain }),
        },
        parent,
      );
      for (const group of c.consumerGroups) {
        new eventhub.ConsumerGroup(
          `${name}-hub-${t.topic}-cg-${group}`,
          {
            resourceGroupName: rg,
            namespaceName: this.namespace.name,
            eventHubName: hub.name,
            consumerGroupName: group,
            userMetadata: `reads ${t.topic} into ${t.dataset}`,
          },
          parent,
        );
      }
      hubs[t.topic] = hub;
    }
    this.hubs = hubs;
    const rule = (ruleName: 'listen' | 'send'): eventhub.NamespaceAuthorizationRule =>
      new eventhub.NamespaceAuthorizationRule(
        `${name}-rule-${ruleName}`,
        { resourceGroupName: rg, namespaceName: this.namespace.name, authorizationRuleName: ruleName, rights: [ruleName === 'listen' ? 'Listen' : 'Send'] },
        parent,
      );
    const keys = (r: eventhub.NamespaceAuthorizationRule): pulumi.Output<string> =>
      pulumi.secret(
        eventhub
          .listNamespaceKeysOutput({ resourceGroupName: rg, namespaceName: this.namespace.name, authorizationRuleName: r.name }, { parent: this })
          .apply((k) => k.primaryConnectionString ?? ''),
      );
    const security = p.security;
    security.secret(`${name}-bootstrap`, EVENT_HUBS_SECRETS.bootstrap, pulumi.output(this.kafkaBootstrap), e, this);
    this.listenConnectionString = keys(rule('listen'));
    security.secret(`${name}-listen`, EVENT_HUBS_SECRETS.listen, this.listenConnectionString, e, this);
    security.secret(`${name}-send`, EVENT_HUBS_SECRETS.send, keys(rule('send')), e, this);
    privateEndpoint(e, 'evhns', { resourceId: this.namespace.id, groupId: 'namespace', zone: 'privatelink.servicebus.windows.net' }, this);
    diagnostics(e, `${name}-namespace`, this.namespace.id, this);
    this.registerOutputs({ kafkaBootstrap: this.kafkaBootstrap, hubs: Object.keys(hubs) });
  }
}
