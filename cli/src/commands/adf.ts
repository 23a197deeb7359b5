/**
 * `streampulse adf`: the Data Factory factory generated from the contracts.
 *   adf generate --out DIR            write DIR/adf/ (git layout + control/manifest.json)
 *   adf validate DIR                  the SDK's serializer + StreamPulse's own checks
 *   adf run <pipeline> [--param k=v]  run a pipeline on the local executor over a lake
 */
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { StreamPulseError } from '@streampulse/contracts';
import { compileJobs } from '@streampulse/jobs';
import { entityCounts, formatActivityRun, formatProblem, generateFactory, readFactoryDir, validateFactory } from '@streampulse/pipelines';
import type { CliContext } from '../context.js';
import { generateInput } from '../generate/input.js';
import { target } from '../generate/targets.js';
import { ensureFolder, localBindings, uploadControlFiles, writeRunLog } from '@streampulse/rehearsal';
import { saltFrom } from '@streampulse/rehearsal';
import { count } from '../output.js';
import { generatedLine, generateTargets } from './generate.js';
import type { CommandModule } from './types.js';

const collect = (v: string, acc: Record<string, string>): Record<string, string> => {
  const i = v.indexOf('=');
  if (i <= 0) throw new StreamPulseError('ADF_BAD_PARAM', `--param takes name=value, got "${v}"`, { remedy: 'e.g. --param runDate=2026-01-25' });
  return { ...acc, [v.slice(0, i)]: v.slice(i + 1) };
};

export const adfCommand: CommandModule = {
  name: 'adf',
  register(program: Command, ctx: CliContext): void {
    const group = program.command('adf').description('Azure Data Factory: generate the factory, validate it, run its pipelines locally');
    group
      .command('generate')
      .description('write the Data Factory factory (git layout) generated from the contracts to <out>/adf (only ever replacing an adf/ folder it wrote)')
      .requiredOption('-o, --out <dir>', 'output folder (the factory goes to <dir>/adf)')
      .option('-d, --dir <dir>', 'contract folder (default: <workspace>/contracts/streampulse)')
      .option(
        '--stack <stack>',
        "name the factory, its lake, source account and Key Vault as the stack does (dev | prod); without it, the generator's defaults",
      )
      .option('--json', 'print the summary as JSON')
      .action((opts: { out: string; dir?: string; json?: boolean; stack?: string }) => {
        ctx.jsonMode = opts.json === true;
        // without --stack: the factory carries the generator's default names, as it always has here
        const input = generateInput(ctx.workspaceRoot(), ctx.loadValid(ctx.contractsDir(opts.dir)), { stack: opts.stack });
        const [adf] = generateTargets(ctx.resolvePath(opts.out), [target('adf')], input);
        if (ctx.jsonMode) {
          ctx.printJson({ ok: true, out: adf!.dir, files: adf!.files, entities: entityCounts({ files: adf!.fileMap }) });
          return;
        }
        ctx.print(generatedLine(ctx, adf!));
      });

    group
      .command('validate')
      .argument('<dir>', 'a factory folder in git layout (e.g. out/adf)')
      .description("check every pipeline, dataset and linked service with the Data Factory SDK's serializer and StreamPulse's own rules")
      .option('--json', 'print the problems as JSON')
      .action(async (dir: string, opts: { json?: boolean }) => {
        ctx.jsonMode = opts.json === true;
        const files = readFactoryDir(ctx.resolvePath(dir));
        const problems = await validateFactory(files);
        if (problems.length > 0) ctx.exitCode = 1;
        if (ctx.jsonMode) {
          ctx.printJson({ ok: problems.length === 0, problems });
          return;
        }
        if (problems.length === 0) ctx.print(`${ctx.display(ctx.resolvePath(dir))}: ${count(Object.keys(files).length, 'file')}, no problems`);
        else ctx.print(...problems.map(formatProblem), '', `${count(problems.length, 'problem')} in ${ctx.display(ctx.resolvePath(dir))}`);
      });

    group
      .command('run')
      .argument('<pipeline>', 'pipeline name, e.g. pl_daily_master')
      .description('run a pipeline of the factory on the local executor: the lake folder as ADLS, the DuckDB runner as Databricks, SQLite as Azure SQL')
      .option('-p, --param <name=value>', 'a pipeline parameter (repeatable)', collect, {} as Record<string, string>)
      .option('--dir <dir>', 'factory folder (default: generated from the contracts in memory)')
      .option('-c, --contracts <dir>', 'contract folder (default: <workspace>/contracts/streampulse)')
      .option('-l, --lake <dir>', 'lake folder (default: <workspace>/out/demo)')
      .option('--log <file>', 'activity-run log as JSON (default: <lake>/reports/adf/<pipeline>-<runId>.json)')
      .option('--json', 'print the run as JSON')
      .addHelpText('after', '\nExample: streampulse adf run pl_daily_master --param runDate=2026-01-25\nExit codes: 0 the run succeeded, 1 it failed.')
      .action(
        async (pipeline: string, opts: { param: Record<string, string>; dir?: string; contracts?: string; lake?: string; log?: string; json?: boolean }) => {
          ctx.jsonMode = opts.json === true;
          const set = ctx.loadValid(ctx.contractsDir(opts.contracts));
          const files = opts.dir !== undefined ? readFactoryDir(ctx.resolvePath(opts.dir)) : generateFactory(set, compileJobs(set)).files;
          const lake = opts.lake !== undefined ? ctx.resolvePath(opts.lake) : join(ctx.workspaceRoot(), 'out', 'demo');
          // folders the run writes, made first: a path the file system refuses (such as under /proc) fails at once
          ensureFolder(lake, 'ADF_CANNOT_WRITE', '--lake');
          if (opts.log !== undefined) ensureFolder(dirname(ctx.resolvePath(opts.log)), 'ADF_CANNOT_WRITE', '--log');
          // the control files (manifest, Databricks job ids) go to the lake's control file system, as the deploy step does in the cloud
          uploadControlFiles(lake, files);
          const local = await localBindings(set, lake, saltFrom(ctx.env).salt);
          try {
            const result = await local.run(pipeline, files, opts.param, ctx.jsonMode ? undefined : (r) => ctx.stderr(`${formatActivityRun(r)}\n`));
            const log = opts.log !== undefined ? ctx.resolvePath(opts.log) : join(lake, 'reports', 'adf', `${pipeline}-${result.runId}.json`);
            writeRunLog(log, result);
            if (result.status !== 'Succeeded') ctx.exitCode = 1;
            if (ctx.jsonMode) {
              ctx.printJson({ ok: result.status === 'Succeeded', run: result, log });
              return;
            }
            ctx.print(
              `${pipeline} run ${result.runId}: ${result.status} in ${(result.durationInMs / 1000).toFixed(1)} s, ${count(result.activityRuns.length, 'activity run')}${result.message ? ` — ${result.message}` : ''}`,
              `activity-run log: ${ctx.display(log)}`,
            );
          } finally {
            await local.close();
          }
        },
      );
  },
};
