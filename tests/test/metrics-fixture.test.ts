/**
 * The metric meanings hold on a small, hand-computed fixture.
 *
 * The shipped contracts (contracts/streampulse/) run through the local DuckDB runner
 * batch by batch over hand-written landing files (tests/test/fixtures/metrics/landing/,
 * laid out by each dataset contract's `source.landing_path`), then the serving SQLite
 * database is read back. Every expected number below is worked out BY HAND from the
 * fixture, following the `definition:` texts of metrics.yaml and the marts and
 * the metric contracts (contracts/README.md), and asserted as a literal. Nothing here re-implements the SQL.
 *
 * ───────────────────────────── the fixture (all times UTC, 2024) ─────────────────────────────
 *
 * Plans (USD reference price per period → per month):
 *   basic_monthly_eur     8.99 EUR, ref  9.99 USD/month
 *   standard_monthly_usd 14.99 USD/month, raised to 15.99 from 04-01 (new SCD2 price version)
 *   standard_annual_usd  143.88 USD/year = 143.88 / 12 = 11.99 USD/month
 *   premium_monthly_usd  19.99 USD/month
 *   premium_annual_usd   239.88 USD/year = 239.88 / 12 = 19.99 USD/month (no trial)
 *
 * Users and subscriptions:
 *   u1 Alice  signup 03-01, DE/EMEA, organic.    sub1 basic_monthly_eur: trial 03-01→03-08, first
 *             charge 03-08 (p02: 8.99 EUR settled as 9.74 USD). Upgrades to standard_monthly_usd
 *             on 04-02. Renewal 04-08 fails (p06), retry 04-11 fails (p09), dunning exhausted:
 *             expired 04-15, no cancellation request → involuntary churn on 04-15.
 *   u2 Bob    signup 03-01, US/NA, paid_search.  sub2 premium_annual_usd bought directly 03-01
 *             (p01 paypal 239.88), no trial. Stays.
 *   u3 Carla  signup 03-04, BR/LATAM, paid_social. sub3 standard_monthly_usd: trial 03-04→03-11,
 *             first charge 03-11 (p03 14.99). Renewal 04-11 fails (p08, past_due), retry 04-13
 *             succeeds (p10 15.99, attempt 2) → recovered. Stays.
 *   u4 Dan    signup 03-04, FR/EMEA, referral.   sub4 basic_monthly_eur: trial 03-04→03-11, the
 *             first charge fails (p04) and the trial expires 03-11: a LOST TRIAL, never paid,
 *             so never a paying subscriber and not churn.
 *   u5 Eve    signup 03-11, AU/APAC, app_store.  sub5 premium_monthly_usd: trial 03-11→03-18,
 *             first charge 03-18 (p05 apple_pay 19.99), asks to cancel 03-20 and is refunded
 *             (p05 re-exported as refunded on 03-20); service ends 04-18.
 *             Churn = earlier of request (03-20) and end (04-18) = 03-20 → voluntary churn in MARCH.
 *   u6 Frank  signup 04-02, CA/NA, paid_search.  sub6 standard_annual_usd: trial 04-02→04-09,
 *             first charge 04-09 (p07 card 143.88). Stays.
 *
 * Content: c1 "The Long Night" (movie, drama, original), c2 "Pilot" of series "Orbit Station"
 * (episode, sci_fi), c3 "Ocean Deep" (documentary), c4 "Bunny Hops" (kids, animation, original),
 * c5 "Laugh Track" (movie, comedy; never played → no portfolio row).
 *
 * Sessions (valid when duration ≥ min_valid_session_seconds = 60) and plays (completed when
 * completion_pct ≥ completion_threshold_pct = 90):
 *   date   user session            plays
 *   03-01  u1   s13   10 s invalid  -
 *   03-01  u1   s01 7800 s valid    w01 c1 6840 s  95.0 % completed
 *   03-01  u2   s02 3300 s valid    w02 c2 2700 s  90.0 % completed (exactly at the threshold)
 *   03-04  u3   s03 5400 s valid    w03 c3 4860 s  89.9 % not completed (just below)
 *   03-04  u4   s04   30 s invalid  -                                   → u4 is never active
 *   03-08  u1   s05 1500 s valid    w04 c4  600 s  50.0 % not;  w05 c4 555 s 100 % completed
 *   03-11  u5   s06   59 s invalid  w06 c4   45 s   3.75 % not     → active through the play only
 *   03-11  u2   s07  600 s valid    -                              → active through the session only
 *   03-20  u3   s08 2700 s valid    w07 c2 2400 s 100 % completed
 *   04-02  u6   s09 2700 s valid    w08 c1 2520 s  35.0 % not
 *   04-09  u1   s10   60 s valid (exactly the minimum), no play
 *   04-13  u2   s11 5600 s valid    w09 c3 5400 s 100 % completed
 *   04-30  u6   s12 1200 s valid    w10 c4 1080 s  90.5 % completed
 *
 * Funnel journeys (anonymous id: first touch → furthest step; step order 1 visit … 5 paid):
 *   a1  03-01 organic      → trial_started 03-01, paid_conversion 03-08  (u1)   max 5
 *   a2  03-01 paid_search  → signup_completed, paid_conversion 03-01 (no trial; u2) max 5
 *   a3  03-01 organic      → visit only                                        max 1
 *   a4  03-01 paid_search  → signup_started (abandoned)                        max 2
 *   a5  03-04 paid_social  → trial 03-04, paid 03-11 (u3)                      max 5
 *   a6  03-04 referral     → trial 03-04, never paid (u4)                      max 4
 *   a8  03-04 paid_social  → visit only                                        max 1
 *   a13 03-04 organic      → visit only                                        max 1
 *   a7  03-11 app_store    → trial 03-11, paid 03-18 (u5)                      max 5
 *   a9  03-20 channel null (→ "direct" in silver); later touches 04-02 via paid_search, trial
 *       04-02, paid 04-09 (u6): credited to MARCH / direct (first touch)     max 5
 *   a10 04-02 organic      → visit only                                        max 1
 *   a11 04-09 email        → signup_started                                    max 2
 *
 * Batches (each record lands on the day it happened, so no watermark is hit):
 *   03-01 03-04 03-08 03-11 03-18 03-20 04-01 04-02 04-09 04-11 04-13 04-15 04-18 04-30.
 *   The 04-01 plans file carries only the re-priced plan: a full snapshot would repeat the
 *   unchanged plans with updated_at 02-28, which the 72 h watermark quarantines as late.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadContractsOrThrow } from '@streampulse/contracts';
import { compileJobs } from '@streampulse/jobs';
import { LocalRunner, type BatchReport } from '@streampulse/engine';

const ROOT = process.cwd();
const CONTRACTS = join(ROOT, 'contracts', 'streampulse');
const LANDING = join(ROOT, 'tests', 'test', 'fixtures', 'metrics', 'landing');
const BATCHES = [
  '2024-03-01',
  '2024-03-04',
  '2024-03-08',
  '2024-03-11',
  '2024-03-18',
  '2024-03-20',
  '2024-04-01',
  '2024-04-02',
  '2024-04-09',
  '2024-04-11',
  '2024-04-13',
  '2024-04-15',
  '2024-04-18',
  '2024-04-30',
];

type Row = Record<string, unknown>;

/** Rounds every number to 6 decimals so ratios compare with the hand-written literals. */
function r6(row: Row): Row {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v]));
}

describe('metric meanings on a hand-computed fixture (shipped contracts, local runner, SQLite serving)', () => {
  let lake: string;
  let reports: BatchReport[];
  let db: Database.Database;
  const rows = (sql: string): Row[] => (db.prepare(sql).all() as Row[]).map(r6);

  beforeAll(async () => {
    const set = loadContractsOrThrow(CONTRACTS);
    lake = mkdtempSync(join(tmpdir(), 'sp-metrics-'));
    cpSync(LANDING, join(lake, 'landing'), { recursive: true });
    // a handful of hand-written events days apart: the shipped telemetry freshness rules
    // (a session every 4 h) would stop every batch, so they are reported, not enforced
    const runner = await LocalRunner.open(compileJobs(set), { lakeRoot: lake, salt: 'test-salt', threads: 1, freshness: 'report' });
    try {
      reports = [];
      for (const d of BATCHES) reports.push(await runner.runBatch(d));
      await runner.publish(set, reports);
    } finally {
      await runner.close();
    }
    db = new Database(join(lake, 'serving', 'streampulse.sqlite'), { readonly: true });
  }, 180_000);

  afterAll(() => {
    db?.close();
    if (lake) rmSync(lake, { recursive: true, force: true });
  });

  it('uses every fixture record: nothing quarantined, dropped as duplicate or warned', () => {
    const landed = reports.flatMap((r) => r.datasets.filter((d) => d.rows_in > 0).map((d) => [r.batch, d.dataset, d.rows_in, d.promoted]));
    const lost = reports.flatMap((r) =>
      r.datasets.filter((d) => d.quarantined + d.duplicates_dropped + d.warned > 0 || !d.conserved).map((d) => `${r.batch} ${d.dataset}`),
    );
    expect(lost).toEqual([]);
    // rows landed per dataset, summed over the batches (counted in the landing files)
    const total = (ds: string): number => landed.filter((x) => x[1] === ds).reduce((a, x) => a + Number(x[3]), 0);
    expect({
      users: total('users'), // u1 u2 | u3 u4 | u5 | u6
      plans: total('plans'), // 5 on 03-01 + the re-priced standard_monthly_usd on 04-01
      content_catalog: total('content_catalog'),
      subscriptions: total('subscriptions'), // sub1 ×5, sub2 ×1, sub3 ×4, sub4 ×2, sub5 ×4, sub6 ×2
      subscription_events: total('subscription_events'),
      payments: total('payments'), // p01..p10 + p05's refunded re-export
      playback_sessions: total('playback_sessions'),
      watch_events: total('watch_events'),
      funnel_events: total('funnel_events'),
    }).toEqual({
      users: 6,
      plans: 6,
      content_catalog: 5,
      subscriptions: 18,
      subscription_events: 15,
      payments: 11,
      playback_sessions: 13,
      watch_events: 10,
      funnel_events: 37,
    });
  });

  it('analytics_kpi_monthly: active users, the paying base, churn, MRR, revenue and ARPU per month', () => {
    // Months come from the calendar (dim_date starts 2024-01-01) up to the run date's month
    // (last batch 2024-04-30), zero-filled: January and February have no data at all.
    //
    // MARCH
    //   active users: u1 (03-01, 03-08), u2 (03-01, 03-11 session only), u3 (03-04, 03-20),
    //                 u5 (03-11 play only, her session is 59 s); u4 had only a 30 s session → 4
    //   opening subscribers: nobody had paid before 03-01 → 0
    //   new subscribers (first successful charge in March): sub2 03-01, sub1 03-08, sub3 03-11,
    //                 sub5 03-18 → 4 (sub4 never paid: a lost trial, not new and not churn)
    //   churned: sub5 (cancellation request 03-20, earlier than its end 04-18) → 1
    //   paying at month end: 0 + 4 − 1 = 3 (sub1, sub2, sub3)
    //   churn rate: 1 / 0 opening → empty (null)
    //   MRR March = 9.99 (sub1 basic_monthly_eur, its plan at 03-31 — it upgrades only on 04-02)
    //             + 239.88 / 12 = 19.99 (sub2 premium annual)
    //             + 14.99 (sub3 standard monthly, the price in force at 03-31)
    //             = 44.97
    //   ARPU March = 44.97 / 3 = 14.99
    //   revenue March (succeeded payments, USD settlement, by attempt date):
    //             p01 239.88 + p02 9.74 (8.99 EUR as settled, not the 9.99 reference) + p03 14.99
    //             = 264.61; p04 failed, p05 19.99 refunded → excluded
    //
    // APRIL
    //   active users: u6 (04-02, 04-30), u1 (04-09, a 60 s session = exactly the minimum),
    //                 u2 (04-13) → 3
    //   opening = paying at end of March = 3 (sub1, sub2, sub3)
    //   new: sub6 (first charge 04-09) → 1
    //   churned: sub1 (expired 04-15 after failed dunning) → 1; sub5's end on 04-18 is not
    //            counted again (it churned in March)
    //   paying at month end: 3 + 1 − 1 = 3 (sub2, sub3, sub6)
    //   churn rate April = 1 / 3 = 0.333333
    //   MRR April = 19.99 (sub2) + 15.99 (sub3, standard monthly at its 04-01 price)
    //             + 143.88 / 12 = 11.99 (sub6 standard annual) = 47.97; sub1 churned → 0
    //   ARPU April = 47.97 / 3 = 15.99
    //   revenue April = p07 143.88 + p10 15.99 = 159.87 (p06, p08, p09 failed)
    expect(rows('SELECT * FROM analytics_kpi_monthly ORDER BY month')).toEqual([
      {
        month: '2024-01-01',
        active_users: 0,
        paying_subscribers: 0,
        opening_subscribers: 0,
        new_subscribers: 0,
        churned_subscribers: 0,
        churn_rate: null,
        mrr: 0,
        revenue: 0,
        arpu: null,
      },
      {
        month: '2024-02-01',
        active_users: 0,
        paying_subscribers: 0,
        opening_subscribers: 0,
        new_subscribers: 0,
        churned_subscribers: 0,
        churn_rate: null,
        mrr: 0,
        revenue: 0,
        arpu: null,
      },
      {
        month: '2024-03-01',
        active_users: 4,
        paying_subscribers: 3,
        opening_subscribers: 0,
        new_subscribers: 4,
        churned_subscribers: 1,
        churn_rate: null,
        mrr: 44.97,
        revenue: 264.61,
        arpu: 14.99,
      },
      {
        month: '2024-04-01',
        active_users: 3,
        paying_subscribers: 3,
        opening_subscribers: 3,
        new_subscribers: 1,
        churned_subscribers: 1,
        churn_rate: 0.333333,
        mrr: 47.97,
        revenue: 159.87,
        arpu: 15.99,
      },
    ]);
  });

  it('analytics_subscription_health: the base by month, tier in force at month end and current region', () => {
    // One row per (month, tier at month end, current region) with a paying subscription.
    // MARCH
    //   basic/EMEA     sub1: new, paying at end;  MRR 9.99 (basic at 03-31 from history,
    //                  although its current plan is standard)
    //   premium/APAC   sub5: new and churned (request 03-20) → voluntary 1; paying at end 0;
    //                  MRR 0; churned MRR 19.99
    //   premium/NA     sub2: new, paying; MRR 239.88 / 12 = 19.99
    //   standard/LATAM sub3: new, paying; MRR 14.99
    //   churn rate: nobody opened March → null everywhere
    // APRIL
    //   premium/NA     sub2: opening 1, paying 1, churn 0 / 1 = 0; MRR 19.99
    //   standard/EMEA  sub1 (standard since 04-02): opening 1, churned 1, involuntary (ended
    //                  without a request) → churn rate 1 / 1 = 1; MRR 0; churned MRR 15.99
    //   standard/LATAM sub3: opening 1, paying 1 (past_due 04-11..04-13 still counts), churn
    //                  0 / 1 = 0; MRR 15.99 (April price)
    //   standard/NA    sub6: new 1, paying 1, opening 0 → churn rate null; MRR 143.88 / 12 = 11.99
    // sub4 (lost trial) never appears.
    const cols =
      'month, plan_tier, region, active_subscribers AS paying, opening_subscribers AS opening, new_subscribers AS new, churned_subscribers AS churned, voluntary_churned AS vol, involuntary_churned AS invol, churn_rate, mrr, churned_mrr';
    expect(rows(`SELECT ${cols} FROM analytics_subscription_health ORDER BY month, plan_tier, region`)).toEqual([
      {
        month: '2024-03-01',
        plan_tier: 'basic',
        region: 'EMEA',
        paying: 1,
        opening: 0,
        new: 1,
        churned: 0,
        vol: 0,
        invol: 0,
        churn_rate: null,
        mrr: 9.99,
        churned_mrr: 0,
      },
      {
        month: '2024-03-01',
        plan_tier: 'premium',
        region: 'APAC',
        paying: 0,
        opening: 0,
        new: 1,
        churned: 1,
        vol: 1,
        invol: 0,
        churn_rate: null,
        mrr: 0,
        churned_mrr: 19.99,
      },
      {
        month: '2024-03-01',
        plan_tier: 'premium',
        region: 'NA',
        paying: 1,
        opening: 0,
        new: 1,
        churned: 0,
        vol: 0,
        invol: 0,
        churn_rate: null,
        mrr: 19.99,
        churned_mrr: 0,
      },
      {
        month: '2024-03-01',
        plan_tier: 'standard',
        region: 'LATAM',
        paying: 1,
        opening: 0,
        new: 1,
        churned: 0,
        vol: 0,
        invol: 0,
        churn_rate: null,
        mrr: 14.99,
        churned_mrr: 0,
      },
      {
        month: '2024-04-01',
        plan_tier: 'premium',
        region: 'NA',
        paying: 1,
        opening: 1,
        new: 0,
        churned: 0,
        vol: 0,
        invol: 0,
        churn_rate: 0,
        mrr: 19.99,
        churned_mrr: 0,
      },
      {
        month: '2024-04-01',
        plan_tier: 'standard',
        region: 'EMEA',
        paying: 0,
        opening: 1,
        new: 0,
        churned: 1,
        vol: 0,
        invol: 1,
        churn_rate: 1,
        mrr: 0,
        churned_mrr: 15.99,
      },
      {
        month: '2024-04-01',
        plan_tier: 'standard',
        region: 'LATAM',
        paying: 1,
        opening: 1,
        new: 0,
        churned: 0,
        vol: 0,
        invol: 0,
        churn_rate: 0,
        mrr: 15.99,
        churned_mrr: 0,
      },
      {
        month: '2024-04-01',
        plan_tier: 'standard',
        region: 'NA',
        paying: 1,
        opening: 0,
        new: 1,
        churned: 0,
        vol: 0,
        invol: 0,
        churn_rate: null,
        mrr: 11.99,
        churned_mrr: 0,
      },
    ]);
  });

  it('analytics_engagement_daily: active users, valid sessions, plays, watch hours and completion per day', () => {
    // Only days with an active user get a row (03-18 and the other batch days without
    // activity have none).
    // 03-01 active u1, u2 = 2; sessions s01, s02 = 2 (s13 is 10 s → not counted); plays w01, w02 = 2
    //       watch 6840 + 2700 = 9540 s = 9540 / 3600 = 2.65 h; minutes per active user 159 / 2 = 79.5
    //       completion 2 / 2 = 1 (w02 at exactly 90 % counts)
    // 03-04 active u3 = 1 (u4's 30 s session does not make him active); sessions 1; plays 1
    //       4860 s = 1.35 h; 81 min / 1 = 81; completion 0 / 1 = 0 (w03 at 89.9 %)
    // 03-08 active u1; sessions 1; plays w04, w05 = 2; 600 + 555 = 1155 s = 0.320833 h;
    //       19.25 min / 1 = 19.25; completion 1 / 2 = 0.5
    // 03-11 active u5 (play, 59 s session) and u2 (600 s session) = 2; sessions 1 (s07);
    //       plays 1 (w06); 45 s = 0.0125 h; 0.75 min / 2 = 0.375; completion 0 / 1 = 0
    // 03-20 u3: 1, 1, 1; 2400 s = 0.666667 h; 40 min; completion 1 / 1 = 1
    // 04-02 u6: 1, 1, 1; 2520 s = 0.7 h; 42 min; completion 0 / 1 = 0 (35 %)
    // 04-09 u1: 1 active, 1 session (60 s, exactly the minimum), 0 plays, 0 h, 0 min;
    //       completion 0 / 0 → null
    // 04-13 u2: 1, 1, 1; 5400 s = 1.5 h; 90 min; completion 1
    // 04-30 u6: 1, 1, 1; 1080 s = 0.3 h; 18 min; completion 1 (90.5 %)
    // completed plays (the completion rate's numerator, served next to it): 03-01 w01, w02 = 2;
    //   03-08 w05 = 1; 03-20 w07 = 1; 04-13 w09 = 1; 04-30 w10 = 1; every other day 0
    expect(rows('SELECT * FROM analytics_engagement_daily ORDER BY activity_date')).toEqual([
      {
        activity_date: '2024-03-01',
        active_users: 2,
        sessions: 2,
        plays: 2,
        completed_plays: 2,
        watch_hours: 2.65,
        watch_minutes_per_active_user: 79.5,
        completion_rate: 1,
      },
      {
        activity_date: '2024-03-04',
        active_users: 1,
        sessions: 1,
        plays: 1,
        completed_plays: 0,
        watch_hours: 1.35,
        watch_minutes_per_active_user: 81,
        completion_rate: 0,
      },
      {
        activity_date: '2024-03-08',
        active_users: 1,
        sessions: 1,
        plays: 2,
        completed_plays: 1,
        watch_hours: 0.320833,
        watch_minutes_per_active_user: 19.25,
        completion_rate: 0.5,
      },
      {
        activity_date: '2024-03-11',
        active_users: 2,
        sessions: 1,
        plays: 1,
        completed_plays: 0,
        watch_hours: 0.0125,
        watch_minutes_per_active_user: 0.375,
        completion_rate: 0,
      },
      {
        activity_date: '2024-03-20',
        active_users: 1,
        sessions: 1,
        plays: 1,
        completed_plays: 1,
        watch_hours: 0.666667,
        watch_minutes_per_active_user: 40,
        completion_rate: 1,
      },
      {
        activity_date: '2024-04-02',
        active_users: 1,
        sessions: 1,
        plays: 1,
        completed_plays: 0,
        watch_hours: 0.7,
        watch_minutes_per_active_user: 42,
        completion_rate: 0,
      },
      {
        activity_date: '2024-04-09',
        active_users: 1,
        sessions: 1,
        plays: 0,
        completed_plays: 0,
        watch_hours: 0,
        watch_minutes_per_active_user: 0,
        completion_rate: null,
      },
      {
        activity_date: '2024-04-13',
        active_users: 1,
        sessions: 1,
        plays: 1,
        completed_plays: 1,
        watch_hours: 1.5,
        watch_minutes_per_active_user: 90,
        completion_rate: 1,
      },
      {
        activity_date: '2024-04-30',
        active_users: 1,
        sessions: 1,
        plays: 1,
        completed_plays: 1,
        watch_hours: 0.3,
        watch_minutes_per_active_user: 18,
        completion_rate: 1,
      },
    ]);
  });

  it('analytics_content_portfolio: plays, viewers, watch hours, completion and share of the month per title', () => {
    // MARCH total watch time = 6840 + 2700 + 4860 + 600 + 555 + 45 + 2400 = 18000 s
    //   c1 w01:            plays 1, viewers 1, 6840 s = 1.9 h, completed 1 → rate 1,
    //                      avg 95, share 6840 / 18000 = 0.38
    //   c2 w02, w07:       plays 2, viewers u2, u3 = 2, 2700 + 2400 = 5100 s = 1.416667 h,
    //                      completed 2 (90.0 and 100) → rate 1, avg (90 + 100) / 2 = 95,
    //                      share 5100 / 18000 = 0.283333; display "Orbit Station — Pilot"
    //   c3 w03:            plays 1, viewers 1, 4860 s = 1.35 h, completed 0 (89.9) → 0,
    //                      avg 89.9, share 4860 / 18000 = 0.27
    //   c4 w04, w05, w06:  plays 3, viewers u1, u5 = 2, 600 + 555 + 45 = 1200 s = 0.333333 h,
    //                      completed 1 (w05) → 1 / 3 = 0.333333, avg (50 + 100 + 3.75) / 3
    //                      = 51.25, share 1200 / 18000 = 0.066667
    //   (shares add up: 0.38 + 0.283333 + 0.27 + 0.066667 = 1)
    // APRIL total = 2520 + 5400 + 1080 = 9000 s
    //   c1 w08: 1, 1, 2520 s = 0.7 h, 0 completed → 0, avg 35, share 2520 / 9000 = 0.28
    //   c3 w09: 1, 1, 5400 s = 1.5 h, 1 → 1, avg 100, share 5400 / 9000 = 0.6
    //   c4 w10: 1, 1, 1080 s = 0.3 h, 1 (90.5) → 1, avg 90.5, share 1080 / 9000 = 0.12
    // c5 was never played: no row.
    expect(rows('SELECT * FROM analytics_content_portfolio ORDER BY month, content_id')).toEqual([
      {
        month: '2024-03-01',
        content_id: 'c1',
        display_title: 'The Long Night',
        content_type: 'movie',
        genre: 'drama',
        is_original: 1,
        plays: 1,
        unique_viewers: 1,
        watch_hours: 1.9,
        completed_plays: 1,
        completion_rate: 1,
        avg_completion_pct: 95,
        watch_time_share: 0.38,
      },
      {
        month: '2024-03-01',
        content_id: 'c2',
        display_title: 'Orbit Station — Pilot',
        content_type: 'episode',
        genre: 'sci_fi',
        is_original: 0,
        plays: 2,
        unique_viewers: 2,
        watch_hours: 1.416667,
        completed_plays: 2,
        completion_rate: 1,
        avg_completion_pct: 95,
        watch_time_share: 0.283333,
      },
      {
        month: '2024-03-01',
        content_id: 'c3',
        display_title: 'Ocean Deep',
        content_type: 'documentary',
        genre: 'documentary',
        is_original: 0,
        plays: 1,
        unique_viewers: 1,
        watch_hours: 1.35,
        completed_plays: 0,
        completion_rate: 0,
        avg_completion_pct: 89.9,
        watch_time_share: 0.27,
      },
      {
        month: '2024-03-01',
        content_id: 'c4',
        display_title: 'Bunny Hops',
        content_type: 'kids',
        genre: 'animation',
        is_original: 1,
        plays: 3,
        unique_viewers: 2,
        watch_hours: 0.333333,
        completed_plays: 1,
        completion_rate: 0.333333,
        avg_completion_pct: 51.25,
        watch_time_share: 0.066667,
      },
      {
        month: '2024-04-01',
        content_id: 'c1',
        display_title: 'The Long Night',
        content_type: 'movie',
        genre: 'drama',
        is_original: 1,
        plays: 1,
        unique_viewers: 1,
        watch_hours: 0.7,
        completed_plays: 0,
        completion_rate: 0,
        avg_completion_pct: 35,
        watch_time_share: 0.28,
      },
      {
        month: '2024-04-01',
        content_id: 'c3',
        display_title: 'Ocean Deep',
        content_type: 'documentary',
        genre: 'documentary',
        is_original: 0,
        plays: 1,
        unique_viewers: 1,
        watch_hours: 1.5,
        completed_plays: 1,
        completion_rate: 1,
        avg_completion_pct: 100,
        watch_time_share: 0.6,
      },
      {
        month: '2024-04-01',
        content_id: 'c4',
        display_title: 'Bunny Hops',
        content_type: 'kids',
        genre: 'animation',
        is_original: 1,
        plays: 1,
        unique_viewers: 1,
        watch_hours: 0.3,
        completed_plays: 1,
        completion_rate: 1,
        avg_completion_pct: 90.5,
        watch_time_share: 0.12,
      },
    ]);
  });

  it('analytics_funnel_conversion: journeys by first-touch month and channel and how far they got', () => {
    // By the definitions (metrics.yaml): signups = journeys reaching step ≥ 3 (signup_completed
    // or later); trials = journeys with a trial_started event; paid after trial = trials that
    // also have a paid_conversion; direct purchases = paid_conversion without trial_started;
    // paid = every paid_conversion = paid after trial + direct purchases.
    //   signup rate = signups / visits; trial→paid = paid after trial / trials;
    //   direct-purchase share = direct purchases / paid; visit→paid = paid / visits
    // Columns below: visits, signups, trials, paid after trial, direct, paid → the four rates.
    // MARCH
    //   app_store   a7 (trial 03-11, paid 03-18)   1, 1, 1, 1, 0, 1 → 1/1 = 1, 1/1 = 1, 0/1 = 0, 1/1 = 1
    //   direct      a9 (first touch 03-20 without channel; trial 04-02, paid 04-09 — credited to
    //               its first touch, not to April / paid_search)
    //                                              1, 1, 1, 1, 0, 1 → 1, 1, 0, 1
    //   organic     a1 (trial, paid), a3, a13 (visits)
    //                                              3, 1, 1, 1, 0, 1 → 1/3 = 0.333333, 1/1 = 1, 0/1 = 0,
    //                                                                  1/3 = 0.333333
    //   paid_search a2 (signup, then paid DIRECTLY: no trial), a4 (signup_started only)
    //                                              2, 1, 0, 0, 1, 1 → 1/2 = 0.5, 0/0 = null (no trial
    //                                              here: a2 is not a trial), 1/1 = 1, 1/2 = 0.5
    //   paid_social a5 (trial, paid), a8 (visit)   2, 1, 1, 1, 0, 1 → 1/2 = 0.5, 1/1 = 1, 0/1 = 0, 1/2 = 0.5
    //   referral    a6 (trial, never paid: a lost trial)
    //                                              1, 1, 1, 0, 0, 0 → 1/1 = 1, 0/1 = 0, 0/0 = null, 0/1 = 0
    // APRIL
    //   email       a11 (signup_started)           1, 0, 0, 0, 0, 0 → 0/1 = 0, null, null, 0
    //   organic     a10 (visit)                    1, 0, 0, 0, 0, 0 → 0, null, null, 0
    const funnel = rows('SELECT * FROM analytics_funnel_conversion ORDER BY month, channel');
    const row = (month: string, channel: string, n: number[], rates: (number | null)[]): Row => ({
      month,
      channel,
      visits: n[0],
      signups: n[1],
      trials: n[2],
      paid_after_trial: n[3],
      direct_purchases: n[4],
      paid: n[5],
      signup_rate: rates[0],
      trial_to_paid_rate: rates[1],
      direct_purchase_share: rates[2],
      visit_to_paid_rate: rates[3],
    });
    expect(funnel).toEqual([
      row('2024-03-01', 'app_store', [1, 1, 1, 1, 0, 1], [1, 1, 0, 1]),
      row('2024-03-01', 'direct', [1, 1, 1, 1, 0, 1], [1, 1, 0, 1]),
      row('2024-03-01', 'organic', [3, 1, 1, 1, 0, 1], [0.333333, 1, 0, 0.333333]),
      row('2024-03-01', 'paid_search', [2, 1, 0, 0, 1, 1], [0.5, null, 1, 0.5]),
      row('2024-03-01', 'paid_social', [2, 1, 1, 1, 0, 1], [0.5, 1, 0, 0.5]),
      row('2024-03-01', 'referral', [1, 1, 1, 0, 0, 0], [1, 0, null, 0]),
      row('2024-04-01', 'email', [1, 0, 0, 0, 0, 0], [0, null, null, 0]),
      row('2024-04-01', 'organic', [1, 0, 0, 0, 0, 0], [0, null, null, 0]),
    ]);
    // The whole of March, rolled up from the additive counts the mart serves:
    //   trials            a1, a5, a6, a7, a9 = 5 (the direct purchaser a2 is not one)
    //   paid after trial  a1, a5, a7, a9     = 4 (the lost trial a6 is not one)
    //   trial→paid        4 / 5 = 0.8  — the documented definition: of the journeys that
    //                     started a trial, the share that paid (a6 in the denominator only,
    //                     a2 in neither). The old formula, (step ≥ 5) / (step ≥ 4), counted
    //                     a2 as a trial: 5 / 6 = 0.833333.
    //   paid              a1, a2, a5, a7, a9 = 5; direct purchases a2 = 1 → share 1 / 5 = 0.2
    expect(
      rows(`SELECT SUM(trials) AS trials, SUM(paid_after_trial) AS paid_after_trial, SUM(direct_purchases) AS direct_purchases, SUM(paid) AS paid,
                   CAST(SUM(paid_after_trial) AS REAL) / SUM(trials) AS trial_to_paid, CAST(SUM(direct_purchases) AS REAL) / SUM(paid) AS direct_share
            FROM analytics_funnel_conversion WHERE month = '2024-03-01'`),
    ).toEqual([{ trials: 5, paid_after_trial: 4, direct_purchases: 1, paid: 5, trial_to_paid: 0.8, direct_share: 0.2 }]);
    // every row is a nested funnel (what the dashboard's funnel card draws) and paid splits in two
    for (const r of funnel) {
      const [visits, signups, trials, afterTrial, direct, paid] = [r.visits, r.signups, r.trials, r.paid_after_trial, r.direct_purchases, r.paid].map(Number);
      expect([visits! >= signups!, signups! >= trials!, trials! >= afterTrial!, paid === afterTrial! + direct!]).toEqual([true, true, true, true]);
    }
  });

  it('analytics_payment_quality: attempts, failures, failure rate and recoveries per month and method', () => {
    // MARCH
    //   apple_pay p05 (succeeded, refunded on 03-20; latest status wins):
    //             attempts 1, failures 0 → rate 0/1 = 0, revenue 0, refunded 19.99
    //   card      p02 succeeded 9.74, p03 succeeded 14.99, p04 failed 9.74 (card_expired):
    //             attempts 3, failures 1 → rate 1/3 = 0.333333, no retries,
    //             revenue 9.74 + 14.99 = 24.73, failed amount 9.74
    //   paypal    p01 succeeded: 1 attempt, 0 failures → 0, revenue 239.88
    // APRIL
    //   card      p06 failed (sub1 attempt 1), p07 succeeded 143.88, p08 failed (sub3 attempt 1),
    //             p09 failed (sub1 attempt 2), p10 succeeded 15.99 (sub3 attempt 2):
    //             attempts 5, failures 3 → rate 3/5 = 0.6; retries p09, p10 = 2;
    //             recovered after retry p10 = 1; revenue 143.88 + 15.99 = 159.87;
    //             failed amount 15.99 + 15.99 + 15.99 = 47.97
    expect(rows('SELECT * FROM analytics_payment_quality ORDER BY month, payment_method')).toEqual([
      {
        month: '2024-03-01',
        payment_method: 'apple_pay',
        attempts: 1,
        failures: 0,
        failure_rate: 0,
        retry_attempts: 0,
        recovered_after_retry: 0,
        revenue: 0,
        failed_amount: 0,
        refunded_amount: 19.99,
      },
      {
        month: '2024-03-01',
        payment_method: 'card',
        attempts: 3,
        failures: 1,
        failure_rate: 0.333333,
        retry_attempts: 0,
        recovered_after_retry: 0,
        revenue: 24.73,
        failed_amount: 9.74,
        refunded_amount: 0,
      },
      {
        month: '2024-03-01',
        payment_method: 'paypal',
        attempts: 1,
        failures: 0,
        failure_rate: 0,
        retry_attempts: 0,
        recovered_after_retry: 0,
        revenue: 239.88,
        failed_amount: 0,
        refunded_amount: 0,
      },
      {
        month: '2024-04-01',
        payment_method: 'card',
        attempts: 5,
        failures: 3,
        failure_rate: 0.6,
        retry_attempts: 2,
        recovered_after_retry: 1,
        revenue: 159.87,
        failed_amount: 47.97,
        refunded_amount: 0,
      },
    ]);
  });

  it('analytics_cohort_retention: cohort sizes and the share active N months after signup', () => {
    // Cohorts by signup month: March = u1, u2, u3, u4, u5 → 5 (u4 counts although never
    // active); April = u6 → 1 (his first touch in March does not matter here).
    //   March, month 0: active in March u1, u2, u3, u5 → 4 / 5 = 0.8
    //   March, month 1: active in April u1 (60 s session 04-09), u2 (04-13) → 2 / 5 = 0.4
    //   April, month 0: u6 → 1 / 1 = 1
    expect(rows('SELECT * FROM analytics_cohort_retention ORDER BY cohort_month, months_since_signup')).toEqual([
      { cohort_month: '2024-03-01', months_since_signup: 0, cohort_users: 5, retained_users: 4, retention_rate: 0.8 },
      { cohort_month: '2024-03-01', months_since_signup: 1, cohort_users: 5, retained_users: 2, retention_rate: 0.4 },
      { cohort_month: '2024-04-01', months_since_signup: 0, cohort_users: 1, retained_users: 1, retention_rate: 1 },
    ]);
  });
});
