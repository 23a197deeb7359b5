/**
 * The local lake: a folder with the same layout as the ADLS Gen2 containers, and the
 * write discipline that keeps a killed run from ever being read as complete: every
 * file is written under a temporary name in its final folder and renamed into place
 * (rename is atomic on one file system); readers only glob final names.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const CONTAINERS = ['landing', 'bronze', 'silver', 'gold', 'quarantine', 'serving', 'reports', '_state'] as const;
export type Container = (typeof CONTAINERS)[number];

export class Lake {
  /** Partitions being written by this process (`<container>/<table>/<batch>`): listed as if committed. */
  private readonly pending = new Set<string>();

  constructor(readonly root: string) {}

  /**
   * Marks a partition as being written (on the runner's side lane): `batches` lists it
   * from now on, so the runner plans with it, while its file may not exist yet. Whoever
   * reads the file awaits the write first; `settled` ends the mark, written or not.
   */
  writing(container: 'bronze' | 'silver' | 'quarantine', table: string, batch: string): void {
    this.pending.add(`${container}/${table}/${batch}`);
  }
  settled(container: 'bronze' | 'silver' | 'quarantine', table: string, batch: string): void {
    this.pending.delete(`${container}/${table}/${batch}`);
  }
  /** Whether a partition is being written (`writing`) and not yet settled. */
  isWriting(container: 'bronze' | 'silver' | 'quarantine', table: string, batch: string): boolean {
    return this.pending.has(`${container}/${table}/${batch}`);
  }

  path(container: Container, ...parts: string[]): string {
    return join(this.root, container, ...parts);
  }

  /** `<container>/<table>/batch=<date>/data.parquet` */
  partitionFile(container: 'bronze' | 'silver' | 'quarantine', table: string, batch: string): string {
    return this.path(container, table, `batch=${batch}`, 'data.parquet');
  }

  /** Glob of every committed partition of a table (temporary files never match). */
  partitionGlob(container: 'bronze' | 'silver' | 'quarantine', table: string): string {
    return this.path(container, table, 'batch=*', 'data.parquet');
  }

  /** Batches (dates) that have a committed partition, or one being written (`writing`), sorted. */
  batches(container: 'bronze' | 'silver' | 'quarantine', table: string): string[] {
    const dir = this.path(container, table);
    const found = new Set<string>();
    if (existsSync(dir))
      for (const d of readdirSync(dir)) if (d.startsWith('batch=') && existsSync(join(dir, d, 'data.parquet'))) found.add(d.slice('batch='.length));
    const prefix = `${container}/${table}/`;
    for (const p of this.pending) if (p.startsWith(prefix)) found.add(p.slice(prefix.length));
    return [...found].sort();
  }

  tableFile(container: 'gold', table: string): string {
    return this.path(container, table, 'data.parquet');
  }

  ensureDirs(): void {
    for (const c of CONTAINERS) mkdirSync(this.path(c), { recursive: true });
  }
}

/** A temporary sibling of `final`, in the same folder (so the rename is atomic). */
export function tempFor(final: string): string {
  mkdirSync(dirname(final), { recursive: true });
  return join(dirname(final), `.tmp-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}-${final.split('/').pop()!}`);
}

export function commit(temp: string, final: string): void {
  // Test hook for the crash-safety test: stop (before the rename) when committing a
  // file whose path contains this text, so the test can kill the process right here.
  const hold = process.env['STREAMPULSE_TEST_HOLD_COMMIT'];
  if (hold && final.includes(hold)) {
    process.stderr.write(`HOLD ${final}\n`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
  }
  renameSync(temp, final);
}

/** Writes a text file atomically. */
export function writeFileAtomic(final: string, text: string): void {
  const tmp = tempFor(final);
  writeFileSync(tmp, text);
  commit(tmp, final);
}

/** Removes temporary files (and a pass's temporary folders) a killed run may have left behind (they are never read). */
export function sweepTemporaries(dir: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name.startsWith('.tmp-')) {
      // a backfill pass's partitioned write (backlog.ts), never renamed into place
      rmSync(p, { recursive: true, force: true });
      n++;
    } else if (e.isDirectory()) n += sweepTemporaries(p);
    else if (e.name.startsWith('.tmp-')) {
      rmSync(p, { force: true });
      n++;
    }
  }
  return n;
}
