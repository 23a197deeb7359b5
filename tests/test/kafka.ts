/**
 * Jest helpers for tests that need a real Kafka broker: one broker per test file,
 * started on 127.0.0.1 in beforeAll and stopped in afterAll (rehearsal's
 * startKafkaBroker: Kafka 4.1 in KRaft mode from .cache/kafka/jars), and a reader that
 * drains topics.
 *
 *   const kafka = useKafkaBroker();
 *   it('…', async () => { … kafka.broker.bootstrap … });
 */
import { afterAll, beforeAll } from '@jest/globals';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { type KafkaBroker, type KafkaBrokerOptions, kafkaBrokerFixture } from '@streampulse/rehearsal';

export function useKafkaBroker(options: KafkaBrokerOptions = {}): { readonly broker: KafkaBroker } {
  const fixture = kafkaBrokerFixture(options);
  beforeAll(fixture.start, 180_000);
  afterAll(fixture.stop, 60_000);
  return fixture;
}

export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: string;
  readonly value: string;
  readonly timestamp: bigint;
}

/** Reads the topics from the start until `expected` records arrived (or `timeoutMs` passed); returns them. */
export async function readTopics(bootstrap: string, topics: readonly string[], expected: number, timeoutMs = 60_000): Promise<ConsumedRecord[]> {
  const consumer = new Consumer({
    groupId: `test-reader-${process.pid}-${Date.now()}`,
    clientId: 'test-reader',
    bootstrapBrokers: [bootstrap],
    deserializers: stringDeserializers,
    maxWaitTime: 200,
  });
  const out: ConsumedRecord[] = [];
  try {
    const stream = await consumer.consume({ topics: [...topics], mode: 'earliest', autocommit: false });
    const timer = setTimeout(() => void stream.close(), timeoutMs);
    try {
      for await (const m of stream) {
        out.push({ topic: m.topic, partition: m.partition, offset: m.offset, key: m.key, value: m.value, timestamp: m.timestamp });
        if (out.length >= expected) break;
      }
    } finally {
      clearTimeout(timer);
      await new Promise<void>((r) => stream.close(() => r()));
    }
  } finally {
    await new Promise<void>((r) => consumer.close(true, () => r()));
  }
  return out;
}
