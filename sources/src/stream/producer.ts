/**
 * The event-stream producer (`streampulse stream produce`): the simulated business's
 * events, live, as JSON records on the contracts' topics.
 *
 * Which datasets: every contract with `source.stream_topic` and `source.stream_key`
 * that the simulation feeds (world/bindings.ts) — no dataset is named here. A record's
 * value is the line the daily landing file would hold (`jsonLine`: the contract's columns
 * in order), its key the `stream_key` column's value, its Kafka timestamp the instant it
 * was produced.
 *
 * Which events: the stream continues a batch world — the one `streampulse demo` /
 * `sources generate` simulated for `world.days` days from `world.startDate` with
 * `world.users` and `world.seed` — from the day after its last: new ids that never
 * collide with the batch files'. An event is streamed only when every parent a
 * quarantining referential rule asks for (an account, a title) was exported during the
 * batch days and not kept out of silver by a seeded defect (`exclude`), so a streamed
 * event is quarantined only when the producer means it to be (late beyond the
 * watermark). Every timestamp of the record moves by the same amount so that its event
 * time is the production instant (on time), a few hours to half the watermark earlier
 * (late within it), or 1–24 h beyond the contract's `watermark.max_delay_hours` (late
 * beyond it: quarantined `late:beyond_watermark`).
 *
 * `late` is the share of events that are late, half within the watermark and half beyond
 * it; `dupes` the share re-sent (the same key and value, a few records later, as a
 * producer retry would). Rate control: `rate` records a second for `durationS` seconds
 * (re-sends count), sent in batches on a schedule; a slow broker makes the run late,
 * never faster. Everything but the clock is fixed by `seed`: the same seed and world give
 * the same events, ids, keys, late and duplicate choices (the clock and sleep are
 * injectable for tests).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Admin, Producer, ProduceAcks, stringSerializers } from '@platformatic/kafka';
import { type ContractSet, type DatasetContract, StreamPulseError } from '@streampulse/contracts';
import type { Manifest } from '../generate.js';
import { Rng } from '../rng.js';
import { DATASET_BINDINGS } from '../world/bindings.js';
import { type SourceRecord, World } from '../world/simulate.js';
import { jsonLine } from '../write.js';
import { clientOptions, type KafkaClientConfig, type KafkaClientOptions, type KafkaTarget, kafkaClientConfig } from './client.js';

const HOUR = 3_600_000;

/** A dataset the producer streams, as its contract says. */
export interface StreamedDataset {
  readonly dataset: string;
  readonly topic: string;
  /** The record key's column (`source.stream_key`). */
  readonly keyColumn: string;
  readonly eventTimeColumn: string;
  readonly maxDelayHours: number;
  readonly primaryKey: readonly string[];
  readonly contract: DatasetContract;
}

/** The datasets with a stream topic and key that the simulation feeds, by dataset name. */
export function streamedDatasets(set: ContractSet): StreamedDataset[] {
  return set.datasets
    .filter((d) => d.source.stream_topic !== undefined && d.source.stream_key !== undefined && DATASET_BINDINGS[d.dataset] !== undefined)
    .map((d) => ({
      dataset: d.dataset,
      topic: d.source.stream_topic!,
      keyColumn: d.source.stream_key!,
      eventTimeColumn: d.event_time,
      maxDelayHours: d.watermark.max_delay_hours,
      primaryKey: d.primary_key,
      contract: d,
    }))
    .sort((a, b) => a.dataset.localeCompare(b.dataset));
}

/** The batch world the stream continues (what `streampulse demo` / `sources generate` simulated). */
export interface StreamWorld {
  readonly users: number;
  readonly days: number;
  readonly startDate: string;
  readonly seed: string;
}

export type Lateness = 'on_time' | 'late_within' | 'late_beyond';

/** One record to send. */
export interface PlannedRecord {
  readonly dataset: string;
  readonly topic: string;
  readonly key: string;
  readonly value: string;
  /** Primary-key values joined by "|". */
  readonly id: string;
  readonly lateness: Lateness;
  readonly eventTime: string;
  /** A re-send of an earlier record (same key and value). */
  readonly duplicate: boolean;
}

export interface PlannerOptions {
  readonly world: StreamWorld;
  readonly seed: string | number;
  /** Share of events that are late (half within the watermark, half beyond); 0–1. */
  readonly late?: number;
  /** Share of events re-sent; 0–1. */
  readonly dupes?: number;
  /** Parent keys kept out of silver during the batch days (dataset → primary-key values joined by "|"): not referenced by streamed events. */
  readonly exclude?: ReadonlyMap<string, ReadonlySet<string>>;
}

const iso = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** A referential rule a streamed event must satisfy from the batch days' parents. */
interface ParentCheck {
  readonly column: string;
  readonly parent: string;
  readonly parentColumn: string;
}

/**
 * The deterministic part of the producer: which records, in which order, with which
 * lateness and re-sends. `next(now)` returns the next record stamped at `now`.
 */
export class StreamPlanner {
  readonly datasets: readonly StreamedDataset[];
  private readonly world: World;
  private readonly rng: Rng;
  private readonly late: number;
  private readonly dupes: number;
  private readonly checks = new Map<string, ParentCheck[]>();
  private readonly parents = new Map<string, Set<string>>();
  private queue: { ds: StreamedDataset; rec: SourceRecord }[] = [];
  private readonly resend: { due: number; record: PlannedRecord }[] = [];
  private sequence = 0;
  private day: number;

  constructor(
    set: ContractSet,
    readonly options: PlannerOptions,
  ) {
    this.datasets = streamedDatasets(set);
    if (this.datasets.length === 0)
      throw new StreamPulseError('STREAM_NO_DATASETS', 'no dataset contract has both source.stream_topic and source.stream_key and a simulated source', {
        remedy: 'add "stream_topic:" and "stream_key:" under the source of the event datasets to stream',
      });
    const share = (name: string, v: number | undefined): number => {
      const x = v ?? 0;
      if (!(x >= 0 && x <= 1))
        throw new StreamPulseError('STREAM_BAD_OPTION', `${name} must be a share from 0 to 1, got ${String(v)}`, {
          remedy: `pass ${name} P with 0 ≤ P ≤ 1 (e.g. 0.02)`,
        });
      return x;
    };
    this.late = share('--late', options.late);
    this.dupes = share('--dupes', options.dupes);
    this.rng = new Rng(`streampulse-stream:${String(options.seed)}`);
    const streamed = new Set(this.datasets.map((d) => d.dataset));
    const byName = new Map(set.datasets.map((d) => [d.dataset, d]));
    for (const ds of this.datasets) {
      const checks: ParentCheck[] = [];
      for (const q of ds.contract.quality)
        if (
          q.rule === 'referential' &&
          q.action === 'quarantine' &&
          !streamed.has(q.references.dataset) &&
          DATASET_BINDINGS[q.references.dataset] !== undefined
        )
          checks.push({ column: q.column, parent: q.references.dataset, parentColumn: q.references.column });
      this.checks.set(ds.dataset, checks);
    }
    // the batch days: what the lake holds; collect the parents the streamed events may reference
    const w = options.world;
    this.world = new World({ users: w.users, days: w.days, startDate: w.startDate, seed: w.seed });
    const wanted = new Map<string, Set<string>>(); // parent dataset → its columns referenced
    for (const list of this.checks.values())
      for (const c of list) {
        const cols = wanted.get(c.parent) ?? new Set<string>();
        cols.add(c.parentColumn);
        wanted.set(c.parent, cols);
      }
    for (let d = 0; d < w.days; d++) {
      const today = this.world.step();
      for (const [parent, cols] of wanted) {
        const kind = DATASET_BINDINGS[parent]!;
        const contract = byName.get(parent);
        const excluded = options.exclude?.get(parent);
        for (const rec of today[kind]) {
          const id = contract?.primary_key.map((k) => String(rec[k] ?? '')).join('|') ?? '';
          if (excluded?.has(id)) continue;
          for (const col of cols) {
            const v = rec[col];
            if (v === null || v === undefined) continue;
            const k = `${parent}.${col}`;
            let s = this.parents.get(k);
            if (s === undefined) this.parents.set(k, (s = new Set()));
            s.add(String(v));
          }
        }
      }
    }
    // a parent excluded in any version is excluded (a later good version may not reach silver before the stream)
    for (const [parent, ids] of options.exclude ?? [])
      for (const col of wanted.get(parent) ?? []) {
        const contract = byName.get(parent);
        if (contract?.primary_key.length === 1 && contract.primary_key[0] === col) for (const id of ids) this.parents.get(`${parent}.${col}`)?.delete(id);
      }
    this.day = w.days;
  }

  /** The next world record of a streamed dataset whose parents the lake holds. */
  private nextWorldRecord(): { ds: StreamedDataset; rec: SourceRecord } {
    let emptyDays = 0;
    while (this.queue.length === 0) {
      if (emptyDays >= 60)
        throw new StreamPulseError('STREAM_WORLD_EXHAUSTED', `the simulated world produced no streamable event for 60 days after day ${this.day - 60}`, {
          remedy: 'continue a world with more users (--users), or produce fewer events',
        });
      const today = this.world.step();
      this.day++;
      const merged: { ds: StreamedDataset; rec: SourceRecord; t: string; n: number }[] = [];
      for (const ds of this.datasets) {
        const kind = DATASET_BINDINGS[ds.dataset]!;
        for (const rec of today[kind]) {
          if (!this.parentsKnown(ds, rec)) continue;
          merged.push({ ds, rec, t: String(rec[ds.eventTimeColumn] ?? ''), n: merged.length });
        }
      }
      merged.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.n - b.n));
      this.queue = merged.map(({ ds, rec }) => ({ ds, rec }));
      if (this.queue.length === 0) emptyDays++;
    }
    return this.queue.shift()!;
  }

  private parentsKnown(ds: StreamedDataset, rec: SourceRecord): boolean {
    for (const c of this.checks.get(ds.dataset) ?? []) {
      const v = rec[c.column];
      if (v === null || v === undefined) continue;
      if (!this.parents.get(`${c.parent}.${c.parentColumn}`)?.has(String(v))) return false;
    }
    return true;
  }

  /** The record moved in time so that its event time is `eventMs`: every timestamp column shifts by the same amount. */
  private restamp(ds: StreamedDataset, rec: SourceRecord, eventMs: number): SourceRecord {
    const original = Date.parse(String(rec[ds.eventTimeColumn]));
    const target = Math.floor(eventMs / 1000) * 1000;
    const shift = Number.isFinite(original) ? target - original : 0;
    const out: SourceRecord = { ...rec };
    for (const c of ds.contract.columns) {
      if (c.type !== 'timestamp') continue;
      const v = rec[c.name];
      if (typeof v !== 'string') continue;
      const t = Date.parse(v);
      if (Number.isFinite(t)) out[c.name] = iso(t + shift);
    }
    return out;
  }

  /** The next record to send, stamped at `now` (ms). */
  next(now: number): PlannedRecord {
    this.sequence++;
    const due = this.resend[0];
    if (due !== undefined && due.due <= this.sequence) {
      this.resend.shift();
      return due.record;
    }
    const { ds, rec } = this.nextWorldRecord();
    const u = this.rng.next();
    const lateness: Lateness = u < this.late / 2 ? 'late_beyond' : u < this.late ? 'late_within' : 'on_time';
    const maxDelay = ds.maxDelayHours * HOUR;
    const eventMs =
      lateness === 'on_time'
        ? now
        : lateness === 'late_within'
          ? now - Math.max(HOUR, Math.round(maxDelay * (0.1 + 0.4 * this.rng.next())))
          : now - maxDelay - Math.round(HOUR + 23 * HOUR * this.rng.next());
    const stamped = this.restamp(ds, rec, eventMs);
    const record: PlannedRecord = {
      dataset: ds.dataset,
      topic: ds.topic,
      key: String(stamped[ds.keyColumn] ?? ''),
      value: jsonLine(ds.contract, stamped),
      id: ds.primaryKey.map((k) => String(stamped[k] ?? '')).join('|'),
      lateness,
      eventTime: String(stamped[ds.eventTimeColumn]),
      duplicate: false,
    };
    if (this.dupes > 0 && this.rng.chance(this.dupes)) {
      const at = this.sequence + this.rng.int(1, 50);
      const i = this.resend.findIndex((r) => r.due > at);
      const entry = { due: at, record: { ...record, duplicate: true } };
      if (i < 0) this.resend.push(entry);
      else this.resend.splice(i, 0, entry);
    }
    return record;
  }

  /** Re-sends still waiting (sent at the end of a run so that every chosen duplicate goes out). */
  drainResends(): PlannedRecord[] {
    return this.resend.splice(0).map((r) => r.record);
  }
}

/** Per topic, what was sent. */
export interface TopicSummary {
  readonly topic: string;
  readonly dataset: string;
  readonly key_column: string;
  readonly event_time_column: string;
  readonly max_delay_hours: number;
  /** Kafka records sent (events + duplicates). */
  records: number;
  /** Distinct events. */
  events: number;
  duplicates: number;
  on_time: number;
  late_within: number;
  late_beyond: number;
}

/** What a run sent: returned, printed and (optionally) written as the manifest JSON. */
export interface StreamSummary {
  readonly producer: '@streampulse/sources';
  readonly format_version: 1;
  /** The target, without secrets. */
  readonly target: string;
  readonly seed: string;
  readonly world: StreamWorld;
  readonly rate_requested: number;
  readonly duration_requested_s: number;
  readonly late_share: number;
  readonly dupes_share: number;
  started_at: string;
  ended_at: string;
  duration_ms: number;
  /** Records a second over the run. */
  rate_achieved: number;
  records: number;
  events: number;
  duplicates: number;
  late_within: number;
  late_beyond: number;
  /** Stopped early (the abort signal). */
  interrupted: boolean;
  readonly topics: TopicSummary[];
  /** dataset → ids (primary-key values joined by "|") of the events sent late beyond the watermark. */
  readonly late_beyond_ids: Record<string, string[]>;
  /** dataset → ids of the events sent more than once. */
  readonly duplicate_ids: Record<string, string[]>;
}

export interface ProduceProgress {
  readonly records: number;
  readonly total: number;
  readonly elapsedMs: number;
  readonly rate: number;
}

export interface ProduceOptions extends PlannerOptions, KafkaClientOptions {
  readonly target: KafkaTarget;
  /** Records a second. */
  readonly rate: number;
  /** Seconds. */
  readonly durationS: number;
  /** Records per send; default rate/20 (1–1000). */
  readonly batchSize?: number;
  /** Create missing topics first (local broker only; Event Hubs' hubs come from infra); default true for a local target. */
  readonly createTopics?: boolean;
  /** Partitions of the topics it creates; default 1. */
  readonly partitions?: number;
  /** Write the summary here as JSON (atomically). */
  readonly manifestFile?: string;
  readonly clock?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onProgress?: (p: ProduceProgress) => void;
  readonly signal?: AbortSignal;
  /** How long one send may wait for the broker's acknowledgement (a missing topic, an unreachable leader) before the run fails; default 60 s. */
  readonly sendTimeoutMs?: number;
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Creates the missing topics on a local broker and waits until each partition has a leader. */
async function ensureTopics(config: KafkaClientConfig, topics: readonly string[], partitions: number): Promise<void> {
  const admin = new Admin(clientOptions(config));
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) await admin.createTopics({ topics: missing, partitions, replicas: 1 });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const md = await admin.metadata({ topics: [...topics], forceUpdate: true }).catch(() => undefined);
      if (md !== undefined && topics.every((t) => (md.topics.get(t)?.partitions ?? []).length > 0 && md.topics.get(t)!.partitions.every((p) => p.leader >= 0)))
        return;
      if (Date.now() > deadline)
        throw new StreamPulseError('STREAM_TOPICS_NOT_READY', `topics ${topics.join(', ')} have no leader after 30 s`, {
          remedy: 'check the broker (its log)',
        });
      await realSleep(100);
    }
  } finally {
    await admin.close().catch(() => undefined);
  }
}

function writeManifest(file: string, summary: StreamSummary): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(summary, null, 1)}\n`);
  renameSync(tmp, file);
}

/** Produces the stream (see the module comment); resolves with what was sent. */
export async function produceStream(set: ContractSet, options: ProduceOptions): Promise<StreamSummary> {
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  if (!(options.rate > 0 && Number.isFinite(options.rate)))
    throw new StreamPulseError('STREAM_BAD_OPTION', `--rate must be a positive number of events a second, got ${options.rate}`, {
      remedy: 'pass --rate R, e.g. --rate 500',
    });
  if (!(options.durationS > 0 && Number.isFinite(options.durationS)))
    throw new StreamPulseError('STREAM_BAD_OPTION', `--duration must be a positive number of seconds, got ${options.durationS}`, {
      remedy: 'pass --duration S, e.g. --duration 10',
    });
  const planner = new StreamPlanner(set, options);
  const config = kafkaClientConfig(options.target, {
    clientId: options.clientId ?? 'streampulse-producer',
    ...(options.credential ? { credential: options.credential } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const topics = [...new Set(planner.datasets.map((d) => d.topic))];
  if (config.entityPath !== undefined && topics.some((t) => t !== config.entityPath))
    throw new StreamPulseError(
      'STREAM_CONNECTION_STRING_SCOPE',
      `the connection string is scoped to event hub ${config.entityPath}, but the stream writes ${topics.join(', ')}`,
      {
        remedy: "use a namespace-level connection string (a shared access policy of the namespace, e.g. Key Vault's eventhubs-send-connection-string)",
      },
    );
  const local = options.target.kind === 'local';
  if (options.createTopics ?? local)
    await ensureTopics(config, topics, options.partitions ?? 1).catch((error: unknown) => {
      if (error instanceof StreamPulseError) throw error;
      throw new StreamPulseError(
        'STREAM_UNREACHABLE',
        `cannot create the topics ${topics.join(', ')} on ${config.description}: ${error instanceof Error ? error.message : String(error)}`,
        {
          remedy: 'is a broker listening there? (streampulse stream demo starts one; or pass --bootstrap host:port of a running broker)',
          cause: error,
        },
      );
    });

  const total = Math.max(1, Math.round(options.rate * options.durationS));
  const batchSize = Math.max(1, Math.min(1000, options.batchSize ?? Math.round(options.rate / 20)));
  const byTopic = new Map<string, TopicSummary>(
    planner.datasets.map((d) => [
      d.topic,
      {
        topic: d.topic,
        dataset: d.dataset,
        key_column: d.keyColumn,
        event_time_column: d.eventTimeColumn,
        max_delay_hours: d.maxDelayHours,
        records: 0,
        events: 0,
        duplicates: 0,
        on_time: 0,
        late_within: 0,
        late_beyond: 0,
      },
    ]),
  );
  const lateBeyond: Record<string, string[]> = {};
  const duplicateIds: Record<string, string[]> = {};
  const t0 = clock();
  const summary: StreamSummary = {
    producer: '@streampulse/sources',
    format_version: 1,
    target: config.description,
    seed: String(options.seed),
    world: options.world,
    rate_requested: options.rate,
    duration_requested_s: options.durationS,
    late_share: options.late ?? 0,
    dupes_share: options.dupes ?? 0,
    started_at: new Date(t0).toISOString(),
    ended_at: new Date(t0).toISOString(),
    duration_ms: 0,
    rate_achieved: 0,
    records: 0,
    events: 0,
    duplicates: 0,
    late_within: 0,
    late_beyond: 0,
    interrupted: false,
    topics: [...byTopic.values()],
    late_beyond_ids: lateBeyond,
    duplicate_ids: duplicateIds,
  };
  const count = (r: PlannedRecord): void => {
    const t = byTopic.get(r.topic)!;
    t.records++;
    summary.records++;
    if (r.duplicate) {
      t.duplicates++;
      summary.duplicates++;
      (duplicateIds[r.dataset] ??= []).push(r.id);
      return;
    }
    t.events++;
    summary.events++;
    t[r.lateness]++;
    if (r.lateness === 'late_within') summary.late_within++;
    if (r.lateness === 'late_beyond') {
      summary.late_beyond++;
      (lateBeyond[r.dataset] ??= []).push(r.id);
    }
  };

  const producer = new Producer({
    ...clientOptions(config),
    serializers: stringSerializers,
    acks: ProduceAcks.ALL,
    // the broker's idempotent producer (no duplicate from a retried send) on the local broker;
    // Event Hubs is at-least-once: the consumer's dedupe handles a retried batch there
    idempotent: local,
    retries: 5,
    retryDelay: 250,
  });
  const send = async (records: readonly PlannedRecord[], at: number): Promise<void> => {
    if (records.length === 0) return;
    const timeoutMs = options.sendTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        producer.send({ messages: records.map((r) => ({ topic: r.topic, key: r.key, value: r.value, timestamp: BigInt(at) })) }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no acknowledgement within ${timeoutMs} ms (do the topics ${topics.join(', ')} exist?)`)), timeoutMs);
        }),
      ]);
    } catch (error) {
      throw new StreamPulseError(
        'STREAM_SEND_FAILED',
        `sending ${records.length} records to ${config.description} failed: ${error instanceof Error ? error.message : String(error)}`,
        {
          remedy: local
            ? 'is the broker running (--bootstrap host:port)?'
            : 'check the namespace, the network path to port 9093 and the identity\'s "Azure Event Hubs Data Sender" role',
          cause: error,
        },
      );
    } finally {
      clearTimeout(timer);
    }
    for (const r of records) count(r);
  };
  try {
    let sent = 0;
    while (sent < total) {
      if (options.signal?.aborted) {
        summary.interrupted = true;
        break;
      }
      const n = Math.min(batchSize, total - sent);
      const wait = t0 + (sent * 1000) / options.rate - clock();
      if (wait > 0) await sleep(wait);
      const now = clock();
      const batch: PlannedRecord[] = [];
      for (let i = 0; i < n; i++) batch.push(planner.next(now));
      await send(batch, now);
      sent += n;
      const elapsedMs = Math.max(1, clock() - t0);
      options.onProgress?.({ records: summary.records, total, elapsedMs, rate: (summary.records * 1000) / elapsedMs });
    }
    // every duplicate chosen goes out, even when its turn came after the last scheduled record
    if (!summary.interrupted) await send(planner.drainResends(), clock());
  } finally {
    // a send that never got its acknowledgement may hold close() too: give it 5 s
    await Promise.race([producer.close().catch(() => undefined), new Promise((r) => setTimeout(r, 5000).unref())]);
    const end = clock();
    summary.ended_at = new Date(end).toISOString();
    summary.duration_ms = end - t0;
    summary.rate_achieved = Math.round((summary.records * 1000) / Math.max(1, end - t0));
    if (options.manifestFile !== undefined) writeManifest(options.manifestFile, summary);
  }
  return summary;
}

/** The batch world of a landing manifest (`<lake>/landing/_manifest.json`): the stream continues it. */
export function streamWorldOf(manifest: { readonly users: number; readonly days: number; readonly start_date: string; readonly seed: string }): StreamWorld {
  return { users: manifest.users, days: manifest.days, startDate: manifest.start_date, seed: manifest.seed };
}

/**
 * The records a landing manifest's seeded defects keep out of silver (quarantined, or
 * moved to a later day by a late-arrival defect): dataset → primary-key values joined by "|".
 * The producer never streams an event whose parent is one of them.
 */
export function parentExclusions(manifest: { readonly defects: Manifest['defects'] }): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const d of manifest.defects) {
    if (d.expect.outcome !== 'quarantined' && d.kind !== 'late_within_watermark' && d.kind !== 'late_beyond_watermark') continue;
    let s = out.get(d.dataset);
    if (s === undefined) out.set(d.dataset, (s = new Set()));
    s.add(d.key);
  }
  return out;
}
