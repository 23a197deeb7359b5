/**
 * The batch reports of the local runner: what each batch wrote per dataset (rows in,
 * promoted, quarantined by reason, duplicates by kind, rules, freshness) and per gold
 * table, the conservation check's inputs, and the newest promoted event carried forward
 * from the earlier reports. Extracted from the runner unchanged.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StreamPulseError } from '@streampulse/contracts';
import { ageHours, type JobPlan } from '@streampulse/jobs';
import type { BronzeResult } from './bronze.js';
import type { Lake } from './lake.js';
import type { SilverResult } from './silver.js';

export interface DatasetBatchReport {
  readonly dataset: string;
  readonly batch: string;
  readonly rows_in: number;
  /**
   * True when the batch had no landing file of the dataset (a source that sent nothing that
   * day, or a hand-made landing folder without it): rows_in is 0 (conserved: 0 = 0 + 0 + 0),
   * the notes say "no landing file", and the contract's freshness rules decide.
   */
  readonly no_data: boolean;
  readonly promoted: number;
  readonly quarantined: number;
  readonly duplicates_dropped: number;
  /** rows_in = promoted + quarantined + duplicates_dropped, checked on every batch. */
  readonly conserved: boolean;
  readonly quarantined_by_reason: Readonly<Record<string, number>>;
  readonly warned: number;
  readonly warned_by_reason: Readonly<Record<string, number>>;
  readonly duplicates: {
    readonly in_batch: number;
    readonly of_earlier_batches: number;
    readonly superseded_versions: number;
    readonly relanded_file_rows: number;
  };
  readonly rescued_rows: number;
  readonly blank_lines: number;
  readonly rules: readonly {
    id: string;
    rule: string;
    action: string;
    evaluated: number;
    failed: number;
    pass_rate: number;
    max_age_hours?: number;
    age_hours?: number | null;
  }[];
  /**
   * The dataset's freshness at the end of the batch's day against the contract's SLA:
   * `newest_event_time` is the newest event promoted through this batch (this batch's or
   * an earlier one's), `batch_newest_event_time` the newest of this batch's rows.
   */
  readonly freshness: {
    readonly newest_event_time: string | null;
    readonly batch_newest_event_time: string | null;
    readonly age_hours: number | null;
    readonly sla_hours: number;
    readonly within_sla: boolean;
  };
  readonly files: BronzeResult['files'];
  readonly notes: readonly string[];
}

export interface TableReport {
  readonly table: string;
  readonly layer: 'gold' | 'mart';
  readonly rows: number;
}

export interface BatchReport {
  readonly batch: string;
  readonly datasets: readonly DatasetBatchReport[];
  /** The gold models and marts built in this batch (none when its gold was left to a later batch of the same run). */
  readonly tables: readonly TableReport[];
  /** False when the batch ran bronze and silver only (`runBatch(date, { gold: false })`): a later batch built gold. */
  readonly gold_built: boolean;
  /**
   * A re-run of an earlier batch builds gold as of the newest batch the lake processed
   * (never as of itself): that batch, when it is not this one.
   */
  readonly gold_as_of?: string;
  /** The later batches a re-run of this batch replayed (bronze and silver) because it changed what they read. */
  readonly replayed?: readonly string[];
}

export type ProgressEvent =
  | { kind: 'job-start'; batch: string; job: string; index: number; total: number }
  | { kind: 'job-done'; batch: string; job: string; index: number; total: number; detail: string };

export function datasetReport(plan: JobPlan, name: string, batch: string, b: BronzeResult, s: SilverResult | undefined): DatasetBatchReport {
  const dup = {
    in_batch: s?.duplicatesInBatch ?? 0,
    of_earlier_batches: s?.duplicatesOfEarlierBatches ?? 0,
    superseded_versions: s?.superseded ?? 0,
    relanded_file_rows: b.duplicateFileRows,
  };
  const duplicates = dup.in_batch + dup.of_earlier_batches + dup.superseded_versions + dup.relanded_file_rows;
  const promoted = s?.promoted ?? 0;
  const quarantined = b.quarantined + b.dropped;
  const quality = plan.jobs.find((j) => j.id === `bronze.${name}`)?.steps.find((s) => s.op === 'quality');
  const sla = quality?.op === 'quality' ? quality.freshness_sla_hours : 24;
  const newest = b.newestPromotedEventTime;
  const age = ageHours(batch, newest);
  return {
    dataset: name,
    batch,
    rows_in: b.rowsIn,
    no_data: b.files.length === 0,
    promoted,
    quarantined,
    duplicates_dropped: duplicates,
    conserved: b.rowsIn === promoted + quarantined + duplicates,
    quarantined_by_reason: b.quarantinedByReason,
    warned: b.warned,
    warned_by_reason: b.warnedByReason,
    duplicates: dup,
    rescued_rows: b.rescuedRows,
    blank_lines: b.blankLines,
    rules: b.rules.map((r) => ({ ...r, pass_rate: r.evaluated === 0 ? 1 : Math.round(((r.evaluated - r.failed) / r.evaluated) * 10000) / 10000 })),
    freshness: {
      newest_event_time: newest,
      batch_newest_event_time: b.newestEventTime,
      age_hours: age,
      sla_hours: sla,
      within_sla: age !== null && age <= sla,
    },
    files: b.files,
    notes: b.notes,
  };
}

/**
 * Per dataset, the newest event time promoted before `batch`: what the latest earlier
 * batch report that has the dataset recorded (each report carries it forward). Reports
 * are read newest first, until every dataset of the plan is found.
 */
export function newestPromotedBefore(plan: JobPlan, lake: Lake, batch: string): Map<string, string | null> {
  const found = new Map<string, string | null>();
  const dir = lake.path('reports', 'batches');
  if (!existsSync(dir)) return found;
  const wanted = new Set(plan.jobs.filter((j) => j.layer === 'bronze').map((j) => j.name));
  const earlier = readdirSync(dir)
    .filter((f) => /^\d{4}-\d{2}-\d{2}\.json$/.test(f) && f.slice(0, -5) < batch)
    .sort()
    .reverse();
  for (const f of earlier) {
    if (found.size === wanted.size) break;
    let report: Partial<BatchReport>;
    try {
      report = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Partial<BatchReport>;
    } catch (e) {
      throw new StreamPulseError('REPORT_UNREADABLE', `${join(dir, f)} is not a batch report (${(e as Error).message})`, {
        cause: e,
        remedy: `run batch ${f.slice(0, -5)} again to rewrite its report, or move the file away`,
      });
    }
    for (const d of report.datasets ?? []) if (wanted.has(d.dataset) && !found.has(d.dataset)) found.set(d.dataset, d.freshness.newest_event_time);
  }
  return found;
}
