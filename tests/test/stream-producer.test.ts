/**
 * The stream producer (sources/src/stream/producer.ts) against a real Kafka broker on
 * 127.0.0.1 (tests/test/kafka.ts): what it sends is what its summary and manifest say,
 * record by record; the OAUTHBEARER path Event Hubs uses with Entra ID tokens runs for
 * real against the broker's SASL listener (Kafka's unsecured-JWT validator: no TLS); and
 * the topics are the event hubs the estate deploys.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContractsOrThrow } from '@streampulse/contracts';
import { startKafkaBroker } from '@streampulse/rehearsal';
import { streamTopics } from '@streampulse/infra';
import { produceStream, type StreamSummary, streamedDatasets } from '@streampulse/sources';
import { readTopics, useKafkaBroker } from './kafka.js';

const SET = loadContractsOrThrow(join(process.cwd(), 'contracts', 'streampulse'));
const DATASETS = streamedDatasets(SET);
const TOPICS = DATASETS.map((d) => d.topic);
const WORLD = { users: 400, days: 10, startDate: '2026-01-25', seed: 'producer-test' };
const TMP = mkdtempSync(join(tmpdir(), 'sp-stream-producer-'));
const HOUR = 3_600_000;

// connections.max.reauth.ms: the SASL listener makes a client log in again every 3 s (as a
// broker does when a session's token nears its expiry)
const kafka = useKafkaBroker({ listeners: { sasl: 'oauthbearer-unsecured' }, partitions: 2, properties: { 'connections.max.reauth.ms': '3000' } });
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** A TokenCredential minting unsigned JWTs (what Kafka's unsecured OAUTHBEARER validator accepts), counting its calls. */
function unsignedJwtCredential(lifetimeMs: number): {
  credential: { getToken(scopes: string | string[]): Promise<{ token: string; expiresOnTimestamp: number }> };
  scopes: string[];
} {
  const scopes: string[] = [];
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return {
    scopes,
    credential: {
      getToken: async (s) => {
        scopes.push(String(s));
        const now = Date.now();
        return {
          token: `${part({ alg: 'none' })}.${part({ sub: 'streampulse-producer', iat: Math.floor(now / 1000), exp: Math.floor((now + lifetimeMs) / 1000) })}.`,
          expiresOnTimestamp: now + lifetimeMs,
        };
      },
    },
  };
}

describe('produceStream on the local broker', () => {
  let summary: StreamSummary;
  const manifest = join(TMP, 'manifest.json');

  it('sends rate × duration records (plus the last re-sends) and says so per topic', async () => {
    const progress: number[] = [];
    summary = await produceStream(SET, {
      target: { kind: 'local', bootstrap: kafka.broker.bootstrap },
      rate: 400,
      durationS: 2,
      late: 0.2,
      dupes: 0.1,
      seed: 11,
      world: WORLD,
      partitions: 2,
      manifestFile: manifest,
      onProgress: (p) => progress.push(p.records),
    });
    expect(summary.records).toBeGreaterThanOrEqual(800);
    expect(summary.records).toBe(summary.events + summary.duplicates);
    expect(summary.topics.reduce((n, t) => n + t.records, 0)).toBe(summary.records);
    expect(summary.topics.map((t) => t.topic).sort()).toEqual([...TOPICS].sort());
    expect(progress.length).toBeGreaterThan(1);
    expect(summary.duration_ms).toBeGreaterThanOrEqual(1500); // paced, not a burst
    expect(JSON.parse(readFileSync(manifest, 'utf8'))).toEqual(JSON.parse(JSON.stringify(summary)));
  }, 120_000);

  it('every record on the broker is in the summary: counts per topic, keys, values, Kafka timestamps, lateness and re-sends', async () => {
    const records = await readTopics(kafka.broker.bootstrap, TOPICS, summary.records);
    expect(records).toHaveLength(summary.records);
    const byTopic = new Map(DATASETS.map((d) => [d.topic, d]));
    const seen = new Map<string, number>();
    const lateBeyond = new Map<string, string[]>();
    let lateWithin = 0;
    for (const t of summary.topics) expect(records.filter((r) => r.topic === t.topic)).toHaveLength(t.records);
    const started = Date.parse(summary.started_at);
    const ended = Date.parse(summary.ended_at);
    for (const r of records) {
      const ds = byTopic.get(r.topic)!;
      const value = JSON.parse(r.value) as Record<string, unknown>;
      // the line a daily landing file would hold: the contract's columns, in order
      expect(Object.keys(value)).toEqual(ds.contract.columns.map((c) => c.name));
      expect(r.key).toBe(value[ds.keyColumn]);
      const produced = Number(r.timestamp);
      expect(produced).toBeGreaterThanOrEqual(started);
      expect(produced).toBeLessThanOrEqual(ended);
      const id = ds.primaryKey.map((k) => String(value[k])).join('|');
      const n = (seen.get(`${ds.dataset}/${id}`) ?? 0) + 1;
      seen.set(`${ds.dataset}/${id}`, n);
      if (n > 1) continue; // a re-send: same value, checked below
      const age = produced - Date.parse(String(value[ds.eventTimeColumn]));
      if (age > ds.maxDelayHours * HOUR) lateBeyond.set(ds.dataset, [...(lateBeyond.get(ds.dataset) ?? []), id]);
      else if (age >= HOUR - 1000) lateWithin++;
      else expect(age).toBeLessThan(1000); // on time: event time = production instant (to the second)
    }
    const resent = [...seen.entries()].filter(([, n]) => n > 1);
    expect(resent.reduce((s, [, n]) => s + n - 1, 0)).toBe(summary.duplicates);
    const dupIds = Object.entries(summary.duplicate_ids).flatMap(([ds, ids]) => ids.map((id) => `${ds}/${id}`));
    expect(new Set(resent.map(([k]) => k))).toEqual(new Set(dupIds));
    expect(lateWithin).toBe(summary.late_within);
    for (const d of DATASETS) expect([...(lateBeyond.get(d.dataset) ?? [])].sort()).toEqual([...(summary.late_beyond_ids[d.dataset] ?? [])].sort());
    // the shares asked for, with this seed
    expect(summary.late_beyond / summary.events).toBeGreaterThan(0.05);
    expect(summary.late_beyond / summary.events).toBeLessThan(0.15);
    expect(summary.duplicates / summary.events).toBeGreaterThan(0.05);
    expect(summary.duplicates / summary.events).toBeLessThan(0.15);
    // one key's events on one partition (the stream key is the record key)
    const partitionOf = new Map<string, number>();
    for (const r of records) {
      const k = `${r.topic}/${r.key}`;
      expect(partitionOf.get(k) ?? r.partition).toBe(r.partition);
      partitionOf.set(k, r.partition);
    }
    expect(new Set(records.map((r) => r.partition)).size).toBe(2);
  }, 120_000);

  it('the same seed sends the same events (ids, keys, lateness, re-sends); only the clock differs', async () => {
    const again = await produceStream(SET, {
      target: { kind: 'local', bootstrap: kafka.broker.bootstrap },
      rate: 400,
      durationS: 2,
      late: 0.2,
      dupes: 0.1,
      seed: 11,
      world: WORLD,
      createTopics: false,
      // a fake clock: no waiting, another production instant (within the hour the broker
      // accepts ahead of its own clock: Kafka's log.message.timestamp.after.max.ms)
      clock: (() => {
        let t = Date.now() + 10 * 60_000;
        return () => (t += 1);
      })(),
      sleep: async () => undefined,
    });
    expect(again.late_beyond_ids).toEqual(summary.late_beyond_ids);
    expect(again.duplicate_ids).toEqual(summary.duplicate_ids);
    expect(again.topics).toEqual(summary.topics);
  }, 120_000);
});

describe('SASL OAUTHBEARER (the Entra ID path) against the broker', () => {
  it("the producer's token provider logs in on the SASL listener with the credential's token for the scope it names", async () => {
    const { credential, scopes } = unsignedJwtCredential(HOUR);
    const scope = 'https://evhns-streampulse-test.servicebus.windows.net/.default';
    const s = await produceStream(SET, {
      target: { kind: 'local', bootstrap: kafka.broker.saslBootstrap!, sasl: { mechanism: 'OAUTHBEARER', credential, scope } },
      rate: 200,
      durationS: 0.5,
      seed: 12,
      world: WORLD,
      partitions: 2,
    });
    expect(s.target).toBe(`Kafka ${kafka.broker.saslBootstrap} (SASL_PLAINTEXT, OAUTHBEARER)`);
    expect(s.records).toBe(100);
    expect(scopes.length).toBeGreaterThanOrEqual(1);
    expect(new Set(scopes)).toEqual(new Set([scope]));
  }, 120_000);

  it('a long run re-authenticates with a renewed token: short-lived tokens are fetched again, no send fails', async () => {
    // 60 s tokens are always within the provider's 5-minute renewal margin: every login asks anew
    const { credential, scopes } = unsignedJwtCredential(60_000);
    const s = await produceStream(SET, {
      target: {
        kind: 'local',
        bootstrap: kafka.broker.saslBootstrap!,
        sasl: { mechanism: 'OAUTHBEARER', credential, scope: 'https://evhns-streampulse-test.servicebus.windows.net/.default' },
      },
      rate: 100,
      durationS: 8,
      seed: 14,
      world: WORLD,
      partitions: 2,
    });
    expect(s.records).toBe(800);
    // two logins (topic admin, producer), then the producer's re-authentications at 80 % of
    // each 3 s session (without connections.max.reauth.ms this run asks twice)
    expect(scopes.length).toBeGreaterThanOrEqual(4);
  }, 120_000);

  it('an expired token is refused by the broker: the run fails, nothing is counted as sent', async () => {
    const { credential } = unsignedJwtCredential(-HOUR);
    const err = await produceStream(SET, {
      target: { kind: 'local', bootstrap: kafka.broker.saslBootstrap!, sasl: { mechanism: 'OAUTHBEARER', credential, scope: 'x' } },
      rate: 100,
      durationS: 0.1,
      seed: 13,
      world: WORLD,
      createTopics: false,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STREAM_SEND_FAILED' });
  }, 120_000);
});

describe('a topic that does not exist (an event hub infra has not deployed)', () => {
  it('fails the run with STREAM_SEND_FAILED after the send timeout instead of waiting for ever', async () => {
    const broker = await startKafkaBroker({ autoCreateTopics: false });
    try {
      const started = Date.now();
      const err = await produceStream(SET, {
        target: { kind: 'local', bootstrap: broker.bootstrap },
        rate: 100,
        durationS: 1,
        seed: 15,
        world: WORLD,
        createTopics: false, // as for Event Hubs: nothing is created
        sendTimeoutMs: 3000,
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'STREAM_SEND_FAILED' });
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      await broker.stop();
    }
  }, 120_000);
});

describe('topics are the estate’s event hubs (documented: a Kafka topic is an event hub)', () => {
  it('every topic the producer writes is an event hub infra deploys', () => {
    const hubs = new Set(streamTopics(SET).map((t) => t.topic));
    for (const t of TOPICS) expect(hubs.has(t)).toBe(true);
  });
});
