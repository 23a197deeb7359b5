/**
 * `streampulse stream …`: the event stream (issue 21). Subcommands: `produce`
 * (stream-produce.ts), `run` (the local consumer, stream-consume.ts), `demo` and `bench`
 * (stream-demo.ts).
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { addStreamRunCommand } from './stream-consume.js';
import { addStreamBenchCommand, addStreamDemoCommand } from './stream-demo.js';
import { addStreamProduceCommand } from './stream-produce.js';
import type { CommandModule } from './types.js';

export const streamCommand: CommandModule = {
  name: 'stream',
  register(program: Command, ctx: CliContext): void {
    const group = program
      .command('stream')
      .description('the event stream: produce the contracts’ stream topics, consume them into the lake, the demo and the benchmark');
    addStreamProduceCommand(group, ctx);
    addStreamRunCommand(group, ctx);
    addStreamDemoCommand(group, ctx);
    addStreamBenchCommand(group, ctx);
  },
};
