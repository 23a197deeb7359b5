import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { loadContractsOrThrow } from '@streampulse/contracts';
import { compileJobs } from '@streampulse/jobs';
import type { BronzeResult } from '../src/bronze.js';
import { datasetReport } from '../src/reports.js';
import type { SilverResult } from '../src/silver.js';

// The conservation check of a dataset's batch report: rows in = promoted + quarantined
// (quarantined and dropped by bronze) + duplicates (in the batch, of earlier batches,
// superseded versions, rows of a re-landed file). The runner's own runs always balance,
// so only hand-made counts can show that a row lost or counted twice is caught.
const PLAN = compileJobs(loadContractsOrThrow(join(process.cwd(), 'contracts', 'test', 'fixtures', 'valid')));
const BATCH = '2024-03-02';

function bronze(over: Partial<BronzeResult> = {}): BronzeResult {
  return {
    files: [{ file: 'users/2024-03-02/users.jsonl', rows: 14, sha256: 'a'.repeat(64) }],
    rowsIn: 16,
    blankLines: 0,
    passed: 9,
    warned: 1,
    quarantined: 3,
    dropped: 1,
    duplicateFileRows: 2,
    quarantinedByReason: { 'required:user_id': 3 },
    warnedByReason: { 'accepted_values:region': 1 },
    rules: [],
    newestEventTime: '2024-03-01 10:00:00',
    newestPromotedEventTime: '2024-03-01 10:00:00',
    rescuedRows: 0,
    notes: [],
    ...over,
  };
}
// 16 rows in: 14 in the file read (10 passed or warned, 3 quarantined, 1 dropped) and 2 of a re-landed copy;
// the 10 passed or warned: 6 promoted, 1 duplicate in the batch, 2 re-sent from earlier batches, 1 superseded version
const silver = (over: Partial<SilverResult> = {}): SilverResult => ({
  rowsIn: 10,
  promoted: 6,
  duplicatesInBatch: 1,
  duplicatesOfEarlierBatches: 2,
  superseded: 1,
  ...over,
});

describe('the batch report conserves rows', () => {
  it('counts rows in as promoted + quarantined + duplicates of every kind', () => {
    const r = datasetReport(PLAN, 'users', BATCH, bronze(), silver());
    expect([r.rows_in, r.promoted, r.quarantined, r.duplicates_dropped, r.conserved]).toStrictEqual([16, 6, 4, 6, true]);
    expect(r.duplicates).toStrictEqual({ in_batch: 1, of_earlier_batches: 2, superseded_versions: 1, relanded_file_rows: 2 });
  });

  it('is not conserved when a row is lost or counted twice anywhere', () => {
    const broken: [string, BronzeResult, SilverResult][] = [
      ['a row more in than out', bronze({ rowsIn: 17 }), silver()],
      ['a row less in than out', bronze({ rowsIn: 15 }), silver()],
      ['a promoted row lost', bronze(), silver({ promoted: 5 })],
      ['a quarantined row lost', bronze({ quarantined: 2 }), silver()],
      ['a dropped row lost', bronze({ dropped: 0 }), silver()],
      ['a re-landed row lost', bronze({ duplicateFileRows: 1 }), silver()],
      ['an in-batch duplicate lost', bronze(), silver({ duplicatesInBatch: 0 })],
      ['a re-sent duplicate counted twice', bronze(), silver({ duplicatesOfEarlierBatches: 3 })],
      ['a superseded version lost', bronze(), silver({ superseded: 0 })],
      ['no silver job ran', bronze(), undefined as unknown as SilverResult],
    ];
    expect(broken.map(([what, b, s]) => [what, datasetReport(PLAN, 'users', BATCH, b, s).conserved])).toStrictEqual(broken.map(([what]) => [what, false]));
  });

  it('is conserved for a dataset without rows (0 = 0 + 0 + 0)', () => {
    const none = bronze({
      files: [],
      rowsIn: 0,
      passed: 0,
      warned: 0,
      quarantined: 0,
      dropped: 0,
      duplicateFileRows: 0,
      quarantinedByReason: {},
      warnedByReason: {},
    });
    const r = datasetReport(PLAN, 'users', BATCH, none, silver({ rowsIn: 0, promoted: 0, duplicatesInBatch: 0, duplicatesOfEarlierBatches: 0, superseded: 0 }));
    expect([r.rows_in, r.conserved]).toStrictEqual([0, true]);
  });
});
