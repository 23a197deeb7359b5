/**
 * The stream producer's plan (StreamPlanner, pure): which events, keyed how, stamped
 * when, late and re-sent how often — fixed by the seed, apart from the clock.
 */
import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { type DatasetContract, loadContractsOrThrow } from '@streampulse/contracts';
import { type PlannedRecord, parentExclusions, StreamPlanner, streamedDatasets, World } from '@streampulse/sources';

const SET = loadContractsOrThrow(join(process.cwd(), 'contracts', 'streampulse'));
const WORLD = { users: 300, days: 10, startDate: '2026-01-25', seed: 'stream-test' };
const NOW = Date.parse('2026-03-01T12:00:00.250Z');
const HOUR = 3_600_000;

function take(planner: StreamPlanner, n: number, now = NOW): PlannedRecord[] {
  return Array.from({ length: n }, (_, i) => planner.next(now + i));
}

/** What a JSON value must be for a column of the contract. */
function fits(type: string, v: unknown): boolean {
  if (v === null) return true;
  if (type === 'string') return typeof v === 'string';
  if (type === 'integer' || type === 'bigint') return Number.isInteger(v);
  if (type === 'double' || type.startsWith('decimal')) return typeof v === 'number';
  if (type === 'boolean') return typeof v === 'boolean';
  if (type === 'timestamp') return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(v);
  if (type === 'date') return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v);
  return false;
}

describe('streamed datasets', () => {
  it('are the contracts with stream_topic + stream_key (all simulated here; none named in code)', () => {
    const expected = SET.datasets
      .filter((d) => d.source.stream_topic !== undefined && d.source.stream_key !== undefined)
      .map((d) => d.dataset)
      .sort();
    const got = streamedDatasets(SET);
    expect(got.map((d) => d.dataset)).toEqual(expected);
    expect(got.length).toBeGreaterThanOrEqual(2); // the watch and session events
    for (const d of got) {
      expect(d.topic).toBe(d.contract.source.stream_topic);
      expect(d.keyColumn).toBe(d.contract.source.stream_key);
    }
  });
});

describe('StreamPlanner', () => {
  it('is deterministic for a seed: the same ids, keys, values and choices; another seed differs', () => {
    const a = take(new StreamPlanner(SET, { world: WORLD, seed: 1, late: 0.2, dupes: 0.1 }), 400);
    const b = take(new StreamPlanner(SET, { world: WORLD, seed: 1, late: 0.2, dupes: 0.1 }), 400);
    const c = take(new StreamPlanner(SET, { world: WORLD, seed: 2, late: 0.2, dupes: 0.1 }), 400);
    expect(b).toEqual(a);
    expect(c.map((r) => `${r.lateness}${r.duplicate}`)).not.toEqual(a.map((r) => `${r.lateness}${r.duplicate}`));
  });

  it('records are the contract columns in order, typed as the contract says, keyed by the stream_key column, on the contract topic', () => {
    const byName = new Map(streamedDatasets(SET).map((d) => [d.dataset, d]));
    const records = take(new StreamPlanner(SET, { world: WORLD, seed: 3 }), 500);
    expect(new Set(records.map((r) => r.dataset))).toEqual(new Set(byName.keys()));
    for (const r of records) {
      const ds = byName.get(r.dataset)!;
      const contract: DatasetContract = ds.contract;
      const value = JSON.parse(r.value) as Record<string, unknown>;
      expect(Object.keys(value)).toEqual(contract.columns.map((c) => c.name));
      for (const c of contract.columns) {
        expect(fits(c.type, value[c.name])).toBe(true);
        if (c.required) expect(value[c.name]).not.toBeNull();
      }
      expect(r.topic).toBe(ds.topic);
      expect(r.key).toBe(value[ds.keyColumn]);
      expect(r.id).toBe(contract.primary_key.map((k) => String(value[k])).join('|'));
    }
  });

  it('on-time events carry the production instant as event time; every timestamp moves with it', () => {
    const records = take(new StreamPlanner(SET, { world: WORLD, seed: 4 }), 300, NOW).map((r, i) => ({ r, now: NOW + i }));
    for (const { r, now } of records) {
      expect(r.lateness).toBe('on_time');
      expect(r.eventTime).toBe(`${new Date(Math.floor(now / 1000) * 1000).toISOString().slice(0, 19)}Z`);
      const v = JSON.parse(r.value) as Record<string, unknown>;
      // a session ends after it starts, as in the world (ended_at moved by the same amount)
      if (typeof v.ended_at === 'string') expect(Date.parse(v.ended_at)).toBeGreaterThanOrEqual(Date.parse(r.eventTime));
    }
  });

  it('--late P: about P of the events late, half beyond the watermark (max_delay_hours + 1–24 h) and half within it', () => {
    const byName = new Map(streamedDatasets(SET).map((d) => [d.dataset, d]));
    const records = take(new StreamPlanner(SET, { world: WORLD, seed: 5, late: 0.2 }), 4000, NOW).filter((r) => !r.duplicate);
    const beyond = records.filter((r) => r.lateness === 'late_beyond');
    const within = records.filter((r) => r.lateness === 'late_within');
    expect(beyond.length / records.length).toBeGreaterThan(0.08);
    expect(beyond.length / records.length).toBeLessThan(0.12);
    expect(within.length / records.length).toBeGreaterThan(0.08);
    expect(within.length / records.length).toBeLessThan(0.12);
    for (const r of beyond) {
      const age = NOW - Date.parse(r.eventTime);
      const wm = byName.get(r.dataset)!.maxDelayHours * HOUR;
      expect(age).toBeGreaterThan(wm + HOUR - 5000);
      expect(age).toBeLessThan(wm + 25 * HOUR);
    }
    for (const r of within) {
      const age = NOW - Date.parse(r.eventTime);
      expect(age).toBeGreaterThanOrEqual(HOUR - 5000);
      expect(age).toBeLessThanOrEqual(byName.get(r.dataset)!.maxDelayHours * HOUR * 0.5 + 5000);
    }
  });

  it('--dupes P: about P of the events re-sent later with the same key and value', () => {
    const records = take(new StreamPlanner(SET, { world: WORLD, seed: 6, dupes: 0.1 }), 4000);
    const dupes = records.filter((r) => r.duplicate);
    const firsts = new Map(records.filter((r) => !r.duplicate).map((r, i) => [r.value, { r, i }]));
    expect(dupes.length / (records.length - dupes.length)).toBeGreaterThan(0.07);
    expect(dupes.length / (records.length - dupes.length)).toBeLessThan(0.13);
    for (const d of dupes) {
      const first = firsts.get(d.value);
      expect(first).toBeDefined();
      expect(first!.r.key).toBe(d.key);
      expect(records.indexOf(d)).toBeGreaterThan(records.indexOf(first!.r));
    }
  });

  it('continues the batch world: new ids, and only parents the batch days exported and no defect kept out of silver', () => {
    // the batch days of the same world: every account and title the lake holds
    const world = new World({ users: WORLD.users, days: WORLD.days, startDate: WORLD.startDate, seed: WORLD.seed });
    const accounts = new Set<string>();
    const titles = new Set<string>();
    const batchIds = new Set<string>();
    for (let d = 0; d < WORLD.days; d++) {
      const day = world.step();
      for (const a of day.account) accounts.add(String(a.user_id));
      for (const t of day.title) titles.add(String(t.content_id));
      for (const s of [...day.session, ...day.play]) batchIds.add(String(s.session_id ?? '') + String(s.watch_id ?? ''));
    }
    // an account the stream would use: excluded by a seeded defect, it must not appear
    const someUser = String((JSON.parse(take(new StreamPlanner(SET, { world: WORLD, seed: 7 }), 1)[0]!.value) as Record<string, unknown>).user_id);
    // the dataset the stream key references (the accounts), as the contract says
    const first = streamedDatasets(SET)[0]!;
    const accountsDataset = first.contract.quality.flatMap((q) => (q.rule === 'referential' && q.column === first.keyColumn ? [q.references.dataset] : []))[0]!;
    const exclude = parentExclusions({
      defects: [
        {
          kind: 'malformed',
          dataset: accountsDataset,
          batch: '2026-01-25',
          file: 'x',
          key: someUser,
          expect: { outcome: 'quarantined', reason: 'parse:malformed_json' },
        },
      ],
    });
    const records = take(new StreamPlanner(SET, { world: WORLD, seed: 7, exclude }), 3000);
    for (const r of records) {
      const v = JSON.parse(r.value) as Record<string, unknown>;
      expect(accounts.has(String(v.user_id))).toBe(true);
      expect(v.user_id).not.toBe(someUser);
      if ('content_id' in v) expect(titles.has(String(v.content_id))).toBe(true);
      expect(batchIds.has(String(v.session_id ?? '') + String(v.watch_id ?? ''))).toBe(false);
    }
  });

  it('refuses a share outside 0–1', () => {
    expect(() => new StreamPlanner(SET, { world: WORLD, seed: 1, late: 1.5 })).toThrow(expect.objectContaining({ code: 'STREAM_BAD_OPTION' }));
    expect(() => new StreamPlanner(SET, { world: WORLD, seed: 1, dupes: -0.1 })).toThrow(expect.objectContaining({ code: 'STREAM_BAD_OPTION' }));
  });
});
