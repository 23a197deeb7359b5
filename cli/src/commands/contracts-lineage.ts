/**
 * `streampulse contracts lineage [node-id] [--format text|mermaid|dot|json] [--json]`:
 * one node's lineage report (text, or `--json`), or the lineage graph — whole, or one
 * node with everything upstream and downstream of it — as Mermaid, DOT or JSON.
 */
import { buildLineage } from '@streampulse/contracts';
import { type Command, InvalidArgumentError } from 'commander';
import type { CliContext } from '../context.js';
import { lineageReport, renderLineage, resolveNode } from '../render/lineage.js';
import { LINEAGE_FORMATS, type LineageFormat, lineageDot, lineageJson, lineageMermaid, lineageText, lineageView } from '../render/lineage-graph.js';

interface LineageOptions {
  dir?: string;
  json?: boolean;
  format?: LineageFormat;
}

function formatOption(v: string): LineageFormat {
  if (!(LINEAGE_FORMATS as readonly string[]).includes(v)) throw new InvalidArgumentError(`--format must be one of ${LINEAGE_FORMATS.join(', ')}, got "${v}"`);
  return v as LineageFormat;
}

/** Adds `lineage` to the `contracts` group. */
export function registerLineage(group: Command, ctx: CliContext, dirHelp: string): void {
  group
    .command('lineage')
    .description(
      'column-level lineage: one node (its direct inputs and consumers, everything upstream and downstream, the cards it feeds), or the graph as Mermaid, DOT or JSON',
    )
    .argument(
      '[node-id]',
      'a node as <layer>:<table>.<column> (layer: source, silver, gold, mart) or card:<dashboard>.<card_id>; a bare <table>.<column> works when only one layer has it; none: the whole graph',
    )
    .option('-d, --dir <dir>', dirHelp)
    .option('--format <format>', `output: ${LINEAGE_FORMATS.join(' | ')} (mermaid, dot and json draw the node's upstream and downstream graph)`, formatOption)
    .option('--json', 'with a node: its lineage report as JSON only; without: the graph as JSON (same as --format json)')
    .addHelpText(
      'after',
      `
Exit codes: 0 success, 1 unknown or ambiguous node (or invalid contracts), 2 usage error.

Examples:
  $ streampulse contracts lineage source:<dataset>.<column>        # where a raw column ends up
  $ streampulse contracts lineage mart:<mart>.<measure>             # what a number is made of
  $ streampulse contracts lineage card:<dashboard>.<card_id> --json # everything behind a card
  $ streampulse contracts lineage --format mermaid > lineage.mmd    # the whole graph, for Markdown
  $ streampulse contracts lineage mart:<mart>.<measure> --format dot | dot -Tsvg > m.svg`,
    )
    .action((given: string | undefined, opts: LineageOptions, cmd: Command) => {
      if (opts.json === true && opts.format !== undefined && opts.format !== 'json')
        cmd.error(`error: --json and --format ${opts.format} ask for different outputs; give one of them`, {
          exitCode: 2,
          code: 'streampulse.conflictingOptions',
        });
      const format: LineageFormat = opts.format ?? (opts.json === true && given === undefined ? 'json' : 'text');
      ctx.jsonMode = format === 'json' || opts.json === true;
      const graph = buildLineage(ctx.loadValid(ctx.contractsDir(opts.dir)));
      const node = given === undefined ? undefined : resolveNode(graph, given);
      if (format === 'text' && node) {
        const report = lineageReport(graph, node);
        if (opts.json === true) ctx.printJson({ ok: true, ...report });
        else ctx.print(...renderLineage(report, ctx.style));
        return;
      }
      const view = lineageView(graph, node?.id);
      if (format === 'json') ctx.printJson({ ok: true, ...lineageJson(view) });
      else if (format === 'mermaid') ctx.print(lineageMermaid(view).trimEnd());
      else if (format === 'dot') ctx.print(lineageDot(view).trimEnd());
      else ctx.print(...lineageText(view));
    });
}
