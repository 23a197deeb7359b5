/**
 * `streampulse bench generate [--sizes 50,500,5000]`: the scale benchmark of `streampulse
 * generate` (issue 22). For every size n: n synthetic dataset contracts (`@streampulse/bench`
 * writeSyntheticContracts, beside the shipped models, marts, metrics and dashboard) are
 * written to a temporary folder (not timed), then each step of `generate` is timed on its
 * own — load + validate (the real loader on the files), the job plan and stack input, every
 * target of the registry, the write — and the Data Factory output is checked against the
 * service's documented limits (`validateFactory`, not timed). The goal, 5,000 contracts in
 * under 5 s, is printed as met / not met, never asserted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { loadContracts, ContractValidationError } from '@streampulse/contracts';
import { writeSyntheticContracts } from '@streampulse/bench';
import { formatProblem, generateFactory, validateFactory } from '@streampulse/pipelines';
import type { CliContext } from '../context.js';
import { generateInput } from '../generate/input.js';
import { TARGETS, type FileMap } from '../generate/targets.js';
import { writeGenerated } from '../generate/writer.js';
import { table, type Style } from '../output.js';

/** The goal of issue 22: `generate` for 5,000 contracts in under 5 s. */
export const GENERATE_GOAL = { contracts: 5000, seconds: 5 } as const;
export const GENERATE_BENCH_SIZES = [50, 500, 5000] as const;

export interface GenerateBenchRow {
  /** Synthetic dataset contracts. */
  readonly synthetic: number;
  /** Every dataset contract of the set (synthetic + shipped). */
  readonly datasets: number;
  /** Seconds per step: load (read + validate), input (job plan + stack), each target, write. */
  readonly seconds: Readonly<Record<string, number>>;
  readonly total_seconds: number;
  /**
   * CPU seconds of the whole process over the timed steps (user + system, every thread:
   * the garbage collector's helpers too). On a machine busy with other work the wall-clock
   * seconds grow; this moves much less.
   */
  readonly cpu_seconds: number;
  readonly files: number;
  /** Data Factory problems of the generated factory (limits and every other rule): none expected. */
  readonly adf_problems: readonly string[];
}

export interface GenerateBenchResult {
  readonly ok: true;
  readonly seed: string;
  readonly targets: readonly string[];
  readonly rows: readonly GenerateBenchRow[];
  readonly goal: { readonly contracts: number; readonly seconds: number; readonly measured_seconds: number | null; readonly met: boolean | null };
}

const seconds = (t0: number): number => (performance.now() - t0) / 1000;

/** Runs the benchmark for `sizes` (synthetic dataset contracts each) in temporary folders it removes. */
export async function runGenerateBench(
  root: string,
  o: { sizes: readonly number[]; seed: string; baseDir: string; onRow?: (r: GenerateBenchRow) => void },
): Promise<GenerateBenchResult> {
  const rows: GenerateBenchRow[] = [];
  for (const n of o.sizes) {
    const tmp = mkdtempSync(join(tmpdir(), 'streampulse-bench-generate-'));
    try {
      const dir = join(tmp, 'contracts');
      writeSyntheticContracts(dir, n, o.seed, o.baseDir);
      const s: Record<string, number> = {};
      const cpu0 = process.cpuUsage();
      let t = performance.now();
      const loaded = loadContracts(dir, { displayBase: tmp });
      if (!loaded.contracts) throw new ContractValidationError(loaded.issues);
      const set = loaded.contracts;
      s['load + validate'] = seconds(t);
      t = performance.now();
      const input = generateInput(root, set, { stack: 'dev' });
      s['plan + input'] = seconds(t);
      const maps = new Map<string, FileMap>();
      for (const target of TARGETS) {
        t = performance.now();
        maps.set(target.name, target.files(input));
        s[target.name] = seconds(t);
      }
      t = performance.now();
      const written = writeGenerated(
        join(tmp, 'out'),
        TARGETS.map((x) => ({ target: x.name, folder: x.folder, files: maps.get(x.name)! })),
      );
      s['write'] = seconds(t);
      const cpu = process.cpuUsage(cpu0);
      const factory = generateFactory(set, input.plan, input.factory).files;
      const adfProblems = (await validateFactory(factory)).map(formatProblem);
      const row: GenerateBenchRow = {
        synthetic: n,
        datasets: set.datasets.length,
        seconds: s,
        total_seconds: Object.values(s).reduce((a, b) => a + b, 0),
        cpu_seconds: (cpu.user + cpu.system) / 1e6,
        files: written.reduce((a, w) => a + w.files.length, 0),
        adf_problems: adfProblems,
      };
      rows.push(row);
      o.onRow?.(row);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const at = rows.find((r) => r.synthetic === GENERATE_GOAL.contracts);
  return {
    ok: true,
    seed: o.seed,
    targets: TARGETS.map((t) => t.name),
    rows,
    goal: { ...GENERATE_GOAL, measured_seconds: at?.total_seconds ?? null, met: at === undefined ? null : at.total_seconds < GENERATE_GOAL.seconds },
  };
}

/** The human report. */
export function generateBenchReport(r: GenerateBenchResult, s: Style): string[] {
  const steps = r.rows[0] === undefined ? [] : Object.keys(r.rows[0].seconds);
  const f = (x: number): string => x.toFixed(2);
  const goal =
    r.goal.met === null
      ? s.dim(`not measured (add ${r.goal.contracts} to --sizes)`)
      : `${f(r.goal.measured_seconds ?? 0)} s  ${r.goal.met ? s.green('met') : s.red('not met')}`;
  return [
    s.bold(`streampulse generate at scale: synthetic dataset contracts (seed ${r.seed}) beside the shipped models, marts and dashboard`),
    '',
    ...table(
      ['step (s)', ...r.rows.map((x) => `${x.synthetic.toLocaleString('en-US')} contracts`)],
      [
        ...steps.map((step) => [step, ...r.rows.map((x) => f(x.seconds[step] ?? 0))]),
        ['total', ...r.rows.map((x) => s.bold(f(x.total_seconds)))],
        ['CPU (process, all threads)', ...r.rows.map((x) => f(x.cpu_seconds))],
        ['files written', ...r.rows.map((x) => x.files.toLocaleString('en-US'))],
        ['Data Factory limits + rules', ...r.rows.map((x) => (x.adf_problems.length === 0 ? s.green('within') : s.red(`${x.adf_problems.length} problems`)))],
      ],
      s,
      '  ',
    ),
    ...r.rows.flatMap((x) => x.adf_problems.slice(0, 10).map((p) => `  ${s.red(`${x.synthetic}:`)} ${p}`)),
    '',
    s.bold('Goal (printed, not asserted)'),
    `  ${r.goal.contracts.toLocaleString('en-US')} contracts through generate in under ${r.goal.seconds} s: ${goal}`,
  ];
}

/** `--sizes 50,500,5000` */
function sizesOption(v: string): number[] {
  const sizes = v.split(',').map((x) => Number(x.trim()));
  if (v.trim() === '' || sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 100_000))
    throw new InvalidArgumentError(`--sizes "${v}" is not a comma-separated list of whole numbers from 1 to 100000, e.g. 50,500,5000`);
  return sizes;
}

/** Registers `bench generate` under the `bench` command. */
export function registerBenchGenerate(bench: Command, ctx: CliContext): void {
  bench
    .command('generate')
    .description(
      'benchmark `streampulse generate` on synthetic dataset contracts: load + validate, the plan, every target and the write timed apart, the Data Factory output checked against the service limits; the goal (5,000 contracts in under 5 s) printed, not asserted',
    )
    .option('--sizes <list>', 'synthetic dataset contracts per run, comma-separated', sizesOption, [...GENERATE_BENCH_SIZES])
    .option('-s, --seed <seed>', 'random seed of the synthetic contracts', 'streampulse')
    .option('-d, --dir <dir>', 'the contracts the synthetic datasets sit beside (default: <workspace>/contracts/streampulse)')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (own: { sizes: number[]; seed: string; dir?: string; json?: boolean }) => {
      // `bench` has options of the same names (--seed, --dir, --json): commander gives a
      // value written after `generate` to whichever command declares it first, the parent.
      const parent = bench.opts<{ seed?: string; dir?: string; json?: boolean }>();
      const fromParent = (k: 'seed' | 'dir'): boolean => bench.getOptionValueSource(k) === 'cli';
      const opts = {
        ...own,
        seed: fromParent('seed') ? (parent.seed ?? own.seed) : own.seed,
        dir: fromParent('dir') ? parent.dir : own.dir,
        json: own.json === true || parent.json === true,
      };
      ctx.jsonMode = opts.json;
      const result = await runGenerateBench(ctx.workspaceRoot(), {
        sizes: opts.sizes,
        seed: opts.seed,
        baseDir: ctx.contractsDir(opts.dir),
        onRow: (r) => {
          if (!ctx.jsonMode) ctx.print(ctx.style.dim(`${r.synthetic} synthetic contracts: ${r.total_seconds.toFixed(2)} s`));
        },
      });
      if (ctx.jsonMode) ctx.printJson(result);
      else ctx.print('', ...generateBenchReport(result, ctx.style));
    });
}
