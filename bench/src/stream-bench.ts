/**
 * The streaming benchmark (`streampulse stream bench`): the local broker, the producer
 * at a target rate (default 5,000 records a second) for a fixed duration (default 20 s),
 * the consumer (`stream run`, a child process) reading it into the lake and keeping the
 * stream_refresh marts current — the stream demo's machinery without the kill. Prints the
 * sustained records a second (first record produced → last one visible in the mart) and
 * the event → mart latency p50 / p99 against the goal (p99 under 500 ms), as met / not met;
 * never asserted.
 */
import type { ContractSet } from '@streampulse/contracts';
import { runStreamDemo, type StreamDemoResult } from '@streampulse/rehearsal';

export const STREAM_BENCH_DEFAULTS = { rate: 5000, durationS: 20, users: 1000, maxBatch: 5000, pollMs: 100 } as const;
/** The goal: event → visible in the served mart, 99th percentile. */
export const STREAM_P99_GOAL_MS = 500;

export interface StreamBenchOptions {
  readonly lakeRoot: string;
  readonly rate?: number;
  readonly durationS?: number;
  readonly users?: number;
  readonly maxBatch?: number;
  readonly pollMs?: number;
  readonly seed: string;
  readonly salt: string;
  /** node and the CLI's bin: the consumer runs as `streampulse stream run`. */
  readonly cli: readonly string[];
  readonly onLine?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface StreamBenchResult {
  readonly rate: number;
  readonly durationS: number;
  readonly records: number;
  /** What the producer achieved, records a second. */
  readonly producedPerSecond: number;
  /** First record produced → last one visible in the mart, records a second. */
  readonly sustainedPerSecond: number;
  readonly batches: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly goal: { readonly p99Ms: number; readonly met: boolean };
}

export async function runStreamBench(set: ContractSet, opts: StreamBenchOptions): Promise<StreamBenchResult> {
  const rate = opts.rate ?? STREAM_BENCH_DEFAULTS.rate;
  const durationS = opts.durationS ?? STREAM_BENCH_DEFAULTS.durationS;
  const r: StreamDemoResult = await runStreamDemo(set, {
    lakeRoot: opts.lakeRoot,
    events: Math.round(rate * durationS),
    rate,
    durationS,
    users: opts.users ?? STREAM_BENCH_DEFAULTS.users,
    seed: opts.seed,
    salt: opts.salt,
    cli: opts.cli,
    kill: false,
    late: 0.02,
    dupes: 0.02,
    maxBatch: opts.maxBatch ?? STREAM_BENCH_DEFAULTS.maxBatch,
    pollMs: opts.pollMs ?? STREAM_BENCH_DEFAULTS.pollMs,
    ...(opts.onLine !== undefined ? { onLine: opts.onLine } : {}),
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
  });
  return {
    rate,
    durationS,
    records: r.events,
    producedPerSecond: r.manifest.rate_achieved,
    sustainedPerSecond: r.sustainedPerSecond,
    batches: r.batches,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    lost: r.lost,
    duplicated: r.duplicated,
    goal: { p99Ms: STREAM_P99_GOAL_MS, met: r.p99Ms < STREAM_P99_GOAL_MS },
  };
}

/** The benchmark's printed lines. */
export function streamBenchLines(r: StreamBenchResult): string[] {
  return [
    `stream bench: ${r.rate.toLocaleString('en-US')} records/s target for ${r.durationS} s → ${r.records.toLocaleString('en-US')} records produced at ${r.producedPerSecond.toLocaleString('en-US')}/s`,
    `sustained ${r.sustainedPerSecond.toLocaleString('en-US')} records/s (first produced → last visible in the mart) · ${r.batches} micro-batches · lost ${r.lost} · duplicated ${r.duplicated}`,
    `event → mart latency p50 ${r.p50Ms} ms · p99 ${r.p99Ms} ms · goal p99 < ${r.goal.p99Ms} ms: ${r.goal.met ? 'met' : 'not met'}`,
  ];
}
