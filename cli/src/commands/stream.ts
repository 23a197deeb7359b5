/**
 * `streampulse stream …`: the event stream (issue 21). Subcommands: `run` (the local
 * consumer, stream-consume.ts); `produce` and `demo` are added here by their modules.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { addStreamRunCommand } from './stream-consume.js';
import { addStreamProduceCommand } from './stream-produce.js';
import type { CommandModule } from './types.js';

export const streamCommand: CommandModule = {
  name: 'stream',
  register(program: Command, ctx: CliContext): void {
    const group = program.command('stream').description('the event stream: the local consumer of the contracts’ stream topics');
    addStreamProduceCommand(group, ctx);
    addStreamRunCommand(group, ctx);
  },
};
