/**
 * Snapshots of a lake's results for tests that compare two runs: the served SQLite
 * tables row by row, and the gold Parquet tables as ordered row hashes.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import Database from 'better-sqlite3';

/** Every analytics_* view and table plus `extra` tables, each row as JSON, sorted. */
export function servedTables(db: string, extra: readonly string[] = ['serving_marts']): Record<string, string[]> {
  const d = new Database(db, { readonly: true });
  try {
    const names = (d.prepare(`SELECT name FROM sqlite_master WHERE name LIKE 'analytics\\_%' ESCAPE '\\' ORDER BY name`).all() as { name: string }[]).map(
      (r) => r.name,
    );
    if (names.length === 0) throw new Error(`${db} serves no analytics_* table`);
    const out: Record<string, string[]> = {};
    for (const n of [...names, ...extra]) out[n] = (d.prepare(`SELECT * FROM "${n}"`).raw().all() as unknown[][]).map((r) => JSON.stringify(r)).sort();
    return out;
  } finally {
    d.close();
  }
}

/** Ordered row hashes of every gold table and mart of the lake. */
export async function goldHashes(duck: DuckDBConnection, lake: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of readdirSync(join(lake, 'gold')).sort()) {
    const f = join(lake, 'gold', t, 'data.parquet');
    const r = (
      await duck.runAndReadAll(
        `SELECT count(*) AS n, sha256(coalesce(string_agg(CAST(x AS VARCHAR), chr(10) ORDER BY CAST(x AS VARCHAR)), '')) AS h FROM read_parquet('${f}') x`,
      )
    ).getRowObjectsJson();
    out[t] = `${String(r[0]?.['n'])}:${String(r[0]?.['h'])}`;
  }
  return out;
}
