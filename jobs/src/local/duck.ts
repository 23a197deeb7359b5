/** A thin wrapper over @duckdb/node-api: one in-process database per run. */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { StreamPulseError } from '@streampulse/contracts';

export class Duck {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly con: DuckDBConnection,
  ) {}

  static async open(options: { threads?: number; memoryLimit?: string } = {}): Promise<Duck> {
    const instance = await DuckDBInstance.create(':memory:', {
      threads: String(options.threads ?? 2),
      memory_limit: options.memoryLimit ?? '1GB',
      preserve_insertion_order: 'true',
    });
    const con = await instance.connect();
    return new Duck(instance, con);
  }

  async run(sql: string, what = 'statement'): Promise<void> {
    try {
      await this.con.run(sql);
    } catch (e) {
      throw new StreamPulseError('LOCAL_SQL_FAILED', `DuckDB failed on ${what}: ${(e as Error).message}`, {
        cause: e,
        remedy: 'this is a bug in the compiled SQL or the runner; re-run with STREAMPULSE_DEBUG_SQL=1 to print the statement',
      });
    } finally {
      if (process.env['STREAMPULSE_DEBUG_SQL'] === '1') process.stderr.write(`-- ${what}\n${sql};\n`);
    }
  }

  async rows(sql: string, what = 'query'): Promise<Record<string, unknown>[]> {
    try {
      const r = await this.con.runAndReadAll(sql);
      return r.getRowObjectsJson() as Record<string, unknown>[];
    } catch (e) {
      if (process.env['STREAMPULSE_DEBUG_SQL'] === '1') process.stderr.write(`-- ${what}\n${sql};\n`);
      throw new StreamPulseError('LOCAL_SQL_FAILED', `DuckDB failed on ${what}: ${(e as Error).message}`, {
        cause: e,
        remedy: 'this is a bug in the compiled SQL or the runner; re-run with STREAMPULSE_DEBUG_SQL=1 to print the statement',
      });
    }
  }

  async scalar(sql: string, what = 'query'): Promise<unknown> {
    const r = await this.rows(sql, what);
    const first = r[0];
    return first === undefined ? undefined : Object.values(first)[0];
  }

  close(): void {
    this.con.closeSync();
    this.instance.closeSync();
  }
}

/** A SQL string literal (DuckDB). */
export function sqlStr(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A quoted identifier (DuckDB). */
export function qi(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}
