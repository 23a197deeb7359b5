/**
 * What every command gets: where the user is, how to write output, and how to find
 * the contracts. Commands never touch `process` directly, so `main` runs in-process
 * (tests inject writers and a working directory).
 */
import { join, relative, resolve } from 'node:path';
import {
  ContractValidationError,
  StreamPulseError,
  STREAMPULSE_CONTRACTS_DIR,
  findWorkspaceRoot,
  loadContracts,
  type ContractSet,
  type LoadResult,
} from '@streampulse/contracts';
import { stableJson, type Style } from './output.js';

export type Writer = (text: string) => void;
export type Env = Readonly<Record<string, string | undefined>>;

export interface CliContext {
  /** The user's working directory: user-given relative paths resolve against it. */
  readonly cwd: string;
  readonly env: Env;
  /** Styles for stdout and stderr (identity functions when colour is off). */
  readonly style: Style;
  readonly errStyle: Style;
  /** Writes text to stdout / stderr as is. */
  readonly stdout: Writer;
  readonly stderr: Writer;
  /** Writes lines to stdout, each ending in a newline. */
  print(...lines: string[]): void;
  /** Writes canonical JSON (sorted keys) to stdout. */
  printJson(value: unknown): void;
  /** The exit code `main` returns; commands raise it (e.g. to 1 when contracts are invalid). */
  exitCode: number;
  /** Set by commands run with --json: errors are then printed as JSON on stdout. */
  jsonMode: boolean;
  /** stderr is a terminal: progress bars redraw in place (otherwise one line per step). */
  readonly interactive: boolean;
  /** Aborted when the process is asked to stop (SIGINT, SIGTERM): long commands stop at their next safe point. */
  readonly signal?: AbortSignal;
  /** The workspace root (folder with pnpm-workspace.yaml), when there is one. */
  workspaceRoot(): string;
  /** An absolute path for a user-given one. */
  resolvePath(path: string): string;
  /** A path as shown to the user: relative to the working directory (as the loader's issue paths are). */
  display(path: string): string;
  /** The contract folder: `dir` when given, else `<workspace root>/contracts/streampulse`. */
  contractsDir(dir?: string): string;
  /** Loads and cross-checks the contracts of `dir`; file paths are shown relative to the cwd. */
  load(dir: string): LoadResult;
  /** Like `load`, but throws a StreamPulseError unless every contract is valid. */
  loadValid(dir: string): ContractSet;
}

export interface ContextOptions {
  readonly cwd: string;
  readonly env: Env;
  readonly stdout: Writer;
  readonly stderr: Writer;
  readonly style: Style;
  readonly errStyle: Style;
  /** Fallback workspace root (e.g. the one holding the running binary). */
  readonly workspaceRoot?: string | undefined;
  readonly interactive?: boolean;
  readonly signal?: AbortSignal | undefined;
}

export function createContext(o: ContextOptions): CliContext {
  const ctx: CliContext = {
    cwd: o.cwd,
    env: o.env,
    style: o.style,
    errStyle: o.errStyle,
    stdout: o.stdout,
    stderr: o.stderr,
    exitCode: 0,
    jsonMode: false,
    interactive: o.interactive ?? false,
    ...(o.signal !== undefined ? { signal: o.signal } : {}),
    workspaceRoot: () => {
      const root = findWorkspaceRoot(o.cwd) ?? o.workspaceRoot;
      if (root === undefined)
        throw new StreamPulseError('CLI_WORKSPACE_NOT_FOUND', `no StreamPulse workspace (a folder with pnpm-workspace.yaml) at or above ${o.cwd}`, {
          remedy: 'run the command inside the StreamPulse repository, or pass the folders explicitly',
        });
      return root;
    },
    print: (...lines) => o.stdout(lines.map((l) => `${l}\n`).join('')),
    printJson: (value) => o.stdout(stableJson(value)),
    resolvePath: (path) => resolve(o.cwd, path),
    // The loader reports files relative to the cwd too (displayBase), so both agree.
    display: (path) => {
      const abs = resolve(o.cwd, path);
      const rel = relative(o.cwd, abs);
      return rel === '' ? '.' : rel.startsWith('..') ? abs : rel;
    },
    contractsDir: (dir) => {
      if (dir !== undefined) return resolve(o.cwd, dir);
      const root = findWorkspaceRoot(o.cwd) ?? o.workspaceRoot;
      if (root === undefined)
        throw new StreamPulseError('CLI_WORKSPACE_NOT_FOUND', `no StreamPulse workspace (a folder with pnpm-workspace.yaml) at or above ${o.cwd}`, {
          remedy: 'run the command inside the StreamPulse repository, or pass the contract folder explicitly',
        });
      return join(root, STREAMPULSE_CONTRACTS_DIR);
    },
    load: (dir) => loadContracts(dir, { displayBase: o.cwd }),
    loadValid: (dir) => {
      const result = ctx.load(dir);
      if (result.contracts) return result.contracts;
      const only = result.issues.length === 1 ? result.issues[0] : undefined;
      // A missing or empty folder is one plain error, not "1 problem in 1 contract file".
      if (only && (only.code === 'CONTRACT_DIR_MISSING' || only.code === 'CONTRACT_DIR_EMPTY'))
        throw new StreamPulseError(only.code, only.message, { remedy: only.remedy });
      throw new ContractValidationError(result.issues);
    },
  };
  return ctx;
}
