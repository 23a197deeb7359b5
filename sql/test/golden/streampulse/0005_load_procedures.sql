-- StreamPulse serving database, migration 0005_load_procedures: MERGE load procedures (staging → gold) and the pipeline-run record
-- Generated from the contracts by `streampulse generate`; do not edit (change the contracts).
-- Re-runnable; `streampulse sql apply` runs it in one transaction when it is new or changed
-- and records it in [ops].[schema_migrations].

-- analytics_cohort_retention: staging → gold. Idempotent: an unchanged row is not touched, so re-loading a batch changes nothing.
CREATE OR ALTER PROCEDURE [gold].[usp_merge_analytics_cohort_retention]
  @RunDate DATE
AS
BEGIN
  SET NOCOUNT ON;
  SET XACT_ABORT ON;
  DECLARE @changes TABLE ([action] NVARCHAR(10) NOT NULL);
  MERGE [gold].[analytics_cohort_retention] WITH (HOLDLOCK) AS [t]
  USING (
    SELECT CAST(HASHBYTES('SHA2_256', CONCAT_WS(NCHAR(31), CONVERT(NVARCHAR(10), [x].[cohort_month], 23), CONVERT(NVARCHAR(40), [x].[months_since_signup]))) AS BINARY(32)) AS [_grain_key], [x].[cohort_month], [x].[months_since_signup], [x].[cohort_users], [x].[retained_users], [x].[retention_rate]
    FROM [staging].[analytics_cohort_retention] AS [x]
  ) AS [s]
  ON [t].[_grain_key] = [s].[_grain_key]
  WHEN MATCHED AND EXISTS (SELECT [s].[cohort_users], [s].[retained_users], [s].[retention_rate] EXCEPT SELECT [t].[cohort_users], [t].[retained_users], [t].[retention_rate]) THEN
    UPDATE SET [t].[cohort_users] = [s].[cohort_users], [t].[retained_users] = [s].[retained_users], [t].[retention_rate] = [s].[retention_rate], [t].[_run_date] = @RunDate, [t].[_loaded_at] = SYSUTCDATETIME()
  WHEN NOT MATCHED BY TARGET THEN
    INSERT ([_grain_key], [cohort_month], [months_since_signup], [cohort_users], [retained_users], [retention_rate], [_run_date])
    VALUES ([s].[_grain_key], [s].[cohort_month], [s].[months_since_signup], [s].[cohort_users], [s].[retained_users], [s].[retention_rate], @RunDate)
  WHEN NOT MATCHED BY SOURCE THEN
    DELETE
  OUTPUT $action INTO @changes;
  INSERT INTO [ops].[serving_loads] ([run_date], [mart], [staged_rows], [inserted], [updated], [deleted])
  SELECT @RunDate, N'analytics_cohort_retention', (SELECT COUNT_BIG(*) FROM [staging].[analytics_cohort_retention]),
    COUNT_BIG(CASE WHEN [action] = N'INSERT' THEN 1 END),
    COUNT_BIG(CASE WHEN [action] = N'UPDATE' THEN 1 END),
    COUNT_BIG(CASE WHEN [action] = N'DELETE' THEN 1 END)
  FROM @changes;
END;
GO

-- analytics_content_portfolio: staging → gold. Idempotent: an unchanged row is not touched, so re-loading a batch changes nothing.
CREATE OR ALTER PROCEDURE [gold].[usp_merge_analytics_content_portfolio]
  @RunDate DATE
AS
BEGIN
  SET NOCOUNT ON;
  SET XACT_ABORT ON;
  DECLARE @changes TABLE ([action] NVARCHAR(10) NOT NULL);
  MERGE [gold].[analytics_content_portfolio] WITH (HOLDLOCK) AS [t]
  USING (
    SELECT CAST(HASHBYTES('SHA2_256', CONCAT_WS(NCHAR(31), CONVERT(NVARCHAR(10), [x].[month], 23), [x].[content_id], [x].[display_title], [x].[content_type], [x].[genre], CONVERT(NCHAR(1), [x].[is_original]))) AS BINARY(32)) AS [_grain_key], [x].[month], [x].[content_id], [x].[display_title], [x].[content_type], [x].[genre], [x].[is_original], [x].[plays], [x].[unique_viewers], [x].[watch_hours], [x].[completed_plays], [x].[completion_rate], [x].[avg_completion_pct], [x].[watch_time_share]
    FROM [staging].[analytics_content_portfolio] AS [x]
  ) AS [s]
  ON [t].[_grain_key] = [s].[_grain_key]
  WHEN MATCHED AND EXISTS (SELECT [s].[plays], [s].[unique_viewers], [s].[watch_hours], [s].[completed_plays], [s].[completion_rate], [s].[avg_completion_pct], [s].[watch_time_share] EXCEPT SELECT [t].[plays], [t].[unique_viewers], [t].[watch_hours], [t].[completed_plays], [t].[completion_rate], [t].[avg_completion_pct], [t].[watch_time_share]) THEN
    UPDATE SET [t].[plays] = [s].[plays], [t].[unique_viewers] = [s].[unique_viewers], [t].[watch_hours] = [s].[watch_hours], [t].[completed_plays] = [s].[completed_plays], [t].[completion_rate] = [s].[completion_rate], [t].[avg_completion_pct] = [s].[avg_completion_pct], [t].[watch_time_share] = [s].[watch_time_share], [t].[_run_date] = @RunDate, [t].[_loaded_at] = SYSUTCDATETIME()
  WHEN NOT MATCHED BY TARGET THEN
    INSERT ([_grain_key], [month], [content_id], [display_title], [content_type], [genre], [is_original], [plays], [unique_viewers], [watch_hours], [completed_plays], [completion_rate], [avg_completion_pct], [watch_time_share], [_run_date])
    VALUES ([s].[_grain_key], [s].[month], [s].[content_id], [s].[display_title], [s].[content_type], [s].[genre], [s].[is_original], [s].[plays], [s].[unique_viewers], [s].[watch_hours], [s].[completed_plays], [s].[completion_rate], [s].[avg_completion_pct], [s].[watch_time_share], @RunDate)
  WHEN NOT MATCHED BY SOURCE THEN
    DELETE
  OUTPUT $action INTO @changes;
  INSERT INTO [ops].[serving_loads] ([run_date], [mart], [staged_rows], [inserted], [updated], [deleted])
  SELECT @RunDate, N'analytics_content_portfolio', (SELECT COUNT_BIG(*) FROM [staging].[analytics_content_portfolio]),
    COUNT_BIG(CASE WHEN [action] = N'INSERT' THEN 1 END),
    COUNT_BIG(CASE WHEN [action] = N'UPDATE' THEN 1 END),
    COUNT_BIG(CASE WHEN [action] = N'DELETE' THEN 1 END)
  FROM @changes;
END;
GO

-- analytics_engagement_daily: staging → gold. Idempotent: an unchanged row is not touched, so re-loading a batch changes nothing.
CREATE OR ALTER PROCEDURE [gold].[usp_merge_analytics_engagement_daily]
  @RunDate DATE
AS
BEGIN
  SET NOCOUNT ON;
  SET XACT_ABORT ON;
  DECLARE @changes TABLE ([action] NVARCHAR(10) NOT NULL);
  MERGE [gold].[analytics_engagement_daily] WITH (HOLDLOCK) AS [t]
  USING (
    SELECT CAST(HASHBYTES('SHA2_256', CONCAT_WS(NCHAR(31), CONVERT(NVARCHAR(10), [x].[activity_date], 23), N'')) AS BINARY(32)) AS [_grain_key], [x].[activity_date], [x].[active_users], [x].[sessions], [x].[plays], [x].[completed_plays], [x].[watch_hours], [x].[watch_minutes_per_active_user], [x].[completion_rate]
    FROM [staging].[analytics_engagement_daily] AS [x]
  ) AS [s]
  ON [t].[_grain_key] = [s].[_grain_key]
  WHEN MATCHED AND EXISTS (SELECT [s].[active_users], [s].[sessions], [s].[plays], [s].[completed_plays], [s].[watch_hours], [s].[watch_minutes_per_active_user], [s].[completion_rate] EXCEPT SELECT [t].[active_users], [t].[sessions], [t].[plays], [t].[completed_plays], [t].[watch_hours], [t].[watch_minutes_per_active_user], [t].[completion_rate]) THEN
    UPDATE SET [t].[active_users] = [s].[active_users], [t].[sessions] = [s].[sessions], [t].[plays] = [s].[plays], [t].[completed_plays] = [s].[completed_plays], [t].[watch_hours] = [s].[watch_hours], [t].[watch_minutes_per_active_user] = [s].[watch_minutes_per_active_user], [t].[completion_rate] = [s].[completion_rate], [t].[_run_date] = @RunDate, [t].[_loaded_at] = SYSUTCDATETIME()
  WHEN NOT MATCHED BY TARGET THEN
    INSERT ([_grain_key], [activity_date], [active_users], [sessions], [plays], [completed_plays], [watch_hours], [watch_minutes_per_active_user], [completion_rate], [_run_date])
    VALUES ([s].[_grain_key], [s].[activity_date], [s].[active_users], [s].[sessions], [s].[plays], [s].[completed_plays], [s].[watch_hours], [s].[watch_minutes_per_active_user], [s].[completion_rate], @RunDate)
  WHEN NOT MATCHED BY SOURCE THEN
    DELETE
  OUTPUT $action INTO @changes;
  INSERT INTO [ops].[serving_loads] ([run_date], [mart], [staged_rows], [inserted], [updated], [deleted])
  SELECT @RunDate, N'analytics_engagement_daily', (SELECT COUNT_BIG(*) FROM [staging].[analytics_engagement_daily]),
    COUNT_BIG(CASE WHEN [action] = N'INSERT' THEN 1 END),
    COUNT_BIG(CASE WHEN [action] = N'UPDATE' THEN 1 END),
    COUNT_BIG(CASE WHEN [action] = N'DELETE' THEN 1 END)
  FROM @changes;
END;
GO

-- analytics_funnel_conversion: staging → gold. Idempotent: an unchanged row is not touched, so re-loading a batch changes nothing.
CREATE OR ALTER PROCEDURE [gold].[usp_merge_analytics_funnel_conversion]
  @RunDate DATE
AS
BEGIN
  SET NOCOUNT ON;
  SET XACT_ABORT ON;
  DECLARE @changes TABLE ([action] NVARCHAR(10) NOT NULL);
  MERGE [gold].[analytics_funnel_conversion] WITH (HOLDLOCK) AS [t]
  USING (
    SELECT CAST(HASHBYTES('SHA2_256', CONCAT_WS(NCHAR(31), CONVERT(NVARCHAR(10), [x].[month], 23), [x].[channel])) AS BINARY(32)) AS [_grain_key], [x].[month], [x].[channel], [x].[visits], [x].[signups], [x].[trials], [x].[paid_after_trial], [x].[direct_purchases], [x].[paid], [x].[signup_rate], [x].[trial_to_paid_rate], [x].[direct_purchase_share], [x].[visit_to_paid_rate]
    FROM [staging].[analytics_funnel_conversion] AS [x]
  ) AS [s]
  ON [t].[_grain_key] = [s].[_grain_key]
  WHEN MATCHED AND EXISTS (SELECT [s].[visits], [s].[signups], [s].[trials], [s].[paid_after_trial], [s].[direct_purchases], [s].[paid], [s].[signup_rate], [s].[trial_to_paid_rate], [s].[direct_purchase_share], [s].[visit_to_paid_rate] EXCEPT SELECT [t].[visits], [t].[signups], [t].[trials], [t].[paid_after_trial], [t].[direct_purchases], [t].[paid], [t].[signup_rate], [t].[trial_to_paid_rate], [t].[direct_purchase_share], [t].[visit_to_paid_rate]) THEN
    UPDATE SET [t].[visits] = [s].[visits], [t].[signups] = [s].[signups], [t].[trials] = [s].[trials], [t].[paid_after_trial] = [s].[paid_after_trial], [t].[direct_purchases] = [s].[direct_purchases], [t].[paid] = [s].[paid], [t].[signup_rate] = [s].[signup_rate], [t].[trial_to_paid_rate] = [s].[trial_to_paid_rate], [t].[direct_purchase_share] = [s].[direct_purchase_share], [t].[visit_to_paid_rate] = [s].[visit_to_paid_rate], [t].[_run_date] = @RunDate, [t].[_loaded_at] = SYSUTCDATETIME()
  WHEN NOT MATCHED BY TARGET THEN
    INSERT ([_grain_key], [month], [channel], [visits], [signups], [trials], [paid_after_trial], [direct_purchases], [paid], [signup_rate], [trial_to_paid_rate], [direct_purchase_share], [visit_to_paid_rate], [_run_date])
    VALUES ([s].[_grain_key], [s].[month], [s].[channel], [s].[visits], [s].[signups], [s].[trials], [s].[paid_after_trial], [s].[direct_purchases], [s].[paid], [s].[signup_rate], [s].[trial_to_paid_rate], [s].[direct_purchase_share], [s].[visit_to_paid_rate], @RunDate)
  WHEN NOT MATCHED BY SOURCE THEN
    DELETE
  OUTPUT $action INTO @changes;
  INSERT INTO [ops].[serving_loads] ([run_date], [mart], [staged_rows], [inserted], [updated], [deleted])
  SELECT @RunDate, N'analytics_funnel_conversion', (SELECT COUNT_BIG(*) FROM [staging].[analytics_funnel_conversion]),
    COUNT_BIG(CASE WHEN [action] = N'INSERT' THEN 1 END),
    COUNT_BIG(CASE WHEN [action] = N'UPDATE' THEN 1 END),
    COUNT_BIG(CASE WHEN [action] = N'DELETE' THEN 1 END)
  FROM @changes;
END;
GO

-- analytics_kpi_monthly: staging → gold. Idempotent: an unchanged row is not touched, so re-loading a batch changes nothing.
CREATE OR ALTER PROCEDURE [gold].[usp_merge_analytics_kpi_monthly]
  @RunDate DATE
AS
BEGIN
  SET NOCOUNT ON;
  SET XACT_ABORT ON;
  DECLARE @changes TABLE ([action] NVARCHAR(10) NOT NULL);
  MERGE [gold].[analytics_kpi_monthly] WITH (HOLDLOCK) AS [t]
  USING (
    SELECT CAST(HASHBYTES('SHA2_256', CONCAT_WS(NCHAR(31), CONVERT(NVARCHAR(10), [x].[month], 23), N'')) AS BINARY(32)) AS [_grain_key], [x].[month], [x].[active_users], [x].[paying_subscribers], [x].[opening_subscribers], [x].[new_subscribers], [x].[churned_subscribers], [x].[churn_rate], [x].[mrr], [x].[revenue], [x].[arpu]
    FROM [staging].[analytics_kpi_monthly] AS [x]
  ) AS [s]
  ON [t].[_grain_key] = [s].[_grain_key]
  WHEN MATCHED AND EXISTS (SELECT [s].[active_users], [s].[paying_subscribers], [s].[opening_subscribers], [s].[new_subscribers], [s].[churned_subscribers], [s].[churn_rate], [s].[mrr], [s].[revenue], [s].[arpu] EXCEPT SELECT [t].[active_users], [t].[paying_subscribers], [t].[opening_subscribers], [t].[new_subscribers], [t].[churned_subscribers], [t].[churn_rate], [t].[mrr], [t].[revenue], [t].[arpu]) THEN
    UPDATE SET [t].[active_users] = [s].[active_users], [t].[paying_subscribers] = [s].[paying_subscribers], [t].[opening_subscribers] = [s].[opening_subscribers], [t].[new_subscribers] = [s].[new_subscribers], [t].[churned_subscribers] = [s].[churned_subscribers], [t].[churn_rate] = [s].[churn_rate], [t].[mrr] = [s].[mrr], [t].[revenue] = [s].[revenue], [t].[arpu] = [s].[arpu], [t].[_run_date] = @RunDate, [t].[_loaded_at] = SYSUTCDATETIME()
  WHEN NOT MATCHED BY TARGET THEN
    INSERT ([_grain_key], [month], [active_users], [paying_subscribers], [opening_subscribers], [new_subscribers], [churned_subscribers], [churn_rate], [mrr], [revenue], [arpu], [_run_date])
    VALUES ([s].[_grain_key], [s].[month], [s].[active_users], [s].[paying_subscribers], [s].[opening_subscribers], [s].[new_subscribers], [s].[churned_subscribers], [s].[churn_rate], [s].[mrr], [s].[revenue], [s].[arpu], @RunDate)
  WHEN NOT MATCHED BY SOURCE THEN
    DELETE
  OUTPUT $action INTO @changes;
  INSERT INTO [ops].[serving_loads] ([run_date], [mart], [staged_rows], [inserted], [updated], [deleted])
  SELECT @RunDate, N'analytics_kpi_monthly', (SELECT COUNT_BIG(*) FROM [staging].[analytics_kpi_monthly]),
    COUNT_BIG(CASE WHEN [action] = N'INSERT' THEN 1 END),
    COUNT_BIG(CASE WHEN [action] = N'UPDATE' THEN 1 END),
    COUNT_BIG(CASE WHEN [action] = N'DELETE' THEN 1 END)
  FROM @changes;
END;
GO

-- analytics_payment_quality: staging → gold. Idempotent: an unchanged row is not touched, so re-loading a batch changes nothing.
CREATE OR ALTER PROCEDURE [gold].[usp_merge_analytics_payment_quality]
  @RunDate DATE
AS
BEGIN
  SET NOCOUNT ON;
  SET XACT_ABORT ON;
  DECLARE @changes TABLE ([action] NVARCHAR(10) NOT NULL);
  MERGE [gold].[analytics_payment_quality] WITH (HOLDLOCK) AS [t]
  USING (
    SELECT CAST(HASHBYTES('SHA2_256', CONCAT_WS(NCHAR(31), CONVERT(NVARCHAR(10), [x].[month], 23), [x].[payment_method])) AS BINARY(32)) AS [_grain_key], [x].[month], [x].[payment_method], [x].[attempts], [x].[failures], [x].[failure_rate], [x].[retry_attempts], [x].[recovered_after_retry], [x].[revenue], [x].[failed_amount], [x].[refunded_amount]
    FROM [staging].[analytics_payment_quality] AS [x]
  ) AS [s]
  ON [t].[_grain_key] = [s].[_grain_key]
  WHEN MATCHED AND EXISTS (SELECT [s].[attempts], [s].[failures], [s].[failure_rate], [s].[retry_attempts], [s].[recovered_after_retry], [s].[revenue], [s].[failed_amount], [s].[refunded_amount] EXCEPT SELECT [t].[attempts], [t].[failures], [t].[failure_rate], [t].[retry_attempts], [t].[recovered_after_retry], [t].[revenue], [t].[failed_amount], [t].[refunded_amount]) THEN
    UPDATE SET [t].[attempts] = [s].[attempts], [t].[failures] = [s].[failures], [t].[failure_rate] = [s].[failure_rate], [t].[retry_attempts] = [s].[retry_attempts], [t].[recovered_after_retry] = [s].[recovered_after_retry], [t].[revenue] = [s].[revenue], [t].[failed_amount] = [s].[failed_amount], [t].[refunded_amount] = [s].[refunded_amount], [t].[_run_date] = @RunDate, [t].[_loaded_at] = SYSUTCDATETIME()
  WHEN NOT MATCHED BY TARGET THEN
    INSERT ([_grain_key], [month], [payment_method], [attempts], [failures], [failure_rate], [retry_attempts], [recovered_after_retry], [revenue], [failed_amount], [refunded_amount], [_run_date])
    VALUES ([s].[_grain_key], [s].[month], [s].[payment_method], [s].[attempts], [s].[failures], [s].[failure_rate], [s].[retry_attempts], [s].[recovered_after_retry], [s].[revenue], [s].[failed_amount], [s].[refunded_amount], @RunDate)
  WHEN NOT MATCHED BY SOURCE THEN
    DELETE
  OUTPUT $action INTO @changes;
  INSERT INTO [ops].[serving_loads] ([run_date], [mart], [staged_rows], [inserted], [updated], [deleted])
  SELECT @RunDate, N'analytics_payment_quality', (SELECT COUNT_BIG(*) FROM [staging].[analytics_payment_quality]),
    COUNT_BIG(CASE WHEN [action] = N'INSERT' THEN 1 END),
    COUNT_BIG(CASE WHEN [action] = N'UPDATE' THEN 1 END),
    COUNT_BIG(CASE WHEN [action] = N'DELETE' THEN 1 END)
  FROM @changes;
END;
GO

-- analytics_subscription_health: staging → gold. Idempotent: an unchanged row is not touched, so re-loading a batch changes nothing.
CREATE OR ALTER PROCEDURE [gold].[usp_merge_analytics_subscription_health]
  @RunDate DATE
AS
BEGIN
  SET NOCOUNT ON;
  SET XACT_ABORT ON;
  DECLARE @changes TABLE ([action] NVARCHAR(10) NOT NULL);
  MERGE [gold].[analytics_subscription_health] WITH (HOLDLOCK) AS [t]
  USING (
    SELECT CAST(HASHBYTES('SHA2_256', CONCAT_WS(NCHAR(31), CONVERT(NVARCHAR(10), [x].[month], 23), [x].[plan_tier], [x].[region])) AS BINARY(32)) AS [_grain_key], [x].[month], [x].[plan_tier], [x].[region], [x].[active_subscribers], [x].[opening_subscribers], [x].[new_subscribers], [x].[churned_subscribers], [x].[voluntary_churned], [x].[involuntary_churned], [x].[churn_rate], [x].[mrr], [x].[churned_mrr]
    FROM [staging].[analytics_subscription_health] AS [x]
  ) AS [s]
  ON [t].[_grain_key] = [s].[_grain_key]
  WHEN MATCHED AND EXISTS (SELECT [s].[active_subscribers], [s].[opening_subscribers], [s].[new_subscribers], [s].[churned_subscribers], [s].[voluntary_churned], [s].[involuntary_churned], [s].[churn_rate], [s].[mrr], [s].[churned_mrr] EXCEPT SELECT [t].[active_subscribers], [t].[opening_subscribers], [t].[new_subscribers], [t].[churned_subscribers], [t].[voluntary_churned], [t].[involuntary_churned], [t].[churn_rate], [t].[mrr], [t].[churned_mrr]) THEN
    UPDATE SET [t].[active_subscribers] = [s].[active_subscribers], [t].[opening_subscribers] = [s].[opening_subscribers], [t].[new_subscribers] = [s].[new_subscribers], [t].[churned_subscribers] = [s].[churned_subscribers], [t].[voluntary_churned] = [s].[voluntary_churned], [t].[involuntary_churned] = [s].[involuntary_churned], [t].[churn_rate] = [s].[churn_rate], [t].[mrr] = [s].[mrr], [t].[churned_mrr] = [s].[churned_mrr], [t].[_run_date] = @RunDate, [t].[_loaded_at] = SYSUTCDATETIME()
  WHEN NOT MATCHED BY TARGET THEN
    INSERT ([_grain_key], [month], [plan_tier], [region], [active_subscribers], [opening_subscribers], [new_subscribers], [churned_subscribers], [voluntary_churned], [involuntary_churned], [churn_rate], [mrr], [churned_mrr], [_run_date])
    VALUES ([s].[_grain_key], [s].[month], [s].[plan_tier], [s].[region], [s].[active_subscribers], [s].[opening_subscribers], [s].[new_subscribers], [s].[churned_subscribers], [s].[voluntary_churned], [s].[involuntary_churned], [s].[churn_rate], [s].[mrr], [s].[churned_mrr], @RunDate)
  WHEN NOT MATCHED BY SOURCE THEN
    DELETE
  OUTPUT $action INTO @changes;
  INSERT INTO [ops].[serving_loads] ([run_date], [mart], [staged_rows], [inserted], [updated], [deleted])
  SELECT @RunDate, N'analytics_subscription_health', (SELECT COUNT_BIG(*) FROM [staging].[analytics_subscription_health]),
    COUNT_BIG(CASE WHEN [action] = N'INSERT' THEN 1 END),
    COUNT_BIG(CASE WHEN [action] = N'UPDATE' THEN 1 END),
    COUNT_BIG(CASE WHEN [action] = N'DELETE' THEN 1 END)
  FROM @changes;
END;
GO

-- Data Factory's "Merge serving" activity (and `serve load`): checks every staging table, then
-- merges every mart in ONE transaction, so readers see the previous load or the new one, never a mix.
-- Serving never moves back in time: a @RunDate before the newest merged load merges nothing and
-- returns 1 (a re-run of an earlier batch repairs the lake; the next daily load serves it).
-- EXECUTE AS OWNER: the MERGE sees every row whatever row-level security filters.
CREATE OR ALTER PROCEDURE [serving].[usp_merge_marts]
  @RunDate NVARCHAR(32)
WITH EXECUTE AS OWNER
AS
BEGIN
  SET NOCOUNT ON;
  SET XACT_ABORT ON;
  DECLARE @run_date DATE = TRY_CONVERT(DATE, @RunDate, 23);
  IF @run_date IS NULL
    THROW 50001, N'@RunDate must be a date (YYYY-MM-DD); nothing was merged', 1;
  -- the staging checks (generated from the contracts): the first failure stops the load
  DECLARE @failed NVARCHAR(2048);
  SELECT TOP (1) @failed = [f].[message]
  FROM (
    SELECT 1 AS [n], N'not_null:analytics_cohort_retention.cohort_month: staging.analytics_cohort_retention breaks "analytics_cohort_retention.cohort_month is never NULL"; nothing was merged' AS [message] WHERE EXISTS (SELECT [cohort_month] FROM [staging].[analytics_cohort_retention] WHERE [cohort_month] IS NULL)
    UNION ALL
    SELECT 2 AS [n], N'not_null:analytics_cohort_retention.months_since_signup: staging.analytics_cohort_retention breaks "analytics_cohort_retention.months_since_signup is never NULL"; nothing was merged' AS [message] WHERE EXISTS (SELECT [months_since_signup] FROM [staging].[analytics_cohort_retention] WHERE [months_since_signup] IS NULL)
    UNION ALL
    SELECT 3 AS [n], N'unique:analytics_cohort_retention.cohort_month+months_since_signup: staging.analytics_cohort_retention breaks "analytics_cohort_retention has one row per (cohort_month, months_since_signup)"; nothing was merged' AS [message] WHERE EXISTS (SELECT [cohort_month], [months_since_signup], COUNT(*) AS [n] FROM [staging].[analytics_cohort_retention] GROUP BY [cohort_month], [months_since_signup] HAVING COUNT(*) > 1)
    UNION ALL
    SELECT 4 AS [n], N'staging.analytics_cohort_retention is empty but gold.analytics_cohort_retention has rows: the copy did not run; nothing was merged' AS [message] WHERE NOT EXISTS (SELECT 1 FROM [staging].[analytics_cohort_retention]) AND EXISTS (SELECT 1 FROM [gold].[analytics_cohort_retention])
    UNION ALL
    SELECT 5 AS [n], N'not_null:analytics_content_portfolio.month: staging.analytics_content_portfolio breaks "analytics_content_portfolio.month is never NULL"; nothing was merged' AS [message] WHERE EXISTS (SELECT [month] FROM [staging].[analytics_content_portfolio] WHERE [month] IS NULL)
    UNION ALL
    SELECT 6 AS [n], N'not_null:analytics_content_portfolio.content_id: staging.analytics_content_portfolio breaks "analytics_content_portfolio.content_id is never NULL"; nothing was merged' AS [message] WHERE EXISTS (SELECT [content_id] FROM [staging].[analytics_content_portfolio] WHERE [content_id] IS NULL)
    UNION ALL
    SELECT 7 AS [n], N'not_null:analytics_content_portfolio.display_title: staging.analytics_content_portfolio breaks "analytics_content_portfolio.display_title is never NULL"; nothing was merged' AS [message] WHERE EXISTS (SELECT [display_title] FROM [staging].[analytics_content_portfolio] WHERE [display_title] IS NULL)
    UNION ALL
    SELECT 8 AS [n], N'not_null:analytics_content_portfolio.content_type: staging.analytics_content_portfolio breaks "analytics_content_portfolio.content_type is never NULL"; nothing was merged' AS [message] WHERE EXISTS (SELECT [content_type] FROM [staging].[analytics_content_portfolio] WHERE [content_type] IS NULL)
    UNION ALL
    SELECT 9 AS [n], N'not_null:analytics_content_portfolio.genre: staging.analytics_content_portfolio breaks "analytics_content_portfolio.genre is never NULL"; nothing was merged' AS [message] WHERE EXISTS (SELECT [genre] FROM [staging].[analytics_content_portfolio] WHERE [genre] IS NULL)
    UNION ALL
    SELECT 10 AS [n], N'not_null:analytics_content_portfolio.is_original: staging.analytics_content_portfolio breaks "analytics_content_portfolio.is_original is never NULL"; nothing was merged' AS [message] WHERE EXISTS (SELECT [is_original] FROM [staging].[analytics_content_portfolio] WHERE [is_original] IS NULL)
    UNION ALL
    SELECT 11 AS [n], N'unique:analytics_content_portfolio.month+content_id+display_title+content_type+genre+is_original: staging.analytics_content_portfolio breaks "analytics_content_portfolio has one row per (month, content_id, display_title, content_type, genre, is_original)"; nothing was merged' AS [message] WHERE EXISTS (SELECT [month], [content_id] COLLATE Latin1_General_100_BIN2, [display_title] COLLATE Latin1_General_100_BIN2, [content_type] COLLATE Latin1_General_100_BIN2, [genre] COLLATE Latin1_General_100_BIN2, [is_original], COUNT(*) AS [n] FROM [staging].[analytics_content_portfolio] GROUP BY [month], [content_id] COLLATE Latin1_General_100_BIN2, [display_title] COLLATE Latin1_General_100_BIN2, [content_type] COLLATE Latin1_General_100_BIN2, [genre] COLLATE Latin1_General_100_BIN2, [is_original] HAVING COUNT(*) > 1)
    UNION ALL
    SELECT 12 AS [n], N'accepted_values:analytics_content_portfolio.content_type: staging.analytics_content_portfolio breaks "analytics_content_portfolio.content_type is one of documentary, episode, kids, movie, unknown"; nothing was merged' AS [message] WHERE EXISTS (SELECT DISTINCT [content_type] FROM [staging].[analytics_content_portfolio] WHERE [content_type] IS NOT NULL AND [content_type] COLLATE Latin1_General_100_BIN2 NOT IN (N'documentary', N'episode', N'kids', N'movie', N'unknown'))
    UNION ALL
    SELECT 13 AS [n], N'max_length:analytics_content_portfolio.content_id: staging.analytics_content_portfolio breaks "analytics_content_portfolio.content_id is at most 64 characters"; nothing was merged' AS [message] WHERE EXISTS (SELECT DISTINCT [content_id] FROM [staging].[analytics_content_portfolio] WHERE LEN(CONCAT([content_id], N'.')) - 1 > 64)
    UNION ALL
    SELECT 14 AS [n], N'max_length:analytics_content_portfolio.display_title: staging.analytics_content_portfolio breaks "analytics_content_portfolio.display_title is at most 603 characters"; nothing was merged' AS [message] WHERE EXISTS (SELECT DISTINCT [display_title] FROM [staging].[analytics_content_portfolio] WHERE LEN(CONCAT([display_title], N'.')) - 1 > 603)
    UNION ALL
    SELECT 15 AS [n], N'max_length:analytics_content_portfolio.content_type: staging.analytics_content_portfolio breaks "analytics_content_portfolio.content_type is at most 11 characters"; nothing was merged' AS [message] WHERE EXISTS (SELECT DISTINCT [content_type] FROM [staging].[analytics_content_portfolio] WHERE LEN(CONCAT([content_type], N'.')) - 1 > 11)
    UNION ALL
    SELECT 16 AS [n], N'max_length:analytics_content_portfolio.genre: staging.analytics_content_portfolio breaks "analytics_content_portfolio.genre is at most 256 characters"; nothing was merged' AS [message] WHERE EXISTS (SELECT DISTINCT [genre] FROM [staging].[analytics_content_portfolio] WHERE LEN(CONCAT([genre], N'.')) - 1 > 256)
    UNION ALL
    SELECT 17 AS [n], N'staging.analytics_content_portfolio is empty but gold.analytics_content_portfolio has rows: the copy did not run; nothing was merged' AS [message] WHERE NOT EXISTS (SELECT 1 FROM [staging].[analytics_content_portfolio]) AND EXISTS (SELECT 1 FROM [gold].[analytics_content_portfolio])
    UNION ALL
    SELECT 18 AS [n], N'not_null:analytics_engagement_daily.activity_date: staging.analytics_engagement_daily breaks "analytics_engagement_daily.activity_date is never NULL"; nothing was merged' AS [message] WHERE EXISTS (SELECT [activity_date] FROM [staging].[analytics_engagement_daily] WHERE [activity_date] IS NULL)
    UNION ALL
    SELECT 19 AS [n], N'unique:analytics_engagement_daily.activity_date: staging.analytics_engagement_daily breaks "analytics_engagement_daily has one row per (activity_date)"; nothing was merged' AS [message] WHERE EXISTS (SELECT [activity_date], COUNT(*) AS [n] FROM [staging].[analytics_engagement_daily] GROUP BY [activity_date] HAVING COUNT(*) > 1)
    UNION ALL
    SELECT 20 AS [n], N'staging.analytics_engagement_daily is empty but gold.analytics_engagement_daily has rows: the copy did not run; nothing was merged' AS [message] WHERE NOT EXISTS (SELECT 1 FROM [staging].[analytics_engagement_daily]) AND EXISTS (SELECT 1 FROM [gold].[analytics_engagement_daily])
    UNION ALL
    SELECT 21 AS [n], N'not_null:analytics_funnel_conversion.month: staging.analytics_funnel_conversion breaks "analytics_funnel_conversion.month is never NULL"; nothing was merged' AS [message] WHERE EXISTS (SELECT [month] FROM [staging].[analytics_funnel_conversion] WHERE [month] IS NULL)
    UNION ALL
    SELECT 22 AS [n], N'not_null:analytics_funnel_conversion.channel: staging.analytics_funnel_conversion breaks "analytics_funnel_conversion.channel is never NULL"; nothing was merged' AS [message] WHERE EXISTS (SELECT [channel] FROM [staging].[analytics_funnel_conversion] WHERE [channel] IS NULL)
    UNION ALL
    SELECT 23 AS [n], N'unique:analytics_funnel_conversion.month+channel: staging.analytics_funnel_conversion breaks "analytics_funnel_conversion has one row per (month, channel)"; nothing was merged' AS [message] WHERE EXISTS (SELECT [month], [channel] COLLATE Latin1_General_100_BIN2, COUNT(*) AS [n] FROM [staging].[analytics_funnel_conversion] GROUP BY [month], [channel] COLLATE Latin1_General_100_BIN2 HAVING COUNT(*) > 1)
    UNION ALL
    SELECT 24 AS [n], N'max_length:analytics_funnel_conversion.channel: staging.analytics_funnel_conversion breaks "analytics_funnel_conversion.channel is at most 256 characters"; nothing was merged' AS [message] WHERE EXISTS (SELECT DISTINCT [channel] FROM [staging].[analytics_funnel_conversion] WHERE LEN(CONCAT([channel], N'.')) - 1 > 256)
    UNION ALL
    SELECT 25 AS [n], N'staging.analytics_funnel_conversion is empty but gold.analytics_funnel_conversion has rows: the copy did not run; nothing was merged' AS [message] WHERE NOT EXISTS (SELECT 1 FROM [staging].[analytics_funnel_conversion]) AND EXISTS (SELECT 1 FROM [gold].[analytics_funnel_conversion])
    UNION ALL
    SELECT 26 AS [n], N'not_null:analytics_kpi_monthly.month: staging.analytics_kpi_monthly breaks "analytics_kpi_monthly.month is never NULL"; nothing was merged' AS [message] WHERE EXISTS (SELECT [month] FROM [staging].[analytics_kpi_monthly] WHERE [month] IS NULL)
    UNION ALL
    SELECT 27 AS [n], N'unique:analytics_kpi_monthly.month: staging.analytics_kpi_monthly breaks "analytics_kpi_monthly has one row per (month)"; nothing was merged' AS [message] WHERE EXISTS (SELECT [month], COUNT(*) AS [n] FROM [staging].[analytics_kpi_monthly] GROUP BY [month] HAVING COUNT(*) > 1)
    UNION ALL
    SELECT 28 AS [n], N'staging.analytics_kpi_monthly is empty but gold.analytics_kpi_monthly has rows: the copy did not run; nothing was merged' AS [message] WHERE NOT EXISTS (SELECT 1 FROM [staging].[analytics_kpi_monthly]) AND EXISTS (SELECT 1 FROM [gold].[analytics_kpi_monthly])
    UNION ALL
    SELECT 29 AS [n], N'not_null:analytics_payment_quality.month: staging.analytics_payment_quality breaks "analytics_payment_quality.month is never NULL"; nothing was merged' AS [message] WHERE EXISTS (SELECT [month] FROM [staging].[analytics_payment_quality] WHERE [month] IS NULL)
    UNION ALL
    SELECT 30 AS [n], N'not_null:analytics_payment_quality.payment_method: staging.analytics_payment_quality breaks "analytics_payment_quality.payment_method is never NULL"; nothing was merged' AS [message] WHERE EXISTS (SELECT [payment_method] FROM [staging].[analytics_payment_quality] WHERE [payment_method] IS NULL)
    UNION ALL
    SELECT 31 AS [n], N'unique:analytics_payment_quality.month+payment_method: staging.analytics_payment_quality breaks "analytics_payment_quality has one row per (month, payment_method)"; nothing was merged' AS [message] WHERE EXISTS (SELECT [month], [payment_method] COLLATE Latin1_General_100_BIN2, COUNT(*) AS [n] FROM [staging].[analytics_payment_quality] GROUP BY [month], [payment_method] COLLATE Latin1_General_100_BIN2 HAVING COUNT(*) > 1)
    UNION ALL
    SELECT 32 AS [n], N'max_length:analytics_payment_quality.payment_method: staging.analytics_payment_quality breaks "analytics_payment_quality.payment_method is at most 256 characters"; nothing was merged' AS [message] WHERE EXISTS (SELECT DISTINCT [payment_method] FROM [staging].[analytics_payment_quality] WHERE LEN(CONCAT([payment_method], N'.')) - 1 > 256)
    UNION ALL
    SELECT 33 AS [n], N'staging.analytics_payment_quality is empty but gold.analytics_payment_quality has rows: the copy did not run; nothing was merged' AS [message] WHERE NOT EXISTS (SELECT 1 FROM [staging].[analytics_payment_quality]) AND EXISTS (SELECT 1 FROM [gold].[analytics_payment_quality])
    UNION ALL
    SELECT 34 AS [n], N'not_null:analytics_subscription_health.month: staging.analytics_subscription_health breaks "analytics_subscription_health.month is never NULL"; nothing was merged' AS [message] WHERE EXISTS (SELECT [month] FROM [staging].[analytics_subscription_health] WHERE [month] IS NULL)
    UNION ALL
    SELECT 35 AS [n], N'not_null:analytics_subscription_health.plan_tier: staging.analytics_subscription_health breaks "analytics_subscription_health.plan_tier is never NULL"; nothing was merged' AS [message] WHERE EXISTS (SELECT [plan_tier] FROM [staging].[analytics_subscription_health] WHERE [plan_tier] IS NULL)
    UNION ALL
    SELECT 36 AS [n], N'not_null:analytics_subscription_health.region: staging.analytics_subscription_health breaks "analytics_subscription_health.region is never NULL"; nothing was merged' AS [message] WHERE EXISTS (SELECT [region] FROM [staging].[analytics_subscription_health] WHERE [region] IS NULL)
    UNION ALL
    SELECT 37 AS [n], N'unique:analytics_subscription_health.month+plan_tier+region: staging.analytics_subscription_health breaks "analytics_subscription_health has one row per (month, plan_tier, region)"; nothing was merged' AS [message] WHERE EXISTS (SELECT [month], [plan_tier] COLLATE Latin1_General_100_BIN2, [region] COLLATE Latin1_General_100_BIN2, COUNT(*) AS [n] FROM [staging].[analytics_subscription_health] GROUP BY [month], [plan_tier] COLLATE Latin1_General_100_BIN2, [region] COLLATE Latin1_General_100_BIN2 HAVING COUNT(*) > 1)
    UNION ALL
    SELECT 38 AS [n], N'accepted_values:analytics_subscription_health.plan_tier: staging.analytics_subscription_health breaks "analytics_subscription_health.plan_tier is one of basic, premium, standard, unknown"; nothing was merged' AS [message] WHERE EXISTS (SELECT DISTINCT [plan_tier] FROM [staging].[analytics_subscription_health] WHERE [plan_tier] IS NOT NULL AND [plan_tier] COLLATE Latin1_General_100_BIN2 NOT IN (N'basic', N'premium', N'standard', N'unknown'))
    UNION ALL
    SELECT 39 AS [n], N'accepted_values:analytics_subscription_health.region: staging.analytics_subscription_health breaks "analytics_subscription_health.region is one of APAC, EMEA, LATAM, NA, UNKNOWN"; nothing was merged' AS [message] WHERE EXISTS (SELECT DISTINCT [region] FROM [staging].[analytics_subscription_health] WHERE [region] IS NOT NULL AND [region] COLLATE Latin1_General_100_BIN2 NOT IN (N'APAC', N'EMEA', N'LATAM', N'NA', N'UNKNOWN'))
    UNION ALL
    SELECT 40 AS [n], N'max_length:analytics_subscription_health.plan_tier: staging.analytics_subscription_health breaks "analytics_subscription_health.plan_tier is at most 8 characters"; nothing was merged' AS [message] WHERE EXISTS (SELECT DISTINCT [plan_tier] FROM [staging].[analytics_subscription_health] WHERE LEN(CONCAT([plan_tier], N'.')) - 1 > 8)
    UNION ALL
    SELECT 41 AS [n], N'max_length:analytics_subscription_health.region: staging.analytics_subscription_health breaks "analytics_subscription_health.region is at most 7 characters"; nothing was merged' AS [message] WHERE EXISTS (SELECT DISTINCT [region] FROM [staging].[analytics_subscription_health] WHERE LEN(CONCAT([region], N'.')) - 1 > 7)
    UNION ALL
    SELECT 42 AS [n], N'staging.analytics_subscription_health is empty but gold.analytics_subscription_health has rows: the copy did not run; nothing was merged' AS [message] WHERE NOT EXISTS (SELECT 1 FROM [staging].[analytics_subscription_health]) AND EXISTS (SELECT 1 FROM [gold].[analytics_subscription_health])
  ) AS [f]
  ORDER BY [f].[n];
  IF @failed IS NOT NULL
    THROW 50100, @failed, 1;
  BEGIN TRANSACTION;
  -- the newest merged load, locked until the commit: a concurrent load waits, then sees this one
  DECLARE @served DATE = (SELECT MAX([run_date]) FROM [ops].[serving_loads] WITH (UPDLOCK, HOLDLOCK));
  IF @served IS NOT NULL AND @run_date < @served
    ROLLBACK TRANSACTION;
  IF @served IS NOT NULL AND @run_date < @served
    RETURN 1;
  EXEC [gold].[usp_merge_analytics_cohort_retention] @RunDate = @run_date;
  EXEC [gold].[usp_merge_analytics_content_portfolio] @RunDate = @run_date;
  EXEC [gold].[usp_merge_analytics_engagement_daily] @RunDate = @run_date;
  EXEC [gold].[usp_merge_analytics_funnel_conversion] @RunDate = @run_date;
  EXEC [gold].[usp_merge_analytics_kpi_monthly] @RunDate = @run_date;
  EXEC [gold].[usp_merge_analytics_payment_quality] @RunDate = @run_date;
  EXEC [gold].[usp_merge_analytics_subscription_health] @RunDate = @run_date;
  COMMIT TRANSACTION;
END;
GO

-- Data Factory's completion / failure records; idempotent for the activity's retries.
CREATE OR ALTER PROCEDURE [ops].[usp_record_pipeline_run]
  @PipelineName NVARCHAR(140),
  @RunId NVARCHAR(64),
  @RunDate NVARCHAR(32),
  @Status NVARCHAR(16),
  @Detail NVARCHAR(4000) = NULL
AS
BEGIN
  SET NOCOUNT ON;
  MERGE [ops].[pipeline_runs] WITH (HOLDLOCK) AS [t]
  USING (SELECT @RunId AS [run_id], @Status AS [status]) AS [s]
  ON [t].[run_id] = [s].[run_id] AND [t].[status] = [s].[status]
  WHEN MATCHED THEN
    UPDATE SET [t].[detail] = @Detail, [t].[recorded_at] = SYSUTCDATETIME()
  WHEN NOT MATCHED THEN
    INSERT ([run_id], [status], [pipeline_name], [run_date], [detail])
    VALUES (@RunId, @Status, @PipelineName, TRY_CONVERT(DATE, @RunDate, 23), @Detail);
END;
GO
