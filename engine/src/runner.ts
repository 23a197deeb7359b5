/**
 * The local runner: executes a JobPlan batch by batch on DuckDB over a local lake
 * folder. It is the embedded rehearsal of the Databricks job: the same specs, the
 * same SQL (duckdb dialect), the same layer rules. It owns the batch (the open batch's
 * results, the jobs' order, the side lane's pending writes, prefetching); the silver
 * relations it holds between jobs are `SilverState` (silver-state.ts) and the batch
 * reports are `reports.ts`.
 */
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { StreamPulseError, type ContractSet } from '@streampulse/contracts';
import { publish, type PublishResult } from './publish.js';
import type { JobPlan, JobSpec } from '@streampulse/jobs';
import { bindRunDate } from '@streampulse/jobs';
import type { FreshnessMode } from '@streampulse/jobs';
import {
  bronzeBatchSql,
  copyAtomic,
  dropBronzeBatchSql,
  landingFiles,
  prefetchLanding,
  runBronze,
  sha256File,
  step,
  type BronzeResult,
  type ParsedLanding,
} from './bronze.js';
import { SideLane, type LaneTask } from './lane.js';
import { type BacklogWrites, bronzeBacklog, dropBronzeBacklogSql, dropSilverBacklogSql, firstBatchTable, silverBacklog } from './backlog.js';
import { Duck, qi, sqlStr } from './duck.js';
import { Lake, sweepTemporaries, writeFileAtomic } from './lake.js';
import { SilverState } from './silver-state.js';
import { isStreamBatchId, streamBatches } from './stream.js';
import { clearMarker, fingerprint, readMarker, reportedBatches, sameFingerprint, writeMarker } from './rerun.js';
import { datasetReport, newestPromotedBefore, type BatchReport, type DatasetBatchReport, type ProgressEvent, type TableReport } from './reports.js';

export type { BatchReport, DatasetBatchReport, ProgressEvent, TableReport } from './reports.js';
import { dropRankedSql, partitionHashesSql, partitionRowsSql, runSilver, writeSilverPartition, type SilverResult } from './silver.js';

/**
 * DuckDB's memory limit in the runner, shared by its two connections: with Node's own
 * heap and DuckDB's allocations outside its buffer pool, the process stays under 1 GB
 * resident at 100k users × 30 days (847 MB measured; 512 MB gave 850–980 MB).
 */
export const RUNNER_MEMORY_LIMIT = '448MB';

/**
 * The landing bytes a backfill's one pass takes at most (whole days, at least one): the
 * pass holds every parsed row of its days, so a long backlog at scale runs as a few passes.
 */
export const BACKLOG_CHUNK_BYTES = 48 * 1024 * 1024;

export interface RunnerOptions {
  readonly lakeRoot: string;
  /** Salt for pseudonymisation (from the secret `streampulse-pii-salt`). */
  readonly salt: string;
  readonly onProgress?: (e: ProgressEvent) => void;
  readonly threads?: number;
  /** DuckDB's memory_limit (default RUNNER_MEMORY_LIMIT). */
  readonly memoryLimit?: string;
  /** A backfill pass's landing bytes at most (default BACKLOG_CHUNK_BYTES). */
  readonly backlogChunkBytes?: number;
  /** For tests: throw after this many jobs of a batch (simulates a crash mid-run). */
  readonly crashAfterJobs?: number;
  /**
   * Use a second DuckDB connection (the side lane) for bronze writes and for parsing the
   * next batch's files (`prefetch`), so both cores work. Default true; false runs every
   * statement on one connection (the results are the same).
   */
  readonly sideLane?: boolean;
  /**
   * `enforce` (default): a failed freshness rule with action `fail` stops the batch.
   * `report`: it is reported and noted only (a backfill of sparse history, a small run).
   */
  readonly freshness?: FreshnessMode;
  /**
   * Stops the run at the next safe point (before a job, between replayed batches) when
   * aborted: `signal.throwIfAborted()` throws the abort's reason. Every file a job
   * writes is complete or absent (temporary name, then rename), so the same call again
   * gives what an uninterrupted one gives.
   */
  readonly signal?: AbortSignal;
}

interface OpenBatch {
  readonly batch: string;
  readonly ingestedAt: string;
  /** Results by job id. */
  readonly bronze: Map<string, BronzeResult>;
  readonly silver: Map<string, SilverResult>;
  readonly tables: Map<string, TableReport>;
  /** Datasets whose bronze rows of this batch are still held in memory for their silver job. */
  readonly heldBronze: Set<string>;
  /** Jobs run so far in this batch (for the simulated crash). */
  ran: number;
  /** Per dataset, the newest event promoted before this batch (freshness rules), read from the earlier reports once. */
  newestBefore?: ReadonlyMap<string, string | null>;
  /** The freshness mode the batch's bronze jobs ran with (replayed later batches run with it too). */
  freshness?: FreshnessMode;
  /** Set once the batch was reconciled with the later batches (`reconcile`). */
  reconciled?: { readonly goldAsOf: string; readonly replayed: readonly string[] };
  /** The batch the held silver state is as of, when not this one (gold built as of a later batch). */
  stateAsOf?: string;
  /** A stream micro-batch's landing files per dataset (absolute paths), instead of the day's landing folder. */
  files?: ReadonlyMap<string, readonly string[]>;
}

/** The day after a YYYY-MM-DD day. */
const nextDay = (d: string): string => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** The table a dataset's landing files of a batch are parsed ahead into. */
const prefetchTable = (dataset: string, batch: string): string => qi(`pf__${dataset}__${batch}`);

/** A parse on the side lane and the table it fills. */
interface Ahead {
  readonly task: LaneTask<ParsedLanding>;
  readonly table: string;
}

/**
 * A parse started ahead on the side lane: taken back when not started (undefined: the job
 * parses the files itself), awaited when running or done; when it failed (a file changed or
 * vanished meanwhile), its table is dropped and the job parses the files itself.
 */
async function takeAhead(duck: Duck, task: LaneTask<ParsedLanding> | undefined, table: string): Promise<ParsedLanding | undefined> {
  if (task === undefined || task.cancel()) return undefined;
  try {
    return await task.promise;
  } catch {
    await duck.run(`DROP TABLE IF EXISTS ${table}`);
    return undefined;
  }
}

/** A parse started ahead that no job will use: taken back, or awaited and its table dropped. */
async function discardAhead(duck: Duck, task: LaneTask<ParsedLanding>, table: string): Promise<void> {
  if (task.cancel()) return;
  await task.promise.catch(() => undefined);
  await duck.run(`DROP TABLE IF EXISTS ${table}`);
}

/** Whether the job ran in this open batch. */
const hasRun = (state: OpenBatch, jobId: string): boolean => state.bronze.has(jobId) || state.silver.has(jobId) || state.tables.has(jobId);

export class LocalRunner {
  /** The silver relations held between jobs and batches (silver-state.ts). */
  private readonly silverState: SilverState;
  /** The batch whose jobs are running (runJobs) and not yet reported (finishBatch). */
  private open: OpenBatch | undefined;
  /** Writes handed to the side lane and not yet awaited (awaited before a batch is reported). */
  private pending: Promise<unknown>[] = [];
  /** Landing files parsed ahead on the side lane, by `<dataset>@<batch>`. */
  private readonly prefetched = new Map<string, LaneTask<ParsedLanding>>();
  /** DuckDB's thread count now (`SET threads`): see `useThreads`. */
  private threadsNow: number;
  /**
   * Per referenced dataset, the day from which its first-batch tables (backlog.ts) lack
   * partitions: held from one pass of a backfill to the next, dropped after it.
   */
  private readonly backlogFirst = new Map<string, string>();
  /** The next pass's landing files being parsed ahead, by `<dataset>@<days>`. */
  private readonly backlogAhead = new Map<string, Ahead>();
  /** Per dataset, the newest event promoted through the last stream micro-batch (runMicroBatch). */
  private streamNewest: Map<string, string | null> | undefined;

  private constructor(
    readonly plan: JobPlan,
    readonly lake: Lake,
    private readonly duck: Duck,
    private readonly opts: RunnerOptions,
    private readonly lane: SideLane | undefined,
    /** The thread count the runner was opened with (default 2). */
    private readonly threadsMax: number,
  ) {
    this.threadsNow = threadsMax;
    this.silverState = new SilverState(plan, lake, duck, () => this.flushWrites());
  }

  static async open(plan: JobPlan, opts: RunnerOptions): Promise<LocalRunner> {
    const lake = new Lake(opts.lakeRoot);
    lake.ensureDirs();
    sweepTemporaries(opts.lakeRoot);
    // DuckDB's memory (held silver state, query working memory) stays under this limit and
    // spills to a folder of the lake beyond it, so the process stays under 1 GB resident
    const spill = lake.path('_state', 'duckdb-spill');
    rmSync(spill, { recursive: true, force: true });
    const duck = await Duck.open({
      memoryLimit: opts.memoryLimit ?? RUNNER_MEMORY_LIMIT,
      tempDirectory: spill,
      ...(opts.threads === undefined ? {} : { threads: opts.threads }),
    });
    const lane = opts.sideLane === false ? undefined : new SideLane(await duck.connect('side'));
    return new LocalRunner(plan, lake, duck, opts, lane, opts.threads ?? 2);
  }

  /** Waits for the side lane's running task (queued ones are dropped), then closes both connections and removes DuckDB's spill folder. */
  async close(): Promise<void> {
    try {
      if (this.lane !== undefined) {
        await this.lane.drain();
        this.lane.duck.close();
      }
    } finally {
      this.duck.close();
      rmSync(this.lake.path('_state', 'duckdb-spill'), { recursive: true, force: true });
    }
  }

  /**
   * Starts parsing a batch's landing files on the side lane (every bronze job's files),
   * so that its bronze jobs find them parsed. Call it for the next batch while running
   * this one; without a side lane it does nothing. The bronze job checks that the files
   * are unchanged and parses them itself when they are not (or when parsing has not
   * started yet), so a prefetch never changes a result.
   */
  prefetch(batch: string): void {
    const lane = this.lane;
    if (lane === undefined || !/^\d{4}-\d{2}-\d{2}$/.test(batch)) return;
    for (const job of this.plan.jobs) {
      const key = `${job.name}@${batch}`;
      if (job.layer !== 'bronze' || this.prefetched.has(key)) continue;
      this.prefetched.set(
        key,
        lane.enqueue('prefetch', (d) => prefetchLanding(d, job, this.lake, [batch], prefetchTable(job.name, batch))),
      );
    }
  }

  /** Resolves when the batch's landing files have been parsed ahead (or given up); for tests and measurements. */
  async whenPrefetched(batch: string): Promise<number> {
    let n = 0;
    for (const [key, task] of this.prefetched) if (key.endsWith(`@${batch}`) && (await task.promise.catch(() => undefined)) !== undefined) n++;
    return n;
  }

  /** The prefetched parse of a dataset's batch: taken back when not started, awaited when running or done. */
  private async takeParsed(dataset: string, batch: string): Promise<ParsedLanding | undefined> {
    const task = this.prefetched.get(`${dataset}@${batch}`);
    this.prefetched.delete(`${dataset}@${batch}`);
    return takeAhead(this.duck, task, prefetchTable(dataset, batch));
  }

  /** Drops parsed-ahead tables of batches before `current` (runs went another way; they will not be used). */
  private async discardPrefetched(current: string): Promise<void> {
    for (const [key, task] of [...this.prefetched.entries()]) {
      const [dataset, batch] = key.split('@') as [string, string];
      if (batch >= current) continue;
      this.prefetched.delete(key);
      await discardAhead(this.duck, task, prefetchTable(dataset, batch));
    }
  }

  /** Awaits every write handed to the side lane (the first failure is thrown). */
  private async flushWrites(): Promise<void> {
    const all = this.pending.splice(0);
    const results = await Promise.allSettled(all);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  }

  /** Drops a batch's held bronze rows; with a side lane, after its queued writes have read them. */
  private async dropBronzeTable(dataset: string): Promise<void> {
    const sql = dropBronzeBatchSql(dataset);
    if (this.lane === undefined) await this.duck.run(sql);
    else this.pending.push(this.lane.enqueue('write', (d) => d.run(sql)).promise);
  }

  /** Publishes the serving database, CSV extracts and quality reports for the given batches. */
  async publish(set: ContractSet, reports: readonly BatchReport[]): Promise<PublishResult> {
    await this.useThreads(this.threadsMax);
    return publish(this.duck, this.lake, set, reports);
  }

  /**
   * With a side lane, bronze and silver statements run on one thread each: a day's rows
   * are a row group or two, so a second thread per statement only contends with the
   * other connection's statement for the two cores (the same results for a fifth less
   * CPU, measured at 100k users). Gold models, marts and publishing, which run alone and
   * read every partition, get every thread. `SET threads` is the database's setting, so
   * it holds for both connections.
   */
  private async useThreads(n: number): Promise<void> {
    if (this.lane === undefined || n === this.threadsNow) return;
    await this.duck.run(`SET threads = ${n}`);
    this.threadsNow = n;
  }

  /**
   * Runs every job of the plan for one batch (a YYYY-MM-DD run date). With `gold: false`
   * only its bronze and silver jobs run (catching up on several days: gold and the marts
   * are a function of the silver state and the run date, so building them after the
   * last batch gives the same tables as building them after every batch).
   */
  async runBatch(batch: string, opts: { gold?: boolean } = {}): Promise<BatchReport> {
    const gold = opts.gold ?? true;
    await this.runJobs(batch, gold ? undefined : this.plan.jobs.filter((j) => j.layer === 'bronze' || j.layer === 'silver').map((j) => j.id));
    return this.finishBatch(batch, { gold });
  }

  /**
   * Runs a backlog of daily batches (YYYY-MM-DD, ascending) as one run: the backfill
   * (`streampulse run --from --to`, the benchmark). Every batch's partitions are what
   * running the days one by one (`runBatch` with gold, the daily schedule) gives, and gold
   * and the marts are written after the last day (a daily run overwrites them each day).
   * `tables`: `every-day` (default) computes an earlier day's gold tables as of that day
   * to count their rows, so every report is the daily run's too; `last-day` does not
   * (about 0.6 s a day at 300 users): an earlier day's report then says `gold_built:
   * false` with no table counts, the one difference from the daily runs' files. The next
   * day's landing files are parsed ahead on the side lane.
   *
   * A day that is not after the newest reported batch (or any day while a re-run is
   * unfinished) runs as a re-run, from there on day by day with the daily semantics
   * (rerun.ts: later batches replayed when what they read changed, gold built each day).
   * With `resume`, the leading days that already have a report with gold and whose landing
   * files are unchanged (the report's names and sha256) are skipped first (their reports
   * are returned as they are, listed in `skipped`): a killed backfill run again finishes
   * where it stopped, and a finished one run again writes nothing.
   */
  async runBackfill(
    dates: readonly string[],
    opts: {
      readonly freshness?: FreshnessMode;
      readonly resume?: boolean;
      readonly tables?: 'every-day' | 'last-day';
      readonly onBatch?: (r: BatchReport, index: number, total: number) => void;
      /** `false`: every day runs its own jobs, as a daily run (the backlog pass is the default). */
      readonly onePass?: boolean;
    } = {},
  ): Promise<{ reports: BatchReport[]; skipped: string[] }> {
    for (const [i, d] of dates.entries()) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(d))
        throw new StreamPulseError('RUN_BAD_DATE', `"${d}" is not a YYYY-MM-DD date`, { remedy: 'pass --from and --to as YYYY-MM-DD' });
      if (i > 0 && d <= dates[i - 1]!)
        throw new StreamPulseError('BACKFILL_BAD_RANGE', `backfill dates must ascend without repeats (${dates[i - 1]} then ${d})`, {
          remedy: 'pass --from no later than --to',
        });
    }
    if (this.open !== undefined)
      throw new StreamPulseError('RUN_BATCH_OPEN', `batch ${this.open.batch} is still open; a backfill cannot start`, {
        remedy: 'finish the open batch (finishBatch) before a backfill',
      });
    const specs = new Map(this.plan.jobs.map((j) => [j.id, j]));
    const reports: BatchReport[] = [];
    const skipped: string[] = [];
    // read once: skipping days writes nothing
    const reported = reportedBatches(this.lake);
    const rerunUnfinished = readMarker(this.lake) !== undefined;
    const done = new Set(reported);
    let first = 0;
    if (opts.resume === true && !rerunUnfinished)
      for (const d of dates) {
        const r = done.has(d) ? this.reportIfLandingUnchanged(d) : undefined;
        if (r === undefined) break;
        reports.push(r);
        skipped.push(d);
        opts.onBatch?.(r, first, dates.length);
        first++;
      }
    const rest = dates.slice(first);
    const newest = reported.at(-1);
    const rerun = rerunUnfinished || (newest !== undefined && rest[0] !== undefined && rest[0] <= newest);
    const bronzeSilver = this.plan.jobs.filter((j) => j.layer === 'bronze' || j.layer === 'silver').map((j) => j.id);
    const freshness = opts.freshness ?? this.opts.freshness ?? 'enforce';
    // a backlog of new days: each bronze and silver job once over a chunk of days (backlog.ts),
    // then each day's report (and its gold) in order; day by day where a pass gives up
    let i0 = 0;
    await this.dropBacklogFirst();
    if (!rerun && opts.onePass !== false && rest.length > 1 && !streamBatches(this.lake).some((b) => b >= rest[0]!))
      for (let chunk: string[] | undefined = this.backlogChunk(rest); chunk !== undefined; ) {
        // the next pass's days too: its files are parsed ahead during this pass
        const after = rest.slice(i0 + chunk.length);
        const next = after.length > 0 ? this.backlogChunk(after) : undefined;
        const states = await this.runBacklog(chunk, specs, freshness, next);
        if (states === undefined) break;
        for (const state of states) {
          const d = state.batch;
          this.open = state;
          let r: BatchReport;
          if (d === rest.at(-1)) {
            await this.silverState.refresh(specs, d);
            await this.runJobs(d, undefined, { freshness });
            r = await this.finishBatch(d);
          } else if (opts.tables === 'last-day') r = await this.finishBatch(d, { gold: false });
          else {
            await this.silverState.refresh(specs, d);
            await this.countTables(d, specs);
            r = await this.finishBatch(d);
          }
          reports.push(r);
          opts.onBatch?.(r, first + i0, dates.length);
          i0++;
        }
        // the held silver state is as of no day in particular now: rebuilt where next needed
        this.silverState.asOf = undefined;
        chunk = next;
      }
    await this.discardBacklogAhead();
    await this.dropBacklogFirst();
    for (const [i, d] of rest.entries()) {
      if (i < i0) continue;
      const next = rest[i + 1];
      if (next !== undefined) this.prefetch(next);
      let r: BatchReport;
      if (rerun || next === undefined) {
        // a re-run (daily semantics, replays included), or the last day: gold written
        await this.runJobs(d, undefined, { freshness });
        r = await this.finishBatch(d);
      } else if (opts.tables === 'last-day') {
        await this.runJobs(d, bronzeSilver, { freshness });
        r = await this.finishBatch(d, { gold: false });
      } else {
        await this.runJobs(d, bronzeSilver, { freshness });
        await this.countTables(d, specs);
        r = await this.finishBatch(d);
      }
      reports.push(r);
      opts.onBatch?.(r, first + i, dates.length);
    }
    return { reports, skipped };
  }

  /**
   * The leading days of a backlog one pass takes: as many as fit in BACKLOG_CHUNK_BYTES of
   * landing files (at least one), so that the pass's tables stay within the runner's memory.
   */
  private backlogChunk(days: readonly string[]): string[] {
    const reads = this.plan.jobs.filter((j) => j.layer === 'bronze').map((j) => step(j, 'read_landing'));
    let bytes = 0;
    const out: string[] = [];
    for (const d of days) {
      let day = 0;
      for (const r of reads) for (const f of landingFiles(this.lake, r.path, d)) day += statSync(f).size;
      if (out.length > 0 && bytes + day > (this.opts.backlogChunkBytes ?? BACKLOG_CHUNK_BYTES)) break;
      bytes += day;
      out.push(d);
    }
    return out;
  }

  /**
   * Runs the bronze and silver jobs of a chunk of new days as one pass (backlog.ts) and
   * returns each day's open batch (results in, not yet reported). When a day would stop
   * (a check with action `fail`, a freshness rule) the pass takes back what it wrote and
   * returns undefined: the days then run one by one, as the daily runs, to that stop.
   */
  private async runBacklog(
    days: readonly string[],
    specs: Map<string, JobSpec>,
    freshness: FreshnessMode,
    /** The next pass's days: their files are parsed ahead on the side lane after this pass's. */
    next?: readonly string[],
  ): Promise<OpenBatch[] | undefined> {
    await this.discardPrefetched(`${days.at(-1)!}~`);
    for (const name of this.open?.heldBronze ?? []) await this.dropBronzeTable(name);
    this.open = undefined;
    await this.flushWrites();
    await this.useThreads(1);
    const ingestedAt = new Date().toISOString().replace('T', ' ').replace('Z', '');
    const states = days.map(
      (batch): OpenBatch => ({ batch, ingestedAt, bronze: new Map(), silver: new Map(), tables: new Map(), heldBronze: new Set(), ran: 0, freshness }),
    );
    const lane = this.lane;
    const writes: BacklogWrites = {
      files: [],
      ledgers: new Map(),
      write: async (fn) => {
        // without a side lane the write runs on this connection, before its next statement
        if (lane === undefined) await fn(this.duck);
        else this.pending.push(lane.enqueue('write', fn).promise);
      },
    };
    const later = async (sql: string): Promise<void> => {
      if (lane === undefined) await this.duck.run(sql);
      else this.pending.push(lane.enqueue('write', (d) => d.run(sql)).promise);
    };
    const newestBefore = newestPromotedBefore(this.plan, this.lake, days[0]!);
    let stopped = false;
    let completed = false;
    // every dataset's files parsed ahead on the side lane, in plan order, while the main connection runs the jobs before
    // (started during the pass before when these are its next days), then the next pass's
    const ahead = new Map<string, Ahead>();
    const aheadKey = (name: string, ds: readonly string[]): string => `${name}@${ds.join(',')}`;
    const parseAhead = (job: JobSpec, ds: readonly string[]): Ahead => {
      const table = prefetchTable(job.name, `backlog-${ds[0]!}`);
      return { task: lane!.enqueue('prefetch', (d) => prefetchLanding(d, job, this.lake, ds, table, true)), table };
    };
    if (lane !== undefined) {
      for (const job of this.plan.jobs) {
        if (job.layer !== 'bronze') continue;
        const early = this.backlogAhead.get(aheadKey(job.name, days));
        this.backlogAhead.delete(aheadKey(job.name, days));
        ahead.set(job.name, early ?? parseAhead(job, days));
      }
      await this.discardBacklogAhead();
      if (next !== undefined)
        for (const job of this.plan.jobs) if (job.layer === 'bronze') this.backlogAhead.set(aheadKey(job.name, next), parseAhead(job, next));
    }
    const takeParsed = (name: string): Promise<ParsedLanding | undefined> => {
      const a = ahead.get(name);
      ahead.delete(name);
      return a === undefined ? Promise.resolve(undefined) : takeAhead(this.duck, a.task, a.table);
    };
    try {
      for (const [i, job] of this.plan.jobs.entries()) {
        if (job.layer !== 'bronze' && job.layer !== 'silver') continue;
        this.opts.signal?.throwIfAborted();
        this.opts.onProgress?.({ kind: 'job-start', batch: days[0]!, job: job.id, index: i, total: this.plan.jobs.length });
        let detail: string;
        if (job.layer === 'bronze') {
          const out = await bronzeBacklog(job, {
            duck: this.duck,
            lake: this.lake,
            batches: days,
            ingestedAt,
            firstBatch: (ds, col) => (specs.has(`silver.${ds}`) ? firstBatchTable(ds, col) : undefined),
            newestBefore: newestBefore.get(job.name) ?? null,
            freshness,
            persist: lane !== undefined,
            writes,
            takeParsed: () => takeParsed(job.name),
          });
          if ('stop' in out) {
            stopped = true;
            break;
          }
          for (const s of states) s.bronze.set(job.id, out.results.get(s.batch)!);
          detail = `${days.length} batches`;
        } else {
          const referenced = this.silverState.referenced.get(job.name);
          const held = referenced !== undefined && this.backlogFirst.get(job.name) === days[0];
          const seenIndex = await this.silverState.seenIndexBefore(job, days[0]!);
          const out = await silverBacklog(job, {
            duck: this.duck,
            lake: this.lake,
            batches: days,
            salt: this.opts.salt,
            persist: lane !== undefined,
            referenced,
            firstBatchesHeld: held,
            seenIndex,
            writes,
          });
          for (const d of days) this.silverState.seenAppended(job.name, d);
          if (referenced !== undefined) this.backlogFirst.set(job.name, nextDay(days.at(-1)!));
          for (const s of states) s.silver.set(job.id, out.get(s.batch)!);
          await later(`${dropSilverBacklogSql(job.name)}; ${dropBronzeBacklogSql(job.name)}`);
          detail = `${days.length} batches`;
        }
        for (const s of states) s.ran++;
        this.opts.onProgress?.({ kind: 'job-done', batch: days[0]!, job: job.id, index: i, total: this.plan.jobs.length, detail });
      }
      await this.flushWrites();
      completed = !stopped;
    } finally {
      for (const a of ahead.values()) await discardAhead(this.duck, a.task, a.table).catch(() => undefined);
      await this.flushWrites().catch(() => undefined);
      if (stopped) await this.dropBacklogFirst();
      // after a stop or a failure: every dataset's tables (each job drops its own when it completes)
      if (!completed)
        for (const job of this.plan.jobs)
          if (job.layer === 'bronze') await this.duck.run(`${dropSilverBacklogSql(job.name)}; ${dropBronzeBacklogSql(job.name)}`).catch(() => undefined);
    }
    if (stopped) {
      // take back every file of the pass: the days run one by one from the chunk's first
      for (const f of writes.files) rmSync(f, { force: true });
      for (const [f, text] of writes.ledgers) {
        if (text === undefined) rmSync(f, { force: true });
        else writeFileAtomic(f, text);
      }
      return undefined;
    }
    this.silverState.asOf = undefined;
    return states;
  }

  /** Takes back (or awaits and drops) the next passes' files parsed ahead that no pass took. */
  private async discardBacklogAhead(): Promise<void> {
    for (const [key, a] of [...this.backlogAhead.entries()]) {
      this.backlogAhead.delete(key);
      await discardAhead(this.duck, a.task, a.table).catch(() => undefined);
    }
  }

  /** Drops the first-batch tables backfill passes keep from one pass to the next (runBacklog). */
  private async dropBacklogFirst(): Promise<void> {
    for (const [name] of this.backlogFirst)
      for (const c of this.silverState.referenced.get(name) ?? [])
        await this.duck.run(`DROP TABLE IF EXISTS ${firstBatchTable(name, c)}`).catch(() => undefined);
    this.backlogFirst.clear();
  }

  /** A reported batch's report when every dataset's landing files are still those it read (names and sha256), else undefined. */
  private reportIfLandingUnchanged(batch: string): BatchReport | undefined {
    const file = this.lake.path('reports', 'batches', `${batch}.json`);
    let report: BatchReport;
    try {
      report = JSON.parse(readFileSync(file, 'utf8')) as BatchReport;
    } catch {
      return undefined;
    }
    if (report.gold_built !== true) return undefined;
    for (const job of this.plan.jobs) {
      if (job.layer !== 'bronze') continue;
      const read = job.steps.find((s) => s.op === 'read_landing');
      const d = report.datasets.find((x) => x.dataset === job.name);
      if (read?.op !== 'read_landing' || d === undefined) return undefined;
      const now = landingFiles(this.lake, read.path, batch)
        .map((abs) => `${relative(this.lake.path('landing'), abs)} ${sha256File(abs)}`)
        .sort();
      const then = d.files.map((f) => `${f.file} ${f.sha256}`).sort();
      if (now.join('\n') !== then.join('\n')) return undefined;
    }
    return report;
  }

  /**
   * A backfill's earlier day: its gold models and marts as of that day counted, not
   * written (the last day writes them, as the daily runs overwrite them each day). Each is
   * a temporary table as of the day (later models read the earlier ones'; a view would
   * compute each model again in every model that reads it), dropped after; the report
   * gets the same row counts as a daily run's.
   */
  private async countTables(batch: string, specs: Map<string, JobSpec>): Promise<void> {
    const state = this.open;
    if (state?.batch !== batch) throw new StreamPulseError('RUN_JOB_ORDER', `batch ${batch} is not open`, { remedy: 'this is a runner bug' });
    const goldAsOf = await this.reconcile(state, specs, true);
    await this.flushWrites();
    await this.silverState.createStaleViews(specs);
    await this.useThreads(this.threadsMax);
    const counted: string[] = [];
    try {
      await this.countEach(state, goldAsOf, counted);
    } finally {
      for (const name of counted) await this.duck.run(`DROP TABLE IF EXISTS temp.${qi(`gold__${name}`)}`);
    }
  }

  /** Counts each gold model and mart of the open batch as of `goldAsOf` (countTables), noting the temporary tables it created in `counted`. */
  private async countEach(state: OpenBatch, goldAsOf: string, counted: string[]): Promise<void> {
    const batch = state.batch;
    for (const [i, job] of this.plan.jobs.entries()) {
      if (job.layer === 'bronze' || job.layer === 'silver') continue;
      this.opts.signal?.throwIfAborted();
      this.opts.onProgress?.({ kind: 'job-start', batch, job: job.id, index: i, total: this.plan.jobs.length });
      const sql = buildSql(job, goldAsOf);
      // temporary tables: they shadow the written tables' views (the same names) until dropped below
      await this.duck.run(`CREATE OR REPLACE TEMP TABLE ${qi(`gold__${job.name}`)} AS ${sql}`, `count ${job.id}`);
      counted.push(job.name);
      const rows = Number(await this.duck.scalar(`SELECT count(*) FROM ${qi(`gold__${job.name}`)}`, `count ${job.id}`));
      state.ran++;
      state.tables.set(job.id, { table: job.name, layer: job.layer as 'gold' | 'mart', rows });
      this.opts.onProgress?.({ kind: 'job-done', batch, job: job.id, index: i, total: this.plan.jobs.length, detail: `${rows} rows` });
    }
  }

  /**
   * Runs some jobs of one batch (default: every job not yet run in it), in plan order.
   * This is the per-task entry point: the cloud runs each job spec as its own Databricks
   * task, and the local Data Factory executor calls this once per activity (a dataset's
   * bronze job, its silver job, then the gold and mart jobs). A job's dependencies must
   * have run first, in this batch or (for silver state) in earlier ones.
   * `finishBatch` then writes the batch report. `opts.freshness` overrides the runner's
   * freshness mode for these jobs (the Data Factory activity's `--freshness`).
   */
  async runJobs(batch: string, only?: readonly string[], opts: { freshness?: FreshnessMode } = {}): Promise<void> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(batch))
      throw new StreamPulseError('RUN_BAD_DATE', `"${batch}" is not a YYYY-MM-DD date`, { remedy: 'pass --date YYYY-MM-DD' });
    const jobs = this.plan.jobs;
    const specs = new Map(jobs.map((j) => [j.id, j]));
    if (only !== undefined) {
      const unknown = only.filter((id) => !specs.has(id));
      if (unknown.length > 0)
        throw new StreamPulseError('RUN_UNKNOWN_JOB', `no job ${unknown.map((u) => `'${u}'`).join(', ')} in the job plan`, {
          remedy: `job ids are <layer>.<name>, e.g. ${jobs[0]?.id ?? 'bronze.<dataset>'}; regenerate the control manifest from the contracts`,
        });
    }
    let state = this.open;
    const freshness = opts.freshness ?? this.opts.freshness ?? 'enforce';
    // every partition the jobs wrote is committed when runJobs returns (or throws)
    try {
      if (state?.batch !== batch) {
        this.opts.signal?.throwIfAborted();
        await this.beforeBatch(batch, specs, freshness);
        state = await this.openBatch(batch, specs);
      }
      await this.runJobList(state, batch, specs, only === undefined ? undefined : new Set(only), freshness);
    } catch (e) {
      await this.flushWrites().catch(() => undefined);
      throw e;
    }
    await this.flushWrites();
  }

  /** Opens a batch: silver state as of the batches before it, the previous batch's held rows dropped. */
  private async openBatch(batch: string, specs: Map<string, JobSpec>): Promise<OpenBatch> {
    await this.discardPrefetched(batch);
    const prev = this.open;
    // silver state as of the previous batches; each silver job refreshes its own table.
    // Consecutive batches in one runner already hold it from the last batch.
    if (!this.silverState.currentBefore(specs, batch)) await this.silverState.refresh(specs, batch);
    this.silverState.asOf = undefined;
    for (const name of prev?.heldBronze ?? []) await this.dropBronzeTable(name);
    prev?.heldBronze.clear();
    // the drops run on the lane: done before this batch's bronze jobs create the tables again
    await this.flushWrites();
    const state: OpenBatch = {
      batch,
      ingestedAt: new Date().toISOString().replace('T', ' ').replace('Z', ''),
      bronze: new Map(),
      silver: new Map(),
      tables: new Map(),
      heldBronze: new Set(),
      ran: 0,
    };
    this.open = state;
    return state;
  }

  /**
   * Before a batch's first job (rerun.ts): a batch older than the newest processed one is
   * a re-run, recorded with its fingerprint as it was; an unfinished re-run of another
   * batch first has the batches it may have left stale replayed.
   */
  private async beforeBatch(batch: string, specs: Map<string, JobSpec>, freshness: FreshnessMode): Promise<void> {
    const reported = reportedBatches(this.lake);
    const newest = reported.at(-1);
    const pending = readMarker(this.lake);
    if (pending !== undefined && pending.from === batch) return;
    if (pending !== undefined) {
      if (pending.from < batch) await this.replay([pending.from, ...reported.filter((b) => b > pending.from && b < batch)], specs, freshness);
      const through = [pending.through, newest ?? pending.through].sort().at(-1)!;
      // the batches after this one may rest on the unfinished re-run's results: replayed whatever this one gives
      if (batch <= through) writeMarker(this.lake, { from: batch, through, before: null });
      else clearMarker(this.lake);
      return;
    }
    if (newest !== undefined && batch < newest) writeMarker(this.lake, { from: batch, through: newest, before: fingerprint(this.plan, this.lake, batch) });
  }

  /**
   * Once a batch's bronze and silver are done (before its gold, or at its report): when it
   * is a re-run whose outputs changed what later batches read, those are replayed in
   * order; gold is built as of the newest processed batch. Returns that batch.
   */
  private async reconcile(state: OpenBatch, specs: Map<string, JobSpec>, gold: boolean): Promise<string> {
    if (state.reconciled !== undefined) return state.reconciled.goldAsOf;
    await this.flushWrites();
    const batch = state.batch;
    const later = reportedBatches(this.lake).filter((b) => b > batch);
    const marker = readMarker(this.lake);
    let replayed: string[] = [];
    if (marker?.from === batch) {
      if (!sameFingerprint(marker.before, fingerprint(this.plan, this.lake, batch, state.bronze))) {
        // the later batches read this one's report (the newest event promoted so far) too
        writeFileAtomic(this.lake.path('reports', 'batches', `${batch}.json`), `${JSON.stringify(this.reportOf(state, false), null, 2)}\n`);
        await this.replay(later, specs, state.freshness ?? this.opts.freshness ?? 'enforce');
        replayed = later;
      }
      clearMarker(this.lake);
    }
    const goldAsOf = later.at(-1) ?? batch;
    if (gold && goldAsOf !== batch && replayed.length === 0) await this.silverState.refresh(specs, goldAsOf);
    if (goldAsOf !== batch && (gold || replayed.length > 0)) state.stateAsOf = goldAsOf;
    state.reconciled = { goldAsOf, replayed };
    return goldAsOf;
  }

  /** Runs the bronze and silver jobs of each batch again, in order, and rewrites its report (gold is left to the caller). */
  private async replay(batches: readonly string[], specs: Map<string, JobSpec>, freshness: FreshnessMode): Promise<void> {
    const resume = this.open;
    const ids = new Set(this.plan.jobs.filter((j) => j.layer === 'bronze' || j.layer === 'silver').map((j) => j.id));
    for (const [i, b] of batches.entries()) {
      this.opts.signal?.throwIfAborted();
      const next = batches[i + 1];
      if (next !== undefined) this.prefetch(next);
      const state = await this.openBatch(b, specs);
      await this.runJobList(state, b, specs, ids, freshness);
      await this.flushWrites();
      this.closeBatch(state, false);
    }
    this.open = resume;
  }

  private async runJobList(
    state: OpenBatch,
    batch: string,
    specs: Map<string, JobSpec>,
    wanted: ReadonlySet<string> | undefined,
    freshness: FreshnessMode,
  ): Promise<void> {
    const jobs = this.plan.jobs;
    for (const [i, job] of jobs.entries()) {
      if (wanted !== undefined ? !wanted.has(job.id) : hasRun(state, job.id)) continue;
      if (this.opts.crashAfterJobs !== undefined && state.ran >= this.opts.crashAfterJobs) throw new Error(`simulated crash before ${job.id}`);
      this.opts.signal?.throwIfAborted();
      // gold is built as of the newest processed batch, after a re-run's later batches are consistent again
      const goldAsOf = job.layer === 'bronze' || job.layer === 'silver' ? undefined : await this.reconcile(state, specs, true);
      state.ran++;
      await this.useThreads(job.layer === 'bronze' || job.layer === 'silver' ? 1 : this.threadsMax);
      this.opts.onProgress?.({ kind: 'job-start', batch, job: job.id, index: i, total: jobs.length });
      let detail = '';
      if (job.layer === 'bronze') {
        state.freshness ??= freshness;
        const r = await runBronze(job, {
          duck: this.duck,
          lake: this.lake,
          batch,
          ingestedAt: state.ingestedAt,
          silverRelation: (ds) => this.silverState.relationName(specs, ds, batch),
          takeParsed: () => this.takeParsed(job.name, batch),
          ...(state.files !== undefined ? { files: state.files.get(job.name) ?? [] } : {}),
          newestBefore: (state.newestBefore ??= newestPromotedBefore(this.plan, this.lake, batch)).get(job.name) ?? null,
          freshness,
          ...(this.lane !== undefined ? { lane: this.lane, defer: (w: Promise<unknown>) => void this.pending.push(w) } : {}),
        });
        state.bronze.set(job.id, r);
        state.heldBronze.add(job.name);
        detail = `${r.rowsIn} rows, ${r.quarantined + r.dropped} quarantined`;
      } else if (job.layer === 'silver') {
        if (!state.bronze.has(`bronze.${job.name}`))
          throw new StreamPulseError('RUN_JOB_ORDER', `silver job '${job.id}' ran before bronze.${job.name} in batch ${batch}`, {
            remedy: `run bronze.${job.name} first (the job specs' depends_on)`,
          });
        const held = state.heldBronze.delete(job.name);
        const b = state.bronze.get(`bronze.${job.name}`)!;
        // the batch's bronze holds no row: nothing to look up, count or merge
        const empty = b.passed + b.warned + b.quarantined + b.dropped === 0;
        const history = this.silverState.historyBefore(job.name, batch);
        const seen = history === undefined ? await this.silverState.seenIndexBefore(job, batch) : undefined;
        const r = await runSilver(job, {
          duck: this.duck,
          lake: this.lake,
          batch,
          salt: this.opts.salt,
          bronze: bronzeBatchSql(held, job.name, this.lake.partitionFile('bronze', job.name, batch)),
          ...(history !== undefined ? { earlierHashes: history } : {}),
          ...(seen !== undefined ? { seenIndex: seen } : {}),
          persist: this.lane !== undefined,
          ...(empty ? { empty } : {}),
        });
        if (held) await this.dropBronzeTable(job.name);
        state.silver.set(job.id, r);
        // the partition is written on the side lane when there is one, while this
        // connection merges the same rows into the held state; its tables are dropped
        // after both (the lane runs its tasks in order)
        const lane = this.lane;
        if (lane !== undefined) {
          this.lake.writing('silver', job.name, batch);
          this.pending.push(
            lane.enqueue('write', async (d) => {
              try {
                await writeSilverPartition(d, job, this.lake, batch);
              } finally {
                this.lake.settled('silver', job.name, batch);
              }
            }).promise,
          );
        } else await writeSilverPartition(this.duck, job, this.lake, batch);
        await this.silverState.refresh(specs, batch, job.name, `(${partitionRowsSql(job)})`, empty);
        if (seen !== undefined) {
          if (!empty) await this.duck.run(`INSERT INTO ${seen} SELECT _h, ${sqlStr(batch)} FROM (${partitionHashesSql(job)})`, `seen append ${job.name}`);
          this.silverState.seenAppended(job.name, batch);
        }
        if (lane !== undefined) this.pending.push(lane.enqueue('write', (d) => d.run(dropRankedSql(job.name))).promise);
        else await this.duck.run(dropRankedSql(job.name));
        detail = `${r.promoted} promoted`;
      } else {
        // gold reads the silver views: every partition written, every view current
        await this.flushWrites();
        await this.silverState.createStaleViews(specs);
        const rows = await this.build(job, goldAsOf ?? batch);
        state.tables.set(job.id, { table: job.name, layer: job.layer, rows });
        detail = `${rows} rows`;
      }
      this.opts.onProgress?.({ kind: 'job-done', batch, job: job.id, index: i, total: jobs.length, detail });
    }
  }

  /**
   * Runs one stream micro-batch (stream.ts): the bronze and silver jobs of the datasets
   * in `files` — the same jobs, rules and quarantine as a daily batch's — over the given
   * landing files, as batch `batch` (`YYYY-MM-DDTHH:MM:SS.mmm`, the instant it was cut,
   * after every earlier batch). Every partition is written when it returns; the report
   * goes to `reports/stream/<batch>.json` and conservation is checked as for a day
   * (rows in = promoted + quarantined + duplicates). Freshness rules are measured at the
   * micro-batch's instant. Gold is left to `buildTables`.
   */
  async runMicroBatch(batch: string, files: ReadonlyMap<string, readonly string[]>, opts: { freshness?: FreshnessMode } = {}): Promise<BatchReport> {
    if (!isStreamBatchId(batch))
      throw new StreamPulseError('STREAM_BAD_BATCH', `"${batch}" is not a stream micro-batch id (YYYY-MM-DDTHH:MM:SS.mmm)`, {
        remedy: 'cut micro-batch ids with streamBatchId(Date.now())',
      });
    if (this.open !== undefined)
      throw new StreamPulseError('RUN_BATCH_OPEN', `batch ${this.open.batch} is still open; micro-batch ${batch} cannot start`, {
        remedy: 'finish the open batch (finishBatch) before running a micro-batch',
      });
    const specs = new Map(this.plan.jobs.map((j) => [j.id, j]));
    const unknown = [...files.keys()].filter((ds) => !specs.has(`bronze.${ds}`) || !specs.has(`silver.${ds}`));
    if (unknown.length > 0)
      throw new StreamPulseError('RUN_UNKNOWN_JOB', `no bronze and silver job for ${unknown.map((u) => `'${u}'`).join(', ')} in the job plan`, {
        remedy: 'stream only datasets of the contracts (those with a source.stream_topic)',
      });
    const ids = new Set([...files.keys()].flatMap((ds) => [`bronze.${ds}`, `silver.${ds}`]));
    const freshness = opts.freshness ?? this.opts.freshness ?? 'enforce';
    let state: OpenBatch | undefined;
    try {
      this.opts.signal?.throwIfAborted();
      state = await this.openBatch(batch, specs);
      state.files = files;
      state.newestBefore = this.streamNewestBefore(batch);
      await this.runJobList(state, batch, specs, ids, freshness);
      await this.flushWrites();
    } catch (e) {
      await this.flushWrites().catch(() => undefined);
      this.open = undefined;
      throw e;
    }
    this.open = undefined;
    this.silverState.asOf = batch;
    const report = this.reportOf(state, false);
    const file = this.lake.path('reports', 'stream', `${batch}.json`);
    writeFileAtomic(file, `${JSON.stringify(report, null, 2)}\n`);
    const newest = new Map(this.streamNewest ?? []);
    for (const d of report.datasets) newest.set(d.dataset, d.freshness.newest_event_time);
    this.streamNewest = newest;
    const broken = report.datasets.filter((d) => !d.conserved);
    if (broken.length > 0)
      throw new StreamPulseError('CONSERVATION_BROKEN', `rows not conserved in ${broken.map((d) => d.dataset).join(', ')} (${batch})`, {
        remedy: `see ${file}; this is a runner bug`,
      });
    return report;
  }

  /** Per dataset, the newest event promoted before a micro-batch: the earlier micro-batches' (held, or their last report), else the daily reports'. */
  private streamNewestBefore(batch: string): ReadonlyMap<string, string | null> {
    if (this.streamNewest === undefined) {
      const found = newestPromotedBefore(this.plan, this.lake, batch);
      const last = streamBatches(this.lake)
        .filter((b) => b < batch)
        .at(-1);
      if (last !== undefined) {
        const r = JSON.parse(readFileSync(this.lake.path('reports', 'stream', `${last}.json`), 'utf8')) as BatchReport;
        for (const d of r.datasets) found.set(d.dataset, d.freshness.newest_event_time);
      }
      this.streamNewest = found;
    }
    return this.streamNewest;
  }

  /**
   * Builds gold models and marts (job ids, built in plan order) between batches, over the
   * silver state as of batch `asOf` (a day or a micro-batch; the run date is its day):
   * after stream micro-batches, the tables a served mart needs. The jobs in `reuse` are
   * not rebuilt when their table exists (nothing they read changed): gold reads the table
   * as it is.
   */
  async buildTables(ids: readonly string[], asOf: string, reuse: readonly string[] = []): Promise<TableReport[]> {
    if (this.open !== undefined)
      throw new StreamPulseError('RUN_BATCH_OPEN', `batch ${this.open.batch} is still open`, { remedy: 'finish the open batch before building tables' });
    const specs = new Map(this.plan.jobs.map((j) => [j.id, j]));
    const wanted = new Set([...ids, ...reuse]);
    const unknown = [...wanted].filter((id) => specs.get(id)?.layer !== 'gold' && specs.get(id)?.layer !== 'mart');
    if (unknown.length > 0)
      throw new StreamPulseError('RUN_UNKNOWN_JOB', `no gold or mart job ${unknown.map((u) => `'${u}'`).join(', ')} in the job plan`, {
        remedy: 'pass the ids of gold and mart jobs (gold.<model>, mart.<mart>)',
      });
    await this.flushWrites();
    if (this.silverState.asOf !== asOf) {
      await this.silverState.refresh(specs, asOf);
      this.silverState.asOf = asOf;
    }
    await this.silverState.createStaleViews(specs);
    await this.useThreads(this.threadsMax);
    const runDate = asOf.slice(0, 10);
    const out: TableReport[] = [];
    const reused = new Set(reuse);
    for (const job of this.plan.jobs) {
      if (!wanted.has(job.id)) continue;
      this.opts.signal?.throwIfAborted();
      const file = this.lake.tableFile('gold', job.name);
      if (reused.has(job.id) && !ids.includes(job.id) && existsSync(file)) {
        await this.duck.run(`CREATE OR REPLACE VIEW ${qi(`gold__${job.name}`)} AS SELECT * FROM read_parquet(${sqlStr(file)})`, `gold view ${job.name}`);
        continue;
      }
      out.push({ table: job.name, layer: job.layer as 'gold' | 'mart', rows: await this.build(job, runDate) });
    }
    return out;
  }

  /** The rows of a built mart (its gold table), ordered: what the serving database holds of it. */
  async martRows(mart: string): Promise<{ columns: string[]; rows: unknown[][] }> {
    const r = await this.duck.con.runAndReadAll(`SELECT * FROM read_parquet(${sqlStr(this.lake.tableFile('gold', mart))}) ORDER BY ALL`);
    return { columns: r.columnNames(), rows: r.getRowsJson() as unknown[][] };
  }

  /** Checks that every job of the plan ran in this batch, writes the batch report and checks conservation. */
  async finishBatch(batch: string, opts: { gold?: boolean } = {}): Promise<BatchReport> {
    const state = this.open;
    const gold = opts.gold ?? true;
    const expected = this.plan.jobs.filter((j) => gold || j.layer === 'bronze' || j.layer === 'silver');
    const missing = expected.filter((j) => state?.batch !== batch || !hasRun(state, j.id)).map((j) => j.id);
    if (state === undefined || missing.length > 0)
      throw new StreamPulseError(
        'RUN_BATCH_INCOMPLETE',
        `batch ${batch} cannot be reported: ${missing.length} job(s) did not run in it (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''})`,
        {
          remedy: 'run every job of the plan for the batch (runJobs) before finishBatch',
        },
      );
    // a re-run of an earlier batch without gold still replays the later batches it changed
    await this.reconcile(state, new Map(this.plan.jobs.map((j) => [j.id, j])), false);
    return this.closeBatch(state, gold);
  }

  /** The batch's report from its open state. */
  private reportOf(state: OpenBatch, gold: boolean): BatchReport {
    const datasets: DatasetBatchReport[] = [];
    const tables: TableReport[] = [];
    for (const job of this.plan.jobs) {
      const b = state.bronze.get(job.id);
      if (b !== undefined) datasets.push(datasetReport(this.plan, job.name, state.batch, b, state.silver.get(`silver.${job.name}`)));
      const t = state.tables.get(job.id);
      if (t !== undefined) tables.push(t);
    }
    const r = state.reconciled;
    return {
      batch: state.batch,
      datasets,
      tables,
      gold_built: gold,
      ...(gold && r !== undefined && r.goldAsOf !== state.batch ? { gold_as_of: r.goldAsOf } : {}),
      ...(r !== undefined && r.replayed.length > 0 ? { replayed: r.replayed } : {}),
    };
  }

  /** Writes the batch's report, checks conservation and closes the batch. */
  private closeBatch(state: OpenBatch, gold: boolean): BatchReport {
    const batch = state.batch;
    this.open = undefined;
    this.silverState.asOf = state.stateAsOf ?? batch;
    const report = this.reportOf(state, gold);
    writeFileAtomic(this.lake.path('reports', 'batches', `${batch}.json`), `${JSON.stringify(report, null, 2)}\n`);
    const datasets = report.datasets;
    const broken = datasets.filter((d) => !d.conserved);
    if (broken.length > 0)
      throw new StreamPulseError('CONSERVATION_BROKEN', `rows not conserved in ${broken.map((d) => d.dataset).join(', ')} (${batch})`, {
        remedy: `see ${this.lake.path('reports', 'batches', `${batch}.json`)}; this is a runner bug`,
      });
    return report;
  }

  /** Builds a gold model or mart: runs its SQL straight into the table's file (atomically, ordered for determinism); returns its rows. */
  private async build(job: JobSpec, batch: string): Promise<number> {
    const sql = buildSql(job, batch);
    const file = this.lake.tableFile('gold', job.name);
    // a failing model's error names the job, as when it was built apart from the write
    const rows = await copyAtomic(this.duck, `SELECT * FROM (${sql}) ORDER BY ALL`, file, `build ${job.id}`);
    await this.duck.run(`CREATE OR REPLACE VIEW ${qi(`gold__${job.name}`)} AS SELECT * FROM read_parquet(${sqlStr(file)})`, `gold view ${job.name}`);
    return rows;
  }
}

/** A gold model's or mart's DuckDB SQL as of `asOf`, its silver and gold inputs named by their views. */
function buildSql(job: JobSpec, asOf: string): string {
  const step = job.steps.find((s) => s.op === 'build');
  if (step?.op !== 'build') throw new StreamPulseError('LOCAL_SPEC_INVALID', `job ${job.id} has no build step`, { remedy: 'regenerate the job specs' });
  return bindRunDate(step.sql.duckdb, asOf, 'duckdb').replace(/\{\{(silver|gold)\.([a-z0-9_]+)\}\}/g, (_m, layer: string, name: string) =>
    qi(`${layer}__${name}`),
  );
}
