/**
 * The Kafka client configuration (sources/src/stream/client.ts). Event Hubs cannot run
 * here: its part is tested against the documented contract — Microsoft Learn, "Use Azure
 * Event Hubs from Apache Kafka applications" (endpoint `<namespace>.servicebus.windows.net:9093`,
 * SASL_SSL, OAUTHBEARER with Microsoft Entra ID or PLAIN with the user `$ConnectionString`
 * and the connection string as password) and "Authenticate an application with Microsoft
 * Entra ID to access Event Hubs resources" (for Kafka clients the token's resource is
 * `https://<namespace>.servicebus.windows.net`). The local SASL paths run against a real
 * broker in tests/test/stream-producer.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import type { StreamPulseError } from '@streampulse/contracts';
import { CONNECTION_STRING_USER, clientOptions, eventHubsKafkaScope, kafkaClientConfig, oauthBearerTokenProvider } from '@streampulse/sources';

const NS = 'evhns-streampulse-dev';
const KEY = 'c2VjcmV0LWtleS1ub3QtdG8tYmUtbG9nZ2Vk0123456789=';
const CS = `Endpoint=sb://${NS}.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=${KEY}`;

interface Call {
  scopes: string | string[];
}
function fakeCredential(
  expiresInMs: number,
  now: () => number,
): { credential: { getToken(s: string | string[]): Promise<{ token: string; expiresOnTimestamp: number }> }; calls: Call[] } {
  const calls: Call[] = [];
  let n = 0;
  return {
    calls,
    credential: {
      getToken: async (scopes) => {
        calls.push({ scopes });
        n++;
        return { token: `token-${n}`, expiresOnTimestamp: now() + expiresInMs };
      },
    },
  };
}

describe('Event Hubs Kafka endpoint (documented contract: "Use Azure Event Hubs from Apache Kafka applications")', () => {
  it('connects to <namespace>.servicebus.windows.net on port 9093', () => {
    const { credential } = fakeCredential(3_600_000, Date.now);
    expect(kafkaClientConfig({ kind: 'event-hubs', namespace: NS, auth: 'entra' }, { credential }).bootstrapBrokers).toEqual([
      `${NS}.servicebus.windows.net:9093`,
    ]);
    // the FQDN is accepted as the namespace too
    expect(kafkaClientConfig({ kind: 'event-hubs', namespace: `${NS}.servicebus.windows.net`, auth: { connectionString: CS } }).bootstrapBrokers).toEqual([
      `${NS}.servicebus.windows.net:9093`,
    ]);
  });

  it('is SASL_SSL: TLS (server name = the namespace FQDN, TLS 1.2 at least) and a SASL mechanism, for both kinds of credential', () => {
    const { credential } = fakeCredential(3_600_000, Date.now);
    for (const config of [
      kafkaClientConfig({ kind: 'event-hubs', namespace: NS, auth: 'entra' }, { credential }),
      kafkaClientConfig({ kind: 'event-hubs', namespace: NS, auth: { connectionString: CS } }),
    ]) {
      expect(config.tls).toEqual({ servername: `${NS}.servicebus.windows.net`, minVersion: 'TLSv1.2' });
      expect(config.sasl).toBeDefined();
      expect(clientOptions(config).tls).toEqual(config.tls);
    }
  });

  it('Microsoft Entra ID: OAUTHBEARER with a token for https://<namespace>.servicebus.windows.net/.default (the Kafka resource)', async () => {
    const { credential, calls } = fakeCredential(3_600_000, Date.now);
    const config = kafkaClientConfig({ kind: 'event-hubs', namespace: NS, auth: 'entra' }, { credential });
    expect(config.sasl?.mechanism).toBe('OAUTHBEARER');
    expect(eventHubsKafkaScope(NS)).toBe(`https://${NS}.servicebus.windows.net/.default`);
    if (config.sasl?.mechanism !== 'OAUTHBEARER') throw new Error('not OAUTHBEARER');
    await expect(config.sasl.token()).resolves.toBe('token-1');
    expect(calls).toEqual([{ scopes: `https://${NS}.servicebus.windows.net/.default` }]);
    expect(config.description).toBe(`Event Hubs ${NS}.servicebus.windows.net:9093 (SASL_SSL, OAUTHBEARER via Microsoft Entra ID)`);
  });

  it('Entra token: reused while fresh, renewed 5 minutes before it expires (or after refreshAfterTimestamp); one request for concurrent connections', async () => {
    let now = 1_000_000;
    const { credential, calls } = fakeCredential(60 * 60_000, () => now);
    const token = oauthBearerTokenProvider(credential, 'scope', () => now);
    const [a, b] = await Promise.all([token(), token()]);
    expect([a, b]).toEqual(['token-1', 'token-1']);
    expect(calls).toHaveLength(1);
    now += 54 * 60_000; // 6 min before expiry
    await expect(token()).resolves.toBe('token-1');
    now += 2 * 60_000; // 4 min before expiry: renewed
    await expect(token()).resolves.toBe('token-2');
    expect(calls).toHaveLength(2);
    let asked = 0;
    const counting = oauthBearerTokenProvider(
      {
        getToken: async () => {
          asked++;
          return { token: `t${asked}`, expiresOnTimestamp: now + 3_600_000, refreshAfterTimestamp: now + 1000 };
        },
      },
      's',
      () => now,
    );
    await counting();
    now += 2000;
    await counting();
    expect(asked).toBe(2);
  });

  it('Entra: a credential that fails is STREAM_TOKEN_FAILED naming the scope, with how to sign in', async () => {
    const token = oauthBearerTokenProvider({ getToken: async () => Promise.reject(new Error('no az login')) }, eventHubsKafkaScope(NS));
    const err = (await token().catch((e: unknown) => e)) as StreamPulseError;
    expect(err.code).toBe('STREAM_TOKEN_FAILED');
    expect(err.message).toContain(`https://${NS}.servicebus.windows.net/.default`);
    expect(err.remedy).toMatch(/az login/);
  });

  it('connection string: SASL PLAIN, user "$ConnectionString", password the whole connection string', () => {
    const config = kafkaClientConfig({ kind: 'event-hubs', namespace: NS, auth: { connectionString: CS } });
    expect(config.sasl?.mechanism).toBe('PLAIN');
    if (config.sasl?.mechanism !== 'PLAIN') throw new Error('not PLAIN');
    expect(CONNECTION_STRING_USER).toBe('$ConnectionString');
    expect(config.sasl.username).toBe('$ConnectionString');
    expect(config.sasl.password()).toBe(CS);
  });

  it('the connection string is never shown: not in the description, the options as JSON or inspected, nor any error', () => {
    const config = kafkaClientConfig({ kind: 'event-hubs', namespace: NS, auth: { connectionString: CS } });
    const shown = [
      config.description,
      JSON.stringify(config),
      inspect(config, { depth: 10 }),
      JSON.stringify(clientOptions(config)),
      inspect(clientOptions(config), { depth: 10 }),
    ];
    for (const s of shown) {
      expect(s).not.toContain(KEY);
      expect(s).not.toContain('SharedAccessKey=');
    }
    const errors: StreamPulseError[] = [];
    for (const bad of [
      CS.replace(NS, 'evhns-someone-else'), // another namespace's
      CS.replace(`SharedAccessKey=${KEY}`, 'SharedAccessKey='), // no key
      KEY, // not a connection string at all
    ]) {
      try {
        kafkaClientConfig({ kind: 'event-hubs', namespace: NS, auth: { connectionString: bad } });
      } catch (e) {
        errors.push(e as StreamPulseError);
      }
    }
    expect(errors.map((e) => e.code)).toEqual(['STREAM_BAD_CONNECTION_STRING', 'STREAM_BAD_CONNECTION_STRING', 'STREAM_BAD_CONNECTION_STRING']);
    for (const e of errors) {
      expect(e.describe()).not.toContain(KEY);
      expect(inspect(e)).not.toContain(KEY);
    }
  });

  it('a connection string scoped to one event hub (EntityPath) is recorded: it can reach only that topic', () => {
    const config = kafkaClientConfig({ kind: 'event-hubs', namespace: NS, auth: { connectionString: `${CS};EntityPath=player_watch_events` } });
    expect(config.entityPath).toBe('player_watch_events');
  });

  it('refuses a namespace that is not an Event Hubs namespace name', () => {
    for (const ns of ['', 'x', 'evhns_bad', '-evhns', 'evhns.example.com'])
      expect(() => kafkaClientConfig({ kind: 'event-hubs', namespace: ns, auth: 'entra' })).toThrow(expect.objectContaining({ code: 'STREAM_BAD_NAMESPACE' }));
  });
});

describe('local broker', () => {
  it('PLAINTEXT: the bootstrap as given, no TLS, no SASL', () => {
    const config = kafkaClientConfig({ kind: 'local', bootstrap: '127.0.0.1:9092' });
    expect(clientOptions(config)).toEqual({ clientId: 'streampulse', bootstrapBrokers: ['127.0.0.1:9092'] });
    expect(config.description).toBe('Kafka 127.0.0.1:9092 (PLAINTEXT)');
  });

  it('refuses a bootstrap that is not host:port', () => {
    expect(() => kafkaClientConfig({ kind: 'local', bootstrap: '127.0.0.1' })).toThrow(expect.objectContaining({ code: 'STREAM_BAD_BOOTSTRAP' }));
  });

  it('PLAIN on a SASL listener keeps the password out of the description and the options', () => {
    const config = kafkaClientConfig({ kind: 'local', bootstrap: '127.0.0.1:1', sasl: { mechanism: 'PLAIN', username: 'u', password: 'hunter2-secret' } });
    expect(`${config.description}${JSON.stringify(config)}${inspect(config)}`).not.toContain('hunter2-secret');
  });
});
