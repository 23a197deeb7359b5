/**
 * Re-running an earlier batch (issue 19). Silver is one partition per batch, and a
 * later batch builds on the earlier ones: its silver job drops records an earlier
 * partition already holds (re-sent), its referential checks read the parents' state
 * merged from every earlier partition, its re-landed files are found through the
 * landing ledger, and its freshness rules start from the newest event the earlier
 * report recorded. So a re-run of batch D < N (the newest batch the lake processed)
 * whose outputs changed makes D+1 … N stale, and gold built "as of D" would move the
 * served marts back in time.
 *
 * What the runner does instead:
 *   - before D's first job, `_state/rerun.json` records that D is being re-run, the
 *     newest batch, and D's fingerprint as it was (per dataset: the silver partition's
 *     SHA-256, the landing files and their ledger verdicts, the newest promoted event:
 *     everything a later batch reads of D);
 *   - when D's bronze and silver are done (before gold, or at its report), D's new
 *     fingerprint is compared with the recorded one: when it differs, every later
 *     batch is replayed in order (bronze and silver from its landing files, its report
 *     rewritten), exactly what running them again after the repaired D gives;
 *   - gold and the marts are built as of N, never as of D; then the marker goes.
 * A run interrupted anywhere leaves the marker: running D again compares against the
 * fingerprint recorded before the first attempt, and running any other batch first
 * replays the batches the interrupted re-run may have left stale.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { StreamPulseError } from '@streampulse/contracts';
import type { JobPlan } from '@streampulse/jobs';
import type { BronzeResult } from './bronze.js';
import { type Lake, writeFileAtomic } from './lake.js';
import type { BatchReport } from './reports.js';

/** What later batches read of one batch, per dataset (`rerun.ts`). */
export type BatchFingerprint = Readonly<Record<string, { readonly silver: string | null; readonly files: string; readonly newest: string | null }>>;

/** `_state/rerun.json`: a re-run of `from` over a lake processed through `through` has not finished. */
export interface RerunMarker {
  readonly from: string;
  readonly through: string;
  /** `from`'s fingerprint before its re-run; null: unknown, so the later batches are replayed whatever the re-run gives. */
  readonly before: BatchFingerprint | null;
}

const markerFile = (lake: Lake): string => lake.path('_state', 'rerun.json');

export function readMarker(lake: Lake): RerunMarker | undefined {
  const f = markerFile(lake);
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as RerunMarker;
  } catch (e) {
    throw new StreamPulseError('RERUN_MARKER_UNREADABLE', `${f} is not a re-run record (${(e as Error).message})`, {
      cause: e,
      remedy: 'delete the file and run the earliest batch you re-ran again (`streampulse run --date …`): its later batches are then replayed',
    });
  }
}

export function writeMarker(lake: Lake, m: RerunMarker): void {
  writeFileAtomic(markerFile(lake), `${JSON.stringify(m, null, 1)}\n`);
}

export function clearMarker(lake: Lake): void {
  rmSync(markerFile(lake), { force: true });
}

/** The batches the lake has a report of (a processed batch), in date order. */
export function reportedBatches(lake: Lake): string[] {
  const dir = lake.path('reports', 'batches');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^\d{4}-\d{2}-\d{2}\.json$/.test(f))
    .map((f) => f.slice(0, -5))
    .sort();
}

function readReport(lake: Lake, batch: string): BatchReport | undefined {
  const f = lake.path('reports', 'batches', `${batch}.json`);
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as BatchReport;
  } catch {
    return undefined;
  }
}

const sha256 = (file: string): string | null => (existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : null);
const filesKey = (files: BronzeResult['files']): string =>
  JSON.stringify(files.map((f) => [f.file, f.sha256, f.duplicateOf ?? '']).sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0)));

/**
 * A batch's fingerprint: the silver partitions on disk, and per dataset the landing files
 * and newest promoted event of `ran` (the bronze results of the batch's jobs just run)
 * or else of the batch's report on disk. Null when the batch has no report and nothing ran.
 */
export function fingerprint(plan: JobPlan, lake: Lake, batch: string, ran?: ReadonlyMap<string, BronzeResult>): BatchFingerprint | null {
  const report = readReport(lake, batch);
  if (report === undefined && (ran === undefined || ran.size === 0)) return null;
  const out: Record<string, BatchFingerprint[string]> = {};
  for (const job of plan.jobs) {
    if (job.layer !== 'bronze') continue;
    const b = ran?.get(job.id);
    const r = report?.datasets.find((d) => d.dataset === job.name);
    out[job.name] = {
      silver: sha256(lake.partitionFile('silver', job.name, batch)),
      files: b !== undefined ? filesKey(b.files) : r !== undefined ? filesKey(r.files) : '',
      newest: b !== undefined ? b.newestPromotedEventTime : (r?.freshness.newest_event_time ?? null),
    };
  }
  return out;
}

export function sameFingerprint(a: BatchFingerprint | null, b: BatchFingerprint | null): boolean {
  if (a === null || b === null) return false;
  const keys = Object.keys(a).sort();
  if (keys.join() !== Object.keys(b).sort().join()) return false;
  return keys.every((k) => a[k]!.silver === b[k]!.silver && a[k]!.files === b[k]!.files && a[k]!.newest === b[k]!.newest);
}
