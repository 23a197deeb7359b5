/**
 * Publishing a run: the SQLite serving database, one CSV extract per mart
 * (Metabase-ready), `reports/quality.json` and the readable `reports/quality.md`.
 */
import type { ContractSet } from '@streampulse/contracts';
import { writeSqliteServing, type MartRows, type QualityRow } from '@streampulse/serving';
import { sqlStr, type Duck } from './duck.js';
import { commit, tempFor, writeFileAtomic, type Lake } from './lake.js';
import type { BatchReport, DatasetBatchReport } from './runner.js';

export interface PublishResult {
  readonly sqlite: string;
  readonly extracts: readonly string[];
  readonly qualityJson: string;
  readonly qualityMarkdown: string;
  readonly martRows: Readonly<Record<string, number>>;
}

export async function publish(duck: Duck, lake: Lake, set: ContractSet, reports: readonly BatchReport[]): Promise<PublishResult> {
  const sorted = [...reports].sort((a, b) => (a.batch < b.batch ? -1 : 1));
  const last = sorted[sorted.length - 1]?.batch ?? 'none';
  const marts = new Map<string, MartRows>();
  const extracts: string[] = [];
  const martRows: Record<string, number> = {};
  for (const m of set.marts) {
    const file = lake.tableFile('gold', m.mart);
    const r = await duck.con.runAndReadAll(`SELECT * FROM read_parquet(${sqlStr(file)}) ORDER BY ALL`);
    marts.set(m.mart, { columns: r.columnNames(), rows: r.getRowsJson() as unknown[][] });
    martRows[m.mart] = r.currentRowCount;
    const csv = lake.path('serving', 'extracts', `${m.mart}.csv`);
    await copyCsvAtomic(duck, `SELECT * FROM read_parquet(${sqlStr(file)}) ORDER BY ALL`, csv);
    extracts.push(csv);
  }
  const quality: QualityRow[] = sorted.flatMap((b) =>
    b.datasets.map((d) => ({
      batch: b.batch,
      dataset: d.dataset,
      rows_in: d.rows_in,
      promoted: d.promoted,
      quarantined: d.quarantined,
      duplicates_dropped: d.duplicates_dropped,
      warned: d.warned,
      within_sla: d.freshness.within_sla,
    })),
  );
  const sqlite = lake.path('serving', 'streampulse.sqlite');
  writeSqliteServing(sqlite, set, marts, quality, last);
  const qualityJson = lake.path('reports', 'quality.json');
  writeFileAtomic(qualityJson, `${JSON.stringify({ batches: sorted }, null, 2)}\n`);
  const qualityMarkdown = lake.path('reports', 'quality.md');
  writeFileAtomic(qualityMarkdown, qualitySummary(sorted));
  return { sqlite, extracts, qualityJson, qualityMarkdown, martRows };
}

async function copyCsvAtomic(duck: Duck, query: string, final: string): Promise<void> {
  const tmp = tempFor(final);
  await duck.run(`COPY (${query}) TO ${sqlStr(tmp)} (FORMAT csv, HEADER true)`, `write ${final}`);
  commit(tmp, final);
}

/** A readable summary: per dataset totals, quarantine reasons, rule pass rates, freshness. */
export function qualitySummary(reports: readonly BatchReport[]): string {
  const byDs = new Map<string, DatasetBatchReport[]>();
  for (const b of reports) for (const d of b.datasets) (byDs.get(d.dataset) ?? byDs.set(d.dataset, []).get(d.dataset)!).push(d);
  const first = reports[0]?.batch ?? '-';
  const lastB = reports[reports.length - 1]?.batch ?? '-';
  const lines = [
    `# StreamPulse quality report`,
    ``,
    `Batches ${first} … ${lastB} (${reports.length}). Every batch conserves rows: rows in = promoted + quarantined + duplicates dropped.`,
    ``,
    `| dataset | rows in | promoted | quarantined | duplicates | warned | rescued | conserved | batches outside SLA |`,
    `|---|---:|---:|---:|---:|---:|---:|:---:|---:|`,
  ];
  const sum = (xs: DatasetBatchReport[], f: (d: DatasetBatchReport) => number): number => xs.reduce((a, d) => a + f(d), 0);
  for (const [ds, xs] of [...byDs.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    lines.push(
      `| ${ds} | ${sum(xs, (d) => d.rows_in)} | ${sum(xs, (d) => d.promoted)} | ${sum(xs, (d) => d.quarantined)} | ${sum(xs, (d) => d.duplicates_dropped)} | ${sum(xs, (d) => d.warned)} | ${sum(xs, (d) => d.rescued_rows)} | ${xs.every((d) => d.conserved) ? 'yes' : '**NO**'} | ${xs.filter((d) => !d.freshness.within_sla).length} |`,
    );
  }
  lines.push('', '## Quarantine reasons', '', '| dataset | reason | rows |', '|---|---|---:|');
  for (const [ds, xs] of [...byDs.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const reasons = new Map<string, number>();
    for (const d of xs) for (const [r, n] of Object.entries(d.quarantined_by_reason)) reasons.set(r, (reasons.get(r) ?? 0) + n);
    for (const [r, n] of [...reasons.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) lines.push(`| ${ds} | ${r} | ${n} |`);
  }
  if (lines[lines.length - 1] === '|---|---|---:|') lines.push('| (none) | no row was quarantined | 0 |');
  lines.push('', '## Rules (all batches)', '', '| dataset | rule | action | evaluated | failed | pass rate |', '|---|---|---|---:|---:|---:|');
  for (const [ds, xs] of [...byDs.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const agg = new Map<string, { action: string; evaluated: number; failed: number }>();
    for (const d of xs)
      for (const r of d.rules) {
        const a = agg.get(r.id) ?? { action: r.action, evaluated: 0, failed: 0 };
        agg.set(r.id, { action: a.action, evaluated: a.evaluated + r.evaluated, failed: a.failed + r.failed });
      }
    for (const [id, a] of agg)
      lines.push(
        `| ${ds} | ${id} | ${a.action} | ${a.evaluated} | ${a.failed} | ${a.evaluated === 0 ? '-' : `${(((a.evaluated - a.failed) / a.evaluated) * 100).toFixed(2)}%`} |`,
      );
  }
  lines.push('', '## Notes', '');
  for (const b of reports) for (const d of b.datasets) for (const n of d.notes) lines.push(`- ${b.batch} ${d.dataset}: ${n}`);
  return `${lines.join('\n')}\n`;
}
