/**
 * `streampulse dashboard build [--db FILE] [--out DIR] [-d contracts] [--quality FILE] [--json]`:
 * the static dashboard page — every card of the dashboard contract queried on the SQLite
 * serving database, the data-quality panel, chart.js inlined — written to <out>/index.html.
 * A thin layer over `buildDashboardPage` of @streampulse/rehearsal.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { dashboardModel } from '@streampulse/dashboards';
import { buildDashboardPage } from '@streampulse/rehearsal';
import type { CliContext } from '../context.js';
import type { CommandModule } from './types.js';

interface BuildOpts {
  db?: string;
  out?: string;
  quality?: string;
  dir?: string;
  json?: boolean;
}

export const dashboardCommand: CommandModule = {
  name: 'dashboard',
  register(program: Command, ctx: CliContext): void {
    const group = program.command('dashboard').description('the static dashboard page, from the serving database');
    group
      .command('build')
      .description(
        "render the dashboard contract's cards from the SQLite serving database, with the data-quality panel, into one self-contained HTML file (<out>/index.html; it loads nothing from a network)",
      )
      .option('--db <file>', 'SQLite serving database (default: <workspace>/out/demo/serving/streampulse.sqlite)')
      .option(
        '-o, --out <dir>',
        'folder for index.html (default: <workspace>/out/demo/dashboard); only ever replaces a folder it wrote (marked by a .streampulse-generated file)',
      )
      .option('--quality <file>', "the run's quality report (default: reports/quality.json of the database's lake, else its quality_batches table)")
      .option('-d, --dir <dir>', 'contract folder (default: <workspace>/contracts/streampulse)')
      .option('--json', 'print the result as JSON')
      .addHelpText('after', '\nExit codes: 0 success, 1 failure (no serving database, invalid contracts), 2 usage error.')
      .action((opts: BuildOpts) => {
        ctx.jsonMode = opts.json === true;
        const set = ctx.loadValid(ctx.contractsDir(opts.dir));
        const demo = join(ctx.workspaceRoot(), 'out', 'demo');
        const db = opts.db !== undefined ? ctx.resolvePath(opts.db) : join(demo, 'serving', 'streampulse.sqlite');
        const out = opts.out !== undefined ? ctx.resolvePath(opts.out) : join(demo, 'dashboard');
        const page = buildDashboardPage({
          set,
          sqlitePath: db,
          outDir: out,
          ...(opts.quality !== undefined ? { qualityJson: ctx.resolvePath(opts.quality) } : {}),
        });
        const model = dashboardModel(set);
        if (ctx.jsonMode) {
          ctx.printJson({ ok: true, dashboard: model.name, cards: model.cards.length, db, page });
          return;
        }
        ctx.print(
          `${model.title}: ${model.cards.length} cards from ${ctx.display(db)}`,
          `  page  ${ctx.display(page)}   (open it in a browser; it needs no server)`,
        );
      });
  },
};
