/** A thin wrapper over @duckdb/node-api: one in-process database per run. */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { StreamPulseError } from '@streampulse/contracts';

export class Duck {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly con: DuckDBConnection,
    /** The first connection owns the database; others (`connect`) only close themselves. */
    private readonly owner: boolean,
    private readonly name = 'main',
  ) {}

  static async open(options: { threads?: number; memoryLimit?: string; tempDirectory?: string } = {}): Promise<Duck> {
    const instance = await DuckDBInstance.create(':memory:', {
      threads: String(options.threads ?? 2),
      memory_limit: options.memoryLimit ?? '1GB',
      preserve_insertion_order: 'true',
      ...(options.tempDirectory !== undefined ? { temp_directory: options.tempDirectory } : {}),
    });
    const con = await instance.connect();
    return new Duck(instance, con, true);
  }

  /**
   * Another connection to the same database: its statements run concurrently with this
   * one's (each on its own thread), it sees every regular table, and its TEMP tables are
   * its own. Close it before the owner.
   */
  async connect(name: string): Promise<Duck> {
    return new Duck(this.instance, await this.instance.connect(), false, name);
  }

  /** Seconds spent per statement label, when STREAMPULSE_PROFILE_SQL=1 (printed on close). */
  private readonly profile = process.env['STREAMPULSE_PROFILE_SQL'] === '1' ? new Map<string, { n: number; ms: number }>() : undefined;

  private note(what: string, t0: number): void {
    if (!this.profile) return;
    const label = what
      .replace(/ [a-z0-9_./=-]*\.(csv|jsonl|parquet)$/, '')
      .split(' ')
      .slice(0, 2)
      .join(' ');
    const e = this.profile.get(label) ?? { n: 0, ms: 0 };
    e.n++;
    e.ms += performance.now() - t0;
    this.profile.set(label, e);
  }

  async run(sql: string, what = 'statement'): Promise<void> {
    const t0 = performance.now();
    try {
      await this.con.run(sql);
      this.note(what, t0);
    } catch (e) {
      throw sqlFailed(e, what);
    } finally {
      if (process.env['STREAMPULSE_DEBUG_SQL'] === '1') process.stderr.write(`-- ${what}\n${sql};\n`);
    }
  }

  async rows(sql: string, what = 'query'): Promise<Record<string, unknown>[]> {
    const t0 = performance.now();
    try {
      const r = await this.con.runAndReadAll(sql);
      this.note(what, t0);
      return r.getRowObjectsJson() as Record<string, unknown>[];
    } catch (e) {
      if (process.env['STREAMPULSE_DEBUG_SQL'] === '1') process.stderr.write(`-- ${what}\n${sql};\n`);
      throw sqlFailed(e, what);
    }
  }

  async scalar(sql: string, what = 'query'): Promise<unknown> {
    const r = await this.rows(sql, what);
    const first = r[0];
    return first === undefined ? undefined : Object.values(first)[0];
  }

  close(): void {
    if (this.profile)
      for (const [k, v] of [...this.profile.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30))
        process.stderr.write(`[sql profile${this.owner ? '' : ` ${this.name}`}] ${(v.ms / 1000).toFixed(2)}s ${v.n}× ${k}\n`);
    this.con.closeSync();
    if (this.owner) this.instance.closeSync();
  }
}

/**
 * A statement that failed: a file DuckDB could not read or write (permissions, a full disk,
 * a read-only file system) is the user's to fix; anything else is a bug in the SQL or the runner.
 */
function sqlFailed(e: unknown, what: string): StreamPulseError {
  const message = e instanceof Error ? e.message : String(e);
  const io = /^IO Error:/.test(message) && /Permission denied|No space left|Read-only file system|Not a directory|Is a directory/i.test(message);
  return new StreamPulseError('LOCAL_SQL_FAILED', `DuckDB failed on ${what}: ${message}`, {
    cause: e,
    remedy: io
      ? 'DuckDB could not write or read a file of the lake: check the lake folder (its permissions, the free space), or pass another one'
      : 'this is a bug in the compiled SQL or the runner; re-run with STREAMPULSE_DEBUG_SQL=1 to print the statement',
  });
}

/** A SQL string literal (DuckDB). */
export function sqlStr(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A quoted identifier (DuckDB). */
export function qi(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}
