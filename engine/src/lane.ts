/**
 * A side lane: a second DuckDB connection that runs work off the runner's critical
 * path, one task at a time, so the machine's second core is used while the main
 * connection runs the batch's jobs. Daily files are small (one row group), so each
 * statement runs on one thread; two connections are how two statements run at once.
 *
 * Two queues: `write` tasks (committing a finished bronze partition) run before any
 * `prefetch` task (parsing the next batch's landing files); a prefetch task that has not
 * started can be taken back, so the main connection never waits behind work it can do
 * itself. A task's failure is kept and thrown where the task is awaited.
 */
import type { Duck } from './duck.js';

export type LanePriority = 'write' | 'prefetch';

export interface LaneTask<T> {
  /** Settles when the task ran (or was cancelled: then `undefined`). Never rejects unobserved. */
  readonly promise: Promise<T | undefined>;
  /** Takes the task back if it has not started; true when it will not run. */
  cancel(): boolean;
  /** Whether the task has started (or finished). */
  started(): boolean;
}

interface Queued {
  run: () => Promise<void>;
  cancelled: () => void;
  started: boolean;
}

export class SideLane {
  private readonly queues: Record<LanePriority, Queued[]> = { write: [], prefetch: [] };
  private busy = false;
  private idleWaiters: (() => void)[] = [];

  constructor(readonly duck: Duck) {}

  enqueue<T>(priority: LanePriority, fn: (duck: Duck) => Promise<T>): LaneTask<T> {
    let resolveP!: (v: T | undefined) => void;
    let rejectP!: (e: unknown) => void;
    const promise = new Promise<T | undefined>((res, rej) => {
      resolveP = res;
      rejectP = rej;
    });
    // a failure is observed where the task is awaited; never an unhandled rejection meanwhile
    promise.catch(() => undefined);
    const q: Queued = {
      started: false,
      run: async () => {
        try {
          resolveP(await fn(this.duck));
        } catch (e) {
          rejectP(e);
        }
      },
      cancelled: () => resolveP(undefined),
    };
    this.queues[priority].push(q);
    this.pump();
    return {
      promise,
      started: () => q.started,
      cancel: () => {
        if (q.started) return false;
        const list = this.queues[priority];
        const at = list.indexOf(q);
        if (at >= 0) list.splice(at, 1);
        q.cancelled();
        return true;
      },
    };
  }

  /** Drops every task not yet started and waits for the running one. */
  async drain(): Promise<void> {
    for (const list of Object.values(this.queues)) for (const q of list.splice(0)) q.cancelled();
    if (this.busy) await new Promise<void>((res) => this.idleWaiters.push(res));
  }

  private pump(): void {
    if (this.busy) return;
    const next = this.queues.write.shift() ?? this.queues.prefetch.shift();
    if (next === undefined) {
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    this.busy = true;
    next.started = true;
    void next.run().finally(() => {
      this.busy = false;
      this.pump();
    });
  }
}
