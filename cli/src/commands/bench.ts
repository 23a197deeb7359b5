/**
 * `streampulse bench`: the local-lakehouse benchmark — the runner against hand-written
 * DuckDB floors and the engine's ceiling on the same landing files, the demo's batches
 * through the local Data Factory executor and the runner over clean landing, printed
 * against issue 24's goals (landing → silver ≥ 40% of the ceiling and ≤ 1.0× the floor
 * at 100k × 30, ≤ 2× at 300 × 30, the demo under 4 s, peak RSS < 1 GB), never asserted.
 * See bench.ts. `streampulse bench generate`: the scale benchmark of `generate`
 * (bench-generate.ts).
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { BENCH_DEFAULTS, benchChildScript, runBench } from '@streampulse/bench';
import { benchReport } from '../bench-report.js';
import { registerBenchGenerate } from './bench-generate.js';
import { saltFrom } from '@streampulse/rehearsal';
import { bar, createProgress } from '../progress.js';
import { DEMO_DEFAULTS, isoDate, positiveInt } from './demo.js';
import type { CommandModule } from './types.js';

interface BenchOpts {
  users: number;
  days: number;
  seed: string;
  start: string;
  out?: string;
  dir?: string;
  json?: boolean;
  progress: boolean;
  inProcess?: boolean;
  rounds: number;
  demo: boolean;
  clean: boolean;
}

export const benchCommand: CommandModule = {
  name: 'bench',
  register(program: Command, ctx: CliContext): void {
    const bench = program
      .command('bench')
      .description(
        'benchmark the local lakehouse: the runner (every batch + publish) against one hand-written DuckDB SQL script doing the same work and against the engine ceiling (landing → typed Parquet, nothing else), on the same landing files, plus the demo through the local Data Factory executor; prints MB/s, shares of the ceiling, seconds, ratio and peak RSS against the goals',
      )
      .option('-u, --users <n>', 'simulated accounts', positiveInt('--users', 10_000_000), BENCH_DEFAULTS.users)
      .option('--days <d>', 'daily batches', positiveInt('--days', 3660), BENCH_DEFAULTS.days)
      .option('-s, --seed <seed>', 'random seed of the landing files', BENCH_DEFAULTS.seed)
      .option('--start <date>', 'first day (YYYY-MM-DD)', isoDate, BENCH_DEFAULTS.start)
      .option(
        '-o, --out <dir>',
        'benchmark folder: cached landing files and the runs (default: <workspace>/out/bench); new, empty, or one it made (its .streampulse-generated file)',
      )
      .option('-d, --dir <dir>', 'contract folder (default: <workspace>/contracts/streampulse)')
      .option(
        '--rounds <n>',
        'run every side n times, the order rotating; print the round with the median ratio and every round’s ratios',
        positiveInt('--rounds', 99),
        1,
      )
      .option(
        '--no-demo',
        `do not measure the demo's ${DEMO_DEFAULTS.days} daily batches (${DEMO_DEFAULTS.users} users) through the local Data Factory executor`,
      )
      .option('--no-clean', 'do not run the runner once more over landing without defective lines (the clean-line fast path against the defect path)')
      .option('--in-process', 'measure every side in this process instead of one child process each (no build needed; peak RSS is then shared)')
      .option('--no-progress', 'no progress lines on stderr')
      .option('--json', 'print the result as JSON on stdout')
      .addHelpText(
        'after',
        `
Landing files are generated once per scale (not timed) under <out>/landing-<users>x<days>-seed<seed>
(the clean landing in …-clean, the demo's at its own scale) and reused while their manifest
matches. Each side runs in its own Node process (bench/dist/src/bench-child.js, built by
tsc -b) so peak RSS is per side.
The goals are printed with met / not met; the exit code does not depend on them.
Exit codes: 0 success, 1 failure (a side failed), 2 usage error.`,
      )
      .action(async (opts: BenchOpts) => {
        ctx.jsonMode = opts.json === true;
        const contractsDir = ctx.contractsDir(opts.dir);
        const set = ctx.loadValid(contractsDir);
        const out = opts.out !== undefined ? ctx.resolvePath(opts.out) : join(ctx.workspaceRoot(), 'out', 'bench');
        const isolate = opts.inProcess !== true;
        const p = createProgress(ctx.stderr, ctx.interactive, opts.progress && !ctx.jsonMode);
        if (!ctx.jsonMode) ctx.print(ctx.style.dim(`bench: ${opts.users} users × ${opts.days} days, seed ${opts.seed} → ${ctx.display(out)}`));
        const result = await runBench(set, {
          contractsDir,
          outDir: out,
          users: opts.users,
          days: opts.days,
          seed: opts.seed,
          start: opts.start,
          salt: saltFrom(ctx.env).salt,
          isolate,
          rounds: opts.rounds,
          ...(opts.demo ? { demo: { users: DEMO_DEFAULTS.users, days: DEMO_DEFAULTS.days, seed: DEMO_DEFAULTS.seed, start: DEMO_DEFAULTS.start } } : {}),
          clean: opts.clean,
          ...(isolate ? { childScript: benchChildScript(ctx.workspaceRoot()) } : {}),
          env: ctx.env,
          onGenerate: (e) => {
            const text = `generate ${bar(e.day, e.days)} day ${e.day}/${e.days} ${e.date}  ${e.rows.toLocaleString('en-US')} rows`;
            if (e.day === e.days) p.done(text);
            else p.update(text);
          },
          onLine: (line) => p.done(line),
        });
        if (ctx.jsonMode) {
          ctx.printJson(result);
          return;
        }
        ctx.print('', ...benchReport(result, ctx.style, (x) => ctx.display(x)));
      });
    registerBenchGenerate(bench, ctx);
  },
};
