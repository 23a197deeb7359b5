/**
 * `streampulse deploy`: steps of the deploy workflow that need the project's code.
 *   deploy control-files --stack dev|prod --bundle-summary FILE [--dry-run] [--json]
 *     uploads control/manifest.json and control/databricks_jobs.json to the stack's lake
 *     with an Entra token (DefaultAzureCredential), after `databricks bundle deploy`.
 */
import type { Command } from 'commander';
import { controlFiles, entraFileSystem, loadStack, readBundleSummary, STACKS, uploadControlFiles } from '@streampulse/infra';
import { compileJobs } from '@streampulse/jobs';
import { NAMES } from '@streampulse/pipelines';
import type { CliContext } from '../context.js';
import { stackOption } from '../stack-option.js';
import type { CommandModule } from './types.js';

export const deployCommand: CommandModule = {
  name: 'deploy',
  register(program: Command, ctx: CliContext): void {
    const deploy = program
      .command('deploy')
      .description('steps of the deploy workflow that need the project (run after `pulumi up` and `databricks bundle deploy`)');
    deploy
      .command('control-files')
      .description("upload the control manifest and the Databricks job ids to the stack's lake (control/), with an Entra token")
      .requiredOption('--stack <stack>', `the stack: ${STACKS.join(' | ')}`)
      .requiredOption('--bundle-summary <file>', 'output of `databricks bundle summary -t <stack> --output json`')
      .option('-d, --dir <dir>', 'contract folder (default: <workspace>/contracts/streampulse)')
      .option('--dry-run', 'print what would be uploaded, upload nothing')
      .option('--json', 'print the result as JSON')
      .action(async (opts: { stack: string; bundleSummary: string; dir?: string; dryRun?: boolean; json?: boolean }) => {
        ctx.jsonMode = opts.json === true;
        const stack = stackOption(opts.stack);
        const { names } = loadStack(ctx.workspaceRoot(), stack);
        const set = ctx.loadValid(ctx.contractsDir(opts.dir));
        const jobIds = readBundleSummary(ctx.resolvePath(opts.bundleSummary));
        const files = controlFiles(set, compileJobs(set), jobIds);
        const where = `abfss://${NAMES.fsControl}@${names.lakeAccount}.dfs.core.windows.net`;
        const uploaded =
          opts.dryRun === true
            ? Object.entries(files).map(([file, t]) => ({ file, bytes: Buffer.byteLength(t) }))
            : await uploadControlFiles(await entraFileSystem(names.lakeAccount, NAMES.fsControl), files, where);
        if (ctx.jsonMode) {
          ctx.printJson({ ok: true, stack, target: where, dryRun: opts.dryRun === true, files: uploaded, jobs: jobIds });
          return;
        }
        for (const u of uploaded) ctx.print(`${opts.dryRun === true ? 'would upload' : 'uploaded'} ${where}/${u.file} (${u.bytes} bytes)`);
        ctx.print(
          `Databricks jobs: ${Object.entries(jobIds)
            .map(([n, id]) => `${n}=${id}`)
            .join(', ')}`,
        );
      });
  },
};
