/**
 * One Kafka client configuration for both targets of the event stream: a local Kafka
 * broker (`streampulse stream demo`, the tests) and Azure Event Hubs' Kafka endpoint.
 *
 * What Event Hubs documents for Kafka clients ("Use Azure Event Hubs from Apache Kafka
 * applications"; "Authenticate an application with Microsoft Entra ID to access Event
 * Hubs resources") and what this encodes (sources/test/stream-client.test.ts checks each):
 *   - the bootstrap server is the namespace's FQDN on port 9093:
 *     `<namespace>.servicebus.windows.net:9093`;
 *   - the connection is SASL_SSL: always TLS (the estate's namespace sets TLS 1.2 as its
 *     minimum, infra/src/components/event-hubs.ts);
 *   - Microsoft Entra ID: SASL mechanism OAUTHBEARER with an OAuth 2.0 access token whose
 *     resource, for Kafka clients, is `https://<namespace>.servicebus.windows.net` — the
 *     scope `https://<namespace>.servicebus.windows.net/.default` — here from
 *     `@azure/identity` (`DefaultAzureCredential` unless one is given), renewed before
 *     it expires;
 *   - a shared access signature connection string: SASL mechanism PLAIN with the user
 *     name `$ConnectionString` and the whole connection string as the password;
 *   - a Kafka topic is an event hub (the hub named after the contract's `stream_topic`),
 *     a Kafka consumer group is an Event Hubs consumer group.
 * The connection string is a secret: it is passed to the client as a function (so no
 * inspection or JSON of the options shows it) and never printed: `describeKafkaTarget`
 * and every error name the namespace and the mechanism only.
 */
import type { AccessToken, TokenCredential } from '@azure/identity';
import { StreamPulseError } from '@streampulse/contracts';

/** Event Hubs' Kafka endpoint port (TLS). */
export const EVENT_HUBS_KAFKA_PORT = 9093;
/** The DNS suffix of Event Hubs namespaces in Azure's public cloud. */
export const EVENT_HUBS_DNS_SUFFIX = 'servicebus.windows.net';
/** The user name Event Hubs' Kafka endpoint takes with a connection string as the SASL PLAIN password. */
export const CONNECTION_STRING_USER = '$ConnectionString';

/** SASL on a local broker's SASL_PLAINTEXT listener (startKafkaBroker's `sasl` listeners): the producer's real mechanisms, minus TLS. */
export type LocalSasl =
  | { readonly mechanism: 'OAUTHBEARER'; readonly credential: TokenCredential; readonly scope: string }
  | { readonly mechanism: 'PLAIN'; readonly username: string; readonly password: string };

export type KafkaTarget =
  | { readonly kind: 'local'; readonly bootstrap: string; readonly sasl?: LocalSasl }
  | {
      readonly kind: 'event-hubs';
      /** The namespace name (`evhns-streampulse-dev`) or its FQDN. */
      readonly namespace: string;
      /** `entra`: OAUTHBEARER with a token for the namespace; or a connection string (SASL PLAIN). */
      readonly auth: 'entra' | { readonly connectionString: string };
    };

/** The options @platformatic/kafka's clients take (Producer, Consumer, Admin), plus what we know about the target. */
export interface KafkaClientConfig {
  readonly clientId: string;
  readonly bootstrapBrokers: string[];
  /** Node TLS options: present = TLS (SASL_SSL), absent = plaintext. */
  readonly tls?: { readonly servername: string; readonly minVersion: 'TLSv1.2' };
  readonly sasl?:
    | { readonly mechanism: 'OAUTHBEARER'; readonly token: () => Promise<string> }
    | { readonly mechanism: 'PLAIN'; readonly username: string; readonly password: () => string };
  /** The event hub a connection string is scoped to (its `EntityPath`): the only topic it can reach. */
  readonly entityPath?: string;
  /** A one-line, secret-free description: `Event Hubs evhns-x.servicebus.windows.net:9093 (SASL_SSL, OAUTHBEARER via Microsoft Entra ID)`. */
  readonly description: string;
}

export interface KafkaClientOptions {
  readonly clientId?: string;
  /** The Entra ID credential for `auth: 'entra'`; default `new DefaultAzureCredential()`. */
  readonly credential?: TokenCredential;
  /** The clock the token cache reads; default Date.now. */
  readonly now?: () => number;
}

/** `evhns-x` or `evhns-x.servicebus.windows.net` → the FQDN; anything else is an error. */
export function eventHubsFqdn(namespace: string): string {
  const n = namespace.trim().toLowerCase().replace(/\.$/, '');
  const name = n.endsWith(`.${EVENT_HUBS_DNS_SUFFIX}`) ? n.slice(0, -(EVENT_HUBS_DNS_SUFFIX.length + 1)) : n;
  // Event Hubs namespace names: 6–50 letters, digits and hyphens, starting with a letter, not ending with a hyphen.
  if (!/^[a-z][a-z0-9-]{4,48}[a-z0-9]$/.test(name))
    throw new StreamPulseError('STREAM_BAD_NAMESPACE', `"${namespace}" is not an Event Hubs namespace name`, {
      remedy: 'pass the namespace name (6–50 letters, digits and hyphens, starting with a letter), e.g. --event-hubs-namespace evhns-streampulse-dev',
    });
  return `${name}.${EVENT_HUBS_DNS_SUFFIX}`;
}

/** The OAuth scope of a namespace's Kafka endpoint: `https://<namespace>.servicebus.windows.net/.default`. */
export function eventHubsKafkaScope(namespace: string): string {
  return `https://${eventHubsFqdn(namespace)}/.default`;
}

/** The parts of a connection string we check (never the key). */
function parseConnectionString(cs: string): { endpointHost?: string; entityPath?: string; hasKey: boolean } {
  const parts = new Map<string, string>();
  for (const piece of cs.split(';')) {
    const i = piece.indexOf('=');
    if (i > 0) parts.set(piece.slice(0, i).trim().toLowerCase(), piece.slice(i + 1).trim());
  }
  const endpoint = parts.get('endpoint');
  const host = endpoint !== undefined ? /^sb:\/\/([^/]+)\/?$/i.exec(endpoint)?.[1]?.toLowerCase() : undefined;
  const entityPath = parts.get('entitypath');
  return {
    ...(host !== undefined ? { endpointHost: host } : {}),
    ...(entityPath !== undefined && entityPath !== '' ? { entityPath } : {}),
    hasKey: (parts.get('sharedaccesskey') ?? parts.get('sharedaccesssignature') ?? '') !== '',
  };
}

/**
 * A token provider for SASL OAUTHBEARER: asks the credential for `scope`, keeps the token
 * and asks again when it is within `refreshMarginMs` (default 5 min) of its expiry, or
 * past the credential's own `refreshAfterTimestamp`. Concurrent connections share one request.
 */
export function oauthBearerTokenProvider(
  credential: TokenCredential,
  scope: string,
  now: () => number = Date.now,
  refreshMarginMs = 5 * 60_000,
): () => Promise<string> {
  let current: AccessToken | undefined;
  let pending: Promise<AccessToken> | undefined;
  const fresh = (t: AccessToken): boolean => {
    const at = now();
    return at < t.expiresOnTimestamp - refreshMarginMs && (t.refreshAfterTimestamp === undefined || at < t.refreshAfterTimestamp);
  };
  return async () => {
    if (current !== undefined && fresh(current)) return current.token;
    pending ??= (async () => {
      let token: AccessToken | null;
      try {
        token = await credential.getToken(scope);
      } catch (error) {
        throw new StreamPulseError(
          'STREAM_TOKEN_FAILED',
          `no Microsoft Entra ID token for ${scope}: ${error instanceof Error ? error.message : String(error)}`,
          {
            remedy:
              'sign in (az login), or set AZURE_CLIENT_ID / AZURE_TENANT_ID / AZURE_CLIENT_SECRET (or a managed identity) for DefaultAzureCredential; the identity needs the "Azure Event Hubs Data Sender" role on the namespace',
            cause: error,
          },
        );
      }
      if (token === null)
        throw new StreamPulseError('STREAM_TOKEN_FAILED', `the credential returned no token for ${scope}`, {
          remedy: 'sign in (az login) or configure DefaultAzureCredential',
        });
      return token;
    })().finally(() => {
      pending = undefined;
    });
    current = await pending;
    return current.token;
  };
}

/** DefaultAzureCredential, loaded on the first token request (importing @azure/identity costs time every other command would pay). */
function defaultAzureCredential(): TokenCredential {
  let loaded: Promise<TokenCredential> | undefined;
  return {
    getToken: async (scopes, options) => {
      loaded ??= import('@azure/identity').then((m) => new m.DefaultAzureCredential());
      return (await loaded).getToken(scopes, options);
    },
  };
}

/** The client options for a target (see the module comment for what each target needs). */
export function kafkaClientConfig(target: KafkaTarget, options: KafkaClientOptions = {}): KafkaClientConfig {
  const clientId = options.clientId ?? 'streampulse';
  if (target.kind === 'local') {
    if (!/^[^\s:]+:\d{1,5}$/.test(target.bootstrap))
      throw new StreamPulseError('STREAM_BAD_BOOTSTRAP', `"${target.bootstrap}" is not host:port`, {
        remedy: 'pass --bootstrap host:port, e.g. --bootstrap 127.0.0.1:9092',
      });
    const sasl = target.sasl;
    if (sasl === undefined) return { clientId, bootstrapBrokers: [target.bootstrap], description: `Kafka ${target.bootstrap} (PLAINTEXT)` };
    if (sasl.mechanism === 'OAUTHBEARER')
      return {
        clientId,
        bootstrapBrokers: [target.bootstrap],
        sasl: { mechanism: 'OAUTHBEARER', token: oauthBearerTokenProvider(sasl.credential, sasl.scope, options.now) },
        description: `Kafka ${target.bootstrap} (SASL_PLAINTEXT, OAUTHBEARER)`,
      };
    const password = sasl.password;
    return {
      clientId,
      bootstrapBrokers: [target.bootstrap],
      sasl: { mechanism: 'PLAIN', username: sasl.username, password: () => password },
      description: `Kafka ${target.bootstrap} (SASL_PLAINTEXT, PLAIN as ${sasl.username})`,
    };
  }
  const fqdn = eventHubsFqdn(target.namespace);
  const bootstrap = `${fqdn}:${EVENT_HUBS_KAFKA_PORT}`;
  const tls = { servername: fqdn, minVersion: 'TLSv1.2' } as const;
  if (target.auth === 'entra') {
    const credential = options.credential ?? defaultAzureCredential();
    return {
      clientId,
      bootstrapBrokers: [bootstrap],
      tls,
      sasl: { mechanism: 'OAUTHBEARER', token: oauthBearerTokenProvider(credential, eventHubsKafkaScope(fqdn), options.now) },
      description: `Event Hubs ${bootstrap} (SASL_SSL, OAUTHBEARER via Microsoft Entra ID)`,
    };
  }
  const secret = target.auth.connectionString.trim();
  const parsed = parseConnectionString(secret);
  if (parsed.endpointHost === undefined || !parsed.hasKey)
    throw new StreamPulseError(
      'STREAM_BAD_CONNECTION_STRING',
      `the connection string for ${fqdn} is not an Event Hubs connection string (Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…)`,
      {
        remedy: "copy a shared access policy's connection string from the namespace (or Key Vault's eventhubs-send-connection-string)",
      },
    );
  if (parsed.endpointHost !== fqdn)
    throw new StreamPulseError('STREAM_BAD_CONNECTION_STRING', `the connection string is for ${parsed.endpointHost}, not ${fqdn}`, {
      remedy: 'use a connection string of the namespace you name, or name the namespace of the connection string',
    });
  return {
    clientId,
    bootstrapBrokers: [bootstrap],
    tls,
    sasl: { mechanism: 'PLAIN', username: CONNECTION_STRING_USER, password: () => secret },
    ...(parsed.entityPath !== undefined ? { entityPath: parsed.entityPath } : {}),
    description: `Event Hubs ${bootstrap} (SASL_SSL, PLAIN with a connection string${parsed.entityPath !== undefined ? ` for event hub ${parsed.entityPath}` : ''})`,
  };
}

/** The secret-free description of a target. */
export function describeKafkaTarget(config: KafkaClientConfig): string {
  return config.description;
}

/** The options to hand to a @platformatic/kafka client (Producer, Consumer, Admin). */
export function clientOptions(config: KafkaClientConfig): {
  clientId: string;
  bootstrapBrokers: string[];
  tls?: { servername: string; minVersion: 'TLSv1.2' };
  sasl?: { mechanism: 'OAUTHBEARER'; token: () => Promise<string> } | { mechanism: 'PLAIN'; username: string; password: () => string };
} {
  return {
    clientId: config.clientId,
    bootstrapBrokers: [...config.bootstrapBrokers],
    ...(config.tls !== undefined ? { tls: { ...config.tls } } : {}),
    ...(config.sasl !== undefined ? { sasl: { ...config.sasl } } : {}),
  };
}
