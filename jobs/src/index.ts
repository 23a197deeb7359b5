// Reserved: @streampulse/jobs (job-spec compiler, Databricks definitions, local DuckDB runner) is not built yet — see jobs/README.md.
export {};
