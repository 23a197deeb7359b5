/**
 * Freshness rules: the pure evaluation against shared cases (the PySpark runtime's
 * pytest reads the same file), then the local runner on real DuckDB: a rule with action
 * `fail` stops a stale batch before anything is written, `--freshness report` reports it
 * instead, `warn` notes it, and a batch without rows is measured from the newest event
 * promoted by an earlier batch.
 */
import { describe, expect, it } from '@jest/globals';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContractFiles, type ContractSet } from '@streampulse/contracts';
import { compileJobs, evaluateFreshness, type FreshnessMode, type QualityCheck } from '@streampulse/jobs';
import { LocalRunner, type BatchReport } from '@streampulse/engine';

const ROOT = process.cwd();
const CONTRACTS = join(ROOT, 'contracts', 'test', 'fixtures', 'valid');
const LANDING = join(ROOT, 'engine', 'test', 'fixtures', 'landing');

interface Case {
  readonly case: string;
  readonly input: {
    batch: string;
    eventTime: string;
    checks: QualityCheck[];
    batchNewest: string | null;
    newestBefore: string | null;
    mode: FreshnessMode;
  };
  readonly expect: unknown;
}
const CASES = JSON.parse(readFileSync(join(ROOT, 'jobs', 'test', 'fixtures', 'freshness-cases.json'), 'utf8')) as Case[];

describe('freshness evaluation (shared cases with the PySpark runtime)', () => {
  for (const c of CASES)
    it(c.case, () => {
      const r = evaluateFreshness(c.input);
      expect({ newest: r.newest, rules: r.rules, notes: r.notes, stops: r.stops }).toEqual(c.expect);
    });
});

/** The fixture contracts with a freshness rule added to users (fail, 40 h) and payments (warn, 30 h). */
function contractsWithFreshness(): ContractSet {
  const files = readdirSync(CONTRACTS)
    .sort()
    .map((f) => {
      let text = readFileSync(join(CONTRACTS, f), 'utf8');
      if (f === 'users.yaml')
        text = text.replace(/^quality:\n/m, 'quality:\n  - name: users_fresh\n    rule: freshness\n    max_age_hours: 40\n    action: fail\n');
      if (f === 'payments.yaml')
        text = text.replace(/^quality:\n/m, 'quality:\n  - name: payments_fresh\n    rule: freshness\n    max_age_hours: 30\n    action: warn\n');
      return { file: f, text };
    });
  const r = loadContractFiles(files);
  if (r.contracts === undefined) throw new Error(JSON.stringify(r.issues));
  return r.contracts;
}

describe('freshness rules on the local runner (fixture contracts, hand-made landing files)', () => {
  const set = contractsWithFreshness();
  const plan = compileJobs(set);
  const D3 = '2024-03-03';

  /** A lake with the fixture's two days and a third day whose users file is empty (payments have none). */
  function lake(): string {
    const dir = mkdtempSync(join(tmpdir(), 'sp-fresh-'));
    cpSync(LANDING, join(dir, 'landing'), { recursive: true });
    mkdirSync(join(dir, 'landing', 'users', D3), { recursive: true });
    writeFileSync(join(dir, 'landing', 'users', D3, 'users.jsonl'), '');
    return dir;
  }
  async function run(root: string, dates: string[], freshness: FreshnessMode): Promise<BatchReport[]> {
    const runner = await LocalRunner.open(plan, { lakeRoot: root, salt: 'test-salt', threads: 1, freshness });
    try {
      const out: BatchReport[] = [];
      for (const d of dates) out.push(await runner.runBatch(d, { gold: false }));
      return out;
    } finally {
      await runner.close();
    }
  }
  const ds = (r: BatchReport, name: string) => r.datasets.find((d) => d.dataset === name)!;
  const rule = (r: BatchReport, name: string, id: string) => ds(r, name).rules.find((x) => x.id === id);

  it('reports each rule once per batch, measured from the newest promoted event', async () => {
    const root = lake();
    try {
      const [r1, r2] = await run(root, ['2024-03-01', '2024-03-02'], 'enforce');
      // users: newest updated_at 2024-02-29 12:00 (36.0 h before the end of 03-01), then 2024-03-01 09:00 (39.0 h)
      expect(rule(r1!, 'users', 'users_fresh')).toEqual({
        id: 'users_fresh',
        rule: 'freshness',
        action: 'fail',
        evaluated: 1,
        failed: 0,
        max_age_hours: 40,
        age_hours: 36,
        pass_rate: 1,
      });
      expect(rule(r2!, 'users', 'users_fresh')).toMatchObject({ failed: 0, age_hours: 39 });
      expect(ds(r2!, 'users').freshness).toEqual({
        newest_event_time: '2024-03-01 09:00:00',
        batch_newest_event_time: '2024-03-01 09:00:00',
        age_hours: 39,
        sla_hours: 26,
        within_sla: false,
      });
      // payments (warn, 30 h): 2024-02-29 10:00 is 38.0 h old at the end of 03-01: noted, not stopped
      expect(rule(r1!, 'payments', 'payments_fresh')).toMatchObject({ action: 'warn', failed: 1, age_hours: 38, pass_rate: 0 });
      expect(ds(r1!, 'payments').notes).toContain(
        'freshness rule payments_fresh failed: the newest created_at promoted is 2024-02-29 10:00:00, 38 h before the end of 2024-03-01 (at most 30 h); action warn',
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);

  it('stops a stale batch (action fail) before writing it, and names the rule, the newest event and the way out', async () => {
    const root = lake();
    try {
      await run(root, ['2024-03-01', '2024-03-02'], 'enforce');
      // 03-03 brings no users: the newest is still 2024-03-01 09:00, 63.0 h before the end of 03-03
      const err = await run(root, [D3], 'enforce').then(
        () => undefined,
        (e: unknown) => e as { code: string; message: string; remedy: string },
      );
      expect(err).toMatchObject({
        code: 'QUALITY_FAILED',
        message:
          'users batch 2024-03-03: freshness rule users_fresh failed: the newest updated_at promoted is 2024-03-01 09:00:00, 63 h before the end of 2024-03-03 (at most 40 h); the batch was not written',
      });
      expect(err?.remedy).toContain('--freshness report');
      expect(err?.remedy).toContain('users.yaml');
      expect(existsSync(join(root, 'bronze', 'users', `batch=${D3}`))).toBe(false);
      expect(existsSync(join(root, 'reports', 'batches', `${D3}.json`))).toBe(false);

      // the same batch with freshness reported only: written, the rule failed once, a note says why it ran
      const [r3] = await run(root, [D3], 'report');
      const users = ds(r3!, 'users');
      expect(users.rows_in).toBe(0);
      expect(users.freshness).toMatchObject({ newest_event_time: '2024-03-01 09:00:00', batch_newest_event_time: null, age_hours: 63, within_sla: false });
      expect(rule(r3!, 'users', 'users_fresh')).toMatchObject({ failed: 1, pass_rate: 0 });
      expect(users.notes.some((n) => n.startsWith('freshness rule users_fresh failed') && n.endsWith('not enforced (freshness: report)'))).toBe(true);
      expect(existsSync(join(root, 'bronze', 'users', `batch=${D3}`, 'data.parquet'))).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
