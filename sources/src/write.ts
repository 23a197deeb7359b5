/** Serialising records the way the source systems write them: JSONL or CSV, contract column order. */
import type { DatasetContract } from '@streampulse/contracts';
import type { SourceRecord } from './world/simulate.js';

export type Value = string | number | boolean | null;

/** JSON for one record: the contract's columns in order, plus any extra (drifted) fields at the end. */
export function jsonLine(ds: DatasetContract, rec: SourceRecord, extra?: Readonly<Record<string, Value>>): string {
  const o: Record<string, Value> = {};
  for (const c of ds.columns) o[c.name] = rec[c.name] ?? null;
  if (extra) Object.assign(o, extra);
  return JSON.stringify(o);
}

export function csvField(v: Value, delimiter: string): string {
  if (v === null) return '';
  const s = typeof v === 'number' ? formatNumber(v) : String(v);
  return s.includes(delimiter) || s.includes('"') || s.includes('\n') || s.includes('\r') ? `"${s.replace(/"/g, '""')}"` : s;
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 1e6) / 1e6);
}

export function csvHeader(ds: DatasetContract): string {
  const d = ds.source.csv?.delimiter ?? ',';
  return ds.columns.map((c) => csvField(c.name, d)).join(d);
}

export function csvLine(ds: DatasetContract, rec: SourceRecord): string {
  const d = ds.source.csv?.delimiter ?? ',';
  return ds.columns.map((c) => csvField(rec[c.name] ?? null, d)).join(d);
}

/** One record as a line of the dataset's format. */
export function recordLine(ds: DatasetContract, rec: SourceRecord, extra?: Readonly<Record<string, Value>>): string {
  return ds.source.format === 'jsonl' ? jsonLine(ds, rec, extra) : csvLine(ds, rec);
}

/** Landing path of a dataset for one day, relative to the landing folder. */
export function landingPathFor(ds: DatasetContract, date: string): string {
  return ds.source.landing_path.split('{date}').join(date);
}
