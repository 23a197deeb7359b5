#!/usr/bin/env node
/**
 * The `streampulse` executable. All behaviour lives in `main` (program.ts); this file
 * only connects it to the process: arguments, the workspace holding the binary (a
 * fallback when run from outside the repository) and the exit code.
 */
import { findWorkspaceRoot } from '@streampulse/contracts';
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

main(process.argv.slice(2), workspaceRoot === undefined ? {} : { workspaceRoot }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
