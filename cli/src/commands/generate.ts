/**
 * `streampulse generate --out DIR`: every cloud artifact built so far, from the contracts.
 *   DIR/adf/                 the Data Factory factory (as `adf generate`)
 *   DIR/databricks/*.json    Jobs API 2.1 job definitions, one per schedule
 *   DIR/databricks/specs/    the job specs the PySpark runtime executes (index.json + one file per job)
 *   DIR/sql/                 the Azure SQL serving migrations (NNNN_*.sql, migrations.json) + tests/serving_tests.sql
 * Deterministic: the same contracts give byte-identical files.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { compileJobs, databricksJobs, jsonText, specFiles } from '@streampulse/jobs';
import { generateFactory } from '@streampulse/pipelines';
import type { CliContext } from '../context.js';
import { count } from '../output.js';
import { cliServingOptions, writeSqlDir } from '../serving.js';
import { writeAdf } from './adf.js';
import type { CommandModule } from './types.js';

/** Writes `<out>/databricks` (job definitions + specs/), replacing what was there; returns the relative paths. */
export function writeDatabricks(files: { jobs: Record<string, unknown>; specs: Record<string, unknown> }, out: string): string[] {
  const dir = join(out, 'databricks');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'specs'), { recursive: true });
  const written: string[] = [];
  for (const [name, doc] of Object.entries(files.jobs)) {
    writeFileSync(join(dir, name), jsonText(doc));
    written.push(`databricks/${name}`);
  }
  for (const [name, doc] of Object.entries(files.specs)) {
    writeFileSync(join(dir, 'specs', name), jsonText(doc));
    written.push(`databricks/specs/${name}`);
  }
  return written;
}

export const generateCommand: CommandModule = {
  name: 'generate',
  register(program: Command, ctx: CliContext): void {
    program
      .command('generate')
      .description('write the cloud artifacts generated from the contracts: Data Factory (adf/), Databricks jobs and job specs (databricks/), Azure SQL migrations (sql/)')
      .requiredOption('-o, --out <dir>', 'output folder')
      .option('-d, --dir <dir>', 'contract folder (default: <workspace>/contracts/streampulse)')
      .option('--metabase-principal <name>', 'Entra principal of Metabase in the SQL grants (reader role)')
      .option('--json', 'print the summary as JSON')
      .action((opts: { out: string; dir?: string; json?: boolean; metabasePrincipal?: string }) => {
        ctx.jsonMode = opts.json === true;
        const set = ctx.loadValid(ctx.contractsDir(opts.dir));
        const plan = compileJobs(set);
        const out = ctx.resolvePath(opts.out);
        const adf = writeAdf(generateFactory(set, plan), out);
        const jobs = databricksJobs(set, plan);
        const dbx = writeDatabricks({ jobs, specs: specFiles(plan) }, out);
        const sql = writeSqlDir(set, out, cliServingOptions(ctx.workspaceRoot(), opts));
        if (ctx.jsonMode) {
          ctx.printJson({ ok: true, out, adf: adf.length, databricks: dbx, sql });
          return;
        }
        ctx.print(
          `wrote ${count(adf.length, 'file')} to ${ctx.display(join(out, 'adf'))} and ${count(dbx.length, 'file')} to ${ctx.display(join(out, 'databricks'))}: ` +
            `${count(Object.keys(jobs).length, 'Databricks job')} (${Object.keys(jobs).join(', ')}), ${count(plan.jobs.length, 'job spec')} in databricks/specs/; ` +
            `${count(sql.length, 'file')} to ${ctx.display(join(out, 'sql'))} (T-SQL migrations + serving tests)`,
        );
      });
  },
};
