/**
 * Stream micro-batches in the lake. A micro-batch is a batch like a day's, with its own
 * batch id: the instant it was cut, `YYYY-MM-DDTHH:MM:SS.mmm` (UTC). Its landing files
 * live in a `_stream/` subfolder of the day's landing folder (a daily batch lists the
 * folder's own files only, so it never reads them again); its partitions are
 * `batch=<id>` beside the daily ones, sorting after its day's daily batch and before
 * the next day's, and its report is `reports/stream/<id>.json`. The bronze, silver and
 * gold code is the daily batch's. A consumer commits a micro-batch by recording it as
 * its last committed batch (with the offsets it consumed) after every file of it was
 * written; what a killed consumer wrote after its last commit is removed here before it
 * starts again (`discardStreamBatchesAfter`).
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StreamPulseError } from '@streampulse/contracts';
import type { JobPlan, JobSpec } from '@streampulse/jobs';
import { type Lake, writeFileAtomic } from './lake.js';

const STREAM_ID = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/;

/** Whether a batch id is a stream micro-batch's (`YYYY-MM-DDTHH:MM:SS.mmm`). */
export const isStreamBatchId = (batch: string): boolean => STREAM_ID.test(batch);

/** The micro-batch id of an instant (UTC, milliseconds). */
export const streamBatchId = (ms: number): string => new Date(ms).toISOString().slice(0, 23);

/** The folder of a dataset's stream landing files of a day: `_stream/` under the day's landing folder (a folder per micro-batch in it). */
export function streamLandingDir(lake: Lake, spec: JobSpec, day: string): string {
  const read = spec.steps.find((s) => s.op === 'read_landing');
  if (read?.op !== 'read_landing')
    throw new StreamPulseError('LOCAL_SPEC_INVALID', `job ${spec.id} has no read_landing step`, { remedy: 'regenerate the job specs' });
  return join(dirname(lake.path('landing', read.path.split('{date}').join(day))), '_stream');
}

/** The stream micro-batches the lake holds a report of, in order. */
export function streamBatches(lake: Lake): string[] {
  const dir = lake.path('reports', 'stream');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && isStreamBatchId(f.slice(0, -5)))
    .map((f) => f.slice(0, -5))
    .sort();
}

/**
 * Removes every trace of the stream micro-batches after `last` (all of them when
 * undefined): their bronze, quarantine and silver partitions, their reports, their
 * landing-ledger entries and their landing files. A consumer calls it on start with its
 * last committed micro-batch: what a killed run wrote after it was never committed, and
 * the records are read again from the committed offsets. Returns the ids removed.
 */
export function discardStreamBatchesAfter(plan: JobPlan, lake: Lake, last: string | undefined): string[] {
  const after = (b: string): boolean => isStreamBatchId(b) && (last === undefined || b > last);
  const removed = new Set<string>();
  for (const job of plan.jobs) {
    if (job.layer !== 'bronze' && job.layer !== 'silver') continue;
    for (const container of job.layer === 'bronze' ? (['bronze', 'quarantine'] as const) : (['silver'] as const)) {
      const dir = lake.path(container, job.name);
      if (!existsSync(dir)) continue;
      for (const d of readdirSync(dir)) {
        if (!d.startsWith('batch=') || !after(d.slice('batch='.length))) continue;
        rmSync(join(dir, d), { recursive: true, force: true });
        removed.add(d.slice('batch='.length));
      }
    }
    if (job.layer !== 'bronze') continue;
    const ledgerFile = lake.path('_state', 'landing-ledger', `${job.name}.json`);
    if (existsSync(ledgerFile)) {
      const ledger = JSON.parse(readFileSync(ledgerFile, 'utf8')) as Record<string, { batch: string; file: string }>;
      const kept = Object.entries(ledger).filter(([, e]) => !after(e.batch));
      if (kept.length !== Object.keys(ledger).length) writeFileAtomic(ledgerFile, JSON.stringify(Object.fromEntries(kept), null, 1));
    }
    // the landing files: a folder per micro-batch under each day's _stream/
    const tmpl = streamLandingDir(lake, job, '{date}');
    const prefix = tmpl.slice(0, tmpl.indexOf('{date}'));
    const suffix = tmpl.slice(tmpl.indexOf('{date}') + '{date}'.length);
    if (!existsSync(prefix)) continue;
    for (const day of readdirSync(prefix)) {
      const dir = `${prefix}${day}${suffix}`;
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || !existsSync(dir)) continue;
      for (const b of readdirSync(dir)) if (after(b)) rmSync(join(dir, b), { recursive: true, force: true });
    }
  }
  for (const b of streamBatches(lake))
    if (after(b)) {
      rmSync(lake.path('reports', 'stream', `${b}.json`), { force: true });
      removed.add(b);
    }
  return [...removed].sort();
}
