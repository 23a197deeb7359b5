/**
 * `streampulse generate --out DIR`: every cloud artifact built so far, from the contracts.
 *   DIR/adf/                 the Data Factory factory (as `adf generate`)
 *   DIR/databricks/          the Databricks Asset Bundle: databricks.yml (the runtime wheel as an
 *                            artifact built from <workspace>/jobs/python, targets dev and prod),
 *                            resources/<job>.job.yml (the step and daily jobs), specs/ (the job
 *                            specs the PySpark runtime executes: index.json + one file per job);
 *                            deploy with `databricks bundle deploy -t dev|prod` from that folder
 *   DIR/sql/                 the Azure SQL serving migrations (NNNN_*.sql, migrations.json) + tests/serving_tests.sql
 * Deterministic: the same contracts give byte-identical files.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { Command } from 'commander';
import { compileJobs, databricksBundle, databricksJobs } from '@streampulse/jobs';
import { StreamPulseError } from '@streampulse/contracts';
import { isStackName, loadStack, stackFactoryOptions, STACKS } from '@streampulse/infra';
import { generateFactory } from '@streampulse/pipelines';
import type { CliContext } from '../context.js';
import { count } from '../output.js';
import { cliServingOptions, writeSqlDir } from '../serving.js';
import { writeAdf } from './adf.js';
import type { CommandModule } from './types.js';

/** Writes the bundle's files to `<out>/databricks`, replacing what was there; returns the paths relative to `out`. */
export function writeDatabricks(files: Record<string, string>, out: string): string[] {
  const dir = join(out, 'databricks');
  rmSync(dir, { recursive: true, force: true });
  const written: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
    written.push(`databricks/${name}`);
  }
  return written;
}

/**
 * The runtime's Python project as the bundle holds it (`runtime/`): pyproject.toml and every
 * source file under src/, keyed by POSIX path relative to `<workspace>/jobs/python`, sorted.
 * Tests, jars, caches and build output are not part of the wheel's source.
 */
export function runtimeProjectFiles(workspaceRoot: string): Record<string, string> {
  const project = join(workspaceRoot, 'jobs', 'python');
  const files: Record<string, string> = { 'pyproject.toml': readFileSync(join(project, 'pyproject.toml'), 'utf8') };
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== '__pycache__' && !e.name.endsWith('.egg-info')) walk(p);
      } else if (e.name.endsWith('.py')) files[relative(project, p).split(sep).join('/')] = readFileSync(p, 'utf8');
    }
  };
  walk(join(project, 'src'));
  return files;
}

export const generateCommand: CommandModule = {
  name: 'generate',
  register(program: Command, ctx: CliContext): void {
    program
      .command('generate')
      .description('write the cloud artifacts generated from the contracts: Data Factory (adf/), the Databricks Asset Bundle with the job specs (databricks/), Azure SQL migrations (sql/)')
      .requiredOption('-o, --out <dir>', 'output folder')
      .option('-d, --dir <dir>', 'contract folder (default: <workspace>/contracts/streampulse)')
      .option('--stack <stack>', "the stack whose names the artifacts carry (dev | prod): factory, lake and source accounts, Key Vault, SQL principals, the bundle's cluster settings", 'dev')
      .option('--metabase-principal <name>', 'Entra principal of Metabase in the SQL grants (reader role)')
      .option('--json', 'print the summary as JSON')
      .action((opts: { out: string; dir?: string; json?: boolean; metabasePrincipal?: string; stack: string }) => {
        ctx.jsonMode = opts.json === true;
        if (!isStackName(opts.stack)) throw new StreamPulseError('CLI_BAD_STACK', `unknown stack '${opts.stack}'`, { remedy: `pass --stack ${STACKS.join(' or --stack ')}` });
        const root = ctx.workspaceRoot();
        const { config } = loadStack(root, opts.stack);
        const set = ctx.loadValid(ctx.contractsDir(opts.dir));
        const plan = compileJobs(set);
        const out = ctx.resolvePath(opts.out);
        // every artifact carries the stack's names (the workspace URL and id only exist after `pulumi up`)
        const adf = writeAdf(generateFactory(set, plan, stackFactoryOptions(config)), out);
        const bundleOptions = {
          runtimeFiles: runtimeProjectFiles(root),
          namePrefix: config.namePrefix,
          lakeAccounts: Object.fromEntries(STACKS.map((s) => [s, loadStack(root, s).names.lakeAccount])),
          sparkVersion: config.databricks.sparkVersion,
          nodeTypeId: config.databricks.nodeTypeId,
          minWorkers: config.databricks.minWorkers,
          maxWorkers: config.databricks.maxWorkers,
        };
        const jobs = Object.values(databricksJobs(set, plan, bundleOptions)).map((j) => j.name);
        const dbx = writeDatabricks(databricksBundle(set, plan, bundleOptions), out);
        const sql = writeSqlDir(set, out, cliServingOptions(root, opts));
        if (ctx.jsonMode) {
          ctx.printJson({ ok: true, out, adf: adf.length, databricks: dbx, sql });
          return;
        }
        ctx.print(
          `wrote ${count(adf.length, 'file')} to ${ctx.display(join(out, 'adf'))} and ${count(dbx.length, 'file')} to ${ctx.display(join(out, 'databricks'))}: ` +
            `a Databricks Asset Bundle with ${count(jobs.length, 'job')} (${jobs.join(', ')}) and ${count(plan.jobs.length, 'job spec')} in databricks/specs/; ` +
            `${count(sql.length, 'file')} to ${ctx.display(join(out, 'sql'))} (T-SQL migrations + serving tests)`,
        );
      });
  },
};
