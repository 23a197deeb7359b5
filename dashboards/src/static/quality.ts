/**
 * The data-quality panel's input: one line per batch and dataset, from the run's quality
 * report (`reports/quality.json`: with quarantine reasons and freshness) or, without it,
 * from the serving database's `quality_batches` table. And the summary the panel shows.
 *
 * Pure: parsed JSON or table rows in.
 */
import { StreamPulseError } from '@streampulse/contracts';

export interface QualityFreshness {
  readonly newest_event_time: string | null;
  readonly age_hours: number | null;
  readonly sla_hours: number | null;
}

export interface QualityLine {
  readonly batch: string;
  readonly dataset: string;
  readonly rows_in: number;
  readonly promoted: number;
  readonly quarantined: number;
  readonly duplicates_dropped: number;
  readonly within_sla: boolean;
  /** Only in the quality report. */
  readonly quarantined_by_reason?: Readonly<Record<string, number>>;
  readonly freshness?: QualityFreshness;
}

export interface QualityData {
  /** Where the lines come from, shown on the page: e.g. `quality report`, `serving database`. */
  readonly source: string;
  readonly lines: readonly QualityLine[];
}

export interface DatasetQuality {
  readonly dataset: string;
  readonly batches: number;
  readonly rows_in: number;
  readonly promoted: number;
  readonly quarantined: number;
  readonly duplicates_dropped: number;
  /** Batches whose newest promoted event was older than the dataset's freshness SLA. */
  readonly batches_outside_sla: number;
  /** The newest batch's line. */
  readonly latest: QualityLine;
}

export interface QualitySummary {
  readonly batches: readonly string[];
  readonly datasets: readonly DatasetQuality[];
  /** Quarantined rows by dataset and reason (empty without the quality report's reasons). */
  readonly reasons: readonly { readonly dataset: string; readonly reason: string; readonly rows: number }[];
  readonly hasReasons: boolean;
  readonly totals: { readonly rows_in: number; readonly promoted: number; readonly quarantined: number; readonly duplicates_dropped: number };
}

const invalid = (what: string): StreamPulseError =>
  new StreamPulseError('DASHBOARD_QUALITY_INVALID', `the quality report is not what a run writes: ${what}`, {
    remedy: 'pass the reports/quality.json of a lake (written by `streampulse demo` / `run`), or leave --quality out to read the serving database',
  });

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`${what} is not a number`);
  return v;
};
const optNum = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The quality report JSON (`{ batches: [{ batch, datasets: [...] }] }`) as panel lines. */
export function qualityFromReport(json: unknown): QualityData {
  if (!isObj(json) || !Array.isArray(json['batches'])) throw invalid('no "batches" list');
  const lines: QualityLine[] = [];
  for (const b of json['batches'] as unknown[]) {
    if (!isObj(b) || typeof b['batch'] !== 'string' || !Array.isArray(b['datasets'])) throw invalid('a batch without "batch" and "datasets"');
    for (const d of b['datasets'] as unknown[]) {
      if (!isObj(d) || typeof d['dataset'] !== 'string') throw invalid(`batch ${b['batch']}: a dataset entry without "dataset"`);
      const at = `${b['batch']} ${d['dataset']}`;
      const f = isObj(d['freshness']) ? d['freshness'] : {};
      const reasons: Record<string, number> = {};
      if (isObj(d['quarantined_by_reason']))
        for (const [k, v] of Object.entries(d['quarantined_by_reason'])) reasons[k] = num(v, `${at} quarantined_by_reason.${k}`);
      lines.push({
        batch: b['batch'],
        dataset: d['dataset'],
        rows_in: num(d['rows_in'], `${at} rows_in`),
        promoted: num(d['promoted'], `${at} promoted`),
        quarantined: num(d['quarantined'], `${at} quarantined`),
        duplicates_dropped: num(d['duplicates_dropped'], `${at} duplicates_dropped`),
        within_sla: f['within_sla'] !== false,
        quarantined_by_reason: reasons,
        freshness: {
          newest_event_time: typeof f['newest_event_time'] === 'string' ? f['newest_event_time'] : null,
          age_hours: optNum(f['age_hours']),
          sla_hours: optNum(f['sla_hours']),
        },
      });
    }
  }
  return { source: 'quality report', lines };
}

/** Rows of the serving database's `quality_batches` table as panel lines (no reasons, no event times). */
export function qualityFromServingRows(rows: readonly Readonly<Record<string, unknown>>[]): QualityData {
  return {
    source: 'serving database',
    lines: rows.map((r) => ({
      batch: String(r['batch']),
      dataset: String(r['dataset']),
      rows_in: Number(r['rows_in']),
      promoted: Number(r['promoted']),
      quarantined: Number(r['quarantined']),
      duplicates_dropped: Number(r['duplicates_dropped']),
      within_sla: Number(r['within_sla']) !== 0,
    })),
  };
}

/** Totals per dataset (sorted by name), quarantine reasons, and the batches covered. */
export function summarizeQuality(q: QualityData): QualitySummary {
  const lines = [...q.lines].sort((a, b) => (a.dataset < b.dataset ? -1 : a.dataset > b.dataset ? 1 : a.batch < b.batch ? -1 : a.batch > b.batch ? 1 : 0));
  const byDataset = new Map<string, QualityLine[]>();
  for (const l of lines) byDataset.set(l.dataset, [...(byDataset.get(l.dataset) ?? []), l]);
  const datasets: DatasetQuality[] = [...byDataset.entries()].map(([dataset, ls]) => ({
    dataset,
    batches: new Set(ls.map((l) => l.batch)).size,
    rows_in: ls.reduce((s, l) => s + l.rows_in, 0),
    promoted: ls.reduce((s, l) => s + l.promoted, 0),
    quarantined: ls.reduce((s, l) => s + l.quarantined, 0),
    duplicates_dropped: ls.reduce((s, l) => s + l.duplicates_dropped, 0),
    batches_outside_sla: ls.filter((l) => !l.within_sla).length,
    latest: ls[ls.length - 1]!,
  }));
  const reasonRows = new Map<string, number>();
  for (const l of lines)
    for (const [reason, n] of Object.entries(l.quarantined_by_reason ?? {}))
      if (n > 0) reasonRows.set(`${l.dataset}\u0000${reason}`, (reasonRows.get(`${l.dataset}\u0000${reason}`) ?? 0) + n);
  const reasons = [...reasonRows.entries()]
    .map(([k, rows]) => {
      const [dataset = '', reason = ''] = k.split('\u0000');
      return { dataset, reason, rows };
    })
    .sort((a, b) => b.rows - a.rows || (a.dataset < b.dataset ? -1 : a.dataset > b.dataset ? 1 : a.reason < b.reason ? -1 : 1));
  return {
    batches: [...new Set(lines.map((l) => l.batch))].sort(),
    datasets,
    reasons,
    hasReasons: lines.some((l) => l.quarantined_by_reason !== undefined),
    totals: {
      rows_in: datasets.reduce((s, d) => s + d.rows_in, 0),
      promoted: datasets.reduce((s, d) => s + d.promoted, 0),
      quarantined: datasets.reduce((s, d) => s + d.quarantined, 0),
      duplicates_dropped: datasets.reduce((s, d) => s + d.duplicates_dropped, 0),
    },
  };
}
