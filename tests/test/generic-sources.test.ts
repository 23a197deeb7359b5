/**
 * A dataset that only has a contract (no simulation binding) gets generic rows that
 * honour its rules: the real bronze step on DuckDB promotes every row that is not an
 * injected defect, and quarantines exactly the defects the manifest lists, for their
 * reasons. Two new datasets are added to a copy of the shipped contracts: a CSV feed of
 * ad campaigns (generic, referencing a simulated dataset) and a JSONL feed of ad
 * impressions (regex, accepted values, a range, a unit in a description, a country
 * code, a unique rule, references to a simulated and to a generic parent).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { loadContractsOrThrow, type ContractSet } from '@streampulse/contracts';
import type { BatchReport } from '@streampulse/engine';
import { DEFECT_KINDS, generateSources, type Manifest } from '@streampulse/sources';
import { LOCAL_DEMO_SALT, prepareLake, runBatches } from '@streampulse/rehearsal';

const CAMPAIGNS = `dataset: ad_campaigns
version: 1.0.0
owner: ads-platform@streampulse.example
domain: marketing
description: Advertising campaigns booked on the free tier, exported daily by the ad server (one row per campaign booked that day).
source:
  system: ad-server
  format: csv
  landing_path: ad-server/campaigns/{date}/ad_campaigns.csv
  schedule: daily
  csv:
    delimiter: ","
    header: true
sla:
  freshness_hours: 26
  completeness_pct: 99
primary_key: [campaign_id]
event_time: booked_at
watermark:
  max_delay_hours: 24
columns:
  - name: campaign_id
    type: string
    required: true
    description: Ad server identifier of the campaign.
    constraints:
      max_length: 12
  - name: account_manager_id
    type: string
    required: true
    description: Account (users.user_id) of the advertiser's account manager.
  - name: daily_budget_cents
    type: integer
    required: true
    description: Most the campaign may spend in a day, in cents.
  - name: booked_at
    type: timestamp
    required: true
    description: UTC instant the campaign was booked.
quality:
  - name: campaign_id_format
    rule: regex
    column: campaign_id
    pattern: '^cmp-[a-z]{3}-\\d{4}$'
    action: quarantine
  - name: manager_exists
    rule: referential
    column: account_manager_id
    references: { dataset: users, column: user_id }
    action: quarantine
silver:
  dedupe:
    key: [campaign_id]
    order_by:
      - column: booked_at
        direction: desc
`;

const IMPRESSIONS = `dataset: ad_impressions
version: 1.0.0
owner: ads-platform@streampulse.example
domain: marketing
description: >-
  Ad impressions served to viewers on the free tier by the ad server: one row per
  impression, with the campaign, where the ad was placed and what it cost.
source:
  system: ad-server
  format: jsonl
  landing_path: ad-server/impressions/{date}/ad_impressions.jsonl
  schedule: daily
sla:
  freshness_hours: 26
  completeness_pct: 99
primary_key: [impression_id]
event_time: served_at
watermark:
  max_delay_hours: 24
columns:
  - name: impression_id
    type: string
    required: true
    description: Ad server identifier of the impression.
    constraints:
      max_length: 32
  - name: campaign_id
    type: string
    required: true
    description: Campaign the creative belongs to (ad_campaigns.campaign_id).
  - name: user_id
    type: string
    required: true
    description: Account that saw the ad (users.user_id).
  - name: placement
    type: string
    required: true
    description: Where in the product the ad was shown.
  - name: cost_micros
    type: bigint
    required: true
    description: What the advertiser pays for this impression, in micros (millionths of the currency unit).
  - name: country
    type: string
    description: ISO 3166-1 alpha-2 country the impression was served in.
    constraints:
      max_length: 2
  - name: watched_pct
    type: decimal(5,2)
    description: Share of the ad's length that played, in percent.
  - name: clicked
    type: boolean
    description: Whether the viewer clicked the ad.
  - name: served_at
    type: timestamp
    required: true
    description: UTC instant the impression was served.
quality:
  - name: impression_not_duplicated
    rule: unique
    columns: [impression_id, served_at]
    action: drop
  - name: campaign_id_format
    rule: regex
    column: campaign_id
    pattern: '^cmp-[a-z]{3}-\\d{4}$'
    action: quarantine
  - name: placement_known
    rule: accepted_values
    column: placement
    values: [preroll, midroll, home_banner, pause_screen]
    action: quarantine
  - name: cost_in_range
    rule: range
    column: cost_micros
    min: 0
    max: 100000000
    action: quarantine
  - name: country_is_iso2
    rule: regex
    column: country
    pattern: '^[A-Z]{2}$'
    action: quarantine
  - name: watched_pct_in_range
    rule: range
    column: watched_pct
    min: 0
    max: 100
    action: quarantine
  - name: campaign_exists
    rule: referential
    column: campaign_id
    references: { dataset: ad_campaigns, column: campaign_id }
    action: quarantine
  - name: viewer_exists
    rule: referential
    column: user_id
    references: { dataset: users, column: user_id }
    action: quarantine
silver:
  dedupe:
    key: [impression_id]
    order_by:
      - column: served_at
        direction: desc
`;

const NEW = ['ad_campaigns', 'ad_impressions'] as const;
// every row-level defect at 3 %: some of each kind lands in the new leaf dataset
const RATES = { ...Object.fromEntries(DEFECT_KINDS.map((k) => [k, 0.03])), relanded_files: 0 };

let duck: DuckDBConnection;
async function q(sql: string): Promise<Record<string, unknown>[]> {
  return (await duck.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

describe('generic rows of a contract-only dataset pass its own rules on the real bronze step', () => {
  let set: ContractSet;
  let lake: string;
  let manifest: Manifest;
  let reports: BatchReport[];

  beforeAll(async () => {
    duck = await (await DuckDBInstance.create(':memory:')).connect();
    const dir = join(mkdtempSync(join(tmpdir(), 'sp-generic-contracts-')), 'streampulse');
    cpSync(join(process.cwd(), 'contracts', 'streampulse'), dir, { recursive: true });
    writeFileSync(join(dir, 'datasets', 'ad_campaigns.yaml'), CAMPAIGNS);
    writeFileSync(join(dir, 'datasets', 'ad_impressions.yaml'), IMPRESSIONS);
    set = loadContractsOrThrow(dir);
    lake = join(mkdtempSync(join(tmpdir(), 'sp-generic-lake-')), 'lake');
    prepareLake(lake);
    manifest = generateSources(set, { outDir: join(lake, 'landing'), users: 300, days: 5, startDate: '2026-02-02', seed: 'ads', defects: RATES });
    ({ reports } = await runBatches(set, { lakeRoot: lake, dates: manifest.dates, salt: LOCAL_DEMO_SALT, freshness: 'report', threads: 2 }));
  }, 240_000);
  afterAll(() => duck.closeSync());

  it('the new datasets are generic and got rows, and the injected defects include quarantining ones (not vacuous)', () => {
    for (const ds of NEW) expect(manifest.datasets.find((d) => d.dataset === ds)).toMatchObject({ source: 'generic' });
    for (const ds of NEW) expect(manifest.datasets.find((d) => d.dataset === ds)!.rows).toBeGreaterThan(50);
    const kinds = new Set(manifest.defects.filter((d) => d.dataset === 'ad_impressions' && d.expect.outcome === 'quarantined').map((d) => d.kind));
    for (const k of ['malformed', 'wrong_type', 'null_key', 'out_of_range']) expect(kinds).toContain(k);
  });

  it('conserves rows per batch: in = promoted + quarantined + duplicates', () => {
    for (const r of reports)
      for (const ds of NEW) {
        const d = r.datasets.find((x) => x.dataset === ds)!;
        expect(d.rows_in).toBeGreaterThan(0);
        expect({ ds, batch: r.batch, sum: d.promoted + d.quarantined + d.duplicates_dropped, conserved: d.conserved }).toEqual({
          ds,
          batch: r.batch,
          sum: d.rows_in,
          conserved: true,
        });
      }
  });

  it('quarantines nothing but the injected defects: by batch and reason, exactly as the manifest says', () => {
    for (const ds of NEW) {
      const expected: Record<string, number> = {};
      for (const d of manifest.defects)
        if (d.dataset === ds && d.expect.outcome === 'quarantined')
          expected[`${d.batch} ${d.expect.reason}`] = (expected[`${d.batch} ${d.expect.reason}`] ?? 0) + 1;
      const actual: Record<string, number> = {};
      for (const r of reports)
        for (const [reason, n] of Object.entries(r.datasets.find((x) => x.dataset === ds)!.quarantined_by_reason)) {
          const k = `${r.batch} ${reason.startsWith('unparseable') ? 'unparseable' : reason}`;
          actual[k] = (actual[k] ?? 0) + n;
        }
      expect({ ds, quarantined: actual }).toEqual({ ds, quarantined: expected });
    }
  });

  it('every quarantined row with a key is an injected defect, quarantined first for its reason; no rule warned on a generated value', async () => {
    const defects = new Map(
      manifest.defects.flatMap((d) => (d.dataset === 'ad_impressions' && d.expect.outcome === 'quarantined' ? [[`${d.batch}|${d.key}`, d.expect.reason]] : [])),
    );
    const rows = await q(
      `SELECT regexp_extract(filename, 'batch=([0-9-]+)', 1) AS b, impression_id AS k, _quarantine_reason AS r
       FROM read_parquet('${join(lake, 'quarantine', 'ad_impressions', 'batch=*', 'data.parquet')}', filename = true) WHERE impression_id IS NOT NULL`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      // the first reason is the defect's; a wrong type also makes a required column null
      const reason = defects.get(`${String(row['b'])}|${String(row['k'])}`);
      expect({ key: row['k'], reason: String(row['r']).split('; ')[0] }).toEqual({ key: row['k'], reason });
    }
    // warn-level checks would flag a value the generator got wrong without quarantining it
    const warned = await q(
      `SELECT count(*) AS n FROM read_parquet('${join(lake, 'bronze', 'ad_impressions', 'batch=*', 'data.parquet')}') WHERE _quality_status = 'warned'`,
    );
    expect(Number(warned[0]!['n'])).toBe(0);
  });

  it('promotes every generated row that is not a quarantined defect: silver holds exactly those keys', async () => {
    const quarantinedKeys = new Set(manifest.defects.filter((d) => d.dataset === 'ad_impressions' && d.expect.outcome === 'quarantined').map((d) => d.key));
    const landed = new Set<string>();
    for (const f of manifest.files.filter((x) => x.dataset === 'ad_impressions'))
      for (const line of readFileSync(join(lake, 'landing', f.file), 'utf8').split('\n')) {
        if (line === '') continue;
        try {
          const id = (JSON.parse(line) as Record<string, unknown>)['impression_id'];
          if (typeof id === 'string') landed.add(id);
        } catch {
          // a malformed line: its key is a quarantined defect
        }
      }
    const expected = [...landed].filter((k) => !quarantinedKeys.has(k)).sort();
    const silver = await q(
      `SELECT DISTINCT impression_id AS k FROM read_parquet('${join(lake, 'silver', 'ad_impressions', 'batch=*', 'data.parquet')}') ORDER BY 1`,
    );
    expect(silver.map((r) => r['k'])).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0.6 * manifest.datasets.find((d) => d.dataset === 'ad_impressions')!.rows);
  });

  it('generated values look like the business: campaign ids of the pattern, costs of a few thousand micros', async () => {
    const r = await q(
      `SELECT min(cost_micros) AS lo, max(cost_micros) AS hi, count(DISTINCT campaign_id) AS campaigns,
              bool_and(regexp_full_match(campaign_id, '^cmp-[a-z]{3}-\\d{4}$')) AS ids, count(DISTINCT placement) AS placements
       FROM read_parquet('${join(lake, 'silver', 'ad_impressions', 'batch=*', 'data.parquet')}')`,
    );
    expect(Number(r[0]!['lo'])).toBeGreaterThanOrEqual(500);
    expect(Number(r[0]!['hi'])).toBeLessThanOrEqual(10_000);
    expect(r[0]!['ids']).toBe(true);
    expect(Number(r[0]!['campaigns'])).toBeGreaterThan(3);
    expect(Number(r[0]!['placements'])).toBe(4);
  });
});
