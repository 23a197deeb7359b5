/**
 * Test helpers of the stream consumer's tests: a small base lake (a `streampulse demo`
 * run, so the streamed datasets' referential checks have users and titles), and events
 * made from its landing lines — new ids, the event time set to now (or late) — produced
 * to the contracts' topics on the test's broker with the Kafka client.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Producer, stringSerializers } from '@platformatic/kafka';
import type { ContractSet } from '@streampulse/contracts';

export interface SentEvent {
  readonly topic: string;
  readonly dataset: string;
  readonly value: string;
  /** on time, late within the watermark, late beyond it, or a re-send of an earlier event. */
  readonly kind: 'on_time' | 'late_within' | 'late_beyond' | 'dupe';
  readonly eventTime: string;
}

const iso = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/**
 * Events for the streamed datasets: `perDataset` lines of each from the lake's landing of
 * `day`, ids suffixed with `tag`; every 7th late within the watermark (half of it), every
 * 11th late beyond it (watermark + 24 h), and every 9th sent twice.
 */
export function makeEvents(set: ContractSet, lake: string, day: string, perDataset: number, tag: string, now = Date.now()): SentEvent[] {
  const out: SentEvent[] = [];
  for (const ds of set.datasets.filter((d) => d.source.stream_topic !== undefined)) {
    const file = join(lake, 'landing', ds.source.landing_path.split('{date}').join(day));
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(0, perDataset);
    lines.forEach((line, i) => {
      const rec = JSON.parse(line) as Record<string, unknown>;
      for (const k of ds.primary_key) rec[k] = `${String(rec[k])}${tag}`;
      // the sessions a play belongs to are streamed too (same suffix)
      for (const c of ds.columns) if (c.name.endsWith('session_id') && !ds.primary_key.includes(c.name)) rec[c.name] = `${String(rec[c.name])}${tag}`;
      const kind: SentEvent['kind'] = i % 11 === 5 ? 'late_beyond' : i % 7 === 3 ? 'late_within' : 'on_time';
      const hours = ds.watermark.max_delay_hours;
      const at = kind === 'late_beyond' ? now - (hours + 24) * 3_600_000 : kind === 'late_within' ? now - (hours / 2) * 3_600_000 : now - 1000;
      rec[ds.event_time] = iso(at);
      const e: SentEvent = { topic: ds.source.stream_topic!, dataset: ds.dataset, value: JSON.stringify(rec), kind, eventTime: iso(at) };
      out.push(e);
      if (i % 9 === 4) out.push({ ...e, kind: 'dupe' });
    });
  }
  return out;
}

/**
 * Produces the events (keyed by their user id; partition `i % partitions`) and waits for
 * the broker's acknowledgements. One send holds one topic-partition's records, so a send
 * the broker refuses appended nothing and is sent again (right after a topic is created
 * Kafka 4.1 may answer NOT_LEADER_OR_FOLLOWER, whose response the client of this version
 * fails to read: "Out of bounds").
 */
export async function produce(bootstrap: string, events: readonly SentEvent[], partitions = 2): Promise<void> {
  const producer = new Producer({ clientId: 'streampulse-test', bootstrapBrokers: [bootstrap], serializers: stringSerializers });
  const groups = new Map<string, { topic: string; partition: number; key: string; value: string }[]>();
  events.forEach((e, i) => {
    const partition = i % partitions;
    const k = `${e.topic}:${partition}`;
    const key = String((JSON.parse(e.value) as Record<string, unknown>)['user_id'] ?? '');
    (groups.get(k) ?? groups.set(k, []).get(k)!).push({ topic: e.topic, partition, key, value: e.value });
  });
  try {
    for (const messages of groups.values())
      for (let attempt = 1; ; attempt++) {
        try {
          await producer.send({ messages });
          break;
        } catch (e) {
          if (attempt >= 10) throw e;
          await new Promise((r) => setTimeout(r, 300));
        }
      }
  } finally {
    await producer.close();
  }
}
