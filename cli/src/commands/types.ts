import type { Command } from 'commander';
import type { CliContext } from '../context.js';

/**
 * One top-level command (or command group) of `streampulse`. To add a command,
 * write a module that exports one of these and list it in `commands/index.ts`.
 */
export interface CommandModule {
  /** The top-level command name, e.g. `contracts`. */
  readonly name: string;
  /** Adds the command (and its subcommands) to the program. Actions report through `ctx`. */
  register(program: Command, ctx: CliContext): void;
}
