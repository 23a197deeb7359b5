/**
 * `streampulse generate --out DIR [--stack dev|prod] [--target adf,databricks,sql,metabase]`: the
 * cloud artifacts generated from the contracts, one folder per target of the registry
 * (`../generate/targets.ts`):
 *   DIR/adf/                 the Data Factory factory (as `adf generate`)
 *   DIR/databricks/          the Databricks Asset Bundle: databricks.yml (the runtime wheel as an
 *                            artifact built from runtime/, targets dev and prod),
 *                            resources/<job>.job.yml (the step and daily jobs), specs/ (the job
 *                            specs the PySpark runtime executes: index.json + one file per job);
 *                            deploy with `databricks bundle deploy -t dev|prod` from that folder
 *   DIR/sql/                 the Azure SQL serving migrations (NNNN_*.sql, migrations.json) + tests/serving_tests.sql
 *   DIR/metabase/            the Metabase API payloads (database, collection, cards/<card>.json, dashboard), ids unresolved
 *   DIR/dbt/                 the dbt project of the serving layer (sources, the serving tests, freshness,
 *                            exposures of the dashboard cards, profiles sqlite + azure); `streampulse dbt test` runs it
 * The writer (`../generate/writer.ts`) owns each folder through its `.streampulse-generated`
 * marker: it never deletes a folder it did not write. Deterministic: the same contracts give
 * byte-identical files.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { generateInput } from '../generate/input.js';
import { selectTargets, TARGETS, type FileMap, type GenerateInput, type GenerateTarget } from '../generate/targets.js';
import { writeGenerated, type WrittenFolder } from '../generate/writer.js';
import { count } from '../output.js';
import type { CommandModule } from './types.js';

export interface GeneratedTarget extends WrittenFolder {
  /** The files as generated (relative path → text). */
  readonly fileMap: FileMap;
  /** The summary line's detail (`target.summary`). */
  readonly summary: string;
}

/** Generates `targets` from `input` and writes them under `out` through the one writer. */
export function generateTargets(out: string, targets: readonly GenerateTarget[], input: GenerateInput): GeneratedTarget[] {
  const maps = new Map<string, FileMap>(targets.map((t) => [t.name, t.files(input)]));
  const written = writeGenerated(
    out,
    targets.map((t) => ({ target: t.name, folder: t.folder, files: maps.get(t.name)! })),
  );
  return written.map((w, i) => ({ ...w, fileMap: maps.get(w.target)!, summary: targets[i]!.summary(input, maps.get(w.target)!) }));
}

/** `wrote N files to DIR: <summary>`, one line per target. */
export function generatedLine(ctx: CliContext, t: GeneratedTarget): string {
  return `wrote ${count(t.files.length, 'file')} to ${ctx.display(t.dir)}: ${t.summary}`;
}

export const generateCommand: CommandModule = {
  name: 'generate',
  register(program: Command, ctx: CliContext): void {
    program
      .command('generate')
      .description(
        `write the cloud artifacts generated from the contracts, one folder per target: ${TARGETS.map((t) => `${t.folder}/ (${t.describe})`).join('; ')}`,
      )
      .requiredOption(
        '-o, --out <dir>',
        'output folder; each target writes <dir>/<target>/ and only ever replaces a folder it wrote (marked by a .streampulse-generated file)',
      )
      .option('-d, --dir <dir>', 'contract folder (default: <workspace>/contracts/streampulse)')
      .option(
        '--stack <stack>',
        "the stack whose names the artifacts carry (dev | prod): factory, lake and source accounts, Key Vault, SQL principals, the bundle's cluster settings",
        'dev',
      )
      .option('--target <names>', `comma-separated targets to write (default: all): ${TARGETS.map((t) => t.name).join(', ')}`)
      .option('--metabase-principal <name>', 'Entra principal of Metabase in the SQL grants (reader role)')
      .option('--json', 'print the summary as JSON')
      .action((opts: { out: string; dir?: string; json?: boolean; metabasePrincipal?: string; stack: string; target?: string }) => {
        ctx.jsonMode = opts.json === true;
        const targets = selectTargets(opts.target);
        const root = ctx.workspaceRoot();
        const input = generateInput(root, ctx.loadValid(ctx.contractsDir(opts.dir)), { stack: opts.stack, metabasePrincipal: opts.metabasePrincipal });
        const out = ctx.resolvePath(opts.out);
        const written = generateTargets(out, targets, input);
        if (ctx.jsonMode) {
          ctx.printJson({ ok: true, out, targets: written.map((w) => ({ target: w.target, dir: w.dir, files: w.files })) });
          return;
        }
        ctx.print(...written.map((w) => generatedLine(ctx, w)));
      });
  },
};
