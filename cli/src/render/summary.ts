/**
 * The summary of a valid contract set (one entry per dataset, model, mart, the
 * metrics file, each dashboard and each card) and the report of an invalid one
 * (every issue, grouped by file). Shared by `contracts validate` and `demo`.
 */
import { formatIssue, type ContractIssue, type ContractSet, type LoadResult } from '@streampulse/contracts';
import { count, indent, table, type Style } from '../output.js';

/** One line of the summary; `details` is kind-specific and also goes into --json. */
export type SummaryEntry =
  | {
      kind: 'dataset';
      name: string;
      file: string;
      details: { columns: number; quality_rules: number; pii_columns: string[]; format: string; schedule: string };
    }
  | { kind: 'model'; name: string; file: string; details: { type: string; columns: number; grain: string } }
  | { kind: 'mart'; name: string; file: string; details: { grain: string[]; dimensions: string[]; measures: string[] } }
  | { kind: 'metrics'; name: string; file: string; details: { metrics: string[]; parameters: string[] } }
  | { kind: 'dashboard'; name: string; file: string; details: { title: string; cards: string[] } }
  | {
      kind: 'card';
      name: string;
      file: string;
      details: { dashboard: string; title: string; mart: string; visualization: string; measures: string[]; dimensions: string[] };
    };

export interface SummaryCounts {
  datasets: number;
  models: number;
  marts: number;
  metrics: number;
  dashboards: number;
  cards: number;
}

/** Entries in reading order: datasets, models (dependency order), marts, metrics, dashboards each followed by its cards. */
export function summarize(set: ContractSet, display: (file: string) => string): SummaryEntry[] {
  const out: SummaryEntry[] = [];
  for (const d of set.datasets)
    out.push({
      kind: 'dataset',
      name: d.dataset,
      file: display(d.file),
      details: {
        columns: d.columns.length,
        quality_rules: d.quality.length,
        pii_columns: d.columns.filter((c) => c.pii !== undefined).map((c) => c.name),
        format: d.source.format,
        schedule: d.source.schedule,
      },
    });
  for (const m of set.models)
    out.push({ kind: 'model', name: m.model, file: display(m.file), details: { type: m.type, columns: m.columns.length, grain: m.grain } });
  for (const m of set.marts)
    out.push({
      kind: 'mart',
      name: m.mart,
      file: display(m.file),
      details: { grain: [...m.grain], dimensions: m.dimensions.map((x) => x.name), measures: m.measures.map((x) => x.name) },
    });
  out.push({
    kind: 'metrics',
    name: 'metrics',
    file: display(set.metrics.file),
    details: { metrics: set.metrics.metrics.map((m) => m.name), parameters: Object.keys(set.metrics.parameters).sort() },
  });
  for (const d of set.dashboards) {
    out.push({ kind: 'dashboard', name: d.dashboard, file: display(d.file), details: { title: d.title, cards: d.cards.map((c) => c.id) } });
    for (const c of d.cards)
      out.push({
        kind: 'card',
        name: c.id,
        file: display(d.file),
        details: {
          dashboard: d.dashboard,
          title: c.title,
          mart: c.mart,
          visualization: c.visualization,
          measures: [...c.query.measures],
          dimensions: [...c.query.dimensions],
        },
      });
  }
  return out;
}

export function countsOf(set: ContractSet): SummaryCounts {
  return {
    datasets: set.datasets.length,
    models: set.models.length,
    marts: set.marts.length,
    metrics: set.metrics.metrics.length,
    dashboards: set.dashboards.length,
    cards: set.dashboards.reduce((n, d) => n + d.cards.length, 0),
  };
}

function detailText(e: SummaryEntry): string {
  switch (e.kind) {
    case 'dataset': {
      const pii = e.details.pii_columns.length === 0 ? 'no PII' : `PII: ${e.details.pii_columns.join(', ')}`;
      return `${count(e.details.columns, 'column')}, ${count(e.details.quality_rules, 'quality rule')}, ${pii} (${e.details.format}, ${e.details.schedule})`;
    }
    case 'model':
      return `${e.details.type}, ${count(e.details.columns, 'column')} — ${e.details.grain}`;
    case 'mart':
      return `grain: ${e.details.grain.join(', ')}; measures: ${e.details.measures.join(', ')}`;
    case 'metrics':
      return `${count(e.details.metrics.length, 'metric')}, ${count(e.details.parameters.length, 'parameter')}`;
    case 'dashboard':
      return `"${e.details.title}", ${count(e.details.cards.length, 'card')}`;
    case 'card': {
      const by = e.details.dimensions.length === 0 ? '' : ` by ${e.details.dimensions.join(', ')}`;
      return `${e.details.visualization} of ${e.details.measures.join(', ')}${by} from ${e.details.mart}`;
    }
  }
}

/** The summary table, one row per entry (cards indented under their dashboard). */
export function renderSummaryTable(entries: readonly SummaryEntry[], style: Style): string[] {
  const rows = entries.map((e) => [e.kind, e.kind === 'card' ? `  ${e.name}` : e.name, e.file, detailText(e)]);
  return table(['KIND', 'NAME', 'FILE', 'DETAILS'], rows, style);
}

/** `✓ 9 datasets, 14 models, 7 marts, 1 dashboard (10 cards) valid` */
export function renderOkLine(c: SummaryCounts, style: Style): string {
  const text = `${count(c.datasets, 'dataset')}, ${count(c.models, 'model')}, ${count(c.marts, 'mart')}, ${count(c.dashboards, 'dashboard')} (${count(c.cards, 'card')}) valid`;
  return `${style.green('✓')} ${text}`;
}

/** Issues grouped by file (files in path order, issues by line), then a count line. */
export function renderIssues(result: LoadResult, style: Style): string[] {
  const byFile = groupByFile(result.issues);
  const lines: string[] = [];
  for (const [file, issues] of byFile) {
    lines.push(`${style.red('✗')} ${style.bold(file)} ${style.dim(`(${count(issues.length, 'problem')})`)}`);
    for (const issue of issues) lines.push(indent(formatIssue(issue), '  '));
    lines.push('');
  }
  lines.push(style.red(countLine(result)));
  return lines;
}

export function countLine(result: LoadResult): string {
  const files = [...groupByFile(result.issues).keys()].filter((f) => result.files.some((x) => x.file === f)).length;
  const total = result.files.length;
  const elsewhere = result.issues.filter((i) => !result.files.some((x) => x.file === i.file)).length;
  const problems = count(result.issues.length, 'problem');
  if (total === 0) return `✗ ${problems}`;
  return `✗ ${problems} in ${files} of ${count(total, 'contract file')}${elsewhere > 0 ? ` (and ${count(elsewhere, 'problem')} with the folder itself)` : ''}`;
}

export function groupByFile(issues: readonly ContractIssue[]): Map<string, ContractIssue[]> {
  const map = new Map<string, ContractIssue[]>();
  for (const i of issues) (map.get(i.file) ?? map.set(i.file, []).get(i.file)!).push(i);
  return new Map([...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
