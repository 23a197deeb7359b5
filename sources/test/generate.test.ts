import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadContractsOrThrow, type StreamPulseError } from '@streampulse/contracts';
import { DEFECT_KINDS, generateSources, planDefects, Rng } from '@streampulse/sources';

const SET = loadContractsOrThrow(join(process.cwd(), 'contracts', 'streampulse'));

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}
function digest(dir: string): Record<string, string> {
  return Object.fromEntries(
    walk(dir)
      .sort()
      .map((f) => [relative(dir, f), createHash('sha256').update(readFileSync(f)).digest('hex')]),
  );
}
const gen = (seed: string | number, extra: Partial<Parameters<typeof generateSources>[1]> = {}) => {
  const outDir = mkdtempSync(join(tmpdir(), 'sp-src-'));
  const manifest = generateSources(SET, { outDir, users: 120, days: 5, startDate: '2026-03-01', seed, ...extra });
  return { outDir, manifest };
};

describe('sources: seeded synthetic landing files', () => {
  const a = gen(7);

  it('is deterministic: the same seed writes byte-identical files; another seed does not', () => {
    const b = gen(7);
    expect(digest(b.outDir)).toEqual(digest(a.outDir));
    const c = gen(8);
    expect(digest(c.outDir)).not.toEqual(digest(a.outDir));
  });

  it('writes one file per dataset and day at the contract landing path, in the contract format', () => {
    for (const ds of SET.datasets)
      for (const date of a.manifest.dates) {
        const rel = ds.source.landing_path.split('{date}').join(date);
        const text = readFileSync(join(a.outDir, rel), 'utf8');
        if (ds.source.format === 'csv') expect(text.split('\n')[0]).toBe(ds.columns.map((c) => c.name).join(','));
        else if (text.length > 0) expect(() => JSON.parse(text.split('\n')[0]!)).not.toThrow();
      }
    expect(a.manifest.files.filter((f) => !f.relanded_copy_of)).toHaveLength(SET.datasets.length * 5);
  });

  it('records every file with its row count and hash, and rows add up per dataset', () => {
    for (const f of a.manifest.files) {
      const text = readFileSync(join(a.outDir, f.file), 'utf8');
      expect(createHash('sha256').update(text).digest('hex')).toBe(f.sha256);
      const lines = text.split('\n').filter((l) => l !== '');
      const ds = SET.datasets.find((d) => d.dataset === f.dataset)!;
      expect(lines.length - (ds.source.format === 'csv' ? 1 : 0)).toBe(f.rows);
    }
    for (const d of a.manifest.datasets) expect(d.rows).toBe(a.manifest.files.filter((f) => f.dataset === d.dataset).reduce((s, f) => s + f.rows, 0));
  });

  it('simulates the business: trials, conversions, renewals, failed payments, churn, sessions and plays', () => {
    const big = gen(11, { users: 800, days: 24, defects: false });
    const all = (path: string): string =>
      walk(big.outDir)
        .filter((f) => f.includes(path))
        .map((f) => readFileSync(f, 'utf8'))
        .join('\n');
    const events = all('subscription-events');
    for (const t of ['trial_started', 'trial_converted', 'trial_expired', 'renewed', 'cancelled', 'expired']) expect(events).toContain(`"event_type":"${t}"`);
    const payments = all('payments.csv');
    expect(payments).toContain(',succeeded,');
    expect(payments).toContain(',failed,');
    expect(all('watch_events')).toContain('"completion_pct":');
    expect(all('funnel_events')).toContain('"step":"signup_completed"');
  });

  it('injects every defect kind at high rates and lists each one in the manifest', () => {
    const rates = Object.fromEntries(DEFECT_KINDS.map((k) => [k, 0.02])) as Record<(typeof DEFECT_KINDS)[number], number>;
    const g = gen(3, { users: 200, days: 8, defects: { ...rates, relanded_files: 2 } });
    for (const k of [...DEFECT_KINDS, 'relanded_file']) expect(g.manifest.defect_counts[k]).toBeGreaterThan(0);
    expect(g.manifest.defects.length).toBe(Object.values(g.manifest.defect_counts).reduce((s, n) => s + n, 0));
    const clean = gen(3, { users: 200, days: 8, defects: false });
    expect(clean.manifest.defects).toEqual([]);
  });

  it('picks defect targets from the contracts: only datasets no other dataset quarantines on', () => {
    const plans = planDefects(SET);
    const strictParents = new Set(
      SET.datasets.flatMap((d) => d.quality.flatMap((q) => (q.rule === 'referential' && q.action !== 'warn' ? [q.references.dataset] : []))),
    );
    for (const [name, p] of plans) expect(p.leaf).toBe(!strictParents.has(name));
    const g = gen(3, { users: 200, days: 8, defects: { malformed: 0.05, null_key: 0.05 } });
    for (const d of g.manifest.defects.filter((x) => x.kind === 'malformed' || x.kind === 'null_key')) expect(plans.get(d.dataset)!.leaf).toBe(true);
  });

  it('rejects bad options with a clear error naming the option', () => {
    const outDir = mkdtempSync(join(tmpdir(), 'sp-src-'));
    const bad = (o: object): StreamPulseError => {
      try {
        generateSources(SET, { outDir, users: 10, days: 2, startDate: '2026-01-01', seed: 1, ...o });
      } catch (e) {
        return e as StreamPulseError;
      }
      throw new Error('no error');
    };
    expect(bad({ users: 0 }).message).toBe('--users: must be a positive integer, got 0');
    expect(bad({ startDate: '2026-13-45' }).code).toBe('GENERATE_BAD_OPTION');
    expect(bad({ defects: { typo_kind: 0.1 } }).message).toBe('defect "typo_kind": is not a known defect kind');
  });

  it('Rng streams are reproducible and forks are independent', () => {
    const r1 = new Rng('x');
    const r2 = new Rng('x');
    expect([r1.next(), r1.next()]).toEqual([r2.next(), r2.next()]);
    expect(new Rng('x').fork('a').next()).not.toBe(new Rng('x').fork('b').next());
  });
});
