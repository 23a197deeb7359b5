-- StreamPulse serving database, migration 0007_roles_and_grants: reader and loader roles, least-privilege grants, Entra principals
-- Generated from the contracts by `streampulse generate`; do not edit (change the contracts).
-- Re-runnable; `streampulse sql apply` runs it in one transaction when it is new or changed
-- and records it in [ops].[schema_migrations].

IF DATABASE_PRINCIPAL_ID(N'streampulse_reader') IS NULL CREATE ROLE [streampulse_reader] AUTHORIZATION [dbo];
IF DATABASE_PRINCIPAL_ID(N'streampulse_loader') IS NULL CREATE ROLE [streampulse_loader] AUTHORIZATION [dbo];
GO

-- reader: the served views, nothing else (no gold, staging, security or ops; no UNMASK)
GRANT SELECT ON SCHEMA::[serving] TO [streampulse_reader];
-- loader: write the copy targets (ALTER for the copy's TRUNCATE TABLE) and run the load procedures
GRANT SELECT, INSERT, DELETE, ALTER ON SCHEMA::[staging] TO [streampulse_loader];
GRANT EXECUTE ON OBJECT::[serving].[usp_merge_marts] TO [streampulse_loader];
GRANT EXECUTE ON OBJECT::[ops].[usp_record_pipeline_run] TO [streampulse_loader];
GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::[ops].[serving_load_progress] TO [streampulse_loader];
GRANT SELECT ON OBJECT::[ops].[schema_migrations] TO [streampulse_loader];
GO

-- Entra principals (Metabase, Data Factory): contained database users, authenticated by Entra ID
IF DATABASE_PRINCIPAL_ID(N'id-streampulse-metabase') IS NULL CREATE USER [id-streampulse-metabase] FROM EXTERNAL PROVIDER;
IF DATABASE_PRINCIPAL_ID(N'adf-streampulse') IS NULL CREATE USER [adf-streampulse] FROM EXTERNAL PROVIDER;
IF IS_ROLEMEMBER(N'streampulse_reader', N'id-streampulse-metabase') = 0 ALTER ROLE [streampulse_reader] ADD MEMBER [id-streampulse-metabase];
IF IS_ROLEMEMBER(N'streampulse_loader', N'adf-streampulse') = 0 ALTER ROLE [streampulse_loader] ADD MEMBER [adf-streampulse];
GO
