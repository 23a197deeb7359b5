-- StreamPulse serving database, migration 0002_staging_tables: staging tables (the copy targets of Data Factory and `serve load`)
-- Generated from the contracts by `streampulse generate`; do not edit (change the contracts).
-- Re-runnable; `streampulse sql apply` runs it in one transaction when it is new or changed
-- and records it in [ops].[schema_migrations].

-- analytics_account_contacts: Data Factory's copy target (TRUNCATE + insert each run); any length, no constraints
DROP TABLE IF EXISTS [staging].[analytics_account_contacts];
CREATE TABLE [staging].[analytics_account_contacts] (
  [email] NVARCHAR(MAX) MASKED WITH (FUNCTION = 'email()') NULL,
  [accounts] BIGINT NULL,
  [distinct_addresses] BIGINT NULL
);
GO

-- analytics_cohort_retention: Data Factory's copy target (TRUNCATE + insert each run); any length, no constraints
DROP TABLE IF EXISTS [staging].[analytics_cohort_retention];
CREATE TABLE [staging].[analytics_cohort_retention] (
  [cohort_month] DATE NULL,
  [months_since_signup] INT NULL,
  [cohort_users] BIGINT NULL,
  [retained_users] BIGINT NULL,
  [retention_rate] FLOAT NULL
);
GO

-- analytics_content_portfolio: Data Factory's copy target (TRUNCATE + insert each run); any length, no constraints
DROP TABLE IF EXISTS [staging].[analytics_content_portfolio];
CREATE TABLE [staging].[analytics_content_portfolio] (
  [month] DATE NULL,
  [content_id] NVARCHAR(MAX) NULL,
  [display_title] NVARCHAR(MAX) NULL,
  [content_type] NVARCHAR(MAX) NULL,
  [genre] NVARCHAR(MAX) NULL,
  [is_original] BIT NULL,
  [plays] BIGINT NULL,
  [unique_viewers] BIGINT NULL,
  [watch_hours] FLOAT NULL,
  [completed_plays] BIGINT NULL,
  [completion_rate] FLOAT NULL,
  [avg_completion_pct] FLOAT NULL,
  [watch_time_share] FLOAT NULL
);
GO

-- analytics_engagement_daily: Data Factory's copy target (TRUNCATE + insert each run); any length, no constraints
DROP TABLE IF EXISTS [staging].[analytics_engagement_daily];
CREATE TABLE [staging].[analytics_engagement_daily] (
  [activity_date] DATE NULL,
  [active_users] BIGINT NULL,
  [sessions] BIGINT NULL,
  [plays] BIGINT NULL,
  [completed_plays] BIGINT NULL,
  [watch_hours] FLOAT NULL,
  [watch_minutes_per_active_user] FLOAT NULL,
  [completion_rate] FLOAT NULL
);
GO

-- analytics_funnel_conversion: Data Factory's copy target (TRUNCATE + insert each run); any length, no constraints
DROP TABLE IF EXISTS [staging].[analytics_funnel_conversion];
CREATE TABLE [staging].[analytics_funnel_conversion] (
  [month] DATE NULL,
  [channel] NVARCHAR(MAX) NULL,
  [visits] BIGINT NULL,
  [signups] BIGINT NULL,
  [trials] BIGINT NULL,
  [paid_after_trial] BIGINT NULL,
  [direct_purchases] BIGINT NULL,
  [paid] BIGINT NULL,
  [signup_rate] FLOAT NULL,
  [trial_to_paid_rate] FLOAT NULL,
  [direct_purchase_share] FLOAT NULL,
  [visit_to_paid_rate] FLOAT NULL
);
GO

-- analytics_kpi_monthly: Data Factory's copy target (TRUNCATE + insert each run); any length, no constraints
DROP TABLE IF EXISTS [staging].[analytics_kpi_monthly];
CREATE TABLE [staging].[analytics_kpi_monthly] (
  [month] DATE NULL,
  [active_users] BIGINT NULL,
  [paying_subscribers] BIGINT NULL,
  [opening_subscribers] BIGINT NULL,
  [new_subscribers] BIGINT NULL,
  [churned_subscribers] BIGINT NULL,
  [churn_rate] FLOAT NULL,
  [mrr] DECIMAL(14,2) NULL,
  [revenue] DECIMAL(14,2) NULL,
  [arpu] FLOAT NULL
);
GO

-- analytics_payment_quality: Data Factory's copy target (TRUNCATE + insert each run); any length, no constraints
DROP TABLE IF EXISTS [staging].[analytics_payment_quality];
CREATE TABLE [staging].[analytics_payment_quality] (
  [month] DATE NULL,
  [payment_method] NVARCHAR(MAX) NULL,
  [attempts] BIGINT NULL,
  [failures] BIGINT NULL,
  [failure_rate] FLOAT NULL,
  [retry_attempts] BIGINT NULL,
  [recovered_after_retry] BIGINT NULL,
  [revenue] DECIMAL(14,2) NULL,
  [failed_amount] DECIMAL(14,2) NULL,
  [refunded_amount] DECIMAL(14,2) NULL
);
GO

-- analytics_subscription_health: Data Factory's copy target (TRUNCATE + insert each run); any length, no constraints
DROP TABLE IF EXISTS [staging].[analytics_subscription_health];
CREATE TABLE [staging].[analytics_subscription_health] (
  [month] DATE NULL,
  [plan_tier] NVARCHAR(MAX) NULL,
  [region] NVARCHAR(MAX) NULL,
  [active_subscribers] BIGINT NULL,
  [opening_subscribers] BIGINT NULL,
  [new_subscribers] BIGINT NULL,
  [churned_subscribers] BIGINT NULL,
  [voluntary_churned] BIGINT NULL,
  [involuntary_churned] BIGINT NULL,
  [churn_rate] FLOAT NULL,
  [mrr] DECIMAL(14,2) NULL,
  [churned_mrr] DECIMAL(14,2) NULL
);
GO
