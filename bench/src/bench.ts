/**
 * The local-lakehouse benchmark (`streampulse bench`, `pnpm bench:local`): on one set
 * of generated landing files, it measures
 *   - the runner: every daily batch through bronze → silver → gold → marts on DuckDB,
 *     then publish (SQLite serving, extracts, quality reports) — MB/s landing → silver
 *     (landing bytes ÷ the time of the bronze and silver jobs) and seconds end to end;
 *   - the floor: the same work as one plain DuckDB SQL script over all days at once,
 *     writing what the runner writes (bronze, quarantine, silver, gold; bench-floor.ts);
 *     the goal's ratio is against it;
 *   - the silver-only floor: that script without the bronze layer, a lower bound;
 *   - the peak RSS of each, each side in its own child process (bench-child.ts), so
 *     no two share a heap or a DuckDB instance.
 * Figures are printed against the goals, never asserted. Generating the landing files
 * is not timed: they are cached under the output folder and reused while their
 * manifest matches the requested scale. The output folder is owned through its marker
 * (BENCH_OWNER of @streampulse/rehearsal): a folder neither new, empty nor marked is refused.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { StreamPulseError, loadContractsOrThrow, type ContractSet } from '@streampulse/contracts';
import { compileJobs } from '@streampulse/jobs';
import { Duck, Lake, RUNNER_MEMORY_LIMIT, silverStateSql } from '@streampulse/engine';
import { DEFAULT_DEFECT_RATES, generateSources, MANIFEST_FILE, type Manifest } from '@streampulse/sources';
import { stringLiteral } from '@streampulse/sql';
import { floorGold, floorScript, floorScriptText, floorSilver } from './bench-floor.js';
import { BENCH_OWNER, ownFolder, runBatches } from '@streampulse/rehearsal';

export const BENCH_DEFAULTS = { users: 100_000, days: 30, seed: '42', start: '2026-01-25' } as const;
/** The goals of issue 4: printed with met / not met, never asserted. */
export const BENCH_GOALS = { minMbPerSecond: 115, maxRatio: 1.3, maxRssBytes: 1e9 } as const;
/**
 * DuckDB settings: every side runs with 2 threads (the runner's bronze and silver jobs
 * with 1 per connection on its two connections, its gold with 2). The floors get
 * DuckDB's own default memory_limit, 80% of the machine's memory (what a script run by
 * hand gets; with 1 GB the bronze floor spills its parsed rows to disk); the runner its
 * own default (RUNNER_MEMORY_LIMIT, lower, so that the process meets the RSS goal; it
 * spills to disk beyond it).
 */
export const BENCH_DUCKDB = {
  threads: 2,
  memory_limit: `${Math.max(1, Math.floor((totalmem() * 0.8) / 2 ** 30))}GiB`,
  runner_memory_limit: RUNNER_MEMORY_LIMIT,
} as const;

const MB = 1e6;

/**
 * `floor`: the hand-written script writing what the runner writes (bronze, quarantine,
 * silver, gold); `floor_silver_only`: the same script without the bronze layer (no
 * bronze or quarantine files, no audit columns), a lower bound printed beside it.
 */
export type BenchSide = 'runner' | 'floor' | 'floor_silver_only';
export const BENCH_SIDES: readonly BenchSide[] = ['floor', 'floor_silver_only', 'runner'];

export interface LandingInfo {
  readonly dir: string;
  readonly bytes: number;
  readonly files: number;
  readonly datasets: number;
  readonly dates: readonly string[];
  /** The cached files were reused (no generation in this run). */
  readonly reused: boolean;
  /** Seconds spent generating (null when reused); never part of the timed work. */
  readonly generateSeconds: number | null;
}

export interface LandingOptions {
  readonly outDir: string;
  readonly users: number;
  readonly days: number;
  readonly seed: string;
  readonly start: string;
  readonly onGenerate?: (e: { day: number; days: number; date: string; rows: number; bytes: number }) => void;
}

export function landingDirFor(outDir: string, o: { users: number; days: number; seed: string }): string {
  return join(outDir, `landing-${o.users}x${o.days}-seed${o.seed.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
}

function manifestMatches(m: Manifest, o: LandingOptions): boolean {
  return (
    m.generator === '@streampulse/sources' &&
    m.users === o.users &&
    m.days === o.days &&
    m.seed === o.seed &&
    m.start_date === o.start &&
    JSON.stringify(m.defect_rates) === JSON.stringify(DEFAULT_DEFECT_RATES)
  );
}

/** The landing files for the scale: reused when the cached folder's manifest matches, else generated (default defect rates). */
export function ensureLanding(set: ContractSet, o: LandingOptions): LandingInfo {
  const dir = landingDirFor(o.outDir, o);
  const manifestFile = join(dir, MANIFEST_FILE);
  const summary = (m: Manifest, reused: boolean, generateSeconds: number | null): LandingInfo => ({
    dir,
    bytes: m.files.reduce((a, f) => a + f.bytes, 0),
    files: m.files.length,
    datasets: m.datasets.length,
    dates: m.dates,
    reused,
    generateSeconds,
  });
  if (existsSync(manifestFile)) {
    try {
      const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
      if (manifestMatches(m, o)) return summary(m, true, null);
    } catch {
      // unreadable manifest: regenerate below
    }
  }
  // the manifest is written last, so a folder without a matching one is incomplete or stale
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const m = generateSources(set, {
    outDir: dir,
    users: o.users,
    days: o.days,
    startDate: o.start,
    seed: o.seed,
    ...(o.onGenerate ? { onProgress: o.onGenerate } : {}),
  });
  return summary(m, false, (performance.now() - t0) / 1000);
}

/** What one measured side is asked to do (serialised to the child process as JSON). */
export interface SideRequest {
  readonly side: BenchSide;
  readonly contractsDir: string;
  readonly landingDir: string;
  /** A folder the side owns: wiped and recreated. */
  readonly workDir: string;
  readonly salt: string;
  readonly dates: readonly string[];
}

export interface SideResult {
  readonly side: BenchSide;
  readonly seconds: {
    /** Bronze and silver jobs (runner) / the landing → silver statements (floor). */
    readonly landing_to_silver: number;
    /** Gold models and marts. */
    readonly gold: number;
    /** Serving: SQLite, CSV extracts, quality reports (runner only; 0 for the floor). */
    readonly publish: number;
    /** Everything, from opening DuckDB to the last file. */
    readonly end_to_end: number;
  };
  /** Rows of each dataset's silver (runner: the merged state after the last batch). */
  readonly silver_rows: Readonly<Record<string, number>>;
  /** Rows of each dataset's bronze and quarantine files, every batch (none for `floor_silver_only`). */
  readonly bronze_rows: Readonly<Record<string, number>>;
  readonly quarantine_rows: Readonly<Record<string, number>>;
  readonly mart_rows: Readonly<Record<string, number>>;
  /** process.resourceUsage().maxRSS of the process that ran the side, in bytes. */
  readonly peak_rss_bytes: number;
  /** User + system CPU seconds of that process (less sensitive than wall time to other load on the machine). */
  readonly cpu_seconds: number;
}

function usage(): { peak_rss_bytes: number; cpu_seconds: number } {
  const u = process.resourceUsage();
  return { peak_rss_bytes: u.maxRSS * 1024, cpu_seconds: (u.userCPUTime + u.systemCPUTime) / 1e6 };
}

const elapsed = (t0: number): number => (performance.now() - t0) / 1000;
const sqlStr = (v: string): string => stringLiteral(v, 'duckdb');

/** Runs one side in this process. `onLine` gets short progress lines. */
export async function measureSide(set: ContractSet, req: SideRequest, onLine: (line: string) => void = () => undefined): Promise<SideResult> {
  rmSync(req.workDir, { recursive: true, force: true });
  mkdirSync(req.workDir, { recursive: true });
  const plan = compileJobs(set);
  const last = req.dates[req.dates.length - 1];
  if (last === undefined)
    throw new StreamPulseError('BENCH_NO_DATES', 'the landing manifest lists no dates', { remedy: 'regenerate the landing files (delete the cached folder)' });

  if (req.side !== 'runner') {
    const bronze = req.side === 'floor';
    const statements = floorScript(plan, { landingDir: req.landingDir, outDir: req.workDir, salt: req.salt, runDate: last, bronze });
    writeFileSync(join(req.workDir, 'floor.sql'), floorScriptText(statements));
    for (const d of ['silver', 'gold', ...(bronze ? ['bronze', 'quarantine'] : [])]) mkdirSync(join(req.workDir, d), { recursive: true });
    const t0 = performance.now();
    const duck = await Duck.open({ threads: BENCH_DUCKDB.threads, memoryLimit: BENCH_DUCKDB.memory_limit });
    const phase = { silver: 0, gold: 0 };
    const label = req.side === 'floor' ? 'floor' : 'floor-s';
    try {
      for (const [i, s] of statements.entries()) {
        const ts = performance.now();
        await duck.run(s.sql, `${label} ${s.label}`);
        phase[s.phase] += elapsed(ts);
        onLine(`${label.padEnd(7)} ${String(i + 1).padStart(2)}/${statements.length} ${s.label} ${elapsed(ts).toFixed(1)}s`);
      }
      const end = elapsed(t0);
      const count = async (rel: string): Promise<number> => Number(await duck.scalar(`SELECT count(*) FROM ${rel}`));
      const silver_rows: Record<string, number> = {};
      for (const d of set.datasets) silver_rows[d.dataset] = await count(floorSilver(d.dataset));
      const mart_rows: Record<string, number> = {};
      for (const m of set.marts) mart_rows[m.mart] = await count(floorGold(m.mart));
      return {
        side: req.side,
        seconds: { landing_to_silver: phase.silver, gold: phase.gold, publish: 0, end_to_end: end },
        silver_rows,
        ...(await layerRows(duck, set, req.workDir, bronze)),
        mart_rows,
        ...usage(),
      };
    } finally {
      duck.close();
    }
  }

  // the runner reads the shared landing files through a link: generated once, never copied
  symlinkSync(req.landingDir, join(req.workDir, 'landing'), 'dir');
  const layer = { bronze: 0, silver: 0, gold: 0, mart: 0 };
  const started = new Map<string, number>();
  let batchStart = performance.now();
  const t0 = performance.now();
  const r = await runBatches(set, {
    lakeRoot: req.workDir,
    dates: req.dates,
    salt: req.salt,
    threads: BENCH_DUCKDB.threads,
    onJob: (e) => {
      if (e.kind === 'job-start') started.set(e.job, performance.now());
      else {
        const l = e.job.split('.')[0] as keyof typeof layer;
        layer[l] += elapsed(started.get(e.job) ?? performance.now());
      }
    },
    onBatch: (rep, i, n) => {
      onLine(`runner  batch ${rep.batch} ${String(i + 1).padStart(String(n).length)}/${n} ${elapsed(batchStart).toFixed(1)}s`);
      batchStart = performance.now();
    },
  });
  const end = elapsed(t0);
  onLine(`runner  publish ${r.seconds.publish.toFixed(1)}s`);
  const silver_rows: Record<string, number> = {};
  let layers: Pick<SideResult, 'bronze_rows' | 'quarantine_rows'> = { bronze_rows: {}, quarantine_rows: {} };
  // counted under the runner's own memory limit: the peak RSS reported is the runner's, not this count's
  const duck = await Duck.open({ threads: BENCH_DUCKDB.threads, memoryLimit: RUNNER_MEMORY_LIMIT });
  try {
    const lake = new Lake(req.workDir);
    for (const spec of plan.jobs) {
      if (spec.layer !== 'silver') continue;
      const sql = silverStateSql(spec, lake, last);
      silver_rows[spec.name] = sql === undefined ? 0 : Number(await duck.scalar(`SELECT count(*) FROM (${sql})`));
    }
    layers = await layerRows(duck, set, req.workDir, true);
  } finally {
    duck.close();
  }
  return {
    side: 'runner',
    seconds: { landing_to_silver: layer.bronze + layer.silver, gold: layer.gold + layer.mart, publish: r.seconds.publish, end_to_end: end },
    silver_rows,
    ...layers,
    mart_rows: r.publish.martRows,
    ...usage(),
  };
}

/** Rows of every dataset's bronze and quarantine files under a side's folder (`<layer>/<dataset>/<batch folder>/*.parquet`; none without the bronze layer). */
async function layerRows(duck: Duck, set: ContractSet, workDir: string, bronze: boolean): Promise<Pick<SideResult, 'bronze_rows' | 'quarantine_rows'>> {
  const out = { bronze_rows: {} as Record<string, number>, quarantine_rows: {} as Record<string, number> };
  if (!bronze) return out;
  for (const [layer, into] of [
    ['bronze', out.bronze_rows],
    ['quarantine', out.quarantine_rows],
  ] as const)
    for (const d of set.datasets) {
      const dir = join(workDir, layer, d.dataset);
      const batches = existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()) : [];
      const files = batches.flatMap((b) =>
        readdirSync(join(dir, b.name))
          .filter((f) => f.endsWith('.parquet') && !f.startsWith('.'))
          .map((f) => join(dir, b.name, f)),
      );
      into[d.dataset] = files.length > 0 ? Number(await duck.scalar(`SELECT count(*) FROM read_parquet([${files.map(sqlStr).join(', ')}])`)) : 0;
    }
  return out;
}

/** Where `tsc -b` puts the child entry point. */
export function benchChildScript(workspaceRoot: string): string {
  return join(workspaceRoot, 'bench', 'dist', 'src', 'bench-child.js');
}

/** Runs one side in a fresh Node process (bench-child.js) and reads its result from stdout. */
export function measureSideInChild(
  script: string,
  req: SideRequest,
  env: Readonly<Record<string, string | undefined>>,
  onLine: (line: string) => void = () => undefined,
): Promise<SideResult> {
  if (!existsSync(script))
    throw new StreamPulseError('BENCH_NOT_BUILT', `the benchmark child ${script} does not exist`, {
      remedy: 'build first (`npx pnpm exec tsc -b`; `pnpm bench:local` does), or pass --in-process',
    });
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(req)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...env } });
    let out = '';
    let errTail = '';
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      pending += s;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) {
        errTail = `${errTail}${l}\n`.slice(-4000);
        onLine(l);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (pending !== '') errTail += pending;
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) {
        try {
          resolvePromise(JSON.parse(last) as SideResult);
          return;
        } catch {
          // fall through
        }
      }
      reject(
        new StreamPulseError('BENCH_SIDE_FAILED', `the ${req.side} side of the benchmark failed (exit ${String(code)})`, {
          cause: errTail.trim().split('\n').slice(-15).join('\n'),
          remedy: 'see the cause above; re-run with STREAMPULSE_DEBUG_SQL=1 for the failing statement',
        }),
      );
    });
  });
}

/** The child entry: `node bench-child.js '<SideRequest JSON>'` prints one SideResult JSON line. */
export async function benchChildMain(argv: readonly string[]): Promise<void> {
  const req = JSON.parse(argv[0] ?? '') as SideRequest;
  const set = loadContractsOrThrow(req.contractsDir);
  const r = await measureSide(set, req, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

export interface BenchOptions {
  readonly contractsDir: string;
  readonly outDir: string;
  readonly users: number;
  readonly days: number;
  readonly seed: string;
  readonly start: string;
  readonly salt: string;
  /** Run each side in its own child process (default); false measures every side in this process (RSS is then shared). */
  readonly isolate: boolean;
  /** The child script (needed when isolate is true). */
  readonly childScript?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly onGenerate?: LandingOptions['onGenerate'];
  readonly onLine?: (line: string) => void;
  /**
   * Rounds of the three sides (default 1), each round running every side once, the order
   * rotating from round to round: the figures printed are the round with the median
   * ratio, and every round's ratios are listed (the machine's other load moves single runs).
   */
  readonly rounds?: number;
}

/** One round's end-to-end seconds per side and its ratios. */
export interface BenchRound {
  readonly runner: number;
  readonly floor: number;
  readonly floor_silver_only: number;
  readonly ratio: number;
  readonly ratio_silver_only: number;
}

export interface SideFigures {
  readonly seconds: SideResult['seconds'];
  readonly mb_per_s: number;
  readonly peak_rss_mb: number;
  readonly cpu_seconds: number;
  readonly silver_rows: Readonly<Record<string, number>>;
  readonly bronze_rows: Readonly<Record<string, number>>;
  readonly quarantine_rows: Readonly<Record<string, number>>;
  readonly mart_rows: Readonly<Record<string, number>>;
}

export interface BenchGoal {
  readonly id: 'throughput' | 'ratio' | 'memory';
  readonly goal: string;
  readonly target: number;
  readonly value: number;
  readonly met: boolean;
}

export interface BenchResult {
  readonly ok: true;
  readonly scale: { readonly users: number; readonly days: number; readonly seed: string; readonly start: string };
  readonly machine: { readonly cpus: number; readonly cpu_model: string; readonly memory_gb: number; readonly node: string; readonly platform: string };
  readonly duckdb: typeof BENCH_DUCKDB;
  /** Each side ran in its own process (peak RSS per side); false: both in one process. */
  readonly isolated: boolean;
  readonly landing: {
    readonly dir: string;
    readonly bytes: number;
    readonly mb: number;
    readonly files: number;
    readonly datasets: number;
    readonly reused: boolean;
    readonly generate_seconds: number | null;
  };
  readonly runner: SideFigures;
  /** The hand-written script writing the runner's outputs: bronze, quarantine, silver, gold. */
  readonly floor: SideFigures;
  /** The same script without the bronze layer: silver and gold only (a lower bound). */
  readonly floor_silver_only: SideFigures;
  /** Runner end to end ÷ floor end to end (the goal's ratio). */
  readonly ratio: number;
  /** Runner end to end ÷ the silver-only floor's end to end. */
  readonly ratio_silver_only: number;
  /** Every side ended with the same silver row count for every dataset. */
  readonly silver_rows_match: boolean;
  /** The runner and the floor wrote the same number of bronze rows and of quarantine rows for every dataset. */
  readonly bronze_rows_match: boolean;
  /** Every side built every mart with the same number of rows. */
  readonly mart_rows_match: boolean;
  /** Every round (the figures above are the round with the median ratio). */
  readonly rounds: readonly BenchRound[];
  readonly goals: readonly BenchGoal[];
}

const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

function figures(r: SideResult, bytes: number): SideFigures {
  return {
    seconds: {
      landing_to_silver: round(r.seconds.landing_to_silver, 3),
      gold: round(r.seconds.gold, 3),
      publish: round(r.seconds.publish, 3),
      end_to_end: round(r.seconds.end_to_end, 3),
    },
    mb_per_s: round(bytes / MB / Math.max(r.seconds.landing_to_silver, 1e-9), 2),
    peak_rss_mb: round(r.peak_rss_bytes / MB, 1),
    cpu_seconds: round(r.cpu_seconds, 1),
    silver_rows: r.silver_rows,
    bronze_rows: r.bronze_rows,
    quarantine_rows: r.quarantine_rows,
    mart_rows: r.mart_rows,
  };
}

/** Whether every side has the same count for every name. */
function sameCounts(...sides: readonly Readonly<Record<string, number>>[]): boolean {
  const names = new Set(sides.flatMap((x) => Object.keys(x)));
  return [...names].every((n) => sides.every((x) => x[n] === sides[0]![n]));
}

export async function runBench(set: ContractSet, o: BenchOptions): Promise<BenchResult> {
  // the folder is the benchmark's (its marker), or new: never wipe a landing-*/runs folder of someone else's
  ownFolder(o.outDir, BENCH_OWNER, 'keep');
  const landing = ensureLanding(set, {
    outDir: o.outDir,
    users: o.users,
    days: o.days,
    seed: o.seed,
    start: o.start,
    ...(o.onGenerate ? { onGenerate: o.onGenerate } : {}),
  });
  const runs = join(o.outDir, 'runs');
  const req = (side: BenchSide): SideRequest => ({
    side,
    contractsDir: o.contractsDir,
    landingDir: landing.dir,
    workDir: join(runs, side),
    salt: o.salt,
    dates: landing.dates,
  });
  const measure = async (side: BenchSide): Promise<SideResult> => {
    if (!o.isolate) return measureSide(set, req(side), o.onLine);
    if (o.childScript === undefined)
      throw new StreamPulseError('BENCH_NOT_BUILT', 'no benchmark child script given', { remedy: 'pass --in-process, or build with tsc -b' });
    return measureSideInChild(o.childScript, req(side), o.env ?? {}, o.onLine);
  };
  const n = o.rounds ?? 1;
  if (!Number.isInteger(n) || n < 1)
    throw new StreamPulseError('BENCH_BAD_ROUNDS', `rounds must be a whole number ≥ 1, not ${String(n)}`, { remedy: 'pass --rounds 1, 3, …' });
  const done: Record<BenchSide, SideResult>[] = [];
  for (let k = 0; k < n; k++) {
    // the order rotates, so no side always runs first (or last) on a machine that warms up or gets busier
    const order = BENCH_SIDES.map((_, j) => BENCH_SIDES[(j + k) % BENCH_SIDES.length]!);
    const got: Partial<Record<BenchSide, SideResult>> = {};
    if (n > 1) o.onLine?.(`round ${k + 1}/${n}: ${order.join(', ')}`);
    for (const side of order) got[side] = await measure(side);
    done.push(got as Record<BenchSide, SideResult>);
  }
  const ratioOf = (r: Record<BenchSide, SideResult>, f: BenchSide): number => round(r.runner.seconds.end_to_end / Math.max(r[f].seconds.end_to_end, 1e-9), 2);
  const rounds: BenchRound[] = done.map((r) => ({
    runner: round(r.runner.seconds.end_to_end, 3),
    floor: round(r.floor.seconds.end_to_end, 3),
    floor_silver_only: round(r.floor_silver_only.seconds.end_to_end, 3),
    ratio: ratioOf(r, 'floor'),
    ratio_silver_only: ratioOf(r, 'floor_silver_only'),
  }));
  // the round with the median ratio (the lower middle one of an even count)
  const median = [...done.keys()].sort((a, b) => rounds[a]!.ratio - rounds[b]!.ratio)[Math.floor((n - 1) / 2)]!;
  const { runner, floor, floor_silver_only: floorSilverOnly } = done[median]!;
  const rf = figures(runner, landing.bytes);
  const ff = figures(floor, landing.bytes);
  const fs = figures(floorSilverOnly, landing.bytes);
  const ratio = rounds[median]!.ratio;
  const cpuList = cpus();
  return {
    ok: true,
    scale: { users: o.users, days: o.days, seed: o.seed, start: o.start },
    machine: {
      cpus: cpuList.length,
      cpu_model: cpuList[0]?.model.trim() ?? 'unknown',
      memory_gb: round(totalmem() / 1e9, 1),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
    duckdb: BENCH_DUCKDB,
    isolated: o.isolate,
    landing: {
      dir: landing.dir,
      bytes: landing.bytes,
      mb: round(landing.bytes / MB, 1),
      files: landing.files,
      datasets: landing.datasets,
      reused: landing.reused,
      generate_seconds: landing.generateSeconds === null ? null : round(landing.generateSeconds, 1),
    },
    runner: rf,
    floor: ff,
    floor_silver_only: fs,
    ratio,
    ratio_silver_only: rounds[median]!.ratio_silver_only,
    silver_rows_match: sameCounts(runner.silver_rows, floor.silver_rows, floorSilverOnly.silver_rows),
    bronze_rows_match: sameCounts(runner.bronze_rows, floor.bronze_rows) && sameCounts(runner.quarantine_rows, floor.quarantine_rows),
    mart_rows_match: sameCounts(runner.mart_rows, floor.mart_rows, floorSilverOnly.mart_rows),
    rounds,
    goals: [
      {
        id: 'throughput',
        goal: `landing → silver ≥ ${BENCH_GOALS.minMbPerSecond} MB/s`,
        target: BENCH_GOALS.minMbPerSecond,
        value: rf.mb_per_s,
        met: rf.mb_per_s >= BENCH_GOALS.minMbPerSecond,
      },
      { id: 'ratio', goal: `end to end ≤ ${BENCH_GOALS.maxRatio}× the floor`, target: BENCH_GOALS.maxRatio, value: ratio, met: ratio <= BENCH_GOALS.maxRatio },
      {
        id: 'memory',
        goal: `runner peak RSS < ${BENCH_GOALS.maxRssBytes / MB} MB`,
        target: BENCH_GOALS.maxRssBytes / MB,
        value: rf.peak_rss_mb,
        met: runner.peak_rss_bytes < BENCH_GOALS.maxRssBytes,
      },
    ],
  };
}
