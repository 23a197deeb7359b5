/**
 * The local stream consumer (`streampulse stream run`): reads the contracts' stream
 * topics from a Kafka broker in micro-batches into the lake with the daily batch's code,
 * exactly once, and keeps the marts marked `stream_refresh` current in the SQLite
 * serving database.
 *
 * One micro-batch:
 *  1. the records read since the last one (at most `maxBatch`), their values one per line,
 *     are landed as files named by topic, partition and offset range in a folder of the
 *     micro-batch under the day's `_stream/` landing folder (engine/src/stream.ts);
 *  2. the engine runs the datasets' bronze and silver jobs over those files as batch
 *     `<day>T<time>` (`LocalRunner.runMicroBatch`): the same parse, audit columns,
 *     rules, watermark, quarantine and dedupe as a day, and conservation per micro-batch;
 *  3. COMMIT: the consumer's state file (`_state/stream/consumer.json`: the last committed
 *     micro-batch and the next offset of every partition) is replaced atomically — the
 *     lake, not the broker, is the source of truth for what was consumed;
 *  4. the consumer group's offsets are committed to the broker (an optimisation only:
 *     a restart seeks to the lake's offsets);
 *  5. the gold models under the served marts are rebuilt (those reading a streamed
 *     dataset; the others are read as they are) and each mart is merged into serving in
 *     one transaction; the event → visible latency is measured from each record's Kafka
 *     timestamp to the end of that transaction.
 * A run that dies anywhere before 3 leaves files of an uncommitted micro-batch: the next
 * run removes them (`discardStreamBatchesAfter`) and reads the records again from the
 * committed offsets; a run that dies after 3 has committed them, and reads on after them.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Consumer, type Message, type MessagesStream, stringDeserializer } from '@platformatic/kafka';
import { buildLineage, StreamPulseError, type ContractSet } from '@streampulse/contracts';
import { compileJobs, type FreshnessMode, type JobPlan } from '@streampulse/jobs';
import { discardStreamBatchesAfter, type BatchReport, LocalRunner, Lake, streamBatchId, streamLandingDir, writeFileAtomic } from '@streampulse/engine';
import { mergeSqliteMart } from '@streampulse/serving';
import { clientOptions, type KafkaTarget, kafkaClientConfig } from '@streampulse/sources';

/** Where a fault is injected (tests only, env STREAMPULSE_FAULT=`<point>[:<n-th micro-batch>]`): the process is killed there. */
export const FAULT_POINTS = ['mid-write', 'before-bronze-commit', 'after-bronze-commit'] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

export interface StreamRunOptions {
  readonly lakeRoot: string;
  /** host:port of a Kafka broker (PLAINTEXT); or `target`. */
  readonly bootstrap?: string;
  /** The Kafka endpoint, as the producer takes it (`@streampulse/sources` `kafkaClientConfig`): a local broker or Event Hubs' Kafka endpoint (SASL_SSL, Entra ID or a connection string). */
  readonly target?: KafkaTarget;
  readonly salt: string;
  /** The SQLite serving database (default `<lake>/serving/streampulse.sqlite`). */
  readonly sqlite?: string;
  /** Most records in one micro-batch (default 5000). */
  readonly maxBatch?: number;
  /** A micro-batch is cut this long after the previous one (at once when that took longer), in ms (default 200). */
  readonly pollMs?: number;
  /** Stop once every record on the topics when the run started was committed. */
  readonly once?: boolean;
  /** Stop after this many seconds without a record. */
  readonly untilIdleSeconds?: number;
  /** The marts kept current (default: the contracts' marts with `stream_refresh: true`). */
  readonly marts?: readonly string[];
  readonly groupId?: string;
  readonly freshness?: FreshnessMode;
  readonly signal?: AbortSignal;
  /** The fault to inject (tests): default from env STREAMPULSE_FAULT. */
  readonly fault?: string;
  readonly onEvent?: (e: StreamEvent) => void;
}

export type StreamEvent =
  | { kind: 'start'; topics: readonly string[]; resumedFrom: string | null; discarded: readonly string[]; offsets: Readonly<Record<string, string>> }
  | {
      kind: 'batch';
      batch: string;
      records: number;
      bronze: number;
      quarantined: number;
      duplicates: number;
      seconds: { lake: number; marts: number };
      latencyMs: readonly number[];
    }
  | { kind: 'ready'; from: Readonly<Record<string, string>> }
  | { kind: 'stop'; reason: 'once' | 'idle' | 'aborted'; batches: number; records: number };

export interface StreamRunResult {
  readonly batches: number;
  readonly records: number;
  readonly latencyMs: readonly number[];
  readonly reports: readonly BatchReport[];
}

/** The consumer's committed state in the lake. */
export interface StreamState {
  readonly last_batch: string | null;
  /** `<topic>:<partition>` → the next offset to read (decimal text). */
  readonly offsets: Readonly<Record<string, string>>;
  readonly batches: number;
  readonly records: number;
}

export const streamStateFile = (lakeRoot: string): string => join(lakeRoot, '_state', 'stream', 'consumer.json');
/** One line per published micro-batch: `{ batch, visible_at (ms since the epoch), ms: [latency of each record] }`. */
export const latencyFile = (lakeRoot: string): string => join(lakeRoot, 'reports', 'stream', 'latency.jsonl');

export function readStreamState(lakeRoot: string): StreamState {
  const f = streamStateFile(lakeRoot);
  if (!existsSync(f)) return { last_batch: null, offsets: {}, batches: 0, records: 0 };
  return JSON.parse(readFileSync(f, 'utf8')) as StreamState;
}

/** The streamed datasets: those with a `source.stream_topic`, by topic. */
export function topicDatasets(set: ContractSet): Map<string, string> {
  return new Map(set.datasets.filter((d) => d.source.stream_topic !== undefined).map((d) => [d.source.stream_topic!, d.dataset]));
}

/**
 * The gold and mart jobs that keep `marts` current after micro-batches of `streamed`:
 * every gold model under a mart (its lineage, and its jobs' `depends_on`), split into
 * those that read a streamed dataset (rebuilt) and the rest (read as they are).
 */
export function streamTables(set: ContractSet, plan: JobPlan, marts: readonly string[], streamed: ReadonlySet<string>): { build: string[]; reuse: string[] } {
  const lineage = buildLineage(set);
  const jobs = new Map(plan.jobs.map((j) => [j.id, j]));
  const tables = new Set<string>();
  for (const name of marts) {
    const mart = set.marts.find((m) => m.mart === name);
    if (mart === undefined)
      throw new StreamPulseError('STREAM_UNKNOWN_MART', `no mart ${name} in the contracts`, { remedy: 'name a mart of contracts/streampulse/marts' });
    tables.add(`mart.${name}`);
    for (const col of [...mart.dimensions, ...mart.measures])
      for (const id of lineage.upstream(`mart:${name}.${col.name}`)) {
        const n = lineage.node(id);
        if (n?.layer === 'gold') tables.add(`gold.${n.table}`);
      }
  }
  // and whatever the jobs say they read (a model a join needs without a column reaching the mart)
  const stack = [...tables];
  while (stack.length > 0) {
    for (const dep of jobs.get(stack.pop()!)?.depends_on ?? [])
      if ((dep.startsWith('gold.') || dep.startsWith('mart.')) && !tables.has(dep)) {
        tables.add(dep);
        stack.push(dep);
      }
  }
  const readsStream = (id: string, seen = new Set<string>()): boolean => {
    if (seen.has(id)) return false;
    seen.add(id);
    return (jobs.get(id)?.depends_on ?? []).some((d) => (d.startsWith('silver.') ? streamed.has(d.slice('silver.'.length)) : readsStream(d, seen)));
  };
  const ordered = plan.jobs.filter((j) => tables.has(j.id)).map((j) => j.id);
  return { build: ordered.filter((id) => readsStream(id)), reuse: ordered.filter((id) => !readsStream(id)) };
}

function parseFault(text: string | undefined): { point: FaultPoint; at: number } | undefined {
  if (text === undefined || text === '') return undefined;
  const [point, n] = text.split(':');
  if (!FAULT_POINTS.includes(point as FaultPoint))
    throw new StreamPulseError('STREAM_BAD_FAULT', `STREAMPULSE_FAULT="${text}" names no fault point`, {
      remedy: `use one of ${FAULT_POINTS.join(', ')} (tests only)`,
    });
  return { point: point as FaultPoint, at: n === undefined ? 1 : Number(n) };
}

/** Kills this process at once, as a crash would (no cleanup, no flush). */
function die(point: string): never {
  process.stderr.write(`FAULT ${point}\n`);
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}

/** Runs the consumer until `once` is done, it is idle for `untilIdleSeconds`, or `signal` aborts. */
export async function runStreamConsumer(set: ContractSet, opts: StreamRunOptions): Promise<StreamRunResult> {
  const target: KafkaTarget | undefined = opts.target ?? (opts.bootstrap !== undefined ? { kind: 'local', bootstrap: opts.bootstrap } : undefined);
  if (target === undefined)
    throw new StreamPulseError('STREAM_NO_TARGET', 'the consumer needs a Kafka endpoint', {
      remedy: 'pass --bootstrap host:port (a Kafka broker) or --event-hubs-namespace NS (Azure Event Hubs)',
    });
  const client = clientOptions(kafkaClientConfig(target, { clientId: 'streampulse-stream-run' }));
  const topicToDataset = topicDatasets(set);
  if (topicToDataset.size === 0)
    throw new StreamPulseError('STREAM_NO_TOPIC', 'no dataset of the contracts has a source.stream_topic', {
      remedy: 'add source.stream_topic to the datasets to stream',
    });
  const topics = [...topicToDataset.keys()].sort();
  const plan = compileJobs(set);
  const marts = opts.marts ?? set.marts.filter((m) => m.stream_refresh === true).map((m) => m.mart);
  const tables = streamTables(set, plan, marts, new Set(topicToDataset.values()));
  const sqlite = opts.sqlite ?? join(opts.lakeRoot, 'serving', 'streampulse.sqlite');
  const maxBatch = opts.maxBatch ?? 5000;
  const pollMs = opts.pollMs ?? 200;
  const fault = parseFault(opts.fault ?? process.env['STREAMPULSE_FAULT']);
  const bronzeSpec = new Map(plan.jobs.filter((j) => j.layer === 'bronze').map((j) => [j.name, j]));

  const lake = new Lake(opts.lakeRoot);
  const runner = await LocalRunner.open(plan, {
    lakeRoot: opts.lakeRoot,
    salt: opts.salt,
    ...(opts.freshness !== undefined ? { freshness: opts.freshness } : {}),
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
  });
  let state = readStreamState(opts.lakeRoot);
  const discarded = discardStreamBatchesAfter(plan, lake, state.last_batch ?? undefined);
  opts.onEvent?.({ kind: 'start', topics, resumedFrom: state.last_batch, discarded, offsets: state.offsets });

  const consumer = new Consumer<string, string, string, string>({
    ...client,
    groupId: opts.groupId ?? 'streampulse-local',
    // a killed consumer's membership ends after the session timeout, and a restarted one
    // waits for it before it is assigned the partitions: the broker's minimum (6 s)
    sessionTimeout: 6000,
    rebalanceTimeout: 6000,
    heartbeatInterval: 1000,
    deserializers: { key: stringDeserializer, value: stringDeserializer, headerKey: stringDeserializer, headerValue: stringDeserializer },
  });
  const reports: BatchReport[] = [];
  const latencies: number[] = [];
  let records = 0;
  let stream: MessagesStream<string, string, string, string> | undefined;
  try {
    // what is on the topics now (--once reads up to it)
    const ends = new Map<string, bigint>();
    if (opts.once === true) for (const [topic, parts] of await consumer.listOffsets({ topics })) parts.forEach((o, p) => ends.set(`${topic}:${p}`, o));
    // the marts as of what the lake committed (a run killed after its commit did not publish)
    if (state.last_batch !== null) await publishMarts(state.last_batch);

    const offsets = Object.entries(state.offsets).map(([k, v]) => {
      const i = k.lastIndexOf(':');
      return { topic: k.slice(0, i), partition: Number(k.slice(i + 1)), offset: BigInt(v) };
    });
    const caughtUp = (): boolean => [...ends.entries()].every(([k, end]) => end === 0n || (state.offsets[k] !== undefined && BigInt(state.offsets[k]!) >= end));
    if (opts.once === true && caughtUp()) {
      opts.onEvent?.({ kind: 'stop', reason: 'once', batches: 0, records: 0 });
      return { batches: 0, records: 0, latencyMs: [], reports };
    }
    stream = await consumer.consume({
      topics,
      mode: 'manual',
      fallbackMode: 'earliest',
      offsets,
      autocommit: false,
      maxWaitTime: Math.max(10, Math.min(pollMs, 500)),
      highWaterMark: Math.max(1024, maxBatch),
    });
    opts.onEvent?.({ kind: 'ready', from: state.offsets });
    const buffer: Message<string, string, string, string>[] = [];
    let failed: unknown;
    // flowing: the client fetches on while a micro-batch runs (at most maxBytes a fetch)
    stream.on('data', (m: Message<string, string, string, string>) => {
      buffer.push(m);
    });
    stream.on('error', (e: unknown) => {
      failed = e;
    });
    let lastRecordAt = Date.now();
    let lastCut = Date.now();
    let lastMs = state.last_batch === null ? 0 : Date.parse(`${state.last_batch}Z`);
    let n = 0;
    for (;;) {
      if (failed !== undefined) throw failed;
      if (opts.signal?.aborted === true) {
        opts.onEvent?.({ kind: 'stop', reason: 'aborted', batches: n, records });
        break;
      }
      if (buffer.length === 0) {
        if (opts.untilIdleSeconds !== undefined && Date.now() - lastRecordAt >= opts.untilIdleSeconds * 1000) {
          opts.onEvent?.({ kind: 'stop', reason: 'idle', batches: n, records });
          break;
        }
        await new Promise((r) => setTimeout(r, Math.min(pollMs, 50)));
        continue;
      }
      // a micro-batch is cut pollMs after the previous cut (at once when the previous one
      // took longer), or when it is full
      const gatherUntil = lastCut + pollMs;
      while (buffer.length < maxBatch && Date.now() < gatherUntil) await new Promise((r) => setTimeout(r, 10));
      const batchRecords = buffer.splice(0, maxBatch);
      lastCut = Date.now();
      lastRecordAt = Date.now();
      n++;
      lastMs = Math.max(Date.now(), lastMs + 1);
      const batch = streamBatchId(lastMs);
      const f = fault !== undefined && fault.at === n ? fault.point : undefined;
      const t0 = performance.now();

      // 1. land the records: one file per topic and partition, named by its offset range
      const byPart = new Map<string, Message<string, string, string, string>[]>();
      for (const m of batchRecords) {
        const k = `${m.topic}:${m.partition}`;
        (byPart.get(k) ?? byPart.set(k, []).get(k)!).push(m);
      }
      const files = new Map<string, string[]>();
      const next: Record<string, string> = { ...state.offsets };
      for (const [k, ms] of [...byPart.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const topic = ms[0]!.topic;
        const dataset = topicToDataset.get(topic)!;
        const dir = join(streamLandingDir(lake, bronzeSpec.get(dataset)!, batch.slice(0, 10)), batch);
        mkdirSync(dir, { recursive: true });
        const from = ms[0]!.offset;
        const to = ms[ms.length - 1]!.offset;
        const file = join(dir, `${topic}-p${ms[0]!.partition}-${from}-${to}.jsonl`);
        // one record per line: a line break inside a value is JSON white space (a JSON string cannot hold one)
        writeFileAtomic(file, `${ms.map((m) => (m.value ?? '').replace(/\r?\n/g, ' ')).join('\n')}\n`);
        (files.get(dataset) ?? files.set(dataset, []).get(dataset)!).push(file);
        next[k] = String(to + 1n);
      }
      if (f === 'mid-write') die(f);

      // 2. bronze and silver, the daily batch's jobs
      const report = await runner.runMicroBatch(batch, files);
      reports.push(report);
      if (f === 'before-bronze-commit') die(f);

      // 3. commit: the lake's record of what was consumed
      state = { last_batch: batch, offsets: next, batches: state.batches + 1, records: state.records + batchRecords.length };
      writeFileAtomic(streamStateFile(opts.lakeRoot), `${JSON.stringify(state, null, 1)}\n`);
      if (f === 'after-bronze-commit') die(f);
      records += batchRecords.length;
      const t1 = performance.now();

      // 4. the broker's group offsets (the last record of each partition commits it)
      for (const ms of byPart.values()) await Promise.resolve(ms[ms.length - 1]!.commit()).catch(() => undefined);

      // 5. the served marts
      const visibleAt = await publishMarts(batch);
      const ms = batchRecords.map((m) => visibleAt - Number(m.timestamp));
      latencies.push(...ms);
      appendFileSync(latencyFile(opts.lakeRoot), `${JSON.stringify({ batch, visible_at: visibleAt, ms })}\n`);
      const sum = (g: (d: BatchReport['datasets'][number]) => number): number => report.datasets.reduce((a, d) => a + g(d), 0);
      opts.onEvent?.({
        kind: 'batch',
        batch,
        records: batchRecords.length,
        bronze: sum((d) => d.rows_in),
        quarantined: sum((d) => d.quarantined),
        duplicates: sum((d) => d.duplicates_dropped),
        seconds: { lake: (t1 - t0) / 1000, marts: (performance.now() - t1) / 1000 },
        latencyMs: ms,
      });
      if (opts.once === true && caughtUp()) {
        opts.onEvent?.({ kind: 'stop', reason: 'once', batches: n, records });
        break;
      }
    }
    return { batches: n, records, latencyMs: latencies, reports };
  } finally {
    if (stream !== undefined) await stream.close().catch(() => undefined);
    await Promise.resolve(consumer.close(true)).catch(() => undefined);
    await runner.close();
  }

  /** Rebuilds the served marts as of `batch` and merges each into serving; returns when the last merge committed (ms since the epoch). */
  async function publishMarts(batch: string): Promise<number> {
    if (marts.length === 0) return Date.now();
    await runner.buildTables(tables.build, batch, tables.reuse);
    mkdirSync(join(opts.lakeRoot, 'serving'), { recursive: true });
    for (const m of marts) mergeSqliteMart(sqlite, set, m, await runner.martRows(m), batch);
    return Date.now();
  }
}
