-- StreamPulse serving database, migration 0001_schemas: schemas, the migration journal and the operations tables
-- Generated from the contracts by `streampulse generate`; do not edit (change the contracts).
-- Re-runnable; `streampulse sql apply` runs it in one transaction when it is new or changed
-- and records it in [ops].[schema_migrations].

IF SCHEMA_ID(N'ops') IS NULL EXEC(N'CREATE SCHEMA [ops] AUTHORIZATION [dbo]');
GO

IF OBJECT_ID(N'[ops].[schema_migrations]', N'U') IS NULL
CREATE TABLE [ops].[schema_migrations] (
  [migration_id] NVARCHAR(128) NOT NULL,
  [checksum] CHAR(64) NOT NULL,
  [description] NVARCHAR(400) NOT NULL,
  [applied_at] DATETIME2(3) NOT NULL CONSTRAINT [df_schema_migrations_applied_at] DEFAULT SYSUTCDATETIME(),
  [applied_by] NVARCHAR(128) NOT NULL CONSTRAINT [df_schema_migrations_applied_by] DEFAULT SUSER_SNAME(),
  CONSTRAINT [pk_schema_migrations] PRIMARY KEY CLUSTERED ([migration_id])
);
GO

IF SCHEMA_ID(N'staging') IS NULL EXEC(N'CREATE SCHEMA [staging] AUTHORIZATION [dbo]');
IF SCHEMA_ID(N'gold') IS NULL EXEC(N'CREATE SCHEMA [gold] AUTHORIZATION [dbo]');
IF SCHEMA_ID(N'serving') IS NULL EXEC(N'CREATE SCHEMA [serving] AUTHORIZATION [dbo]');
IF SCHEMA_ID(N'security') IS NULL EXEC(N'CREATE SCHEMA [security] AUTHORIZATION [dbo]');
GO

IF OBJECT_ID(N'[ops].[pipeline_runs]', N'U') IS NULL
CREATE TABLE [ops].[pipeline_runs] (
  [run_id] NVARCHAR(64) NOT NULL,
  [status] NVARCHAR(16) NOT NULL,
  [pipeline_name] NVARCHAR(140) NOT NULL,
  [run_date] DATE NULL,
  [detail] NVARCHAR(4000) NULL,
  [recorded_at] DATETIME2(3) NOT NULL CONSTRAINT [df_pipeline_runs_recorded_at] DEFAULT SYSUTCDATETIME(),
  CONSTRAINT [pk_pipeline_runs] PRIMARY KEY CLUSTERED ([run_id], [status])
);
GO

IF OBJECT_ID(N'[ops].[serving_loads]', N'U') IS NULL
CREATE TABLE [ops].[serving_loads] (
  [load_no] BIGINT IDENTITY(1, 1) NOT NULL,
  [run_date] DATE NOT NULL,
  [mart] NVARCHAR(128) NOT NULL,
  [staged_rows] BIGINT NOT NULL,
  [inserted] BIGINT NOT NULL,
  [updated] BIGINT NOT NULL,
  [deleted] BIGINT NOT NULL,
  [merged_at] DATETIME2(3) NOT NULL CONSTRAINT [df_serving_loads_merged_at] DEFAULT SYSUTCDATETIME(),
  CONSTRAINT [pk_serving_loads] PRIMARY KEY CLUSTERED ([load_no])
);
GO

IF OBJECT_ID(N'[ops].[serving_load_progress]', N'U') IS NULL
CREATE TABLE [ops].[serving_load_progress] (
  [mart] NVARCHAR(128) NOT NULL,
  [load_id] CHAR(64) NOT NULL,
  [rows_staged] BIGINT NOT NULL,
  [complete] BIT NOT NULL,
  [updated_at] DATETIME2(3) NOT NULL CONSTRAINT [df_serving_load_progress_updated_at] DEFAULT SYSUTCDATETIME(),
  CONSTRAINT [pk_serving_load_progress] PRIMARY KEY CLUSTERED ([mart])
);
GO
