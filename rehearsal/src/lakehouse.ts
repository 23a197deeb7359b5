/**
 * The local lakehouse, end to end: synthetic sources → landing → bronze → silver →
 * gold → marts → SQLite serving, CSV extracts and quality reports. This is what
 * `streampulse demo` and `streampulse run` call; tests call it directly.
 *
 * A lake folder created here carries a marker file, so the demo only ever wipes a
 * folder it made itself.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContractSet } from '@streampulse/contracts';
import { compileJobs, type FreshnessMode } from '@streampulse/jobs';
import { LocalRunner, type BatchReport, type ProgressEvent, type PublishResult } from '@streampulse/engine';
import type { ActivityRun } from '@streampulse/pipelines';
import { generateSources, MANIFEST_FILE, type DefectRates, type Manifest } from '@streampulse/sources';
import { runBatchesViaAdf, type AdfBatchesResult } from './adf-local.js';
import { type FolderOwner, ownFolder, SOURCES_OWNER } from './folders.js';
import { allBatchReports } from './lake-reports.js';

export const LAKE_MARKER = '.streampulse-lake';
/** The demo owns its lake through LAKE_MARKER (its presence is the claim; see folders.ts). */
export const LAKE_OWNER: FolderOwner = {
  marker: LAKE_MARKER,
  command: 'demo',
  option: '--out',
  text: 'A StreamPulse local lake. `streampulse demo` may delete and recreate this folder.\n',
  codes: { notOurs: 'LAKE_NOT_OURS', cannotWrite: 'LAKE_CANNOT_WRITE' },
};
/** Used when STREAMPULSE_PII_SALT is not set: the local demo only. Cloud runs read the secret scope. */
export const LOCAL_DEMO_SALT = 'streampulse-local-demo-salt';

export interface LakehouseEvents {
  readonly onGenerate?: (e: { day: number; days: number; date: string; rows: number; bytes: number }) => void;
  readonly onJob?: (e: ProgressEvent) => void;
  readonly onBatch?: (r: BatchReport, index: number, total: number) => void;
  /** Each activity run of the Data Factory master pipeline (runs through the local executor). */
  readonly onActivityRun?: (r: ActivityRun) => void;
}

export interface DemoOptions extends LakehouseEvents {
  readonly lakeRoot: string;
  readonly users: number;
  readonly days: number;
  readonly seed: string | number;
  readonly startDate: string;
  readonly defects?: Partial<DefectRates> | false;
  readonly salt: string;
  readonly threads?: number;
  /** Whether a failed freshness rule with action `fail` stops the batch (default `enforce`). */
  readonly freshness?: FreshnessMode;
  /** Stops at the next safe point (before a job, a batch, a Data Factory activity) when aborted: the abort's reason is thrown. */
  readonly signal?: AbortSignal;
}

export interface DemoResult {
  readonly manifest: Manifest;
  readonly reports: readonly BatchReport[];
  readonly publish: PublishResult;
  /** One run of the Data Factory master pipeline per batch. */
  readonly runs: AdfBatchesResult['runs'];
  readonly seconds: { readonly generate: number; readonly run: number; readonly publish: number };
}

export function saltFrom(env: Readonly<Record<string, string | undefined>>): { salt: string; fromEnv: boolean } {
  const s = env['STREAMPULSE_PII_SALT'];
  return s !== undefined && s !== '' ? { salt: s, fromEnv: true } : { salt: LOCAL_DEMO_SALT, fromEnv: false };
}

/** Makes `root` an empty lake folder; refuses (touching nothing) a non-empty folder it did not create. */
export function prepareLake(root: string): void {
  ownFolder(root, LAKE_OWNER, 'replace');
}

/**
 * Runs the given batches in order over an existing lake as one backfill straight on the
 * runner (`LocalRunner.runBackfill`, no Data Factory graph), then publishes serving once
 * for every batch report on disk. The benchmark uses this to measure the runner alone,
 * and `streampulse run --from --to` is this (with `resume`); the demo and `streampulse run
 * --date` go through `runDailyBatches` (the master pipeline on the local executor, one
 * pipeline run per day). Every batch's partitions are those of the daily runs: gold and
 * the marts are written once, after the last batch (a daily run overwrites them each
 * day). `tables`: `last-day` (default, the benchmark) leaves the earlier days' gold
 * uncomputed (their reports say `gold_built: false`); `every-day` (the CLI) counts their
 * tables as of each day, so every report is the daily run's too. `goldEveryBatch` writes
 * them after each batch, as the daily schedule does. `resume` skips the leading days
 * already reported over unchanged landing files.
 */
export async function runBatches(
  set: ContractSet,
  opts: LakehouseEvents & {
    lakeRoot: string;
    dates: readonly string[];
    salt: string;
    threads?: number;
    goldEveryBatch?: boolean;
    resume?: boolean;
    tables?: 'every-day' | 'last-day';
    freshness?: FreshnessMode;
    signal?: AbortSignal;
  },
): Promise<{ reports: BatchReport[]; skipped: string[]; publish: PublishResult; seconds: { run: number; publish: number } }> {
  const runner = await LocalRunner.open(compileJobs(set), {
    lakeRoot: opts.lakeRoot,
    salt: opts.salt,
    ...(opts.onJob ? { onProgress: opts.onJob } : {}),
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    ...(opts.freshness !== undefined ? { freshness: opts.freshness } : {}),
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
  });
  try {
    const t0 = performance.now();
    const reports: BatchReport[] = [];
    let skipped: string[] = [];
    if (opts.goldEveryBatch === true)
      for (const [i, d] of opts.dates.entries()) {
        // the next day's landing files are parsed on the side lane while this day runs
        const next = opts.dates[i + 1];
        if (next !== undefined) runner.prefetch(next);
        const r = await runner.runBatch(d);
        reports.push(r);
        opts.onBatch?.(r, i, opts.dates.length);
      }
    else
      ({ skipped } = await runner.runBackfill(opts.dates, {
        ...(opts.resume === true ? { resume: true } : {}),
        tables: opts.tables ?? 'last-day',
        onBatch: (r, i, n) => {
          reports.push(r);
          opts.onBatch?.(r, i, n);
        },
      }));
    const t1 = performance.now();
    const all = allBatchReports(opts.lakeRoot);
    const publish = await runner.publish(set, all);
    const t2 = performance.now();
    return { reports, skipped, publish, seconds: { run: (t1 - t0) / 1000, publish: (t2 - t1) / 1000 } };
  } finally {
    await runner.close();
  }
}

/** The landing manifest of a generated lake, when there is one. */
export function readManifest(lakeRoot: string): Manifest | undefined {
  const p = join(lakeRoot, 'landing', MANIFEST_FILE);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Manifest) : undefined;
}

/**
 * Runs the given batches as runs of the generated Data Factory master pipeline on the
 * local executor (the same graph as the cloud), publishing serving after each.
 */
export const runDailyBatches = runBatchesViaAdf;

/** The whole demo: a fresh lake, generated sources, every batch through the Data Factory master pipeline, serving. */
export async function runDemo(set: ContractSet, opts: DemoOptions): Promise<DemoResult> {
  prepareLake(opts.lakeRoot);
  const t0 = performance.now();
  // landing/ is the sources generator's, as `sources generate --out` would own it
  ownFolder(join(opts.lakeRoot, 'landing'), SOURCES_OWNER);
  const manifest = generateSources(set, {
    outDir: join(opts.lakeRoot, 'landing'),
    users: opts.users,
    days: opts.days,
    startDate: opts.startDate,
    seed: opts.seed,
    ...(opts.defects !== undefined ? { defects: opts.defects } : {}),
    ...(opts.onGenerate ? { onProgress: opts.onGenerate } : {}),
  });
  const generate = (performance.now() - t0) / 1000;
  const { reports, publish, runs, seconds } = await runDailyBatches(set, {
    lakeRoot: opts.lakeRoot,
    dates: manifest.dates,
    salt: opts.salt,
    ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
    ...(opts.onJob ? { onJob: opts.onJob } : {}),
    ...(opts.onBatch ? { onBatch: opts.onBatch } : {}),
    ...(opts.onActivityRun ? { onActivityRun: opts.onActivityRun } : {}),
    ...(opts.freshness !== undefined ? { freshness: opts.freshness } : {}),
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
  });
  return { manifest, reports, publish, runs, seconds: { generate, ...seconds } };
}
