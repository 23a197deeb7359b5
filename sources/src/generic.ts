/**
 * Rows for a dataset the simulated business does not know: generated from the
 * contract alone (types, constraints, keys, event time, referential rules), so adding
 * a dataset contract is enough to get plausible, valid daily files for it.
 */
import type { DatasetContract } from '@streampulse/contracts';
import type { Rng } from './rng.js';
import { ts, type SourceRecord } from './world/simulate.js';

const DAY = 86_400_000;

/** Keys already written per dataset, so references point at rows that exist. */
export type KeyPool = ReadonlyMap<string, readonly string[]>;

/** Values that satisfy common patterns; the first that matches the regex is used. */
const PATTERN_CANDIDATES = ['US', 'DE', '1234', '5.1.0', 'abc', 'ABC', 'a1', 'x@example.com', '2024-01-01', '0'];

function fromPattern(pattern: string, r: Rng): string | null {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch {
    return null;
  }
  const ok = PATTERN_CANDIDATES.filter((c) => re.test(c));
  return ok.length === 0 ? null : r.pick(ok);
}

export function genericRows(ds: DatasetContract, r: Rng, dayStart: number, dayIndex: number, count: number, pool: KeyPool): SourceRecord[] {
  const refs = new Map<string, string>();
  // quality rules constrain values as much as column constraints do: honour both
  const ruled = new Map<string, { accepted_values?: readonly (string | number)[]; min?: number; max?: number; pattern?: string }>();
  const rule = (c: string) => {
    const known = ruled.get(c);
    if (known !== undefined) return known;
    const fresh = {};
    ruled.set(c, fresh);
    return fresh as NonNullable<ReturnType<typeof ruled.get>>;
  };
  for (const q of ds.quality) {
    if (q.rule === 'referential') refs.set(q.column, q.references.dataset);
    else if (q.rule === 'accepted_values') rule(q.column).accepted_values = q.values;
    else if (q.rule === 'regex') rule(q.column).pattern = q.pattern;
    else if (q.rule === 'range') Object.assign(rule(q.column), q.min !== undefined ? { min: q.min } : {}, q.max !== undefined ? { max: q.max } : {});
  }
  const rows: SourceRecord[] = [];
  for (let i = 0; i < count; i++) {
    const rec: SourceRecord = {};
    const at = dayStart + Math.floor((i * DAY) / Math.max(1, count)) + r.int(0, 59) * 1000;
    for (const c of ds.columns) {
      const k = { ...(c.constraints ?? {}), ...(ruled.get(c.name) ?? {}) };
      const parent = refs.get(c.name);
      const parentKeys = parent === undefined ? undefined : pool.get(parent);
      let v: string | number | boolean | null;
      if (ds.primary_key.includes(c.name)) v = `${ds.dataset.slice(0, 3)}-${dayIndex}-${i}`;
      else if (parentKeys !== undefined) v = parentKeys.length > 0 ? r.pick(parentKeys) : null;
      else if (c.name === ds.event_time) v = ts(at);
      else if (k.accepted_values && k.accepted_values.length > 0) v = r.pick(k.accepted_values);
      else {
        const lo = k.min ?? 0;
        const hi = k.max ?? Math.max(lo + 100, 100);
        const t = c.type;
        if (t === 'integer' || t === 'bigint') v = r.int(Math.ceil(lo), Math.floor(hi));
        else if (t === 'double' || t.startsWith('decimal')) v = Math.round((lo + r.next() * (hi - lo)) * 100) / 100;
        else if (t === 'boolean') v = r.chance(0.5);
        else if (t === 'timestamp') v = ts(at - r.int(0, 3600) * 1000);
        else if (t === 'date') v = ts(at).slice(0, 10);
        else if (k.pattern) v = fromPattern(k.pattern, r);
        else v = `${c.name}-${r.hex(6)}`.slice(0, k.max_length ?? 64);
      }
      if (v === null && c.required) v = `${c.name}-${i}`;
      rec[c.name] = v;
    }
    rows.push(rec);
  }
  return rows;
}
