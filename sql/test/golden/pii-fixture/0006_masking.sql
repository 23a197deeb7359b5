-- StreamPulse serving database, migration 0006_masking: dynamic data masking derived from the PII classes
-- Generated from the contracts by `streampulse generate`; do not edit (change the contracts).
-- Re-runnable; `streampulse sql apply` runs it in one transaction when it is new or changed
-- and records it in [ops].[schema_migrations].

-- a column whose PII source went away (or that changed class) loses its stale mask
DECLARE @sql NVARCHAR(MAX) = N'';
SELECT @sql = @sql + N'ALTER TABLE [gold].' + QUOTENAME([tb].[name]) + N' ALTER COLUMN ' + QUOTENAME([mc].[name]) + N' DROP MASKED; '
FROM sys.masked_columns AS [mc]
JOIN sys.tables AS [tb] ON [tb].[object_id] = [mc].[object_id]
WHERE [tb].[schema_id] = SCHEMA_ID(N'gold') AND NOT EXISTS (SELECT 1 FROM (VALUES (N'analytics_account_contacts', N'email')) AS [k] ([tbl], [col]) WHERE [k].[tbl] = [tb].[name] AND [k].[col] = [mc].[name]);
EXEC sys.sp_executesql @sql;
GO

-- analytics_account_contacts.email derives from users.email (email, keep)
ALTER TABLE [gold].[analytics_account_contacts] ALTER COLUMN [email] ADD MASKED WITH (FUNCTION = 'email()');
GO
