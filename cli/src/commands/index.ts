/**
 * The registry of top-level commands, in the order `--help` lists them.
 *
 * Extension point: each later command is one module exporting a `CommandModule`
 * (see `types.ts`), added to this list — nothing else changes. Planned:
 * `contracts diff` inside `contracts.ts`.
 */
import { adfCommand } from './adf.js';
import { benchCommand } from './bench.js';
import { contractsCommand } from './contracts.js';
import { dashboardCommand } from './dashboard.js';
import { dbtCommand } from './dbt.js';
import { demoCommand, runCommand } from './demo.js';
import { deployCommand } from './deploy.js';
import { generateCommand } from './generate.js';
import { metabaseCommand } from './metabase.js';
import { preflightCommand } from './preflight.js';
import { serveCommand } from './serve.js';
import { sourcesCommand } from './sources.js';
import { sqlCommand } from './sql.js';
import { streamCommand } from './stream.js';
import type { CommandModule } from './types.js';

export type { CommandModule } from './types.js';

export const COMMANDS: readonly CommandModule[] = [
  demoCommand,
  runCommand,
  sourcesCommand,
  generateCommand,
  adfCommand,
  sqlCommand,
  serveCommand,
  dbtCommand,
  dashboardCommand,
  streamCommand,
  benchCommand,
  contractsCommand,
  deployCommand,
  metabaseCommand,
  preflightCommand,
];
