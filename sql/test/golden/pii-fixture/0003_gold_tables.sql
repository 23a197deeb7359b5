-- StreamPulse serving database, migration 0003_gold_tables: gold tables: typed, keyed by the grain, CHECKs for enforced values
-- Generated from the contracts by `streampulse generate`; do not edit (change the contracts).
-- Re-runnable; `streampulse sql apply` runs it in one transaction when it is new or changed
-- and records it in [ops].[schema_migrations].

-- analytics_account_contacts: one row per (email); contracts/streampulse/marts/analytics_account_contacts.yaml
IF OBJECT_ID(N'[gold].[analytics_account_contacts]', N'U') IS NULL
CREATE TABLE [gold].[analytics_account_contacts] (
  [_grain_key] BINARY(32) NOT NULL,
  [email] NVARCHAR(320) NOT NULL,
  [accounts] BIGINT NULL,
  [distinct_addresses] BIGINT NULL,
  [_run_date] DATE NOT NULL,
  [_loaded_at] DATETIME2(3) NOT NULL CONSTRAINT [df_analytics_account_contacts_loaded_at] DEFAULT SYSUTCDATETIME(),
  CONSTRAINT [pk_analytics_account_contacts] PRIMARY KEY CLUSTERED ([_grain_key])
);
GO

-- columns added to the contract after the table was created (additive changes only)
IF COL_LENGTH(N'[gold].[analytics_account_contacts]', N'accounts') IS NULL ALTER TABLE [gold].[analytics_account_contacts] ADD [accounts] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_account_contacts]', N'distinct_addresses') IS NULL ALTER TABLE [gold].[analytics_account_contacts] ADD [distinct_addresses] BIGINT NULL;
GO

-- the leading grain column's index; the values the pipeline enforces
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE [name] = N'ix_analytics_account_contacts_email' AND [object_id] = OBJECT_ID(N'[gold].[analytics_account_contacts]'))
  CREATE INDEX [ix_analytics_account_contacts_email] ON [gold].[analytics_account_contacts] ([email]);
GO

-- analytics_cohort_retention: one row per (cohort_month, months_since_signup); contracts/streampulse/marts/analytics_cohort_retention.yaml
IF OBJECT_ID(N'[gold].[analytics_cohort_retention]', N'U') IS NULL
CREATE TABLE [gold].[analytics_cohort_retention] (
  [_grain_key] BINARY(32) NOT NULL,
  [cohort_month] DATE NOT NULL,
  [months_since_signup] INT NOT NULL,
  [cohort_users] BIGINT NULL,
  [retained_users] BIGINT NULL,
  [retention_rate] FLOAT NULL,
  [_run_date] DATE NOT NULL,
  [_loaded_at] DATETIME2(3) NOT NULL CONSTRAINT [df_analytics_cohort_retention_loaded_at] DEFAULT SYSUTCDATETIME(),
  CONSTRAINT [pk_analytics_cohort_retention] PRIMARY KEY CLUSTERED ([_grain_key])
);
GO

-- columns added to the contract after the table was created (additive changes only)
IF COL_LENGTH(N'[gold].[analytics_cohort_retention]', N'cohort_users') IS NULL ALTER TABLE [gold].[analytics_cohort_retention] ADD [cohort_users] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_cohort_retention]', N'retained_users') IS NULL ALTER TABLE [gold].[analytics_cohort_retention] ADD [retained_users] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_cohort_retention]', N'retention_rate') IS NULL ALTER TABLE [gold].[analytics_cohort_retention] ADD [retention_rate] FLOAT NULL;
GO

-- the leading grain column's index; the values the pipeline enforces
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE [name] = N'ix_analytics_cohort_retention_cohort_month' AND [object_id] = OBJECT_ID(N'[gold].[analytics_cohort_retention]'))
  CREATE INDEX [ix_analytics_cohort_retention_cohort_month] ON [gold].[analytics_cohort_retention] ([cohort_month]);
GO

-- analytics_content_portfolio: one row per (month, content_id, display_title, content_type, genre, is_original); contracts/streampulse/marts/analytics_content_portfolio.yaml
IF OBJECT_ID(N'[gold].[analytics_content_portfolio]', N'U') IS NULL
CREATE TABLE [gold].[analytics_content_portfolio] (
  [_grain_key] BINARY(32) NOT NULL,
  [month] DATE NOT NULL,
  [content_id] NVARCHAR(64) NOT NULL,
  [display_title] NVARCHAR(603) NOT NULL,
  [content_type] VARCHAR(11) NOT NULL,
  [genre] NVARCHAR(256) NOT NULL,
  [is_original] BIT NOT NULL,
  [plays] BIGINT NULL,
  [unique_viewers] BIGINT NULL,
  [watch_hours] FLOAT NULL,
  [completed_plays] BIGINT NULL,
  [completion_rate] FLOAT NULL,
  [avg_completion_pct] FLOAT NULL,
  [watch_time_share] FLOAT NULL,
  [_run_date] DATE NOT NULL,
  [_loaded_at] DATETIME2(3) NOT NULL CONSTRAINT [df_analytics_content_portfolio_loaded_at] DEFAULT SYSUTCDATETIME(),
  CONSTRAINT [pk_analytics_content_portfolio] PRIMARY KEY CLUSTERED ([_grain_key])
);
GO

-- columns added to the contract after the table was created (additive changes only)
IF COL_LENGTH(N'[gold].[analytics_content_portfolio]', N'plays') IS NULL ALTER TABLE [gold].[analytics_content_portfolio] ADD [plays] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_content_portfolio]', N'unique_viewers') IS NULL ALTER TABLE [gold].[analytics_content_portfolio] ADD [unique_viewers] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_content_portfolio]', N'watch_hours') IS NULL ALTER TABLE [gold].[analytics_content_portfolio] ADD [watch_hours] FLOAT NULL;
IF COL_LENGTH(N'[gold].[analytics_content_portfolio]', N'completed_plays') IS NULL ALTER TABLE [gold].[analytics_content_portfolio] ADD [completed_plays] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_content_portfolio]', N'completion_rate') IS NULL ALTER TABLE [gold].[analytics_content_portfolio] ADD [completion_rate] FLOAT NULL;
IF COL_LENGTH(N'[gold].[analytics_content_portfolio]', N'avg_completion_pct') IS NULL ALTER TABLE [gold].[analytics_content_portfolio] ADD [avg_completion_pct] FLOAT NULL;
IF COL_LENGTH(N'[gold].[analytics_content_portfolio]', N'watch_time_share') IS NULL ALTER TABLE [gold].[analytics_content_portfolio] ADD [watch_time_share] FLOAT NULL;
GO

-- the leading grain column's index; the values the pipeline enforces
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE [name] = N'ix_analytics_content_portfolio_month' AND [object_id] = OBJECT_ID(N'[gold].[analytics_content_portfolio]'))
  CREATE INDEX [ix_analytics_content_portfolio_month] ON [gold].[analytics_content_portfolio] ([month]);
IF OBJECT_ID(N'[gold].[ck_analytics_content_portfolio_content_type]', N'C') IS NOT NULL ALTER TABLE [gold].[analytics_content_portfolio] DROP CONSTRAINT [ck_analytics_content_portfolio_content_type];
ALTER TABLE [gold].[analytics_content_portfolio] WITH CHECK ADD CONSTRAINT [ck_analytics_content_portfolio_content_type] CHECK ([content_type] COLLATE Latin1_General_100_BIN2 IN (N'documentary', N'episode', N'kids', N'movie', N'unknown'));
GO

-- analytics_engagement_daily: one row per (activity_date); contracts/streampulse/marts/analytics_engagement_daily.yaml
IF OBJECT_ID(N'[gold].[analytics_engagement_daily]', N'U') IS NULL
CREATE TABLE [gold].[analytics_engagement_daily] (
  [_grain_key] BINARY(32) NOT NULL,
  [activity_date] DATE NOT NULL,
  [active_users] BIGINT NULL,
  [sessions] BIGINT NULL,
  [plays] BIGINT NULL,
  [completed_plays] BIGINT NULL,
  [watch_hours] FLOAT NULL,
  [watch_minutes_per_active_user] FLOAT NULL,
  [completion_rate] FLOAT NULL,
  [_run_date] DATE NOT NULL,
  [_loaded_at] DATETIME2(3) NOT NULL CONSTRAINT [df_analytics_engagement_daily_loaded_at] DEFAULT SYSUTCDATETIME(),
  CONSTRAINT [pk_analytics_engagement_daily] PRIMARY KEY CLUSTERED ([_grain_key])
);
GO

-- columns added to the contract after the table was created (additive changes only)
IF COL_LENGTH(N'[gold].[analytics_engagement_daily]', N'active_users') IS NULL ALTER TABLE [gold].[analytics_engagement_daily] ADD [active_users] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_engagement_daily]', N'sessions') IS NULL ALTER TABLE [gold].[analytics_engagement_daily] ADD [sessions] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_engagement_daily]', N'plays') IS NULL ALTER TABLE [gold].[analytics_engagement_daily] ADD [plays] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_engagement_daily]', N'completed_plays') IS NULL ALTER TABLE [gold].[analytics_engagement_daily] ADD [completed_plays] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_engagement_daily]', N'watch_hours') IS NULL ALTER TABLE [gold].[analytics_engagement_daily] ADD [watch_hours] FLOAT NULL;
IF COL_LENGTH(N'[gold].[analytics_engagement_daily]', N'watch_minutes_per_active_user') IS NULL ALTER TABLE [gold].[analytics_engagement_daily] ADD [watch_minutes_per_active_user] FLOAT NULL;
IF COL_LENGTH(N'[gold].[analytics_engagement_daily]', N'completion_rate') IS NULL ALTER TABLE [gold].[analytics_engagement_daily] ADD [completion_rate] FLOAT NULL;
GO

-- the leading grain column's index; the values the pipeline enforces
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE [name] = N'ix_analytics_engagement_daily_activity_date' AND [object_id] = OBJECT_ID(N'[gold].[analytics_engagement_daily]'))
  CREATE INDEX [ix_analytics_engagement_daily_activity_date] ON [gold].[analytics_engagement_daily] ([activity_date]);
GO

-- analytics_funnel_conversion: one row per (month, channel); contracts/streampulse/marts/analytics_funnel_conversion.yaml
IF OBJECT_ID(N'[gold].[analytics_funnel_conversion]', N'U') IS NULL
CREATE TABLE [gold].[analytics_funnel_conversion] (
  [_grain_key] BINARY(32) NOT NULL,
  [month] DATE NOT NULL,
  [channel] NVARCHAR(256) NOT NULL,
  [visits] BIGINT NULL,
  [signups] BIGINT NULL,
  [trials] BIGINT NULL,
  [paid_after_trial] BIGINT NULL,
  [direct_purchases] BIGINT NULL,
  [paid] BIGINT NULL,
  [signup_rate] FLOAT NULL,
  [trial_to_paid_rate] FLOAT NULL,
  [direct_purchase_share] FLOAT NULL,
  [visit_to_paid_rate] FLOAT NULL,
  [_run_date] DATE NOT NULL,
  [_loaded_at] DATETIME2(3) NOT NULL CONSTRAINT [df_analytics_funnel_conversion_loaded_at] DEFAULT SYSUTCDATETIME(),
  CONSTRAINT [pk_analytics_funnel_conversion] PRIMARY KEY CLUSTERED ([_grain_key])
);
GO

-- columns added to the contract after the table was created (additive changes only)
IF COL_LENGTH(N'[gold].[analytics_funnel_conversion]', N'visits') IS NULL ALTER TABLE [gold].[analytics_funnel_conversion] ADD [visits] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_funnel_conversion]', N'signups') IS NULL ALTER TABLE [gold].[analytics_funnel_conversion] ADD [signups] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_funnel_conversion]', N'trials') IS NULL ALTER TABLE [gold].[analytics_funnel_conversion] ADD [trials] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_funnel_conversion]', N'paid_after_trial') IS NULL ALTER TABLE [gold].[analytics_funnel_conversion] ADD [paid_after_trial] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_funnel_conversion]', N'direct_purchases') IS NULL ALTER TABLE [gold].[analytics_funnel_conversion] ADD [direct_purchases] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_funnel_conversion]', N'paid') IS NULL ALTER TABLE [gold].[analytics_funnel_conversion] ADD [paid] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_funnel_conversion]', N'signup_rate') IS NULL ALTER TABLE [gold].[analytics_funnel_conversion] ADD [signup_rate] FLOAT NULL;
IF COL_LENGTH(N'[gold].[analytics_funnel_conversion]', N'trial_to_paid_rate') IS NULL ALTER TABLE [gold].[analytics_funnel_conversion] ADD [trial_to_paid_rate] FLOAT NULL;
IF COL_LENGTH(N'[gold].[analytics_funnel_conversion]', N'direct_purchase_share') IS NULL ALTER TABLE [gold].[analytics_funnel_conversion] ADD [direct_purchase_share] FLOAT NULL;
IF COL_LENGTH(N'[gold].[analytics_funnel_conversion]', N'visit_to_paid_rate') IS NULL ALTER TABLE [gold].[analytics_funnel_conversion] ADD [visit_to_paid_rate] FLOAT NULL;
GO

-- the leading grain column's index; the values the pipeline enforces
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE [name] = N'ix_analytics_funnel_conversion_month' AND [object_id] = OBJECT_ID(N'[gold].[analytics_funnel_conversion]'))
  CREATE INDEX [ix_analytics_funnel_conversion_month] ON [gold].[analytics_funnel_conversion] ([month]);
GO

-- analytics_kpi_monthly: one row per (month); contracts/streampulse/marts/analytics_kpi_monthly.yaml
IF OBJECT_ID(N'[gold].[analytics_kpi_monthly]', N'U') IS NULL
CREATE TABLE [gold].[analytics_kpi_monthly] (
  [_grain_key] BINARY(32) NOT NULL,
  [month] DATE NOT NULL,
  [active_users] BIGINT NULL,
  [paying_subscribers] BIGINT NULL,
  [opening_subscribers] BIGINT NULL,
  [new_subscribers] BIGINT NULL,
  [churned_subscribers] BIGINT NULL,
  [churn_rate] FLOAT NULL,
  [mrr] DECIMAL(14,2) NULL,
  [revenue] DECIMAL(14,2) NULL,
  [arpu] FLOAT NULL,
  [_run_date] DATE NOT NULL,
  [_loaded_at] DATETIME2(3) NOT NULL CONSTRAINT [df_analytics_kpi_monthly_loaded_at] DEFAULT SYSUTCDATETIME(),
  CONSTRAINT [pk_analytics_kpi_monthly] PRIMARY KEY CLUSTERED ([_grain_key])
);
GO

-- columns added to the contract after the table was created (additive changes only)
IF COL_LENGTH(N'[gold].[analytics_kpi_monthly]', N'active_users') IS NULL ALTER TABLE [gold].[analytics_kpi_monthly] ADD [active_users] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_kpi_monthly]', N'paying_subscribers') IS NULL ALTER TABLE [gold].[analytics_kpi_monthly] ADD [paying_subscribers] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_kpi_monthly]', N'opening_subscribers') IS NULL ALTER TABLE [gold].[analytics_kpi_monthly] ADD [opening_subscribers] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_kpi_monthly]', N'new_subscribers') IS NULL ALTER TABLE [gold].[analytics_kpi_monthly] ADD [new_subscribers] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_kpi_monthly]', N'churned_subscribers') IS NULL ALTER TABLE [gold].[analytics_kpi_monthly] ADD [churned_subscribers] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_kpi_monthly]', N'churn_rate') IS NULL ALTER TABLE [gold].[analytics_kpi_monthly] ADD [churn_rate] FLOAT NULL;
IF COL_LENGTH(N'[gold].[analytics_kpi_monthly]', N'mrr') IS NULL ALTER TABLE [gold].[analytics_kpi_monthly] ADD [mrr] DECIMAL(14,2) NULL;
IF COL_LENGTH(N'[gold].[analytics_kpi_monthly]', N'revenue') IS NULL ALTER TABLE [gold].[analytics_kpi_monthly] ADD [revenue] DECIMAL(14,2) NULL;
IF COL_LENGTH(N'[gold].[analytics_kpi_monthly]', N'arpu') IS NULL ALTER TABLE [gold].[analytics_kpi_monthly] ADD [arpu] FLOAT NULL;
GO

-- the leading grain column's index; the values the pipeline enforces
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE [name] = N'ix_analytics_kpi_monthly_month' AND [object_id] = OBJECT_ID(N'[gold].[analytics_kpi_monthly]'))
  CREATE INDEX [ix_analytics_kpi_monthly_month] ON [gold].[analytics_kpi_monthly] ([month]);
GO

-- analytics_payment_quality: one row per (month, payment_method); contracts/streampulse/marts/analytics_payment_quality.yaml
IF OBJECT_ID(N'[gold].[analytics_payment_quality]', N'U') IS NULL
CREATE TABLE [gold].[analytics_payment_quality] (
  [_grain_key] BINARY(32) NOT NULL,
  [month] DATE NOT NULL,
  [payment_method] NVARCHAR(256) NOT NULL,
  [attempts] BIGINT NULL,
  [failures] BIGINT NULL,
  [failure_rate] FLOAT NULL,
  [retry_attempts] BIGINT NULL,
  [recovered_after_retry] BIGINT NULL,
  [revenue] DECIMAL(14,2) NULL,
  [failed_amount] DECIMAL(14,2) NULL,
  [refunded_amount] DECIMAL(14,2) NULL,
  [_run_date] DATE NOT NULL,
  [_loaded_at] DATETIME2(3) NOT NULL CONSTRAINT [df_analytics_payment_quality_loaded_at] DEFAULT SYSUTCDATETIME(),
  CONSTRAINT [pk_analytics_payment_quality] PRIMARY KEY CLUSTERED ([_grain_key])
);
GO

-- columns added to the contract after the table was created (additive changes only)
IF COL_LENGTH(N'[gold].[analytics_payment_quality]', N'attempts') IS NULL ALTER TABLE [gold].[analytics_payment_quality] ADD [attempts] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_payment_quality]', N'failures') IS NULL ALTER TABLE [gold].[analytics_payment_quality] ADD [failures] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_payment_quality]', N'failure_rate') IS NULL ALTER TABLE [gold].[analytics_payment_quality] ADD [failure_rate] FLOAT NULL;
IF COL_LENGTH(N'[gold].[analytics_payment_quality]', N'retry_attempts') IS NULL ALTER TABLE [gold].[analytics_payment_quality] ADD [retry_attempts] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_payment_quality]', N'recovered_after_retry') IS NULL ALTER TABLE [gold].[analytics_payment_quality] ADD [recovered_after_retry] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_payment_quality]', N'revenue') IS NULL ALTER TABLE [gold].[analytics_payment_quality] ADD [revenue] DECIMAL(14,2) NULL;
IF COL_LENGTH(N'[gold].[analytics_payment_quality]', N'failed_amount') IS NULL ALTER TABLE [gold].[analytics_payment_quality] ADD [failed_amount] DECIMAL(14,2) NULL;
IF COL_LENGTH(N'[gold].[analytics_payment_quality]', N'refunded_amount') IS NULL ALTER TABLE [gold].[analytics_payment_quality] ADD [refunded_amount] DECIMAL(14,2) NULL;
GO

-- the leading grain column's index; the values the pipeline enforces
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE [name] = N'ix_analytics_payment_quality_month' AND [object_id] = OBJECT_ID(N'[gold].[analytics_payment_quality]'))
  CREATE INDEX [ix_analytics_payment_quality_month] ON [gold].[analytics_payment_quality] ([month]);
GO

-- analytics_subscription_health: one row per (month, plan_tier, region); contracts/streampulse/marts/analytics_subscription_health.yaml
IF OBJECT_ID(N'[gold].[analytics_subscription_health]', N'U') IS NULL
CREATE TABLE [gold].[analytics_subscription_health] (
  [_grain_key] BINARY(32) NOT NULL,
  [month] DATE NOT NULL,
  [plan_tier] VARCHAR(8) NOT NULL,
  [region] VARCHAR(7) NOT NULL,
  [active_subscribers] BIGINT NULL,
  [opening_subscribers] BIGINT NULL,
  [new_subscribers] BIGINT NULL,
  [churned_subscribers] BIGINT NULL,
  [voluntary_churned] BIGINT NULL,
  [involuntary_churned] BIGINT NULL,
  [churn_rate] FLOAT NULL,
  [mrr] DECIMAL(14,2) NULL,
  [churned_mrr] DECIMAL(14,2) NULL,
  [_run_date] DATE NOT NULL,
  [_loaded_at] DATETIME2(3) NOT NULL CONSTRAINT [df_analytics_subscription_health_loaded_at] DEFAULT SYSUTCDATETIME(),
  CONSTRAINT [pk_analytics_subscription_health] PRIMARY KEY CLUSTERED ([_grain_key])
);
GO

-- columns added to the contract after the table was created (additive changes only)
IF COL_LENGTH(N'[gold].[analytics_subscription_health]', N'active_subscribers') IS NULL ALTER TABLE [gold].[analytics_subscription_health] ADD [active_subscribers] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_subscription_health]', N'opening_subscribers') IS NULL ALTER TABLE [gold].[analytics_subscription_health] ADD [opening_subscribers] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_subscription_health]', N'new_subscribers') IS NULL ALTER TABLE [gold].[analytics_subscription_health] ADD [new_subscribers] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_subscription_health]', N'churned_subscribers') IS NULL ALTER TABLE [gold].[analytics_subscription_health] ADD [churned_subscribers] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_subscription_health]', N'voluntary_churned') IS NULL ALTER TABLE [gold].[analytics_subscription_health] ADD [voluntary_churned] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_subscription_health]', N'involuntary_churned') IS NULL ALTER TABLE [gold].[analytics_subscription_health] ADD [involuntary_churned] BIGINT NULL;
IF COL_LENGTH(N'[gold].[analytics_subscription_health]', N'churn_rate') IS NULL ALTER TABLE [gold].[analytics_subscription_health] ADD [churn_rate] FLOAT NULL;
IF COL_LENGTH(N'[gold].[analytics_subscription_health]', N'mrr') IS NULL ALTER TABLE [gold].[analytics_subscription_health] ADD [mrr] DECIMAL(14,2) NULL;
IF COL_LENGTH(N'[gold].[analytics_subscription_health]', N'churned_mrr') IS NULL ALTER TABLE [gold].[analytics_subscription_health] ADD [churned_mrr] DECIMAL(14,2) NULL;
GO

-- the leading grain column's index; the values the pipeline enforces
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE [name] = N'ix_analytics_subscription_health_month' AND [object_id] = OBJECT_ID(N'[gold].[analytics_subscription_health]'))
  CREATE INDEX [ix_analytics_subscription_health_month] ON [gold].[analytics_subscription_health] ([month]);
IF OBJECT_ID(N'[gold].[ck_analytics_subscription_health_plan_tier]', N'C') IS NOT NULL ALTER TABLE [gold].[analytics_subscription_health] DROP CONSTRAINT [ck_analytics_subscription_health_plan_tier];
ALTER TABLE [gold].[analytics_subscription_health] WITH CHECK ADD CONSTRAINT [ck_analytics_subscription_health_plan_tier] CHECK ([plan_tier] COLLATE Latin1_General_100_BIN2 IN (N'basic', N'premium', N'standard', N'unknown'));
IF OBJECT_ID(N'[gold].[ck_analytics_subscription_health_region]', N'C') IS NOT NULL ALTER TABLE [gold].[analytics_subscription_health] DROP CONSTRAINT [ck_analytics_subscription_health_region];
ALTER TABLE [gold].[analytics_subscription_health] WITH CHECK ADD CONSTRAINT [ck_analytics_subscription_health_region] CHECK ([region] COLLATE Latin1_General_100_BIN2 IN (N'APAC', N'EMEA', N'LATAM', N'NA', N'UNKNOWN'));
GO
