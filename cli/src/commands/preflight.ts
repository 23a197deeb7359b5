/**
 * `streampulse preflight --stack dev|prod [--json]`: the offline check of a stack's
 * estate before `pulumi up` (infra's `preflight`): the Pulumi program rendered under
 * mocks with the stack file's config, every artifact generated with the stack's names,
 * the workflows read, and every cross-reference and documented constraint checked.
 * Prints ✓/✗ per check with what it looked at (and the fix), then the manual
 * prerequisites; `--json` prints `{ stack, checks: [{ id, ok, detail }], prerequisites }`.
 * Exit 1 when any check fails.
 */
import type { Command } from 'commander';
import { formatPreflight, preflight, STACKS } from '@streampulse/infra';
import type { CliContext } from '../context.js';
import { stackOption } from '../stack-option.js';
import type { CommandModule } from './types.js';

export const preflightCommand: CommandModule = {
  name: 'preflight',
  register(program: Command, ctx: CliContext): void {
    program
      .command('preflight')
      .description(
        "check a stack's estate offline before `pulumi up`: the program under Pulumi mocks, every generated artifact and the workflows, cross-referenced (exit 1 on any ✗)",
      )
      .requiredOption('--stack <stack>', `the stack: ${STACKS.join(' | ')}`)
      .option('--json', 'print {"stack", "checks": [{"id", "ok", "detail"}], "prerequisites"} as JSON')
      .action(async (opts: { stack: string; json?: boolean }) => {
        ctx.jsonMode = opts.json === true;
        const stack = stackOption(opts.stack);
        const report = await preflight(ctx.workspaceRoot(), stack);
        if (ctx.jsonMode)
          ctx.printJson({
            stack: report.stack,
            checks: report.checks.map((c) => ({ id: c.id, ok: c.ok, detail: c.detail })),
            prerequisites: report.prerequisites,
          });
        else ctx.print(formatPreflight(report, { ok: ctx.style.green, fail: ctx.style.red, bold: ctx.style.bold }));
        if (report.checks.some((c) => !c.ok)) ctx.exitCode = 1;
      });
  },
};
