/**
 * `streampulse serve`: the serving database.
 *   serve load [--lake DIR] [--sqlite FILE | --connection "<conn>"]
 *       the lake's gold marts → staging (in batches, resumable) → checks → one MERGE
 *       transaction; SQLite locally (default <lake>/serving/streampulse.sqlite), Azure SQL
 *       when a connection string is given
 *   serve test [--lake DIR] [--sqlite FILE | --connection "<conn>"]
 *       the dbt-style tests generated from the contracts, on the served views
 */
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { StreamPulseError } from '@streampulse/contracts';
import { servingTests } from '@streampulse/sql';
import { loadServing, type LoadEvent } from '@streampulse/serving';
import type { CliContext } from '../context.js';
import { allBatchReports } from '@streampulse/rehearsal';
import { count, table } from '../output.js';
import { bar, createProgress } from '../progress.js';
import { isoDate, positiveInt } from './demo.js';
import { CONNECTION_ENV, connectionFrom } from './sql.js';
import { ensureFolder, LakeMartSource, openTarget } from '@streampulse/rehearsal';
import type { CommandModule } from './types.js';

interface TargetOpts {
  lake?: string;
  sqlite?: string;
  connection?: string;
  dir?: string;
  json?: boolean;
  progress: boolean;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

function targetOptions(c: Command): Command {
  return c
    .option('-l, --lake <dir>', 'lake folder (default: <workspace>/out/demo)')
    .option('--sqlite <file>', 'SQLite serving database (default: <lake>/serving/streampulse.sqlite)')
    .option('-c, --connection <conn>', `Azure SQL instead of SQLite: ADO.NET connection string (or set ${CONNECTION_ENV})`)
    .option('-d, --dir <dir>', 'contract folder (default: <workspace>/contracts/streampulse)')
    .option('--no-progress', 'no progress on stderr')
    .option('--json', 'print the summary as JSON');
}

function resolveTarget(ctx: CliContext, opts: TargetOpts): { lake: string; sqlite: string; connection: string | undefined } {
  const lake = opts.lake !== undefined ? ctx.resolvePath(opts.lake) : join(ctx.workspaceRoot(), 'out', 'demo');
  const connection = connectionFrom(ctx, opts.connection);
  if (connection !== undefined && opts.sqlite !== undefined)
    throw new StreamPulseError('SERVE_TWO_TARGETS', 'both --sqlite and a connection string were given', {
      remedy: 'load into one database: drop --sqlite (Azure SQL) or --connection (SQLite)',
    });
  return { lake, sqlite: opts.sqlite !== undefined ? ctx.resolvePath(opts.sqlite) : join(lake, 'serving', 'streampulse.sqlite'), connection };
}

export const serveCommand: CommandModule = {
  name: 'serve',
  register(program: Command, ctx: CliContext): void {
    const group = program.command('serve').description('the serving database: load the gold marts into it, test it');
    targetOptions(
      group
        .command('load')
        .description(
          "load the lake's gold marts into the serving database (SQLite, or Azure SQL with --connection): staged in batches, checked, merged in one transaction; resumable",
        )
        .option('--run-date <date>', 'the batch the load stands for (default: the latest batch report of the lake)', isoDate)
        .option('--batch-size <n>', 'rows per staging transaction', positiveInt('--batch-size', 1_000_000), 5000),
    )
      .addHelpText(
        'after',
        '\nA failed or interrupted load leaves the served views as they were; run the same command again and it resumes.\nA load dated before the served marts (--run-date) changes nothing and says so: serving never moves back in time.\nExit codes: 0 success (also a load skipped as older), 1 failure, 2 usage error, 130/143 stopped by SIGINT/SIGTERM.',
      )
      .action(async (opts: TargetOpts & { runDate?: string; batchSize: number }) => {
        ctx.jsonMode = opts.json === true;
        const set = ctx.loadValid(ctx.contractsDir(opts.dir));
        const t = resolveTarget(ctx, opts);
        const source = new LakeMartSource(t.lake);
        source.check(set);
        const runDate = opts.runDate ?? allBatchReports(t.lake).at(-1)?.batch;
        if (runDate === undefined)
          throw new StreamPulseError('SERVE_NO_RUN_DATE', `${ctx.display(t.lake)} has no batch report (reports/batches/*.json) to date the load`, {
            remedy: 'pass --run-date YYYY-MM-DD',
          });
        const progress = createProgress(ctx.stderr, ctx.interactive, opts.progress && !ctx.jsonMode);
        const started = performance.now();
        const onProgress = (e: LoadEvent): void => {
          if (e.phase === 'skip') progress.done(`${e.mart}: ${fmt(e.total)} rows already staged (resumed)`);
          else if (e.phase === 'merge') progress.done(`checking staging and merging ${count(e.marts, 'mart')} in one transaction…`);
          else if (e.done >= e.total)
            progress.done(
              `${e.mart} ${bar(e.done, e.total)} ${fmt(e.done)}/${fmt(e.total)} rows staged${e.resumedFrom > 0 ? ` (resumed at ${fmt(e.resumedFrom)})` : ''}`,
            );
          else progress.update(`${e.mart} ${bar(e.done, e.total)} ${fmt(e.done)}/${fmt(e.total)}`);
        };
        // the database's folder, made here so that a path the file system refuses (such as under /proc) fails at once
        if (t.connection === undefined) ensureFolder(dirname(t.sqlite), 'SERVE_CANNOT_WRITE', '--sqlite');
        const target = await openTarget(set, { ...(t.connection !== undefined ? { connection: t.connection } : {}), sqlite: t.sqlite });
        try {
          const r = await loadServing(set, source, target, {
            runDate,
            batchSize: opts.batchSize,
            onProgress,
            ...(ctx.signal !== undefined ? { signal: ctx.signal } : {}),
          });
          const seconds = (performance.now() - started) / 1000;
          if (ctx.jsonMode) {
            ctx.printJson({
              ok: true,
              target: target.kind,
              where: target.where,
              runDate: r.runDate,
              loadId: r.loadId,
              marts: r.marts,
              ...(r.skipped !== undefined ? { skipped: r.skipped } : {}),
              seconds: Number(seconds.toFixed(2)),
            });
            return;
          }
          if (r.skipped !== undefined) {
            ctx.print(
              ctx.style.yellow(
                `nothing loaded: ${target.kind === 'sqlite' ? ctx.display(target.where) : `Azure SQL ${target.where}`} serves the marts as of ${r.skipped.servedAsOf}, after ${r.runDate}; a load never moves serving back in time (without --run-date the load stands for the lake's newest batch)`,
              ),
            );
            return;
          }
          ctx.print(
            '',
            ...table(
              ['mart', 'rows', 'staged now', 'inserted', 'updated', 'deleted'],
              r.marts.map((m) => [m.mart, fmt(m.staged), fmt(m.stagedNow), fmt(m.inserted), fmt(m.updated), fmt(m.deleted)]),
              ctx.style,
              '  ',
            ),
            '',
            `loaded ${count(r.marts.length, 'mart')} as of ${r.runDate} into ${target.kind === 'sqlite' ? ctx.display(target.where) : `Azure SQL ${target.where}`} in ${seconds.toFixed(1)}s`,
          );
        } finally {
          await target.close();
          source.close();
        }
      });

    targetOptions(
      group
        .command('test')
        .description('run the serving tests generated from the contracts (not_null, unique, accepted values, relationships) on the served views'),
    )
      .addHelpText('after', '\nExit codes: 0 every test passed, 1 a test failed or the database could not be read, 2 usage error.')
      .action(async (opts: TargetOpts) => {
        ctx.jsonMode = opts.json === true;
        const set = ctx.loadValid(ctx.contractsDir(opts.dir));
        const t = resolveTarget(ctx, opts);
        // opening the database makes its folder (as load does): a path the file system refuses fails at once
        if (t.connection === undefined) ensureFolder(dirname(t.sqlite), 'SERVE_CANNOT_WRITE', '--sqlite');
        const target = await openTarget(set, { ...(t.connection !== undefined ? { connection: t.connection } : {}), sqlite: t.sqlite });
        try {
          await target.prepare();
          const results = await target.runTests(servingTests(set));
          const failed = results.filter((r) => r.failures > 0);
          if (failed.length > 0) ctx.exitCode = 1;
          if (ctx.jsonMode) {
            ctx.printJson({ ok: failed.length === 0, where: target.where, passed: results.length - failed.length, failed: failed.length, results });
            return;
          }
          const s = ctx.style;
          ctx.print(
            ...results.map(
              (r) =>
                `${r.failures === 0 ? s.green('pass') : s.red('FAIL')}  ${r.id}${r.failures === 0 ? '' : `  ${fmt(r.failures)} failing rows, e.g. ${JSON.stringify(r.sample)}`}`,
            ),
            '',
            `${results.length - failed.length} passed, ${failed.length} failed (${target.kind === 'sqlite' ? ctx.display(target.where) : target.where})`,
          );
        } finally {
          await target.close();
        }
      });
  },
};
