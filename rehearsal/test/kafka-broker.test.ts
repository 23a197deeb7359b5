/**
 * The local Kafka broker (rehearsal/src/kafka/broker.ts): a real Kafka 4.1 KRaft node
 * from .cache/kafka/jars (scripts/setup.sh), on 127.0.0.1 only.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { StreamPulseError } from '@streampulse/contracts';
import { clusterId, createTopicsOn, type KafkaBroker, kafkaServerProperties, startKafkaBroker } from '@streampulse/rehearsal';

/** Any process left in the broker's process group (the JVM and its watchdog)? */
const alive = (pid: number): boolean => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** An unsigned JWT (RFC 7519 §6: alg none), what Kafka's unsecured OAUTHBEARER validator accepts. */
function unsecuredJwt(claims: Record<string, unknown>): string {
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none' })}.${part(claims)}.`;
}

async function roundTrip(
  plaintext: string,
  bootstrap: string,
  topic: string,
  extra: Record<string, unknown> = {},
): Promise<{ key: string; value: string; timestamp: bigint }> {
  const producer = new Producer({ clientId: 'broker-test', bootstrapBrokers: [bootstrap], serializers: stringSerializers, ...extra });
  await createTopicsOn(plaintext, [topic], 1);
  const at = BigInt(Date.now());
  try {
    await producer.send({ messages: [{ topic, key: 'user-1', value: '{"n":1}', timestamp: at }] });
  } finally {
    await producer.close();
  }
  const consumer = new Consumer({
    groupId: `g-${topic}`,
    clientId: 'broker-test',
    bootstrapBrokers: [bootstrap],
    deserializers: stringDeserializers,
    maxWaitTime: 200,
    ...extra,
  });
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    for await (const m of stream) {
      await stream.close();
      return { key: m.key, value: m.value, timestamp: m.timestamp };
    }
    throw new Error('no record');
  } finally {
    await consumer.close(true);
  }
}

describe('server.properties (pure)', () => {
  it('draws the cluster id again when it would start with "-" (the storage tool would read it as an option)', () => {
    // 0xf8 encodes to '-' as base64url's first character; the second draw does not
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x01)];
    let n = 0;
    const id = clusterId(() => draws[n++] as Buffer);
    expect(n).toBe(2);
    expect(id).toBe(Buffer.alloc(16, 0x01).toString('base64url'));
    expect(Buffer.alloc(16, 0xf8).toString('base64url').startsWith('-')).toBe(true);
    expect(id).toHaveLength(22);
  });
  it('is one KRaft node on 127.0.0.1 with single-node replication factors and the unsecured OAUTHBEARER listener', () => {
    const text = kafkaServerProperties({ dataDir: '/d', ports: { broker: 1, controller: 2, sasl: 3 }, sasl: 'oauthbearer-unsecured' });
    const props = new Map(
      text
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(props.get('process.roles')).toBe('broker,controller');
    expect(props.get('listeners')).toBe('PLAINTEXT://127.0.0.1:1,CONTROLLER://127.0.0.1:2,SASL://127.0.0.1:3');
    expect(props.get('listener.security.protocol.map')).toBe('PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL:SASL_PLAINTEXT');
    expect(props.get('offsets.topic.replication.factor')).toBe('1');
    expect(props.get('transaction.state.log.replication.factor')).toBe('1');
    expect(props.get('transaction.state.log.min.isr')).toBe('1');
    expect(props.get('group.initial.rebalance.delay.ms')).toBe('0');
    expect(props.get('log.dirs')).toBe('/d');
    expect(props.get('listener.name.sasl.sasl.enabled.mechanisms')).toBe('OAUTHBEARER');
    expect(props.get('listener.name.sasl.oauthbearer.sasl.jaas.config')).toMatch(
      /^org\.apache\.kafka\.common\.security\.oauthbearer\.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="[^"]+";$/,
    );
    expect(text).not.toMatch(/0\.0\.0\.0|localhost/);
  });
});

describe('a broker with the unsecured OAUTHBEARER listener', () => {
  let broker: KafkaBroker;
  beforeAll(async () => {
    broker = await startKafkaBroker({ listeners: { sasl: 'oauthbearer-unsecured' } });
  }, 120_000);
  afterAll(async () => {
    await broker?.stop();
  }, 30_000);

  it('listens on 127.0.0.1 and carries a record from producer to consumer (key, value, record timestamp)', async () => {
    expect(broker.bootstrap).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(broker.saslBootstrap).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(broker.saslBootstrap).not.toBe(broker.bootstrap);
    const before = Date.now();
    const got = await roundTrip(broker.bootstrap, broker.bootstrap, 'broker-test-plaintext');
    expect(got.key).toBe('user-1');
    expect(JSON.parse(got.value)).toEqual({ n: 1 });
    expect(Number(got.timestamp)).toBeGreaterThanOrEqual(before - 5);
  }, 60_000);

  it('accepts an unsigned JWT with sub/iat/exp over SASL OAUTHBEARER', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = unsecuredJwt({ sub: 'producer', iat: now, exp: now + 600 });
    const got = await roundTrip(broker.bootstrap, broker.saslBootstrap ?? '', 'broker-test-oauth', { sasl: { mechanism: 'OAUTHBEARER', token } });
    expect(got.key).toBe('user-1');
  }, 60_000);

  it('refuses an expired token over SASL OAUTHBEARER', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = unsecuredJwt({ sub: 'producer', iat: now - 7200, exp: now - 3600 });
    await expect(
      roundTrip(broker.bootstrap, broker.saslBootstrap ?? '', 'broker-test-oauth-expired', { sasl: { mechanism: 'OAUTHBEARER', token } }),
    ).rejects.toThrow();
  }, 60_000);
});

describe('broker lifecycle', () => {
  it('stop() ends the JVM (no process left) and removes the folder', async () => {
    const broker = await startKafkaBroker({
      listeners: { sasl: 'plain' },
      plainUsers: { $ConnectionString: 'Endpoint=sb://x/;SharedAccessKeyName=k;SharedAccessKey=s' },
    });
    try {
      expect(alive(broker.pid)).toBe(true);
      expect(broker.running()).toBe(true);
      // SASL/PLAIN with the user `$ConnectionString` (how Event Hubs' Kafka endpoint takes a connection string)
      const got = await roundTrip(broker.bootstrap, broker.saslBootstrap ?? '', 'broker-test-plain', {
        sasl: { mechanism: 'PLAIN', username: '$ConnectionString', password: 'Endpoint=sb://x/;SharedAccessKeyName=k;SharedAccessKey=s' },
      });
      expect(got.key).toBe('user-1');
      await expect(
        roundTrip(broker.bootstrap, broker.saslBootstrap ?? '', 'broker-test-plain-bad', {
          sasl: { mechanism: 'PLAIN', username: '$ConnectionString', password: 'wrong' },
          retries: 0,
        }),
      ).rejects.toThrow();
    } catch (error) {
      await broker.stop();
      throw error;
    }
    const { kept } = await broker.stop();
    expect(kept).toBe(false);
    expect(alive(broker.pid)).toBe(false);
    expect(existsSync(broker.dir)).toBe(false);
  }, 120_000);

  it('a Node process killed with SIGKILL takes its broker with it (the watchdog), so no test run leaks a JVM', async () => {
    // serve-broker.js is the built startKafkaBroker (run `tsc -b` first; scripts/test.sh does)
    const script = join(process.cwd(), 'rehearsal', 'dist', 'src', 'kafka', 'serve-broker.js');
    expect(existsSync(script)).toBe(true);
    const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'ignore'] });
    const line = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('\n')) resolve(buf.split('\n')[0]!);
      });
      child.once('exit', () => reject(new Error(`serve-broker exited: ${buf}`)));
    });
    const info = JSON.parse(line) as { pid: number; dir: string; bootstrap: string };
    expect(alive(info.pid)).toBe(true);
    child.kill('SIGKILL');
    const deadline = Date.now() + 30_000;
    while (alive(info.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(alive(info.pid)).toBe(false);
    rmSync(info.dir, { recursive: true, force: true }); // nobody was left to remove it
  }, 120_000);

  it('a failing start (bad server.properties) keeps the folder and names the log', async () => {
    const lines: string[] = [];
    const err = await startKafkaBroker({ properties: { 'num.io.threads': 'many' }, log: (l) => lines.push(l) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StreamPulseError);
    const e = err as StreamPulseError;
    expect(e.code).toBe('KAFKA_START_FAILED');
    const logFile = /its log: (\S+)/.exec(e.message)?.[1] ?? '';
    expect(existsSync(logFile)).toBe(true);
    expect(readFileSync(logFile, 'utf8')).toMatch(/num\.io\.threads/);
    expect(e.message).toMatch(/num\.io\.threads/); // the log's tail is in the message
    expect(lines.join('\n')).toContain('kept');
    rmSync(join(logFile, '..'), { recursive: true, force: true });
  }, 120_000);

  it('missing jars: KAFKA_JARS_MISSING, fix "run scripts/setup.sh"', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-kafka-jars-'));
    try {
      const err = await startKafkaBroker({ jarsDir: empty }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StreamPulseError);
      expect((err as StreamPulseError).code).toBe('KAFKA_JARS_MISSING');
      expect((err as StreamPulseError).remedy).toContain('run scripts/setup.sh');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('refuses a folder that is not empty (stop() would remove it)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafka-dir-'));
    mkdirSync(join(dir, 'x'));
    writeFileSync(join(dir, 'x', 'keep.txt'), 'mine');
    try {
      const err = await startKafkaBroker({ dir }).catch((e: unknown) => e);
      expect((err as StreamPulseError).code).toBe('KAFKA_DIR_NOT_EMPTY');
      expect(readFileSync(join(dir, 'x', 'keep.txt'), 'utf8')).toBe('mine');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
