/**
 * Progress bars for long work (generating sources, running batches). On a terminal a
 * bar is redrawn in place on stderr; elsewhere (CI logs, pipes) one line per finished
 * step is written instead, so logs stay readable. Progress never goes to stdout,
 * which stays clean for the summary (and for --json).
 */
import type { Writer } from './context.js';

export interface ProgressSink {
  /** Redraws the current line (terminal) or does nothing (log mode). */
  update(text: string): void;
  /** Ends the current line with a final text. */
  done(text: string): void;
}

export function bar(done: number, total: number, width = 24): string {
  const f = total <= 0 ? width : Math.round((Math.min(done, total) / total) * width);
  return `[${'#'.repeat(f)}${'-'.repeat(width - f)}]`;
}

export function createProgress(write: Writer, interactive: boolean, enabled = true): ProgressSink {
  if (!enabled) return { update: () => undefined, done: () => undefined };
  let last = 0;
  return interactive
    ? {
        update: (text) => {
          const now = Date.now();
          if (now - last < 50) return; // at most 20 redraws a second
          last = now;
          write(`\r\x1b[2K${text}`);
        },
        done: (text) => write(`\r\x1b[2K${text}\n`),
      }
    : { update: () => undefined, done: (text) => write(`${text}\n`) };
}

/** Layer of a job id such as `silver.users` or `mart.analytics_kpi_monthly`. */
export const layerOf = (job: string): string => job.split('.')[0] ?? job;
