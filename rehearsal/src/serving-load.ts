/**
 * The serving load of the local rehearsal: the lake's gold marts as a load source (read
 * with DuckDB), and the target a load asks for (the SQLite file, or Azure SQL through a
 * connection string).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { StreamPulseError, type ContractSet, type MartContract } from '@streampulse/contracts';
import { Duck, Lake } from '@streampulse/engine';
import { connectMssql, MssqlTarget, SqliteTarget, type ConnectOptions, type MartData, type ServingSource, type ServingTarget } from '@streampulse/serving';

export class LakeMartSource implements ServingSource {
  private duck: Duck | undefined;
  private readonly lake: Lake;

  constructor(readonly lakeRoot: string) {
    this.lake = new Lake(lakeRoot);
  }

  /** Fails before anything is loaded when a mart has no gold table in the lake. */
  check(set: ContractSet): void {
    const missing = set.marts.filter((m) => !existsSync(this.lake.tableFile('gold', m.mart))).map((m) => m.mart);
    if (missing.length > 0)
      throw new StreamPulseError(
        'SERVING_MART_MISSING',
        `the lake ${this.lakeRoot} has no gold table for ${missing.join(', ')} (looked for ${this.lake.tableFile('gold', missing[0]!)})`,
        {
          remedy: 'build the marts first: `streampulse demo`, or `streampulse run --date YYYY-MM-DD --lake <lake>`; or pass --lake',
        },
      );
  }

  async read(m: MartContract): Promise<MartData> {
    const file = this.lake.tableFile('gold', m.mart);
    if (!existsSync(file))
      throw new StreamPulseError('SERVING_MART_MISSING', `the lake ${this.lakeRoot} has no gold table for ${m.mart} (${file})`, {
        remedy: 'build the marts first: `streampulse demo` or `streampulse run --date …`',
      });
    this.duck ??= await Duck.open({ threads: 1 });
    const path = file.replace(/'/g, "''");
    const r = await this.duck.con.runAndReadAll(`SELECT * FROM read_parquet('${path}') ORDER BY ${m.grain.map((g) => `"${g}"`).join(', ')}`);
    return { columns: r.columnNames(), rows: r.getRowsJson() as unknown[][], fingerprint: createHash('sha256').update(readFileSync(file)).digest('hex') };
  }

  close(): void {
    this.duck?.close();
    this.duck = undefined;
  }
}

/** The target a command asked for: Azure SQL when a connection string is given, else the SQLite file. */
export async function openTarget(set: ContractSet, o: { connection?: string; sqlite: string; connect?: ConnectOptions }): Promise<ServingTarget> {
  if (o.connection !== undefined) {
    const { pool, where } = await connectMssql(o.connection, o.connect);
    return new MssqlTarget(pool, where, set);
  }
  return new SqliteTarget(o.sqlite, set);
}
