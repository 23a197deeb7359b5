/**
 * The serving MERGE's transaction, checked on the procedure text against its documented
 * contract (no SQL Server is reachable here, so nothing runs it): Data Factory's "Merge
 * serving" activity calls [serving].[usp_merge_marts], which sets XACT_ABORT ON, runs
 * the staging checks (THROW before anything changed), then BEGIN TRANSACTION, every
 * mart's procedure (its MERGE, then its row in the load journal), COMMIT TRANSACTION.
 * With XACT_ABORT ON any error inside (a failed MERGE, a THROW, a client timeout) rolls
 * the whole transaction back, so readers see the previous load or the new one. The
 * golden files pin the exact text; this test names what must hold whatever the text
 * becomes. The SQLite target's transaction runs for real in
 * serving/test/serving-merge-transaction.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { servingMigrations, SERVING_OBJECTS, type Migration } from '@streampulse/sql';
import type { ContractSet } from '@streampulse/contracts';
import { load, piiFixture, shippedFiles } from './contract-fixtures.js';

const SETS: Record<string, ContractSet> = { shipped: load(shippedFiles()), 'pii-fixture': load(piiFixture('email', 'keep')) };

/** A batch as code: `--` comments dropped, string literals emptied (''), lines trimmed, blank lines dropped. */
function code(batch: string): string {
  let out = '';
  for (let i = 0; i < batch.length; i++) {
    if (batch.startsWith('--', i)) {
      while (i < batch.length && batch[i] !== '\n') i++;
      out += '\n';
    } else if (batch[i] === "'") {
      for (i++; i < batch.length; i++) if (batch[i] === "'" && batch[++i] !== "'") break;
      out += "''";
      i--;
    } else out += batch[i];
  }
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('\n');
}

function procedure(ms: readonly Migration[], name: string): string {
  const found = ms.flatMap((m) => m.batches).filter((b) => b.includes(`CREATE OR ALTER PROCEDURE ${name}\n`));
  expect([name, found.length]).toStrictEqual([name, 1]);
  return code(found[0]!);
}

/** Every position of a statement (a regular expression on the code), in order. */
const at = (text: string, re: RegExp): number[] => [...text.matchAll(new RegExp(re.source, `${re.flags.replace('g', '')}gm`))].map((m) => m.index);

describe('the serving MERGE transaction contract (procedure text; no SQL Server here)', () => {
  for (const [name, set] of Object.entries(SETS)) {
    const ms = servingMigrations(set);

    it(`${name}: usp_merge_marts sets XACT_ABORT ON, checks staging, then runs every mart's merge between one BEGIN TRANSACTION and its COMMIT`, () => {
      const p = procedure(ms, SERVING_OBJECTS.mergeProcedure);
      const xact = at(p, /^SET XACT_ABORT ON;$/);
      const begin = at(p, /^BEGIN TRAN(SACTION)?\b/);
      const commit = at(p, /^COMMIT( TRAN(SACTION)?)?\b/);
      const checks = at(p, /^THROW 501\d\d\b/);
      const execs = set.marts.map((m) => at(p, new RegExp(`^EXEC \\[gold\\]\\.\\[usp_merge_${m.mart}\\] @RunDate = @run_date;$`)));
      expect({ xact: xact.length, begin: begin.length, commit: commit.length, checks: checks.length, execs: execs.map((e) => e.length) }).toStrictEqual({
        xact: 1,
        begin: 1,
        commit: 1,
        checks: 1,
        execs: set.marts.map(() => 1),
      });
      // XACT_ABORT before the transaction opens, and never turned off
      expect(xact[0]!).toBeLessThan(begin[0]!);
      expect(at(p, /^SET XACT_ABORT OFF\b/)).toStrictEqual([]);
      // the staging checks stop the load before anything changed
      expect(checks[0]!).toBeLessThan(begin[0]!);
      // every mart's merge inside the one transaction
      for (const [i, m] of set.marts.entries()) {
        expect([m.mart, begin[0]! < execs[i]![0]!]).toStrictEqual([m.mart, true]);
        expect([m.mart, execs[i]![0]! < commit[0]!]).toStrictEqual([m.mart, true]);
      }
      // an error is never swallowed: a CATCH block, if one is added, rolls back and re-throws
      if (/^BEGIN CATCH$/m.test(p)) {
        const catchBlock = p.slice(p.search(/^BEGIN CATCH$/m));
        expect(catchBlock).toMatch(/^(IF @@TRANCOUNT > 0 )?ROLLBACK( TRAN(SACTION)?)?;$/m);
        expect(catchBlock).toMatch(/^THROW;$/m);
      }
    });

    it(`${name}: each mart's procedure MERGEs and journals under XACT_ABORT ON, inside the caller's transaction only`, () => {
      for (const m of set.marts) {
        const p = procedure(ms, `[gold].[usp_merge_${m.mart}]`);
        const xact = at(p, /^SET XACT_ABORT ON;$/);
        const merge = at(p, new RegExp(`^MERGE \\[gold\\]\\.\\[${m.mart}\\] WITH \\(HOLDLOCK\\)`));
        const journal = at(p, /^INSERT INTO \[ops\]\.\[serving_loads\]/);
        expect([m.mart, xact.length, merge.length, journal.length]).toStrictEqual([m.mart, 1, 1, 1]);
        expect([m.mart, xact[0]! < merge[0]!, merge[0]! < journal[0]!]).toStrictEqual([m.mart, true, true]);
        // it neither commits nor rolls back the caller's transaction half-way
        expect([m.mart, at(p, /^(COMMIT|ROLLBACK)\b/)]).toStrictEqual([m.mart, []]);
      }
      // and only usp_merge_marts calls them (Data Factory calls usp_merge_marts)
      const callers = ms.flatMap((mig) =>
        mig.batches.filter((b) => /EXEC \[gold\]\.\[usp_merge_/.test(code(b))).map((b) => b.split('\n').find((l) => l.startsWith('CREATE'))),
      );
      expect(callers).toStrictEqual([`CREATE OR ALTER PROCEDURE ${SERVING_OBJECTS.mergeProcedure}`]);
    });
  }
});
