import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { loadContractsOrThrow, type ContractSet } from '@streampulse/contracts';
import { compileJobs } from '@streampulse/jobs';
import { Duck, Lake, LocalRunner, silverStateSql } from '@streampulse/engine';
import { mergeSilverState, partitionsSql } from '../src/silver.js';
import { CONTRACTS, DATES, GOLD, freshLake } from './fixture-lake.js';

// The runner keeps each dataset's silver state in a table and, batch after batch, merges
// the new partition into it instead of re-reading every partition (SCD2: from the
// history of every silver row, held in memory). These tests
// pin that the merged state is exactly the merge-on-read state, and that one runner over
// consecutive batches gives the same gold as a fresh runner per batch (full rebuilds).

async function run(set: ContractSet, lake: string, dates: readonly string[]): Promise<void> {
  const runner = await LocalRunner.open(compileJobs(set), { lakeRoot: lake, salt: 'test-salt', threads: 1 });
  try {
    for (const d of dates) await runner.runBatch(d);
  } finally {
    await runner.close();
  }
}

describe('silver state merged batch by batch', () => {
  const set = loadContractsOrThrow(CONTRACTS);
  const plan = compileJobs(set);
  const lakes: string[] = [];
  let con: DuckDBConnection;
  let instance: DuckDBInstance;

  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    con = await instance.connect();
  });
  afterAll(() => {
    con.closeSync();
    instance.closeSync();
    for (const l of lakes) rmSync(l, { recursive: true, force: true });
  });

  it('merging the last partition into the earlier state gives exactly the merge-on-read state (SCD1, and SCD2 from the held history)', async () => {
    const lakeRoot = freshLake('sp-state');
    lakes.push(lakeRoot);
    await run(set, lakeRoot, DATES);
    const lake = new Lake(lakeRoot);
    const duck = await Duck.open({ threads: 1 });
    try {
      let merged = 0;
      for (const spec of plan.jobs.filter((j) => j.layer === 'silver')) {
        const [first, last] = DATES as [string, string];
        await duck.run(`CREATE OR REPLACE TEMP TABLE full_state AS ${silverStateSql(spec, lake, last)!}`);
        await duck.run(`CREATE OR REPLACE TEMP TABLE merged_state AS ${silverStateSql(spec, lake, first)!}`);
        // SCD2: the runner holds every earlier silver row (the history) next to the state
        await duck.run(`CREATE OR REPLACE TEMP TABLE history AS SELECT * FROM ${partitionsSql(spec, lake, [first])}`);
        const done = await mergeSilverState(duck, spec, 'merged_state', `read_parquet('${lake.partitionFile('silver', spec.name, last)}')`, 'history');
        expect(done).toBe(true);
        merged++;
        const diff = Number(
          await duck.scalar(
            `SELECT (SELECT count(*) FROM (SELECT * FROM full_state EXCEPT ALL SELECT * FROM merged_state)) + (SELECT count(*) FROM (SELECT * FROM merged_state EXCEPT ALL SELECT * FROM full_state))`,
          ),
        );
        expect(diff).toBe(0);
        expect(Number(await duck.scalar(`SELECT count(*) FROM merged_state`))).toBe(Number(await duck.scalar(`SELECT count(*) FROM full_state`)));
        // the fixture re-sends a later version of a payment on day 2: the merge must replace it
        expect(Number(await duck.scalar(`SELECT count(*) FROM full_state WHERE _batch_id = '${last}'`))).toBeGreaterThan(0);
      }
      expect(merged).toBeGreaterThan(0);
    } finally {
      duck.close();
    }
  });

  it('one runner over consecutive batches gives the same gold as a fresh runner per batch', async () => {
    const consecutive = freshLake('sp-state');
    const oneByOne = freshLake('sp-state');
    lakes.push(consecutive, oneByOne);
    await run(set, consecutive, DATES);
    for (const d of DATES) await run(set, oneByOne, [d]);
    const hash = async (lake: string, t: string): Promise<string> => {
      const r = await con.runAndReadAll(
        `SELECT count(*) AS n, sha256(coalesce(string_agg(CAST(t AS VARCHAR), chr(10) ORDER BY CAST(t AS VARCHAR)), '')) AS h FROM read_parquet('${join(lake, 'gold', t, 'data.parquet')}') t`,
      );
      const row = r.getRowObjectsJson()[0]!;
      return `${String(row['n'])}:${String(row['h'])}`;
    };
    for (const t of GOLD) expect(await hash(consecutive, t)).toBe(await hash(oneByOne, t));
  });
});
