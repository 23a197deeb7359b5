/**
 * `streampulse contracts pii [--format text|markdown|json]`: every PII column, its policy in
 * silver, whether a served column carries it, its masking in Azure SQL and which roles can
 * read it (`piiReport` of @streampulse/sql; this file only prints it).
 */
import { piiReport } from '@streampulse/sql';
import { type Command, InvalidArgumentError } from 'commander';
import type { CliContext } from '../context.js';
import { PII_FORMATS, type PiiFormat, renderPiiMarkdown, renderPiiText } from '../render/pii.js';

interface PiiOptions {
  dir?: string;
  json?: boolean;
  format?: PiiFormat;
}

function formatOption(v: string): PiiFormat {
  if (!(PII_FORMATS as readonly string[]).includes(v)) throw new InvalidArgumentError(`--format must be one of ${PII_FORMATS.join(', ')}, got "${v}"`);
  return v as PiiFormat;
}

/** Adds `pii` to the `contracts` group. */
export function registerPii(group: Command, ctx: CliContext, dirHelp: string): void {
  group
    .command('pii')
    .description(
      'every PII column: its policy in silver, where it flows, whether a served column carries its value, its masking in Azure SQL and which roles can read it',
    )
    .option('-d, --dir <dir>', dirHelp)
    .option('--format <format>', `output: ${PII_FORMATS.join(' | ')} (markdown: for a pull request or a review)`, formatOption)
    .option('--json', 'print the report as JSON only (same as --format json)')
    .addHelpText(
      'after',
      `
The roles and masks are the ones the serving migrations generate (0006_masking,
0007_roles_and_grants): the reader role sees a masked value through the serving views,
the loader role reads the staging tables (no masks there), administrators see values.

Exit codes: 0 success, 1 invalid contracts, 2 usage error.

Examples:
  $ streampulse contracts pii
  $ streampulse contracts pii --format markdown > pii.md
  $ streampulse contracts pii --json`,
    )
    .action((opts: PiiOptions, cmd: Command) => {
      if (opts.json === true && opts.format !== undefined && opts.format !== 'json')
        cmd.error(`error: --json and --format ${opts.format} ask for different outputs; give one of them`, {
          exitCode: 2,
          code: 'streampulse.conflictingOptions',
        });
      const format: PiiFormat = opts.json === true ? 'json' : (opts.format ?? 'text');
      ctx.jsonMode = format === 'json';
      const dir = ctx.contractsDir(opts.dir);
      const report = piiReport(ctx.loadValid(dir));
      if (format === 'json') ctx.printJson({ ok: true, dir: ctx.display(dir), ...report });
      else if (format === 'markdown') ctx.print(...renderPiiMarkdown(report));
      else ctx.print(`${ctx.style.dim('PII in')} ${ctx.display(dir)}`, '', ...renderPiiText(report, ctx.style));
    });
}
