#!/usr/bin/env node
/**
 * The `streampulse` executable. All behaviour lives in `main` (program.ts); this file
 * only connects it to the process: arguments, the workspace holding the binary (a
 * fallback when run from outside the repository), signals and the exit code.
 *
 * SIGINT and SIGTERM abort `main`'s signal: a long command stops at its next safe point
 * (before a job, a batch, a Data Factory activity, a staging batch), where every file it
 * wrote is whole (temporary name, then rename) and no temporary file is left, prints
 * INTERRUPTED and exits with 128 + the signal's number (130, 143). Running the same
 * command again gives what an uninterrupted run gives. A second signal stops at once.
 */
import { findWorkspaceRoot, StreamPulseError } from '@streampulse/contracts';
import { dirname, resolve } from 'node:path';
import { main } from './program.js';

// `streampulse … | head` closes the pipe early: stop quietly instead of crashing.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });

const self = process.argv[1];
const workspaceRoot = self === undefined ? undefined : findWorkspaceRoot(dirname(resolve(self)));

const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;
type StopSignal = keyof typeof SIGNALS;
const interrupt = new AbortController();
let received: StopSignal | undefined;
let finished = false;
for (const sig of Object.keys(SIGNALS) as StopSignal[])
  process.on(sig, () => {
    if (received !== undefined || finished) {
      process.stderr.write(`${sig}: stopping at once\n`);
      process.exit(128 + SIGNALS[sig]);
    }
    received = sig;
    process.stderr.write(`\n${sig}: stopping at the next safe point (${sig} again stops at once)\n`);
    interrupt.abort(
      new StreamPulseError('INTERRUPTED', `stopped by ${sig} at a safe point: every file written is whole, none is left half-written`, {
        remedy: 'run the same command again: it finishes the work, with the result an uninterrupted run gives',
      }),
    );
  });

main(process.argv.slice(2), { ...(workspaceRoot === undefined ? {} : { workspaceRoot }), signal: interrupt.signal }).then(
  (code) => {
    finished = true;
    process.exitCode = received !== undefined ? 128 + SIGNALS[received] : code;
  },
  (err: unknown) => {
    process.stderr.write(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
