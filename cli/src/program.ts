/**
 * The `streampulse` program: builds the commander tree from the command registry
 * and runs it in-process. `main` never calls process.exit and never writes to the
 * process streams unless asked to, so tests call it directly with their own writers.
 *
 * Exit codes: 0 success, 1 failure (invalid contracts, unknown name, any
 * StreamPulseError, an unexpected error), 2 usage error (unknown command or option,
 * missing argument).
 */
import { ContractValidationError, StreamPulseError } from '@streampulse/contracts';
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './commands/index.js';
import { createContext, type CliContext, type Env, type Writer } from './context.js';
import { colorWanted, createStyle } from './output.js';
import { VERSION } from './version.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface MainOptions {
  /** Where stdout text goes (default: process.stdout). */
  readonly stdout?: Writer;
  /** Where stderr text goes (default: process.stderr). */
  readonly stderr?: Writer;
  /** The user's directory; relative paths resolve against it (default: INIT_CWD, set by pnpm, else process.cwd()). */
  readonly cwd?: string;
  /** Environment (default: process.env); read for NO_COLOR and INIT_CWD. */
  readonly env?: Env;
  /** Colour on stdout / stderr (default: only for process streams that are a TTY, and NO_COLOR unset). */
  readonly color?: boolean | { readonly stdout: boolean; readonly stderr: boolean };
  /** Workspace root to fall back on when `cwd` is not inside one (bin.ts passes the one holding the binary). */
  readonly workspaceRoot?: string;
  /** Aborted when the process is asked to stop (bin.ts: SIGINT, SIGTERM); its reason is the error the command stops with. */
  readonly signal?: AbortSignal;
}

/** Runs `streampulse <argv>` and resolves to the exit code. */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const stdout = options.stdout ?? ((s: string) => void process.stdout.write(s));
  const stderr = options.stderr ?? ((s: string) => void process.stderr.write(s));
  const color =
    typeof options.color === 'boolean'
      ? { stdout: options.color, stderr: options.color }
      : (options.color ?? {
          stdout: options.stdout === undefined && colorWanted(process.stdout.isTTY, env),
          stderr: options.stderr === undefined && colorWanted(process.stderr.isTTY, env),
        });
  const ctx = createContext({
    cwd: options.cwd ?? env['INIT_CWD'] ?? process.cwd(),
    env,
    stdout,
    stderr,
    style: createStyle(color.stdout),
    errStyle: createStyle(color.stderr),
    workspaceRoot: options.workspaceRoot,
    interactive: options.stderr === undefined && process.stderr.isTTY === true && env['CI'] === undefined,
    signal: options.signal,
  });
  const program = buildProgram(ctx, { outColor: color.stdout, errColor: color.stderr });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    return reportError(ctx, err);
  }
}

/** The commander tree. Exported so tests (and docs tooling) can inspect it. */
export function buildProgram(ctx: CliContext, colors: { outColor: boolean; errColor: boolean } = { outColor: false, errColor: false }): Command {
  const program = new Command('streampulse');
  program
    .description(
      'StreamPulse, a contract-driven lakehouse for subscription video-streaming analytics. ' +
        'YAML contracts describe every dataset, quality rule, metric, serving mart and dashboard card; ' +
        'this command validates them, traces their column lineage, generates synthetic sources and runs ' +
        'the local lakehouse (bronze → silver → gold → SQLite serving) on DuckDB.',
    )
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .helpCommand('help [command]', 'show help for a command')
    .configureOutput({
      writeOut: ctx.stdout,
      writeErr: ctx.stderr,
      getOutHasColors: () => colors.outColor,
      getErrHasColors: () => colors.errColor,
      outputError: (text, write) => write(ctx.errStyle.red(text)),
    })
    .exitOverride()
    .showSuggestionAfterError(true)
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      `
Exit codes: 0 success, 1 failure (invalid contracts, unknown name, an error), 2 usage error.
Colour only on a terminal, and never when NO_COLOR is set.

Examples:
  $ streampulse contracts validate
  $ streampulse contracts show metrics
  $ streampulse contracts lineage --help
  $ streampulse demo --users 1000 --days 14
  $ streampulse run --date 2026-01-26`,
    );
  // Subcommands inherit the output configuration and exitOverride set above.
  for (const command of COMMANDS) command.register(program, ctx);
  return program;
}

/** A Node file-system error (`code` E…, `syscall`) as a user error naming the path, else undefined. */
export function fileSystemFailure(err: unknown): StreamPulseError | undefined {
  // duck-typed: an error from another realm (a test's VM context) is no `instanceof Error` here
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, syscall, path } = err as NodeJS.ErrnoException;
  if (typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code) || typeof syscall !== 'string') return undefined;
  const where = typeof path === 'string' ? ` ${path}` : '';
  const remedy =
    code === 'EACCES' || code === 'EPERM'
      ? `you may not ${syscall === 'open' || syscall === 'scandir' || syscall === 'read' ? 'read or write' : 'change'}${where}: check its permissions, or pass another path`
      : code === 'ENOENT'
        ? `${where.trim() || 'the path'} does not exist (or the file system does not let it be created there): check the path`
        : code === 'ENOTDIR'
          ? 'a part of the path is a file, not a folder: check the path'
          : code === 'EROFS'
            ? 'the file system is read-only: pass a path on a writable one'
            : code === 'ENOSPC'
              ? 'the disk is full: free some space'
              : 'check the path and its permissions';
  return new StreamPulseError('CLI_FILE_SYSTEM', `cannot ${syscall}${where} (${code})`, { remedy, cause: err });
}

/** Prints an error the way a user can act on it and returns the exit code. */
function reportError(ctx: CliContext, err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version end here with exitCode 0; usage errors were already printed by commander.
    return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  if (err instanceof StreamPulseError) {
    if (ctx.jsonMode) {
      ctx.printJson({
        ok: false,
        error: {
          code: err.code,
          message: err.message,
          remedy: err.remedy,
          cause: err.cause === undefined ? undefined : err.cause instanceof Error ? err.cause.message : String(err.cause),
          issues: err instanceof ContractValidationError ? err.issues : undefined,
        },
      });
    } else ctx.stderr(`${ctx.errStyle.red('error')} ${err.describe()}\n`);
    return EXIT_FAILURE;
  }
  // A file-system error no command wrapped (a path the user gave cannot be read or written): the user's to fix, not a bug
  const fsError = fileSystemFailure(err);
  if (fsError !== undefined) return reportError(ctx, fsError);
  // Not a StreamPulseError: a bug. Show the stack so it can be reported.
  const text = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  if (ctx.jsonMode)
    ctx.printJson({
      ok: false,
      error: {
        code: 'CLI_INTERNAL_ERROR',
        message: err instanceof Error ? err.message : String(err),
        remedy: 'this is a bug in streampulse: please report it with the command you ran',
      },
    });
  else ctx.stderr(`${ctx.errStyle.red('internal error')} (a bug in streampulse; please report it with the command you ran)\n${text}\n`);
  return EXIT_FAILURE;
}
