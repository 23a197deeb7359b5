/**
 * `streampulse contracts …`: validate, show and trace the contracts.
 * `contracts diff` (the breaking-change gate) lives in contracts-diff.ts.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { findContract, renderContract } from '../render/show.js';
import { countsOf, renderIssues, renderOkLine, renderSummaryTable, summarize } from '../render/summary.js';
import { registerContractsDiff } from './contracts-diff.js';
import { registerLineage } from './contracts-lineage.js';
import { registerPii } from './contracts-pii.js';
import { registerContractsExport } from './contracts-export.js';
import type { CommandModule } from './types.js';

const DIR_OPTION_HELP = 'contract folder (default: <workspace root>/contracts/streampulse)';

interface JsonOption {
  json?: boolean;
}
interface DirOption extends JsonOption {
  dir?: string;
}

/** Validates a folder and prints the summary or every issue; sets exit code 1 when invalid. */
export function validateCommand(ctx: CliContext, dirArg: string | undefined, json: boolean): void {
  const dir = ctx.contractsDir(dirArg);
  const result = ctx.load(dir);
  const set = result.contracts;
  if (!set) ctx.exitCode = 1;
  if (json) {
    ctx.printJson({
      ok: set !== undefined,
      dir: ctx.display(dir),
      counts: set ? countsOf(set) : null,
      contracts: set ? summarize(set, ctx.display) : [],
      files: result.files.map((f) => ({ file: ctx.display(f.file), kind: f.kind, name: f.name, valid: f.valid })),
      issues: result.issues,
    });
    return;
  }
  const s = ctx.style;
  if (!set) {
    ctx.print(...renderIssues(result, s));
    return;
  }
  ctx.print(`${s.dim('contracts in')} ${ctx.display(dir)}`, '', ...renderSummaryTable(summarize(set, ctx.display), s), '', renderOkLine(countsOf(set), s));
}

export const contractsCommand: CommandModule = {
  name: 'contracts',
  register(program: Command, ctx: CliContext): void {
    const group = program
      .command('contracts')
      .description('validate, inspect and trace the StreamPulse contracts (datasets, models, marts, metrics, dashboards)')
      .addHelpText(
        'after',
        `
Examples:
  $ streampulse contracts validate                           # every contract, or every problem
  $ streampulse contracts show <name>                        # names: see the validate summary
  $ streampulse contracts lineage source:<dataset>.<column>  # where a raw column ends up`,
      );

    group
      .command('validate')
      .description(
        'load every contract file, check it against the model and cross-check references; print a summary, or every problem with file:line:column and a fix',
      )
      .argument('[dir]', 'contract folder, relative to the current directory (default: <workspace root>/contracts/streampulse)')
      .option('--json', 'print machine-readable JSON only (sorted keys)')
      .addHelpText(
        'after',
        `
Exit codes: 0 all contracts valid, 1 problems found (or an error), 2 usage error.

Examples:
  $ streampulse contracts validate
  $ streampulse contracts validate path/to/contracts --json`,
      )
      .action((dir: string | undefined, opts: JsonOption) => {
        ctx.jsonMode = opts.json === true;
        validateCommand(ctx, dir, opts.json === true);
      });

    group
      .command('show')
      .description('print one contract readably: columns with types, required, PII class/policy, quality rules, silver handling, expressions, measures, cards')
      .argument('<name>', 'a dataset, model, mart or dashboard name, or "metrics"')
      .option('-d, --dir <dir>', DIR_OPTION_HELP)
      .option('--json', 'print the parsed contract (defaults applied) as JSON only')
      .addHelpText(
        'after',
        `
An unknown name fails (exit 1) with a "did you mean".

Examples:
  $ streampulse contracts show <dataset>       # columns, PII, quality rules, silver
  $ streampulse contracts show <mart> --json   # the parsed contract, defaults applied
  $ streampulse contracts show metrics         # metric definitions and parameters
  ("streampulse contracts validate" lists every name.)`,
      )
      .action((name: string, opts: DirOption) => {
        ctx.jsonMode = opts.json === true;
        const set = ctx.loadValid(ctx.contractsDir(opts.dir));
        const found = findContract(set, name);
        if (opts.json) ctx.printJson({ ok: true, kind: found.kind, name: found.name, file: ctx.display(found.file), contract: found.contract });
        else ctx.print(...renderContract(found, ctx.display(found.file), set, ctx.style));
      });

    registerLineage(group, ctx, DIR_OPTION_HELP);
    registerPii(group, ctx, DIR_OPTION_HELP);
    registerContractsDiff(group, ctx);
    registerContractsExport(group, ctx);
  },
};
