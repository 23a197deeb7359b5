-- StreamPulse serving database, migration 0004_serving_views: the analytics_* views Metabase reads (stable names and columns)
-- Generated from the contracts by `streampulse generate`; do not edit (change the contracts).
-- Re-runnable; `streampulse sql apply` runs it in one transaction when it is new or changed
-- and records it in [ops].[schema_migrations].

-- analytics_account_contacts: Test fixture - a mart serving a personal column, to see it masked.
CREATE OR ALTER VIEW [serving].[analytics_account_contacts]
AS
SELECT
  [email],
  [accounts],
  [distinct_addresses]
FROM [gold].[analytics_account_contacts];
GO

-- analytics_cohort_retention: Signup cohort retention: for each signup month and each month after signup, how many of the cohort's accounts were active users. Month 0 is the signup month. Cells where no account of the cohort was active have no row.
CREATE OR ALTER VIEW [serving].[analytics_cohort_retention]
AS
SELECT
  [cohort_month],
  [months_since_signup],
  [cohort_users],
  [retained_users],
  [retention_rate]
FROM [gold].[analytics_cohort_retention];
GO

-- analytics_content_portfolio: Content performance per title and month: plays, unique viewers, watch hours, completion and each title's share of the month's total watch time. One row per title played in the month; the title attributes are carried in the grain for display.
CREATE OR ALTER VIEW [serving].[analytics_content_portfolio]
AS
SELECT
  [month],
  [content_id],
  [display_title],
  [content_type],
  [genre],
  [is_original],
  [plays],
  [unique_viewers],
  [watch_hours],
  [completed_plays],
  [completion_rate],
  [avg_completion_pct],
  [watch_time_share]
FROM [gold].[analytics_content_portfolio];
GO

-- analytics_engagement_daily: Daily engagement of the whole service - one row per UTC day with any activity - for spotting outages, launches and seasonality.
CREATE OR ALTER VIEW [serving].[analytics_engagement_daily]
AS
SELECT
  [activity_date],
  [active_users],
  [sessions],
  [plays],
  [completed_plays],
  [watch_hours],
  [watch_minutes_per_active_user],
  [completion_rate]
FROM [gold].[analytics_engagement_daily];
GO

-- analytics_funnel_conversion: The acquisition funnel by first-touch month and channel: how many visitor journeys started, how many of them went on to sign up, start a free trial and pay after the trial, and how many paid without a trial (direct purchases). Each of visits, signups, trials and paid after trial is part of the one before; paid = paid after trial + direct purchases. Journeys are credited to the month and channel of their first touch, so a month's figures grow as its visitors convert later.
CREATE OR ALTER VIEW [serving].[analytics_funnel_conversion]
AS
SELECT
  [month],
  [channel],
  [visits],
  [signups],
  [trials],
  [paid_after_trial],
  [direct_purchases],
  [paid],
  [signup_rate],
  [trial_to_paid_rate],
  [direct_purchase_share],
  [visit_to_paid_rate]
FROM [gold].[analytics_funnel_conversion];
GO

-- analytics_kpi_monthly: The company scorecard: one row per month (from the calendar up to the run date's month, zero-filled), combining engagement, the subscription base, MRR and cash revenue. The current month is month-to-date.
CREATE OR ALTER VIEW [serving].[analytics_kpi_monthly]
AS
SELECT
  [month],
  [active_users],
  [paying_subscribers],
  [opening_subscribers],
  [new_subscribers],
  [churned_subscribers],
  [churn_rate],
  [mrr],
  [revenue],
  [arpu]
FROM [gold].[analytics_kpi_monthly];
GO

-- analytics_payment_quality: Payment quality by month and payment method: attempts, failures, failure rate, how many dunning retries rescued a failed renewal, and the revenue collected and at risk. The early-warning view for involuntary churn.
CREATE OR ALTER VIEW [serving].[analytics_payment_quality]
AS
SELECT
  [month],
  [payment_method],
  [attempts],
  [failures],
  [failure_rate],
  [retry_attempts],
  [recovered_after_retry],
  [revenue],
  [failed_amount],
  [refunded_amount]
FROM [gold].[analytics_payment_quality];
GO

-- analytics_subscription_health: Health of the subscription base by month, plan tier and region: opening, new, churned and paying subscribers, churn rate and MRR. Tier is the tier in force at month end; region is the account's current region and drives row-level security, so regional teams see only their region.
CREATE OR ALTER VIEW [serving].[analytics_subscription_health]
AS
SELECT
  [month],
  [plan_tier],
  [region],
  [active_subscribers],
  [opening_subscribers],
  [new_subscribers],
  [churned_subscribers],
  [voluntary_churned],
  [involuntary_churned],
  [churn_rate],
  [mrr],
  [churned_mrr]
FROM [gold].[analytics_subscription_health];
GO
