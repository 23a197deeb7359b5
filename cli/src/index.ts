/**
 * @streampulse/cli — the `streampulse` command. The executable is `bin.ts`; this entry
 * point exposes `main` (run the CLI in-process) and the command registry.
 */
export { main, buildProgram, EXIT_OK, EXIT_FAILURE, EXIT_USAGE, type MainOptions } from './program.js';
export { COMMANDS, type CommandModule } from './commands/index.js';
export type { CliContext, Writer, Env } from './context.js';
export { VERSION } from './version.js';
export { runDemo, runBatches, runDailyBatches, prepareLake, readManifest, saltFrom, LAKE_MARKER, LOCAL_DEMO_SALT, type DemoOptions, type DemoResult, type LakehouseEvents } from './lakehouse.js';
export { runBatchesViaAdf, localBindings, type AdfBatchesResult } from './adf-local.js';
export { LakeMartSource, openTarget, writeSqlDir, readMigrationsDir, cliServingOptions } from './serving.js';
export { allBatchReports } from './lake-reports.js';
