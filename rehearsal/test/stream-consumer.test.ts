/**
 * The local stream consumer (rehearsal/src/stream/consumer.ts) against a real Kafka
 * broker (K1's, started on 127.0.0.1 here): micro-batches into bronze with the daily
 * batch's rules, late events quarantined, re-sent events counted as duplicates, the
 * engagement mart kept current; and exactly once under a crash — the built CLI
 * (`stream run`, `tsc -b` first) killed with SIGKILL at each fault point and run again.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duck } from '@streampulse/engine';
import { readSqlite } from '@streampulse/serving';
import { loadContractsOrThrow, type ContractSet } from '@streampulse/contracts';
import { createTopicsOn, kafkaBrokerFixture, LOCAL_DEMO_SALT, readStreamState, runDemo, runStreamConsumer, streamTables } from '@streampulse/rehearsal';
import { compileJobs } from '@streampulse/jobs';
import { makeEvents, produce, type SentEvent } from './stream-fixture.js';

const ROOT = process.cwd();
const BIN = join(ROOT, 'cli', 'dist', 'src', 'bin.js');
const kafka = kafkaBrokerFixture();
let set: ContractSet;
let base: string;
let day: string;
let events: SentEvent[];

const tmp = (p: string): string => join(mkdtempSync(join(tmpdir(), `sp-stream-${p}-`)), 'lake');
const copyLake = (p: string): string => {
  const to = tmp(p);
  cpSync(base, to, { recursive: true });
  return to;
};

/** Every bronze (or quarantine) row the stream wrote: dataset, the Kafka record it came from (topic:partition:offset), status, reason, raw line. */
async function streamRows(
  lake: string,
  container: 'bronze' | 'quarantine',
): Promise<{ ds: string; rec: string; status: string; reason: string | null; raw: string }[]> {
  const duck = await Duck.open({ threads: 1 });
  const out: { ds: string; rec: string; status: string; reason: string | null; raw: string }[] = [];
  for (const ds of set.datasets.filter((d) => d.source.stream_topic !== undefined).map((d) => d.dataset)) {
    const dir = join(lake, container, ds);
    if (!existsSync(dir)) continue;
    const files = readdirSync(dir)
      .filter((d) => d.includes('T'))
      .map((d) => join(dir, d, 'data.parquet'));
    if (files.length === 0) continue;
    const r = await duck.rows(
      `SELECT _source_file AS f, _line_no AS l, _quality_status AS s, _quarantine_reason AS q, _raw_line AS raw FROM read_parquet([${files.map((f) => `'${f}'`).join(', ')}], hive_partitioning = false)`,
    );
    for (const row of r) {
      // <topic>-p<partition>-<from>-<to>.jsonl: line n is offset from + n - 1
      const m = /([^/]+)-p(\d+)-(\d+)-(\d+)\.jsonl$/.exec(String(row['f']))!;
      out.push({
        ds,
        rec: `${m[1]}:${m[2]}:${BigInt(m[3]!) + BigInt(String(row['l'])) - 1n}`,
        status: String(row['s']),
        reason: (row['q'] as string | null) ?? null,
        raw: String(row['raw']),
      });
    }
  }
  duck.close();
  return out;
}

const streamReports = (
  lake: string,
): { batch: string; datasets: { dataset: string; rows_in: number; conserved: boolean; duplicates_dropped: number; quarantined: number }[] }[] => {
  const dir = join(lake, 'reports', 'stream');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')));
};

const served = (lake: string): Map<string, { plays: number; sessions: number }> => {
  const rows = readSqlite(join(lake, 'serving', 'streampulse.sqlite'), (db) =>
    db.all('SELECT activity_date AS d, plays, sessions FROM analytics_engagement_daily'),
  );
  return new Map(rows.map((r) => [String(r['d']), { plays: Number(r['plays']), sessions: Number(r['sessions']) }]));
};

/** Runs the built CLI; with a fault, the child kills itself there (SIGKILL); with `killWhen`, the test kills it (SIGKILL) once its stderr says so. */
function cli(
  args: readonly string[],
  env: Record<string, string> = {},
  killWhen?: (stderr: string) => boolean,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
    if (killWhen?.(stderr) === true && child.exitCode === null) child.kill('SIGKILL');
  });
  child.stdout.resume();
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
}

beforeAll(async () => {
  set = loadContractsOrThrow(join(ROOT, 'contracts', 'streampulse'));
  await kafka.start();
  // the base lake: the two days before today, so the stream's "now" is the next day
  const now = Date.now();
  day = new Date(now - 86_400_000).toISOString().slice(0, 10);
  base = tmp('base');
  await runDemo(set, {
    lakeRoot: base,
    users: 150,
    days: 2,
    seed: 'stream',
    startDate: new Date(now - 2 * 86_400_000).toISOString().slice(0, 10),
    salt: LOCAL_DEMO_SALT,
    defects: false,
    freshness: 'report',
  });
  events = makeEvents(set, base, day, 60, 's1', now);
  // two partitions per topic: offsets are committed per partition
  await createTopicsOn(kafka.broker.bootstrap, [...new Set(events.map((e) => e.topic))], 2);
  await produce(kafka.broker.bootstrap, events);
}, 300_000);

afterAll(kafka.stop, 60_000);

describe('the gold tables a stream_refresh mart needs', () => {
  it('come from the lineage: the models reading a streamed dataset are rebuilt, the rest reused', () => {
    const marts = set.marts.filter((m) => m.stream_refresh === true).map((m) => m.mart);
    expect(marts.length).toBeGreaterThan(0);
    const streamed = new Set(set.datasets.filter((d) => d.source.stream_topic !== undefined).map((d) => d.dataset));
    const t = streamTables(set, compileJobs(set), marts, streamed);
    expect(t.build).toEqual(expect.arrayContaining(marts.map((m) => `mart.${m}`)));
    expect(t.build.some((id) => id.startsWith('gold.'))).toBe(true);
    for (const id of t.reuse) expect(t.build).not.toContain(id);
  });
});

describe('stream run', () => {
  it('needs a Kafka endpoint', async () => {
    await expect(runStreamConsumer(set, { lakeRoot: tmp('none'), salt: LOCAL_DEMO_SALT, once: true })).rejects.toMatchObject({ code: 'STREAM_NO_TARGET' });
  });

  it('lands every record once, quarantines late events, counts re-sends as duplicates and keeps the mart current', async () => {
    const lake = copyLake('once');
    const before = served(lake);
    const r = await runStreamConsumer(set, { lakeRoot: lake, bootstrap: kafka.broker.bootstrap, salt: LOCAL_DEMO_SALT, once: true, maxBatch: 50, pollMs: 50 });
    expect(r.records).toBe(events.length);
    expect(r.batches).toBeGreaterThan(1);
    const rows = await streamRows(lake, 'bronze');
    // exactly once: one bronze row per Kafka record
    expect(rows).toHaveLength(events.length);
    expect(new Set(rows.map((x) => x.rec)).size).toBe(events.length);
    // late beyond the watermark: quarantined with the batch path's reason; nothing else late is
    const late = new Set(events.filter((e) => e.kind === 'late_beyond').map((e) => e.value));
    expect(late.size).toBeGreaterThan(0);
    for (const x of rows) if (late.has(x.raw)) expect([x.status, x.reason]).toEqual(['quarantined', 'late:beyond_watermark']);
    expect(rows.filter((x) => x.reason?.includes('late:beyond_watermark')).length).toBe(events.filter((e) => late.has(e.value)).length);
    const q = await streamRows(lake, 'quarantine');
    expect(q.filter((x) => late.has(x.raw)).length).toBe(events.filter((e) => late.has(e.value)).length);
    // conservation per micro-batch; the re-sends are duplicates
    const reports = streamReports(lake);
    expect(reports.length).toBe(r.batches);
    for (const rep of reports) for (const d of rep.datasets) expect(d.conserved).toBe(true);
    expect(reports.reduce((a, rep) => a + rep.datasets.reduce((b, d) => b + d.rows_in, 0), 0)).toBe(events.length);
    const dupes = events.filter((e) => e.kind === 'dupe' && !late.has(e.value)).length;
    expect(reports.reduce((a, rep) => a + rep.datasets.reduce((b, d) => b + d.duplicates_dropped, 0), 0)).toBe(dupes);
    // the mart: each day gains its promoted distinct plays; late-beyond events' day gains nothing
    const after = served(lake);
    const playsTopic = set.datasets.find((d) => d.source.stream_topic !== undefined && d.columns.some((c) => c.name === 'completion_pct'))!.source
      .stream_topic!;
    const added = new Map<string, number>();
    for (const e of events)
      if (e.topic === playsTopic && e.kind !== 'dupe' && e.kind !== 'late_beyond')
        added.set(e.eventTime.slice(0, 10), (added.get(e.eventTime.slice(0, 10)) ?? 0) + 1);
    for (const [d, n] of added) expect((after.get(d)?.plays ?? 0) - (before.get(d)?.plays ?? 0)).toBe(n);
    for (const e of events.filter((x) => x.kind === 'late_beyond'))
      expect(after.get(e.eventTime.slice(0, 10))?.plays ?? 0).toBe(before.get(e.eventTime.slice(0, 10))?.plays ?? 0);
    expect(r.latencyMs).toHaveLength(events.length);
    // run again: nothing new, nothing written twice
    const again = await runStreamConsumer(set, { lakeRoot: lake, bootstrap: kafka.broker.bootstrap, salt: LOCAL_DEMO_SALT, once: true });
    expect(again.records).toBe(0);
    expect(await streamRows(lake, 'bronze')).toHaveLength(events.length);
  }, 240_000);

  it('killed (SIGKILL) while a micro-batch writes its partitions and run again: no temporary file, no partition of it kept, every record exactly once', async () => {
    const lake = copyLake('partitions');
    const args = ['stream', 'run', '--bootstrap', kafka.broker.bootstrap, '--lake', lake, '--once', '--max-batch', '40', '--poll-ms', '50'];
    // lake.ts holds the process before it renames a silver partition into place (its bronze ones are written)
    const watch = set.datasets.find((d) => d.source.stream_topic !== undefined && d.columns.some((c) => c.name === 'completion_pct'))!.dataset;
    const killed = await cli(args, { STREAMPULSE_TEST_HOLD_COMMIT: `silver/${watch}/batch=` }, (err) => err.includes('HOLD '));
    expect(killed.signal).toBe('SIGKILL');
    const held = /HOLD (\S+)/.exec(killed.stderr)![1]!;
    const id = /batch=([^/]+)\//.exec(held)![1]!;
    expect(readStreamState(lake).last_batch).not.toBe(id);
    expect(existsSync(join(lake, 'bronze', watch, `batch=${id}`, 'data.parquet'))).toBe(true);
    const again = await cli(args);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('removed 1 uncommitted micro-batch');
    expect(existsSync(join(lake, 'bronze', watch, `batch=${id}`))).toBe(false);
    const leftovers: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.startsWith('.tmp-')) leftovers.push(join(d, e.name));
      }
    };
    walk(lake);
    expect(leftovers).toEqual([]);
    const rows = await streamRows(lake, 'bronze');
    expect(rows).toHaveLength(events.length);
    expect(new Set(rows.map((x) => x.rec)).size).toBe(events.length);
    for (const rep of streamReports(lake)) for (const d of rep.datasets) expect(d.conserved).toBe(true);
  }, 240_000);

  for (const fault of ['mid-write:2', 'before-bronze-commit:2', 'after-bronze-commit:2', 'after-bronze-commit:1'] as const)
    it(`killed (SIGKILL) at ${fault} and run again: bronze holds every record exactly once, conservation holds`, async () => {
      const lake = copyLake(fault.replace(':', '-'));
      const args = ['stream', 'run', '--bootstrap', kafka.broker.bootstrap, '--lake', lake, '--once', '--max-batch', '40', '--poll-ms', '50'];
      const killed = await cli(args, { STREAMPULSE_FAULT: fault });
      expect(killed.signal).toBe('SIGKILL');
      expect(killed.stderr).toContain(`FAULT ${fault.split(':')[0]}`);
      const committed = readStreamState(lake);
      const after = fault.startsWith('after-bronze-commit') ? Number(fault.split(':')[1]) : Number(fault.split(':')[1]) - 1;
      expect(committed.batches).toBe(after);
      const again = await cli(args);
      expect(again.code).toBe(0);
      const rows = await streamRows(lake, 'bronze');
      expect(rows).toHaveLength(events.length);
      expect(new Set(rows.map((x) => x.rec)).size).toBe(events.length);
      // the values are the records sent, each once (as a multiset)
      expect(rows.map((x) => x.raw).sort()).toEqual(events.map((e) => e.value).sort());
      const reports = streamReports(lake);
      for (const rep of reports) for (const d of rep.datasets) expect(d.conserved).toBe(true);
      expect(reports.reduce((a, rep) => a + rep.datasets.reduce((b, d) => b + d.rows_in, 0), 0)).toBe(events.length);
      expect(readStreamState(lake).records).toBe(events.length);
    }, 240_000);
});
