-- StreamPulse serving database, migration 0008_row_level_security: row-level security: predicate functions and security policies from the contracts
-- Generated from the contracts by `streampulse generate`; do not edit (change the contracts).
-- Re-runnable; `streampulse sql apply` runs it in one transaction when it is new or changed
-- and records it in [ops].[schema_migrations].

-- who may see which rows: a principal (database user name) holds values of a claim; * = every value
IF OBJECT_ID(N'[security].[row_access]', N'U') IS NULL
CREATE TABLE [security].[row_access] (
  [principal_name] NVARCHAR(128) NOT NULL,
  [claim] NVARCHAR(128) NOT NULL,
  [value] NVARCHAR(256) NOT NULL,
  CONSTRAINT [pk_row_access] PRIMARY KEY CLUSTERED ([principal_name], [claim], [value])
);
GO

-- analytics_account_contacts: no row-level security in its contract
DROP SECURITY POLICY IF EXISTS [security].[rls_analytics_account_contacts];
DROP FUNCTION IF EXISTS [security].[fn_rls_analytics_account_contacts];
GO

-- analytics_cohort_retention: no row-level security in its contract
DROP SECURITY POLICY IF EXISTS [security].[rls_analytics_cohort_retention];
DROP FUNCTION IF EXISTS [security].[fn_rls_analytics_cohort_retention];
GO

-- analytics_content_portfolio: no row-level security in its contract
DROP SECURITY POLICY IF EXISTS [security].[rls_analytics_content_portfolio];
DROP FUNCTION IF EXISTS [security].[fn_rls_analytics_content_portfolio];
GO

-- analytics_engagement_daily: no row-level security in its contract
DROP SECURITY POLICY IF EXISTS [security].[rls_analytics_engagement_daily];
DROP FUNCTION IF EXISTS [security].[fn_rls_analytics_engagement_daily];
GO

-- analytics_funnel_conversion: no row-level security in its contract
DROP SECURITY POLICY IF EXISTS [security].[rls_analytics_funnel_conversion];
DROP FUNCTION IF EXISTS [security].[fn_rls_analytics_funnel_conversion];
GO

-- analytics_kpi_monthly: no row-level security in its contract
DROP SECURITY POLICY IF EXISTS [security].[rls_analytics_kpi_monthly];
DROP FUNCTION IF EXISTS [security].[fn_rls_analytics_kpi_monthly];
GO

-- analytics_payment_quality: no row-level security in its contract
DROP SECURITY POLICY IF EXISTS [security].[rls_analytics_payment_quality];
DROP FUNCTION IF EXISTS [security].[fn_rls_analytics_payment_quality];
GO

-- analytics_subscription_health: rows filtered by region (claim extension_streampulse_region); the policy is dropped first
-- because a schema-bound predicate function cannot be altered while a policy uses it
DROP SECURITY POLICY IF EXISTS [security].[rls_analytics_subscription_health];
GO

CREATE OR ALTER FUNCTION [security].[fn_rls_analytics_subscription_health] (@region VARCHAR(7))
RETURNS TABLE
WITH SCHEMABINDING
AS
RETURN
  SELECT 1 AS [allowed]
  WHERE USER_NAME() = N'dbo'
     OR EXISTS (
       SELECT 1 FROM [security].[row_access] AS [a]
       WHERE [a].[principal_name] = USER_NAME()
         AND [a].[claim] = N'extension_streampulse_region'
         AND ([a].[value] = N'*' OR [a].[value] = @region)
     );
GO

CREATE SECURITY POLICY [security].[rls_analytics_subscription_health]
  ADD FILTER PREDICATE [security].[fn_rls_analytics_subscription_health]([region]) ON [gold].[analytics_subscription_health]
  WITH (STATE = ON, SCHEMABINDING = ON);
GO

-- principals that see every row (the leadership dashboard); regional principals get rows per value
MERGE [security].[row_access] AS [t]
USING (VALUES (N'id-streampulse-metabase', N'extension_streampulse_region', N'*')) AS [s] ([principal_name], [claim], [value])
ON [t].[principal_name] = [s].[principal_name] AND [t].[claim] = [s].[claim] AND [t].[value] = [s].[value]
WHEN NOT MATCHED BY TARGET THEN
  INSERT ([principal_name], [claim], [value]) VALUES ([s].[principal_name], [s].[claim], [s].[value]);
GO
