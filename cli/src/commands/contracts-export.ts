/**
 * `streampulse contracts export --format odcs --out DIR`: the contracts as Open Data Contract
 * Standard documents (`../generate/odcs.ts`), written to DIR itself (datasets/, models/,
 * marts/<name>.odcs.yaml) through the writer of `streampulse generate`: DIR carries the `odcs`
 * target's `.streampulse-generated` marker, so a later export replaces it and a folder the
 * CLI did not write is refused.
 */
import { basename, dirname } from 'node:path';
import { StreamPulseError } from '@streampulse/contracts';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { generateInput } from '../generate/input.js';
import { ODCS_API_VERSION } from '../generate/odcs.js';
import { target } from '../generate/targets.js';
import { writeGenerated } from '../generate/writer.js';
import { count } from '../output.js';

export const EXPORT_FORMATS = ['odcs'] as const;

interface ExportOptions {
  format: string;
  out: string;
  dir?: string;
  stack: string;
  json?: boolean;
}

/** Registers `export` under the `contracts` group. */
export function registerContractsExport(group: Command, ctx: CliContext): void {
  group
    .command('export')
    .description(`write the contracts as Open Data Contract Standard (ODCS ${ODCS_API_VERSION}) documents: one per dataset, gold model and mart`)
    .requiredOption('--format <format>', `document format: ${EXPORT_FORMATS.join(', ')}`)
    .requiredOption('-o, --out <dir>', 'output folder (created; replaced only when an earlier export or `generate --target odcs` wrote it)')
    .option('-d, --dir <dir>', 'contract folder (default: <workspace root>/contracts/streampulse)')
    .option('--stack <stack>', "the stack whose lake account and SQL server the documents' servers name (dev | prod)", 'dev')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `
Writes <dir>/datasets/<dataset>.odcs.yaml (the silver Delta table), <dir>/models/<model>.odcs.yaml
(the gold Delta table) and <dir>/marts/<mart>.odcs.yaml (the served view in Azure SQL), with the
quality rules, SLA, PII classification, owner and servers. Check them with \`datacontract lint\`.

Examples:
  $ streampulse contracts export --format odcs --out build/odcs
  $ streampulse contracts export --format odcs --out build/odcs --stack prod --json`,
    )
    .action((opts: ExportOptions) => {
      ctx.jsonMode = opts.json === true;
      if (!(EXPORT_FORMATS as readonly string[]).includes(opts.format))
        throw new StreamPulseError('EXPORT_UNKNOWN_FORMAT', `unknown export format '${opts.format}'`, {
          remedy: `pass --format ${EXPORT_FORMATS.join(' | ')}`,
        });
      const out = ctx.resolvePath(opts.out);
      const folder = basename(out);
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(folder))
        throw new StreamPulseError('EXPORT_BAD_OUT', `--out ${opts.out}: the folder name '${folder}' must be letters, digits, '_', '.' or '-'`, {
          remedy: 'pass --out a folder whose last path segment is a plain name, e.g. build/odcs',
        });
      const input = generateInput(ctx.workspaceRoot(), ctx.loadValid(ctx.contractsDir(opts.dir)), { stack: opts.stack });
      const odcs = target('odcs');
      const files = odcs.files(input);
      const [written] = writeGenerated(dirname(out), [{ target: odcs.name, folder, files }]);
      const paths = written?.files ?? [];
      if (ctx.jsonMode) {
        ctx.printJson({ ok: true, format: opts.format, apiVersion: ODCS_API_VERSION, out, files: paths });
        return;
      }
      ctx.print(`wrote ${count(paths.length, 'file')} to ${ctx.display(out)}: ${odcs.summary(input, files)}`);
    });
}
