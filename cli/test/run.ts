/** Test helpers: run the CLI in-process against the fixtures and capture its output. */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findWorkspaceRoot } from '@streampulse/contracts';
import { main, type MainOptions } from '@streampulse/cli';

export const ROOT = findWorkspaceRoot(process.cwd()) ?? process.cwd();
export const CLI_DIR = join(ROOT, 'cli');
export const FIXTURES = join(CLI_DIR, 'test', 'fixtures');
/** Relative to CLI_DIR, the cwd `run` uses by default. */
export const VALID = 'test/fixtures/valid';
export const BROKEN = 'test/fixtures/broken';

export interface RunResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `streampulse <args>` in-process with cwd = cli/ (unless given) and no colour. */
export async function run(args: readonly string[], options: MainOptions = {}): Promise<RunResult> {
  let out = '';
  let err = '';
  const code = await main(args, {
    cwd: CLI_DIR,
    env: {},
    color: false,
    ...options,
    stdout: (s) => {
      out += s;
    },
    stderr: (s) => {
      err += s;
    },
  });
  return { code, out, err };
}

/** A throw-away workspace (pnpm-workspace.yaml + contracts/streampulse = the valid fixture). */
export function tempWorkspace(): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'streampulse-cli-'));
  writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - cli\n');
  mkdirSync(join(root, 'contracts'), { recursive: true });
  cpSync(join(FIXTURES, 'valid'), join(root, 'contracts', 'streampulse'), { recursive: true });
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** A throw-away folder that is not inside any workspace. */
export function tempOutside(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'streampulse-outside-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** True when the text carries ANSI escape codes. */
export const hasAnsi = (s: string): boolean => s.includes('\u001b[');
