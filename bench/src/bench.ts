/**
 * The local-lakehouse benchmark (`streampulse bench`, `pnpm bench:local`): on one set
 * of generated landing files, it measures
 *   - the ceiling: per dataset one DuckDB statement reading the landing files with the
 *     contract's columns and types into Parquet, nothing else (bench-ceiling.ts) — the
 *     limit any implementation on this engine works against; every side's landing →
 *     silver throughput is printed as a share of it;
 *   - the runner: every daily batch through bronze → silver → gold → marts on DuckDB,
 *     then publish (SQLite serving, extracts, quality reports) — MB/s landing → silver
 *     (landing bytes ÷ the time of the bronze and silver jobs) and seconds end to end;
 *   - the floor: the same work as one plain DuckDB SQL script over all days at once,
 *     writing what the runner writes (bronze, quarantine, silver, gold; bench-floor.ts);
 *     the goal's ratio is against it;
 *   - the silver-only floor: that script without the bronze layer, a lower bound;
 *   - the peak RSS of each, each side in its own child process (bench-child.ts), so
 *     no two share a heap or a DuckDB instance;
 *   - the demo: its daily batches at its own default scale through the local Data
 *     Factory executor (`runDailyBatches`), seconds and peak RSS;
 *   - the clean-line fast path: the runner once more over landing generated without
 *     defects at the same scale, against the run with the default defects (the defect
 *     path's extra cost).
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
import { compileJobs, type JobPlan } from '@streampulse/jobs';
import { Duck, Lake, RUNNER_MEMORY_LIMIT, silverStateSql, type ProgressEvent } from '@streampulse/engine';
import { DEFAULT_DEFECT_RATES, generateSources, MANIFEST_FILE, type DefectRates, type Manifest } from '@streampulse/sources';
import { stringLiteral } from '@streampulse/sql';
import { ceilingScript, ceilingScriptText } from './bench-ceiling.js';
import { floorGold, floorScript, floorScriptText, floorSilver } from './bench-floor.js';
import { BENCH_OWNER, ownFolder, runBatches, runDailyBatches } from '@streampulse/rehearsal';

export const BENCH_DEFAULTS = { users: 100_000, days: 30, seed: '42', start: '2026-01-25' } as const;
/** A scale a goal is set at (users × days). */
export interface GoalScale {
  readonly users: number;
  readonly days: number;
}
/**
 * The goals of issue 24 (they replace issue 4's ≥ 115 MB/s and ≤ 1.3×): printed with
 * met / not met, never asserted. A goal with a scale applies to a run at that scale only.
 */
export const BENCH_GOALS = {
  /** The runner's landing → silver throughput as a share of the ceiling's. */
  minCeilingShare: { target: 0.4, scale: { users: 100_000, days: 30 } },
  /** The runner's end to end ÷ the same-outputs floor's, per scale. */
  maxRatio: [
    { target: 1.0, scale: { users: 100_000, days: 30 } },
    { target: 2.0, scale: { users: 300, days: 30 } },
  ],
  /** The demo's daily batches (its default scale) through the local Data Factory executor, seconds. */
  maxDemoSeconds: 4,
  /** Peak RSS of every process that runs the lakehouse (runner, clean runner, demo). */
  maxRssBytes: 1e9,
} as const satisfies {
  minCeilingShare: { target: number; scale: GoalScale };
  maxRatio: readonly { target: number; scale: GoalScale }[];
  maxDemoSeconds: number;
  maxRssBytes: number;
};
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
 * bronze or quarantine files, no audit columns), a lower bound printed beside it;
 * `ceiling`: landing → typed Parquet and nothing else (bench-ceiling.ts). These run in
 * every round, the order rotating.
 */
export type BenchSide = 'runner' | 'floor' | 'floor_silver_only' | 'ceiling';
export const BENCH_SIDES: readonly BenchSide[] = ['floor', 'floor_silver_only', 'runner', 'ceiling'];
/**
 * Every measured side: the rotating ones, `runner_clean` (the runner over landing without
 * defects, once per benchmark) and `demo` (the demo's batches through the local Data
 * Factory executor at the demo's scale, every round).
 */
export type MeasuredSide = BenchSide | 'runner_clean' | 'demo';

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
  /** Data lines of every file (re-landed copies included). */
  readonly rows: number;
  /** Lines the generator made defective (each injected defect; re-landed copies are not counted). */
  readonly defectLines: number;
}

export interface LandingOptions {
  readonly outDir: string;
  readonly users: number;
  readonly days: number;
  readonly seed: string;
  readonly start: string;
  /**
   * `false`: clean lines — every line-defect rate 0, the re-landed file copies kept (so the
   * files are the same, only the defective lines are gone), cached in a folder of its
   * own (`…-clean`); default: the default defect rates.
   */
  readonly defects?: false;
  readonly onGenerate?: (e: { day: number; days: number; date: string; rows: number; bytes: number }) => void;
}

export function landingDirFor(outDir: string, o: { users: number; days: number; seed: string; defects?: false }): string {
  return join(outDir, `landing-${o.users}x${o.days}-seed${o.seed.replace(/[^A-Za-z0-9_.-]/g, '_')}${o.defects === false ? '-clean' : ''}`);
}

/** The defect rates the landing is generated with: the defaults, or (clean lines) every line-defect rate 0 with the default re-landed copies. */
function ratesFor(o: { defects?: false }): DefectRates {
  if (o.defects !== false) return DEFAULT_DEFECT_RATES;
  const none = Object.fromEntries(Object.keys(DEFAULT_DEFECT_RATES).map((k) => [k, 0])) as unknown as DefectRates;
  return { ...none, relanded_files: DEFAULT_DEFECT_RATES.relanded_files };
}

function manifestMatches(m: Manifest, o: LandingOptions): boolean {
  return (
    m.generator === '@streampulse/sources' &&
    m.users === o.users &&
    m.days === o.days &&
    m.seed === o.seed &&
    m.start_date === o.start &&
    JSON.stringify(m.defect_rates) === JSON.stringify(ratesFor(o))
  );
}

/** The landing files for the scale: reused when the cached folder's manifest matches, else generated (default defect rates, or none). */
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
    rows: m.files.reduce((a, f) => a + f.rows, 0),
    defectLines: m.defects.filter((d) => d.kind !== 'relanded_file').length,
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
    ...(o.defects === false ? { defects: ratesFor(o) } : {}),
    ...(o.onGenerate ? { onProgress: o.onGenerate } : {}),
  });
  return summary(m, false, (performance.now() - t0) / 1000);
}

/** What one measured side is asked to do (serialised to the child process as JSON). */
export interface SideRequest {
  readonly side: MeasuredSide;
  readonly contractsDir: string;
  readonly landingDir: string;
  /** A folder the side owns: wiped and recreated. */
  readonly workDir: string;
  readonly salt: string;
  readonly dates: readonly string[];
}

export interface SideResult {
  readonly side: MeasuredSide;
  readonly seconds: {
    /** Bronze and silver jobs (runner, demo) / the landing → silver statements (floor) / the landing → Parquet statements (ceiling). */
    readonly landing_to_silver: number;
    /** Gold models and marts (0 for the ceiling). */
    readonly gold: number;
    /** Serving: SQLite, CSV extracts, quality reports (runner and demo; 0 for the floors and the ceiling). */
    readonly publish: number;
    /** Everything, from opening DuckDB to the last file (demo: the whole `runDailyBatches`). */
    readonly end_to_end: number;
  };
  /**
   * Rows of each dataset's silver (runner: the merged state after the last batch; none
   * for the demo). The ceiling: the rows of its Parquet file — every landing line that
   * parses, re-landed copies and duplicates included.
   */
  readonly silver_rows: Readonly<Record<string, number>>;
  /** Rows of each dataset's bronze and quarantine files, every batch (none for `floor_silver_only`). */
  readonly bronze_rows: Readonly<Record<string, number>>;
  readonly quarantine_rows: Readonly<Record<string, number>>;
  readonly mart_rows: Readonly<Record<string, number>>;
  /** process.resourceUsage().maxRSS of the process that ran the side, in bytes. */
  readonly peak_rss_bytes: number;
  /** User + system CPU seconds of that process (less sensitive than wall time to other load on the machine). */
  readonly cpu_seconds: number;
  /** Batches run (runner, runner_clean, demo; 0 for the one-script sides). */
  readonly batches: number;
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
  switch (req.side) {
    case 'floor':
    case 'floor_silver_only':
      return measureFloor(set, plan, req, last, onLine);
    case 'ceiling':
      return measureCeiling(plan, req, onLine);
    case 'demo':
      return measureDemo(set, req, onLine);
    case 'runner':
    case 'runner_clean':
      return measureRunner(set, plan, req, last, onLine);
  }
}

async function measureFloor(set: ContractSet, plan: JobPlan, req: SideRequest, last: string, onLine: (line: string) => void): Promise<SideResult> {
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
      batches: 0,
    };
  } finally {
    duck.close();
  }
}

/** The ceiling: one landing → Parquet statement per dataset, with the floors' DuckDB settings. */
async function measureCeiling(plan: JobPlan, req: SideRequest, onLine: (line: string) => void): Promise<SideResult> {
  const statements = ceilingScript(plan, { landingDir: req.landingDir, outDir: req.workDir });
  writeFileSync(join(req.workDir, 'ceiling.sql'), ceilingScriptText(statements));
  mkdirSync(join(req.workDir, 'ceiling'), { recursive: true });
  const t0 = performance.now();
  const duck = await Duck.open({ threads: BENCH_DUCKDB.threads, memoryLimit: BENCH_DUCKDB.memory_limit });
  try {
    for (const [i, s] of statements.entries()) {
      const ts = performance.now();
      await duck.run(s.sql, s.label);
      onLine(`ceiling ${String(i + 1).padStart(2)}/${statements.length} ${s.label} ${elapsed(ts).toFixed(1)}s`);
    }
    const end = elapsed(t0);
    const rows: Record<string, number> = {};
    for (const s of statements) rows[s.dataset] = Number(await duck.scalar(`SELECT count(*) FROM read_parquet(${sqlStr(s.file)})`));
    return {
      side: 'ceiling',
      seconds: { landing_to_silver: end, gold: 0, publish: 0, end_to_end: end },
      silver_rows: rows,
      bronze_rows: {},
      quarantine_rows: {},
      mart_rows: {},
      ...usage(),
      batches: 0,
    };
  } finally {
    duck.close();
  }
}

/** Job seconds by layer from the runner's progress events. */
function layerClock(): { onJob: (e: ProgressEvent) => void; layer: { bronze: number; silver: number; gold: number; mart: number } } {
  const layer = { bronze: 0, silver: 0, gold: 0, mart: 0 };
  const started = new Map<string, number>();
  return {
    layer,
    onJob: (e) => {
      if (e.kind === 'job-start') started.set(e.job, performance.now());
      else {
        const l = e.job.split('.')[0] as keyof typeof layer;
        if (l in layer) layer[l] += elapsed(started.get(e.job) ?? performance.now());
      }
    },
  };
}

/** The demo's daily batches through the local Data Factory executor (`runDailyBatches`, what `streampulse demo` runs after generating). */
async function measureDemo(set: ContractSet, req: SideRequest, onLine: (line: string) => void): Promise<SideResult> {
  // the demo's lake reads the cached landing files through a link, as the runner side does
  symlinkSync(req.landingDir, join(req.workDir, 'landing'), 'dir');
  const clock = layerClock();
  const t0 = performance.now();
  const r = await runDailyBatches(set, {
    lakeRoot: req.workDir,
    dates: req.dates,
    salt: req.salt,
    onJob: clock.onJob,
  });
  const end = elapsed(t0);
  onLine(`demo    ${r.reports.length} batches through the local Data Factory executor ${end.toFixed(1)}s`);
  const { layer } = clock;
  return {
    side: 'demo',
    seconds: { landing_to_silver: layer.bronze + layer.silver, gold: layer.gold + layer.mart, publish: r.seconds.publish, end_to_end: end },
    silver_rows: {},
    bronze_rows: {},
    quarantine_rows: {},
    mart_rows: r.publish.martRows,
    ...usage(),
    batches: r.reports.length,
  };
}

async function measureRunner(set: ContractSet, plan: JobPlan, req: SideRequest, last: string, onLine: (line: string) => void): Promise<SideResult> {
  // the runner reads the shared landing files through a link: generated once, never copied
  symlinkSync(req.landingDir, join(req.workDir, 'landing'), 'dir');
  const clock = layerClock();
  const label = req.side === 'runner' ? 'runner ' : 'clean  ';
  let batchStart = performance.now();
  const t0 = performance.now();
  const r = await runBatches(set, {
    lakeRoot: req.workDir,
    dates: req.dates,
    salt: req.salt,
    threads: BENCH_DUCKDB.threads,
    onJob: clock.onJob,
    onBatch: (rep, i, n) => {
      onLine(`${label} batch ${rep.batch} ${String(i + 1).padStart(String(n).length)}/${n} ${elapsed(batchStart).toFixed(1)}s`);
      batchStart = performance.now();
    },
  });
  const end = elapsed(t0);
  onLine(`${label} publish ${r.seconds.publish.toFixed(1)}s`);
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
  const { layer } = clock;
  return {
    side: req.side,
    seconds: { landing_to_silver: layer.bronze + layer.silver, gold: layer.gold + layer.mart, publish: r.seconds.publish, end_to_end: end },
    silver_rows,
    ...layers,
    mart_rows: r.publish.martRows,
    ...usage(),
    batches: r.reports.length,
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

/** The demo's scale (the CLI passes `streampulse demo`'s defaults). */
export interface DemoScale {
  readonly users: number;
  readonly days: number;
  readonly seed: string;
  readonly start: string;
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
   * Rounds of the rotating sides (default 1), each round running every side once, the
   * order rotating from round to round, then the demo: the figures printed are the round
   * with the median ratio, and every round's ratios are listed (the machine's other load
   * moves single runs).
   */
  readonly rounds?: number;
  /** The demo's scale: its daily batches through the local Data Factory executor are measured every round. Undefined: not measured. */
  readonly demo?: DemoScale;
  /** Measure the runner once more over landing generated without defects (the clean-line fast path; default true). */
  readonly clean?: boolean;
}

/** One round's end-to-end seconds per side, its ratios and the runner's share of the ceiling. */
export interface BenchRound {
  readonly runner: number;
  readonly floor: number;
  readonly floor_silver_only: number;
  readonly ceiling: number;
  /** The demo's batches (null when the demo is not measured). */
  readonly demo: number | null;
  readonly ratio: number;
  readonly ratio_silver_only: number;
  /** The runner's landing → silver MB/s ÷ the ceiling's. */
  readonly runner_share: number;
}

export interface SideFigures {
  readonly seconds: SideResult['seconds'];
  /** Landing bytes ÷ landing → silver seconds, in MB (10^6 bytes) a second. */
  readonly mb_per_s: number;
  readonly peak_rss_mb: number;
  readonly cpu_seconds: number;
  readonly silver_rows: Readonly<Record<string, number>>;
  readonly bronze_rows: Readonly<Record<string, number>>;
  readonly quarantine_rows: Readonly<Record<string, number>>;
  readonly mart_rows: Readonly<Record<string, number>>;
}

export interface BenchGoal {
  readonly id: 'ceiling_share' | 'ratio' | 'demo' | 'memory';
  readonly goal: string;
  readonly target: number;
  /** The measured value (a share, a ratio, seconds, MB); null when not measured in this run. */
  readonly value: number | null;
  /** The scale the goal is set at; null: any scale (the demo's goal is at the demo's own scale). */
  readonly scale: GoalScale | null;
  /** Whether the goal applies to this run: measured, and at its scale. */
  readonly applies: boolean;
  /** Met or not; null when the goal does not apply to this run. */
  readonly met: boolean | null;
}

/** The demo's daily batches through the local Data Factory executor, at the demo's scale. */
export interface BenchDemo extends SideFigures {
  readonly scale: DemoScale;
  readonly landing_mb: number;
  readonly batches: number;
}

/** The clean-line fast path against the defect path: the runner once more over landing without defects. */
export interface BenchClean {
  readonly landing: {
    readonly dir: string;
    readonly bytes: number;
    readonly mb: number;
    readonly rows: number;
    readonly reused: boolean;
    readonly generate_seconds: number | null;
  };
  /** The runner over the clean landing (measured once, after the rounds). */
  readonly runner: SideFigures;
  /** Its landing → silver MB/s ÷ the ceiling's (the ceiling over the default landing). */
  readonly share: number;
  /** Defective lines in the default landing (every injected defect) and their share of its lines. */
  readonly defect_lines: number;
  readonly defect_line_share: number;
  /**
   * The default run's landing → silver seconds beyond what its bytes take at the clean
   * run's rate: what the defect path costs (noise moves it; it can come out below 0).
   */
  readonly defect_path_seconds: number;
  /** defect_path_seconds per defective line, in microseconds. */
  readonly defect_path_us_per_line: number;
  /**
   * The same estimate from the CPU seconds of the whole run (user + system of the side's
   * process, gold and publish included): the default run's beyond what its bytes take at
   * the clean run's CPU seconds per byte. Less moved by other load than wall time; needs
   * each side in its own process (null with --in-process).
   */
  readonly defect_path_cpu_seconds: number | null;
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
    readonly rows: number;
    readonly defect_lines: number;
    readonly reused: boolean;
    readonly generate_seconds: number | null;
  };
  readonly runner: SideFigures;
  /** The hand-written script writing the runner's outputs: bronze, quarantine, silver, gold. */
  readonly floor: SideFigures;
  /** The same script without the bronze layer: silver and gold only (a lower bound). */
  readonly floor_silver_only: SideFigures;
  /** Landing → typed Parquet, nothing else: the engine's ceiling (its `silver_rows` are the rows of its Parquet files: every line that parses). */
  readonly ceiling: SideFigures;
  /** Each side's landing → silver MB/s ÷ the ceiling's (the ceiling's own is 1). */
  readonly shares: Readonly<Record<BenchSide, number>>;
  /** Runner end to end ÷ floor end to end (the goal's ratio). */
  readonly ratio: number;
  /** Runner end to end ÷ the silver-only floor's end to end. */
  readonly ratio_silver_only: number;
  /** Every side ended with the same silver row count for every dataset (the ceiling, which dedupes nothing, aside). */
  readonly silver_rows_match: boolean;
  /** The runner and the floor wrote the same number of bronze rows and of quarantine rows for every dataset. */
  readonly bronze_rows_match: boolean;
  /** Every side built every mart with the same number of rows. */
  readonly mart_rows_match: boolean;
  /** The demo's batches (the round with the median ratio); null when not measured. */
  readonly demo: BenchDemo | null;
  /** The clean-line fast path and the defect path; null when not measured. */
  readonly clean: BenchClean | null;
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
    mb_per_s: round(mbPerS(r, bytes), 2),
    peak_rss_mb: round(r.peak_rss_bytes / MB, 1),
    cpu_seconds: round(r.cpu_seconds, 1),
    silver_rows: r.silver_rows,
    bronze_rows: r.bronze_rows,
    quarantine_rows: r.quarantine_rows,
    mart_rows: r.mart_rows,
  };
}

const mbPerS = (r: SideResult, bytes: number): number => bytes / MB / Math.max(r.seconds.landing_to_silver, 1e-9);

/** Whether every side has the same count for every name. */
function sameCounts(...sides: readonly Readonly<Record<string, number>>[]): boolean {
  const names = new Set(sides.flatMap((x) => Object.keys(x)));
  return [...names].every((n) => sides.every((x) => x[n] === sides[0]![n]));
}

const sameScale = (a: GoalScale, b: GoalScale): boolean => a.users === b.users && a.days === b.days;
const scaleText = (x: GoalScale): string => `${x.users.toLocaleString('en-US')} × ${x.days}`;

/** The goals of issue 24 against a run's figures: every goal listed, `applies` and `met` for the ones at this run's scale. */
export function benchGoals(
  scale: GoalScale,
  f: { share: number; ratio: number; demoSeconds: number | null; demo?: DemoScale; peakRssBytes: number; rssOf: string },
): BenchGoal[] {
  const g = BENCH_GOALS;
  const atScale = (target: number, at: GoalScale, value: number, goal: string, met: (v: number) => boolean, id: BenchGoal['id']): BenchGoal => {
    const applies = sameScale(scale, at);
    return { id, goal: `${goal} at ${scaleText(at)}`, target, value, scale: at, applies, met: applies ? met(value) : null };
  };
  const share = round(f.share, 3);
  return [
    atScale(
      g.minCeilingShare.target,
      g.minCeilingShare.scale,
      share,
      `landing → silver ≥ ${g.minCeilingShare.target * 100}% of the ceiling`,
      (v) => v >= g.minCeilingShare.target,
      'ceiling_share',
    ),
    ...g.maxRatio.map((x) => atScale(x.target, x.scale, f.ratio, `end to end ≤ ${x.target.toFixed(1)}× the floor`, (v) => v <= x.target, 'ratio')),
    {
      id: 'demo',
      goal: `the demo's ${f.demo === undefined ? '' : `${f.demo.days} `}daily batches via the local Data Factory executor < ${g.maxDemoSeconds} s`,
      target: g.maxDemoSeconds,
      value: f.demoSeconds === null ? null : round(f.demoSeconds, 2),
      scale: f.demo === undefined ? null : { users: f.demo.users, days: f.demo.days },
      applies: f.demoSeconds !== null,
      met: f.demoSeconds === null ? null : f.demoSeconds < g.maxDemoSeconds,
    },
    {
      id: 'memory',
      goal: `peak RSS < ${g.maxRssBytes / MB} MB (${f.rssOf})`,
      target: g.maxRssBytes / MB,
      value: round(f.peakRssBytes / MB, 1),
      scale: null,
      applies: true,
      met: f.peakRssBytes < g.maxRssBytes,
    },
  ];
}

export async function runBench(set: ContractSet, o: BenchOptions): Promise<BenchResult> {
  // the folder is the benchmark's (its marker), or new: never wipe a landing-*/runs folder of someone else's
  ownFolder(o.outDir, BENCH_OWNER, 'keep');
  const n = o.rounds ?? 1;
  if (!Number.isInteger(n) || n < 1)
    throw new StreamPulseError('BENCH_BAD_ROUNDS', `rounds must be a whole number ≥ 1, not ${String(n)}`, { remedy: 'pass --rounds 1, 3, …' });
  const landingFor = (x: { users: number; days: number; seed: string; start: string }, defects?: false): LandingInfo =>
    ensureLanding(set, {
      outDir: o.outDir,
      users: x.users,
      days: x.days,
      seed: x.seed,
      start: x.start,
      ...(defects === false ? { defects } : {}),
      ...(o.onGenerate ? { onGenerate: o.onGenerate } : {}),
    });
  // every landing is generated (or found cached) before anything is timed
  const landing = landingFor(o);
  const demoLanding = o.demo === undefined ? undefined : landingFor(o.demo);
  const cleanLanding = o.clean === false ? undefined : landingFor(o, false);
  const runs = join(o.outDir, 'runs');
  const req = (side: MeasuredSide, l: LandingInfo = landing): SideRequest => ({
    side,
    contractsDir: o.contractsDir,
    landingDir: l.dir,
    workDir: join(runs, side),
    salt: o.salt,
    dates: l.dates,
  });
  const measure = async (r: SideRequest): Promise<SideResult> => {
    if (!o.isolate) return measureSide(set, r, o.onLine);
    if (o.childScript === undefined)
      throw new StreamPulseError('BENCH_NOT_BUILT', 'no benchmark child script given', { remedy: 'pass --in-process, or build with tsc -b' });
    return measureSideInChild(o.childScript, r, o.env ?? {}, o.onLine);
  };
  const done: (Record<BenchSide, SideResult> & { demo?: SideResult })[] = [];
  for (let k = 0; k < n; k++) {
    // the order rotates, so no side always runs first (or last) on a machine that warms up or gets busier
    const order = BENCH_SIDES.map((_, j) => BENCH_SIDES[(j + k) % BENCH_SIDES.length]!);
    const got: Partial<Record<BenchSide, SideResult>> & { demo?: SideResult } = {};
    if (n > 1) o.onLine?.(`round ${k + 1}/${n}: ${order.join(', ')}${demoLanding ? ', demo' : ''}`);
    for (const side of order) got[side] = await measure(req(side));
    if (demoLanding) got.demo = await measure(req('demo', demoLanding));
    done.push(got as Record<BenchSide, SideResult> & { demo?: SideResult });
  }
  // the clean-line fast path: once, after the rounds (it is the runner again, over other files)
  const clean = cleanLanding === undefined ? undefined : await measure(req('runner_clean', cleanLanding));

  const ratioOf = (r: Record<BenchSide, SideResult>, f: BenchSide): number => round(r.runner.seconds.end_to_end / Math.max(r[f].seconds.end_to_end, 1e-9), 2);
  const shareOf = (x: SideResult, c: SideResult, bytes = landing.bytes): number => mbPerS(x, bytes) / Math.max(mbPerS(c, landing.bytes), 1e-9);
  const rounds: BenchRound[] = done.map((r) => ({
    runner: round(r.runner.seconds.end_to_end, 3),
    floor: round(r.floor.seconds.end_to_end, 3),
    floor_silver_only: round(r.floor_silver_only.seconds.end_to_end, 3),
    ceiling: round(r.ceiling.seconds.end_to_end, 3),
    demo: r.demo === undefined ? null : round(r.demo.seconds.end_to_end, 3),
    ratio: ratioOf(r, 'floor'),
    ratio_silver_only: ratioOf(r, 'floor_silver_only'),
    runner_share: round(shareOf(r.runner, r.ceiling), 3),
  }));
  // the round with the median ratio (the lower middle one of an even count)
  const median = [...done.keys()].sort((a, b) => rounds[a]!.ratio - rounds[b]!.ratio)[Math.floor((n - 1) / 2)]!;
  const m = done[median]!;
  const { runner, floor, floor_silver_only: floorSilverOnly, ceiling } = m;
  const rf = figures(runner, landing.bytes);
  const ratio = rounds[median]!.ratio;
  const shares = Object.fromEntries(BENCH_SIDES.map((side) => [side, round(shareOf(m[side], ceiling), 3)])) as Record<BenchSide, number>;
  const demo: BenchDemo | null =
    m.demo === undefined || o.demo === undefined || demoLanding === undefined
      ? null
      : { ...figures(m.demo, demoLanding.bytes), scale: o.demo, landing_mb: round(demoLanding.bytes / MB, 1), batches: m.demo.batches };
  let cleanFigures: BenchClean | null = null;
  if (clean !== undefined && cleanLanding !== undefined) {
    const cleanRate = mbPerS(clean, cleanLanding.bytes);
    const extra = runner.seconds.landing_to_silver - landing.bytes / MB / Math.max(cleanRate, 1e-9);
    cleanFigures = {
      landing: {
        dir: cleanLanding.dir,
        bytes: cleanLanding.bytes,
        mb: round(cleanLanding.bytes / MB, 1),
        rows: cleanLanding.rows,
        reused: cleanLanding.reused,
        generate_seconds: cleanLanding.generateSeconds === null ? null : round(cleanLanding.generateSeconds, 1),
      },
      runner: figures(clean, cleanLanding.bytes),
      share: round(shareOf(clean, ceiling, cleanLanding.bytes), 3),
      defect_lines: landing.defectLines,
      defect_line_share: round(landing.defectLines / Math.max(landing.rows, 1), 5),
      defect_path_seconds: round(extra, 3),
      defect_path_us_per_line: round((extra / Math.max(landing.defectLines, 1)) * 1e6, 1),
      defect_path_cpu_seconds: o.isolate ? round(runner.cpu_seconds - (clean.cpu_seconds * landing.bytes) / Math.max(cleanLanding.bytes, 1), 2) : null,
    };
  }
  const rssSides: [string, SideResult | undefined][] = [
    ['runner', runner],
    ['clean runner', clean],
    ['demo', m.demo],
  ];
  const measured = rssSides.filter((x): x is [string, SideResult] => x[1] !== undefined);
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
      rows: landing.rows,
      defect_lines: landing.defectLines,
      reused: landing.reused,
      generate_seconds: landing.generateSeconds === null ? null : round(landing.generateSeconds, 1),
    },
    runner: rf,
    floor: figures(floor, landing.bytes),
    floor_silver_only: figures(floorSilverOnly, landing.bytes),
    ceiling: figures(ceiling, landing.bytes),
    shares,
    ratio,
    ratio_silver_only: rounds[median]!.ratio_silver_only,
    silver_rows_match: sameCounts(runner.silver_rows, floor.silver_rows, floorSilverOnly.silver_rows),
    bronze_rows_match: sameCounts(runner.bronze_rows, floor.bronze_rows) && sameCounts(runner.quarantine_rows, floor.quarantine_rows),
    mart_rows_match: sameCounts(runner.mart_rows, floor.mart_rows, floorSilverOnly.mart_rows),
    demo,
    clean: cleanFigures,
    rounds,
    goals: benchGoals(o, {
      share: shares.runner,
      ratio,
      demoSeconds: m.demo === undefined ? null : m.demo.seconds.end_to_end,
      ...(o.demo !== undefined ? { demo: o.demo } : {}),
      peakRssBytes: Math.max(...measured.map(([, x]) => x.peak_rss_bytes)),
      rssOf: measured.map(([name]) => name).join(', '),
    }),
  };
}
