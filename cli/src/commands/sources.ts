/**
 * `streampulse sources generate`: the seeded synthetic landing files (with defects) and their
 * manifest. It owns --out through its marker (`SOURCES_OWNER`: created when absent or empty,
 * replaced when marked, refused otherwise, touching nothing), as the demo's `<lake>/landing`.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { ownFolder, SOURCES_OWNER } from '@streampulse/rehearsal';
import { generateSources, MANIFEST_FILE } from '@streampulse/sources';
import type { CliContext } from '../context.js';
import { count } from '../output.js';
import { batchProgress, withSourceOptions, type SourceOpts } from './demo.js';
import type { CommandModule } from './types.js';

interface GenOpts extends SourceOpts {
  out: string;
}

export const sourcesCommand: CommandModule = {
  name: 'sources',
  register(program: Command, ctx: CliContext): void {
    const group = program.command('sources').description('synthetic source systems: seeded daily landing files with defects');
    const cmd = group
      .command('generate')
      .description('write daily JSONL/CSV landing files for every dataset contract, with seeded defects and a manifest of them')
      .requiredOption(
        '-o, --out <dir>',
        'landing folder (files go to <dir>/<landing_path>); only ever replaces a folder it wrote (marked by a .streampulse-generated file)',
      );
    withSourceOptions(cmd, 'number of days')
      .option('--json', 'print the manifest summary as JSON')
      .action((opts: GenOpts) => {
        ctx.jsonMode = opts.json === true;
        const set = ctx.loadValid(ctx.contractsDir(opts.dir));
        const out = ctx.resolvePath(opts.out);
        ownFolder(out, SOURCES_OWNER);
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
          ...m.datasets.map(
            (d) => `  ${d.dataset.padEnd(24)} ${String(d.rows).padStart(10)} rows  ${(d.bytes / 1e6).toFixed(1).padStart(8)} MB  (${d.source})`,
          ),
          `defects: ${Object.entries(m.defect_counts)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ')}`,
          `manifest: ${ctx.display(join(out, MANIFEST_FILE))}`,
        );
      });
  },
};
