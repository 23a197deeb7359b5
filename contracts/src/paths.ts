import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The workspace root: the nearest folder at or above `from` that holds
 * pnpm-workspace.yaml. Used by the CLI to find the shipped contracts.
 */
export function findWorkspaceRoot(from: string = process.cwd()): string | undefined {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** Where the StreamPulse contracts live inside the workspace. */
export const STREAMPULSE_CONTRACTS_DIR = join('contracts', 'streampulse');
