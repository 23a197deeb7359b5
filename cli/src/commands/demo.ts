/**
 * `streampulse demo`: what scripts/demo.sh runs. Today it validates the shipped
 * contracts and prints their summary. The local lakehouse run (synthetic sources →
 * landing → bronze → silver → gold → serving → dashboard) is not built yet, and the
 * command says so instead of showing made-up results; issue "local lakehouse"
 * replaces the second step.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { validateCommand } from './contracts.js';
import type { CommandModule } from './types.js';

export const demoCommand: CommandModule = {
  name: 'demo',
  register(program: Command, ctx: CliContext): void {
    program
      .command('demo')
      .description('run the StreamPulse demo: today, validate the shipped contracts and summarise them (the local lakehouse run is not built yet)')
      .option('-d, --dir <dir>', 'contract folder (default: <workspace root>/contracts/streampulse)')
      .addHelpText('after', '\nExit codes: 0 contracts valid, 1 contracts invalid (or an error), 2 usage error.')
      .action((opts: { dir?: string }) => {
        const s = ctx.style;
        const dir = ctx.contractsDir(opts.dir);
        ctx.print(s.bold('StreamPulse demo'), '', s.bold(`1. Validate the contracts (${ctx.display(dir)})`), '');
        validateCommand(ctx, opts.dir, false);
        if (ctx.exitCode !== 0) {
          ctx.print('', `${s.red('Demo stopped:')} the contracts are invalid; fix the problems above, then run the demo again.`);
          return;
        }
        ctx.print(
          '',
          s.bold('2. Run the local lakehouse'),
          '',
          `${s.yellow('Not built yet.')} The local run (synthetic sources → landing → bronze → silver → gold →`,
          'serving database → dashboard) arrives with the "local lakehouse" issue. Nothing was run,',
          'so no pipeline results are shown.',
          '',
          'What works today:',
          '  streampulse contracts validate            every contract, or every problem with file:line and a fix',
          '  streampulse contracts show <name>         one contract, readable',
          '  streampulse contracts lineage <node-id>   column lineage from source to dashboard card',
        );
      });
  },
};
