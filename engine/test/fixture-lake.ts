/** The engine tests' fixture: the valid contract set and its two days of landing files. */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = process.cwd();
export const CONTRACTS = join(ROOT, 'contracts', 'test', 'fixtures', 'valid');
export const LANDING = join(ROOT, 'engine', 'test', 'fixtures', 'landing');
export const DATES = ['2024-03-01', '2024-03-02'];
/** The gold tables and mart the fixture builds. */
export const GOLD = ['dim_user', 'fact_payments', 'analytics_revenue'];

/** A new lake folder (`<tmp>/<prefix>-…`) holding a copy of the landing files. */
export function freshLake(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  cpSync(LANDING, join(dir, 'landing'), { recursive: true });
  return dir;
}
