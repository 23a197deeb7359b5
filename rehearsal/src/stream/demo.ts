/**
 * `streampulse stream demo`: the stream end to end on this machine. A small lake (the
 * daily demo for the two days before today, so the streamed events' users and titles
 * exist), a local Kafka broker, the producer sending N records (late and re-sent ones
 * among them) while the consumer (`stream run`, a child process) reads them; the
 * consumer is killed once mid-way (SIGKILL right after a micro-batch's commit, before
 * the broker's offsets; about half-way through the micro-batches the run should take)
 * and started again. Then the producer's manifest is compared with
 * what bronze holds: lost = records sent and not in bronze, duplicated = records in
 * bronze more than once; latency = event produced → visible in the served mart.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StreamPulseError, type ContractSet } from '@streampulse/contracts';
import { Duck } from '@streampulse/engine';
import { parentExclusions, produceStream, type StreamSummary, streamWorldOf } from '@streampulse/sources';
import { createTopicsOn, startKafkaBroker } from '../kafka/broker.js';
import { readManifest, runDemo } from '../lakehouse.js';
import { latencyFile, topicDatasets } from './consumer.js';

export interface StreamDemoOptions {
  readonly lakeRoot: string;
  /** Kafka records to send (events and re-sends). */
  readonly events: number;
  readonly seed: string;
  readonly salt: string;
  /** Accounts of the lake's simulation (default 300). */
  readonly users?: number;
  /** Records a second (default 200). */
  readonly rate?: number;
  /** Seconds the producer sends for (default events / rate). */
  readonly durationS?: number;
  /** Kill the consumer once mid-way and start it again (default true). */
  readonly kill?: boolean;
  /** Shares of records sent late (half beyond the watermark) and re-sent (default 0.06, 0.05). */
  readonly late?: number;
  readonly dupes?: number;
  /** The consumer's `--max-batch` (default: an eighth of the records, at least 10) and `--poll-ms` (default 100). */
  readonly maxBatch?: number;
  readonly pollMs?: number;
  /** The command that runs `streampulse` (node and the CLI's bin), for the consumer's child processes. */
  readonly cli: readonly string[];
  /** Progress lines. */
  readonly onLine?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface StreamDemoResult {
  readonly events: number;
  readonly bronze: number;
  readonly quarantined: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Whether the consumer was killed mid-way (and started again). */
  readonly killed: boolean;
  readonly lateBeyondQuarantined: number;
  readonly lateBeyond: number;
  readonly manifest: StreamSummary;
  /** Micro-batches the consumers committed and published. */
  readonly batches: number;
  /** Records a second from the first record produced to the last one visible in the mart. */
  readonly sustainedPerSecond: number;
  /** `events N · bronze N · quarantined Q · lost 0 · duplicated 0 · p50 X ms · p99 Y ms` */
  readonly line: string;
}

/** Percentile (nearest rank); NaN when empty. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** What the consumer measured per published micro-batch (reports/stream/latency.jsonl). */
export function measuredLatencies(lakeRoot: string): { batch: string; visible_at: number; ms: number[] }[] {
  const f = latencyFile(lakeRoot);
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { batch: string; visible_at: number; ms: number[] });
}

/** Per topic, what the stream's bronze partitions hold: rows, distinct Kafka records (topic:partition:offset), quarantined rows, and the ids (primary key) found. */
export async function streamBronze(
  set: ContractSet,
  lakeRoot: string,
): Promise<Map<string, { rows: number; records: number; quarantined: number; ids: Map<string, number>; lateQuarantined: Set<string> }>> {
  const out = new Map<string, { rows: number; records: number; quarantined: number; ids: Map<string, number>; lateQuarantined: Set<string> }>();
  const duck = await Duck.open({ threads: 1 });
  try {
    for (const [topic, dataset] of topicDatasets(set)) {
      const ds = set.datasets.find((d) => d.dataset === dataset)!;
      const dir = join(lakeRoot, 'bronze', dataset);
      const files = existsSync(dir)
        ? readdirSync(dir)
            .filter((d) => d.startsWith('batch=') && d.includes('T'))
            .map((d) => join(dir, d, 'data.parquet'))
            .filter((f) => existsSync(f))
        : [];
      const t = { rows: 0, records: 0, quarantined: 0, ids: new Map<string, number>(), lateQuarantined: new Set<string>() };
      out.set(topic, t);
      if (files.length === 0) continue;
      const id = `concat_ws('|', ${ds.primary_key.map((k) => `CAST("${k}" AS VARCHAR)`).join(', ')})`;
      const rows = await duck.rows(
        `SELECT _source_file AS f, _line_no AS l, _quality_status AS s, _quarantine_reason AS q, ${id} AS id
         FROM read_parquet([${files.map((f) => `'${f.split("'").join("''")}'`).join(', ')}], hive_partitioning = false)`,
        `stream bronze of ${dataset}`,
      );
      const recs = new Set<string>();
      for (const r of rows) {
        // <topic>-p<partition>-<from>-<to>.jsonl: line n is offset from + n - 1
        const m = /-p(\d+)-(\d+)-\d+\.jsonl$/.exec(String(r['f']));
        recs.add(m === null ? `${String(r['f'])}:${String(r['l'])}` : `${m[1]}:${BigInt(m[2]!) + BigInt(String(r['l'])) - 1n}`);
        const key = String(r['id'] ?? '');
        t.ids.set(key, (t.ids.get(key) ?? 0) + 1);
        if (r['s'] === 'quarantined' || r['s'] === 'dropped') t.quarantined++;
        if (String(r['q'] ?? '').includes('late:beyond_watermark')) t.lateQuarantined.add(key);
      }
      t.rows = rows.length;
      t.records = recs.size;
    }
  } finally {
    duck.close();
  }
  return out;
}

function runChild(
  cmd: readonly string[],
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  onLine?: (line: string) => void,
): {
  child: ChildProcess;
  /** Resolves when the consumer reads (its `stream: reading` line) or ends. */
  ready: Promise<void>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
} {
  const child = spawn(cmd[0]!, [...cmd.slice(1), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let partial = '';
  child.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString();
    partial += b.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) if (l.trim() !== '') onLine?.(`  consumer ${child.pid}: ${l}`);
  });
  child.stdout!.resume();
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  const ready = new Promise<void>((resolve) => {
    child.stderr!.on('data', () => {
      if (stderr.includes('stream: reading')) resolve();
    });
    void done.then(() => resolve());
  });
  return { child, ready, done };
}

export async function runStreamDemo(set: ContractSet, opts: StreamDemoOptions): Promise<StreamDemoResult> {
  const log = opts.onLine ?? (() => undefined);
  const users = opts.users ?? 300;
  const rate = opts.rate ?? 200;
  const now = Date.now();
  const start = new Date(now - 2 * 86_400_000).toISOString().slice(0, 10);
  log(`lake: the daily demo, ${users} users × 2 days from ${start} → ${opts.lakeRoot}`);
  await runDemo(set, {
    lakeRoot: opts.lakeRoot,
    users,
    days: 2,
    seed: opts.seed,
    startDate: start,
    salt: opts.salt,
    freshness: 'report',
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
  });
  const manifest = readManifest(opts.lakeRoot);
  if (manifest === undefined)
    throw new StreamPulseError('STREAM_DEMO_NO_MANIFEST', `no landing manifest in ${opts.lakeRoot}`, { remedy: 'this is a bug of the demo' });
  const broker = await startKafkaBroker({ log, partitions: 2 });
  let failed = true;
  try {
    await createTopicsOn(broker.bootstrap, [...topicDatasets(set).keys()], 2);
    // at least eight micro-batches when the consumer keeps up, so that the kill is mid-way
    const maxBatch = opts.maxBatch ?? Math.max(10, Math.ceil(opts.events / 8));
    const kill = opts.kill ?? true;
    const consumerArgs = [
      'stream',
      'run',
      '--bootstrap',
      broker.bootstrap,
      '--lake',
      opts.lakeRoot,
      '--until-idle',
      '5',
      '--poll-ms',
      String(opts.pollMs ?? 100),
      '--max-batch',
      String(maxBatch),
    ];
    const env = { ...process.env, STREAMPULSE_PII_SALT: opts.salt };
    // mid-way: about half the micro-batches the run should take (a micro-batch ≈ 400 ms here)
    const durationS = opts.durationS ?? opts.events / rate;
    const killAt = Math.max(2, Math.floor((durationS * 1000) / Math.max(opts.pollMs ?? 100, 400) / 2));
    log(`consumer: started${kill ? ` (it will be killed right after committing micro-batch ${killAt})` : ''}`);
    const first = runChild(opts.cli, consumerArgs, kill ? { ...env, STREAMPULSE_FAULT: `after-bronze-commit:${killAt}` } : env, log);
    // the producer starts once the consumer reads, so the latency measures the stream, not the consumer's start
    await first.ready;
    const manifestFile = join(opts.lakeRoot, 'reports', 'stream', 'producer-manifest.json');
    const produced = produceStream(set, {
      target: { kind: 'local', bootstrap: broker.bootstrap },
      world: streamWorldOf(manifest),
      exclude: parentExclusions(manifest),
      seed: opts.seed,
      rate,
      durationS,
      late: opts.late ?? 0.06,
      dupes: opts.dupes ?? 0.05,
      partitions: 2,
      manifestFile,
      onProgress: (p) => log(`producer: ${p.records}/${p.total} records, ${Math.round(p.rate)}/s`),
      ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    });
    const r1 = await first.done;
    const killed = r1.signal === 'SIGKILL' && r1.stderr.includes('FAULT after-bronze-commit');
    if (!killed && r1.code !== 0)
      throw new StreamPulseError(
        'STREAM_DEMO_CONSUMER_FAILED',
        `the consumer failed (exit ${r1.code ?? r1.signal}): ${r1.stderr.trim().split('\n').slice(-5).join(' / ')}`,
        {
          remedy: 'run `streampulse stream run` against the demo lake to see the error',
        },
      );
    if (killed) log(`consumer: killed (SIGKILL) right after committing micro-batch ${killAt}; starting it again`);
    const second = killed ? runChild(opts.cli, consumerArgs, env, log) : undefined;
    const summary = await produced;
    log(
      `producer: done, ${summary.records} records (${summary.duplicates} re-sent, ${summary.late_beyond} late beyond the watermark, ${summary.late_within} late within it)`,
    );
    const r2 = second === undefined ? r1 : await second.done;
    if (r2.code !== 0)
      throw new StreamPulseError(
        'STREAM_DEMO_CONSUMER_FAILED',
        `the restarted consumer failed (exit ${r2.code ?? r2.signal}): ${r2.stderr.trim().split('\n').slice(-5).join(' / ')}`,
        {
          remedy: 'run `streampulse stream run` against the demo lake to see the error',
        },
      );

    // the producer's manifest against bronze
    const bronze = await streamBronze(set, opts.lakeRoot);
    let rows = 0;
    let quarantined = 0;
    let lost = 0;
    let duplicated = 0;
    let lateBeyond = 0;
    let lateBeyondQuarantined = 0;
    for (const t of summary.topics) {
      const b = bronze.get(t.topic) ?? { rows: 0, records: 0, quarantined: 0, ids: new Map<string, number>(), lateQuarantined: new Set<string>() };
      rows += b.rows;
      quarantined += b.quarantined;
      // every record once: as many distinct records as sent, no record twice, every event's id there
      lost += Math.max(0, t.records - b.records, t.events - b.ids.size);
      duplicated += b.rows - b.records;
      const late = summary.late_beyond_ids[t.dataset] ?? [];
      lateBeyond += late.length;
      lateBeyondQuarantined += late.filter((id) => b.lateQuarantined.has(id)).length;
    }
    const measured = measuredLatencies(opts.lakeRoot);
    const latencies = measured.flatMap((m) => m.ms);
    const p50 = Math.round(percentile(latencies, 50));
    const p99 = Math.round(percentile(latencies, 99));
    const lastVisible = Math.max(...measured.map((m) => m.visible_at));
    const sustained = Math.round((latencies.length * 1000) / Math.max(1, lastVisible - Date.parse(summary.started_at)));
    const line = `events ${summary.records} · bronze ${rows} · quarantined ${quarantined} · lost ${lost} · duplicated ${duplicated} · p50 ${p50} ms · p99 ${p99} ms`;
    failed = false;
    return {
      events: summary.records,
      bronze: rows,
      quarantined,
      lost,
      duplicated,
      p50Ms: p50,
      p99Ms: p99,
      killed,
      lateBeyond,
      lateBeyondQuarantined,
      manifest: summary,
      batches: measured.length,
      sustainedPerSecond: sustained,
      line,
    };
  } finally {
    await broker.stop({ keep: failed });
  }
}
