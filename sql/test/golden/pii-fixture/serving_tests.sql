-- StreamPulse serving tests (generated from the contracts; do not edit).
-- Each query returns the rows that fail its test: no row = pass. `streampulse serve test` runs them.

-- test: not_null:analytics_account_contacts.email (analytics_account_contacts.email is never NULL)
SELECT [email] FROM [serving].[analytics_account_contacts] WHERE [email] IS NULL;

-- test: unique:analytics_account_contacts.email (analytics_account_contacts has one row per (email))
SELECT [email] COLLATE Latin1_General_100_BIN2, COUNT(*) AS [n] FROM [serving].[analytics_account_contacts] GROUP BY [email] COLLATE Latin1_General_100_BIN2 HAVING COUNT(*) > 1;

-- test: not_null:analytics_cohort_retention.cohort_month (analytics_cohort_retention.cohort_month is never NULL)
SELECT [cohort_month] FROM [serving].[analytics_cohort_retention] WHERE [cohort_month] IS NULL;

-- test: not_null:analytics_cohort_retention.months_since_signup (analytics_cohort_retention.months_since_signup is never NULL)
SELECT [months_since_signup] FROM [serving].[analytics_cohort_retention] WHERE [months_since_signup] IS NULL;

-- test: unique:analytics_cohort_retention.cohort_month+months_since_signup (analytics_cohort_retention has one row per (cohort_month, months_since_signup))
SELECT [cohort_month], [months_since_signup], COUNT(*) AS [n] FROM [serving].[analytics_cohort_retention] GROUP BY [cohort_month], [months_since_signup] HAVING COUNT(*) > 1;

-- test: relationships:analytics_cohort_retention.cohort_month (every analytics_cohort_retention.cohort_month exists in analytics_kpi_monthly.month)
SELECT DISTINCT [c].[cohort_month] FROM [serving].[analytics_cohort_retention] AS [c] WHERE [c].[cohort_month] IS NOT NULL AND NOT EXISTS (SELECT 1 FROM [serving].[analytics_kpi_monthly] AS [p] WHERE [p].[month] = [c].[cohort_month]);

-- test: not_null:analytics_content_portfolio.month (analytics_content_portfolio.month is never NULL)
SELECT [month] FROM [serving].[analytics_content_portfolio] WHERE [month] IS NULL;

-- test: not_null:analytics_content_portfolio.content_id (analytics_content_portfolio.content_id is never NULL)
SELECT [content_id] FROM [serving].[analytics_content_portfolio] WHERE [content_id] IS NULL;

-- test: not_null:analytics_content_portfolio.display_title (analytics_content_portfolio.display_title is never NULL)
SELECT [display_title] FROM [serving].[analytics_content_portfolio] WHERE [display_title] IS NULL;

-- test: not_null:analytics_content_portfolio.content_type (analytics_content_portfolio.content_type is never NULL)
SELECT [content_type] FROM [serving].[analytics_content_portfolio] WHERE [content_type] IS NULL;

-- test: not_null:analytics_content_portfolio.genre (analytics_content_portfolio.genre is never NULL)
SELECT [genre] FROM [serving].[analytics_content_portfolio] WHERE [genre] IS NULL;

-- test: not_null:analytics_content_portfolio.is_original (analytics_content_portfolio.is_original is never NULL)
SELECT [is_original] FROM [serving].[analytics_content_portfolio] WHERE [is_original] IS NULL;

-- test: unique:analytics_content_portfolio.month+content_id+display_title+content_type+genre+is_original (analytics_content_portfolio has one row per (month, content_id, display_title, content_type, genre, is_original))
SELECT [month], [content_id] COLLATE Latin1_General_100_BIN2, [display_title] COLLATE Latin1_General_100_BIN2, [content_type] COLLATE Latin1_General_100_BIN2, [genre] COLLATE Latin1_General_100_BIN2, [is_original], COUNT(*) AS [n] FROM [serving].[analytics_content_portfolio] GROUP BY [month], [content_id] COLLATE Latin1_General_100_BIN2, [display_title] COLLATE Latin1_General_100_BIN2, [content_type] COLLATE Latin1_General_100_BIN2, [genre] COLLATE Latin1_General_100_BIN2, [is_original] HAVING COUNT(*) > 1;

-- test: accepted_values:analytics_content_portfolio.content_type (analytics_content_portfolio.content_type is one of documentary, episode, kids, movie, unknown)
SELECT DISTINCT [content_type] FROM [serving].[analytics_content_portfolio] WHERE [content_type] IS NOT NULL AND [content_type] COLLATE Latin1_General_100_BIN2 NOT IN (N'documentary', N'episode', N'kids', N'movie', N'unknown');

-- test: relationships:analytics_content_portfolio.month (every analytics_content_portfolio.month exists in analytics_kpi_monthly.month)
SELECT DISTINCT [c].[month] FROM [serving].[analytics_content_portfolio] AS [c] WHERE [c].[month] IS NOT NULL AND NOT EXISTS (SELECT 1 FROM [serving].[analytics_kpi_monthly] AS [p] WHERE [p].[month] = [c].[month]);

-- test: not_null:analytics_engagement_daily.activity_date (analytics_engagement_daily.activity_date is never NULL)
SELECT [activity_date] FROM [serving].[analytics_engagement_daily] WHERE [activity_date] IS NULL;

-- test: unique:analytics_engagement_daily.activity_date (analytics_engagement_daily has one row per (activity_date))
SELECT [activity_date], COUNT(*) AS [n] FROM [serving].[analytics_engagement_daily] GROUP BY [activity_date] HAVING COUNT(*) > 1;

-- test: not_null:analytics_funnel_conversion.month (analytics_funnel_conversion.month is never NULL)
SELECT [month] FROM [serving].[analytics_funnel_conversion] WHERE [month] IS NULL;

-- test: not_null:analytics_funnel_conversion.channel (analytics_funnel_conversion.channel is never NULL)
SELECT [channel] FROM [serving].[analytics_funnel_conversion] WHERE [channel] IS NULL;

-- test: unique:analytics_funnel_conversion.month+channel (analytics_funnel_conversion has one row per (month, channel))
SELECT [month], [channel] COLLATE Latin1_General_100_BIN2, COUNT(*) AS [n] FROM [serving].[analytics_funnel_conversion] GROUP BY [month], [channel] COLLATE Latin1_General_100_BIN2 HAVING COUNT(*) > 1;

-- test: relationships:analytics_funnel_conversion.month (every analytics_funnel_conversion.month exists in analytics_kpi_monthly.month)
SELECT DISTINCT [c].[month] FROM [serving].[analytics_funnel_conversion] AS [c] WHERE [c].[month] IS NOT NULL AND NOT EXISTS (SELECT 1 FROM [serving].[analytics_kpi_monthly] AS [p] WHERE [p].[month] = [c].[month]);

-- test: not_null:analytics_kpi_monthly.month (analytics_kpi_monthly.month is never NULL)
SELECT [month] FROM [serving].[analytics_kpi_monthly] WHERE [month] IS NULL;

-- test: unique:analytics_kpi_monthly.month (analytics_kpi_monthly has one row per (month))
SELECT [month], COUNT(*) AS [n] FROM [serving].[analytics_kpi_monthly] GROUP BY [month] HAVING COUNT(*) > 1;

-- test: not_null:analytics_payment_quality.month (analytics_payment_quality.month is never NULL)
SELECT [month] FROM [serving].[analytics_payment_quality] WHERE [month] IS NULL;

-- test: not_null:analytics_payment_quality.payment_method (analytics_payment_quality.payment_method is never NULL)
SELECT [payment_method] FROM [serving].[analytics_payment_quality] WHERE [payment_method] IS NULL;

-- test: unique:analytics_payment_quality.month+payment_method (analytics_payment_quality has one row per (month, payment_method))
SELECT [month], [payment_method] COLLATE Latin1_General_100_BIN2, COUNT(*) AS [n] FROM [serving].[analytics_payment_quality] GROUP BY [month], [payment_method] COLLATE Latin1_General_100_BIN2 HAVING COUNT(*) > 1;

-- test: relationships:analytics_payment_quality.month (every analytics_payment_quality.month exists in analytics_kpi_monthly.month)
SELECT DISTINCT [c].[month] FROM [serving].[analytics_payment_quality] AS [c] WHERE [c].[month] IS NOT NULL AND NOT EXISTS (SELECT 1 FROM [serving].[analytics_kpi_monthly] AS [p] WHERE [p].[month] = [c].[month]);

-- test: not_null:analytics_subscription_health.month (analytics_subscription_health.month is never NULL)
SELECT [month] FROM [serving].[analytics_subscription_health] WHERE [month] IS NULL;

-- test: not_null:analytics_subscription_health.plan_tier (analytics_subscription_health.plan_tier is never NULL)
SELECT [plan_tier] FROM [serving].[analytics_subscription_health] WHERE [plan_tier] IS NULL;

-- test: not_null:analytics_subscription_health.region (analytics_subscription_health.region is never NULL)
SELECT [region] FROM [serving].[analytics_subscription_health] WHERE [region] IS NULL;

-- test: unique:analytics_subscription_health.month+plan_tier+region (analytics_subscription_health has one row per (month, plan_tier, region))
SELECT [month], [plan_tier] COLLATE Latin1_General_100_BIN2, [region] COLLATE Latin1_General_100_BIN2, COUNT(*) AS [n] FROM [serving].[analytics_subscription_health] GROUP BY [month], [plan_tier] COLLATE Latin1_General_100_BIN2, [region] COLLATE Latin1_General_100_BIN2 HAVING COUNT(*) > 1;

-- test: accepted_values:analytics_subscription_health.plan_tier (analytics_subscription_health.plan_tier is one of basic, premium, standard, unknown)
SELECT DISTINCT [plan_tier] FROM [serving].[analytics_subscription_health] WHERE [plan_tier] IS NOT NULL AND [plan_tier] COLLATE Latin1_General_100_BIN2 NOT IN (N'basic', N'premium', N'standard', N'unknown');

-- test: accepted_values:analytics_subscription_health.region (analytics_subscription_health.region is one of APAC, EMEA, LATAM, NA, UNKNOWN)
SELECT DISTINCT [region] FROM [serving].[analytics_subscription_health] WHERE [region] IS NOT NULL AND [region] COLLATE Latin1_General_100_BIN2 NOT IN (N'APAC', N'EMEA', N'LATAM', N'NA', N'UNKNOWN');

-- test: relationships:analytics_subscription_health.month (every analytics_subscription_health.month exists in analytics_kpi_monthly.month)
SELECT DISTINCT [c].[month] FROM [serving].[analytics_subscription_health] AS [c] WHERE [c].[month] IS NOT NULL AND NOT EXISTS (SELECT 1 FROM [serving].[analytics_kpi_monthly] AS [p] WHERE [p].[month] = [c].[month]);
