/**
 * @streampulse/cli — the `streampulse` command. The executable is `bin.ts`; this entry
 * point exposes `main` (run the CLI in-process) and the command registry.
 */
export { main, buildProgram, EXIT_OK, EXIT_FAILURE, EXIT_USAGE, type MainOptions } from './program.js';
export { COMMANDS, type CommandModule } from './commands/index.js';
export type { CliContext, Writer, Env } from './context.js';
export { VERSION } from './version.js';
export { readMigrationsDir, cliServingOptions } from './serving.js';
export { TARGETS, selectTargets, type GenerateTarget, type GenerateInput, type FileMap } from './generate/targets.js';
export { writeGenerated, GENERATED_MARKER, type FolderFiles, type WrittenFolder } from './generate/writer.js';
export { odcsDocuments, datasetDocument, modelDocument, martDocument, odcsLogicalType, ODCS_API_VERSION, type OdcsServers } from './generate/odcs.js';
