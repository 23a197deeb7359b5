/** `streampulse sources generate`: the seeded synthetic landing files (with defects) and their manifest. */
import { join } from 'node:path';
import type { Command } from 'commander';
import { generateSources, MANIFEST_FILE } from '@streampulse/sources';
import type { CliContext } from '../context.js';
import { count } from '../output.js';
import { DEMO_DEFAULTS, batchProgress, isoDate, positiveInt } from './demo.js';
import type { CommandModule } from './types.js';

interface GenOpts {
  out: string;
  users: number;
  days: number;
  seed: string;
  start: string;
  defects: boolean;
  dir?: string;
  json?: boolean;
  progress: boolean;
}

export const sourcesCommand: CommandModule = {
  name: 'sources',
  register(program: Command, ctx: CliContext): void {
    const group = program.command('sources').description('synthetic source systems: seeded daily landing files with defects');
    group
      .command('generate')
      .description('write daily JSONL/CSV landing files for every dataset contract, with seeded defects and a manifest of them')
      .requiredOption('-o, --out <dir>', 'landing folder (files go to <dir>/<landing_path>)')
      .option('-u, --users <n>', 'simulated accounts', positiveInt('--users', 10_000_000), DEMO_DEFAULTS.users)
      .option('--days <d>', 'number of days', positiveInt('--days', 3660), DEMO_DEFAULTS.days)
      .option('-s, --seed <seed>', 'random seed', DEMO_DEFAULTS.seed)
      .option('--start <date>', 'first day (YYYY-MM-DD)', isoDate, DEMO_DEFAULTS.start)
      .option('--no-defects', 'clean files only')
      .option('--no-progress', 'no progress bar on stderr')
      .option('-d, --dir <dir>', 'contract folder (default: <workspace>/contracts/streampulse)')
      .option('--json', 'print the manifest summary as JSON')
      .action((opts: GenOpts) => {
        ctx.jsonMode = opts.json === true;
        const set = ctx.loadValid(ctx.contractsDir(opts.dir));
        const out = ctx.resolvePath(opts.out);
        const progress = batchProgress(ctx, opts.progress && !ctx.jsonMode);
        const m = generateSources(set, {
          outDir: out,
          users: opts.users,
          days: opts.days,
          seed: opts.seed,
          startDate: opts.start,
          defects: opts.defects ? {} : false,
          ...(progress.onGenerate ? { onProgress: progress.onGenerate } : {}),
        });
        if (ctx.jsonMode) {
          ctx.printJson({ ok: true, out, datasets: m.datasets, defect_counts: m.defect_counts, files: m.files.length });
          return;
        }
        ctx.print(
          `wrote ${count(m.files.length, 'file')} for ${count(m.datasets.length, 'dataset')} (${m.start_date} … ${m.end_date}) to ${ctx.display(out)}`,
          ...m.datasets.map((d) => `  ${d.dataset.padEnd(24)} ${String(d.rows).padStart(10)} rows  ${(d.bytes / 1e6).toFixed(1).padStart(8)} MB  (${d.source})`),
          `defects: ${Object.entries(m.defect_counts).map(([k, n]) => `${k} ${n}`).join(', ')}`,
          `manifest: ${ctx.display(join(out, MANIFEST_FILE))}`,
        );
      });
  },
};
