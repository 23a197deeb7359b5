/**
 * `streampulse dbt test [--db FILE] [--lake DIR] [--target sqlite|azure] [--out DIR] [--json]`:
 * the dbt project of the serving layer (generated from the contracts, as `generate` writes
 * `dbt/`) run with the workspace's dbt (`<workspace>/.venv`, installed by scripts/setup.sh):
 * `dbt build` — no models, so it runs the tests on the served views — against the SQLite
 * serving database (default: the demo's, <workspace>/out/demo/serving/streampulse.sqlite) or
 * Azure SQL (`--target azure`: Entra ID through the Azure CLI login, server and database from
 * --sql-server / --sql-database or STREAMPULSE_SQL_SERVER / STREAMPULSE_SQL_DATABASE). The
 * summary comes from dbt's target/run_results.json: per test its name, status and failing
 * rows; exit 1 when a test fails. dbt's own log goes to stderr as progress.
 *
 * The project is written to a temporary folder (removed afterwards) or, with --out, to
 * DIR/dbt through generate's writer (kept, with dbt's target/ folder).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { StreamPulseError, type ContractSet } from '@streampulse/contracts';
import { DBT_ENV, DBT_PROJECT_NAME, DBT_TARGETS, servingTests, dbtTestName, type DbtTarget } from '@streampulse/sql';
import type { CliContext } from '../context.js';
import { dbtProjectFiles } from '../generate/targets.js';
import { writeGenerated } from '../generate/writer.js';
import { count } from '../output.js';
import type { CommandModule } from './types.js';

/** One test of a dbt run, from run_results.json. */
export interface DbtTestResult {
  /** The test's name (the serving check's id with `__` for its punctuation). */
  readonly name: string;
  /** dbt's status: pass, fail, warn, error, skipped. */
  readonly status: string;
  /** Failing rows (0 when it passed or could not run). */
  readonly failures: number;
  /** dbt's message for a test that did not pass. */
  readonly message?: string;
}

export interface DbtSummary {
  readonly tests: readonly DbtTestResult[];
  readonly totals: {
    readonly total: number;
    readonly pass: number;
    readonly fail: number;
    readonly warn: number;
    readonly error: number;
    readonly skipped: number;
  };
  /** The tests that failed or errored, by name. */
  readonly failed: readonly string[];
}

interface RunResult {
  readonly unique_id?: unknown;
  readonly status?: unknown;
  readonly failures?: unknown;
  readonly message?: unknown;
}

/**
 * The tests of a dbt run_results.json (pure): nodes other than tests (exposures: no-op) are
 * left out; a test's name is its unique id without `test.<project>.` and the hash dbt appends.
 */
export function summariseRunResults(json: unknown, project = DBT_PROJECT_NAME): DbtSummary {
  const results = (json as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) throw new Error('run_results.json has no results array');
  const prefix = `test.${project}.`;
  const tests: DbtTestResult[] = [];
  for (const r of results as RunResult[]) {
    const id = typeof r.unique_id === 'string' ? r.unique_id : '';
    if (!id.startsWith(prefix)) continue;
    const name = id.slice(prefix.length).replace(/\.[0-9a-f]{10}$/, '');
    const status = typeof r.status === 'string' ? r.status : 'unknown';
    const failures = typeof r.failures === 'number' ? r.failures : 0;
    tests.push({ name, status, failures, ...(status !== 'pass' && typeof r.message === 'string' ? { message: r.message } : {}) });
  }
  tests.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const n = (s: string): number => tests.filter((t) => t.status === s).length;
  return {
    tests,
    totals: { total: tests.length, pass: n('pass'), fail: n('fail'), warn: n('warn'), error: n('error') + n('runtime error'), skipped: n('skipped') },
    failed: tests.filter((t) => t.status === 'fail' || t.status === 'error' || t.status === 'runtime error').map((t) => t.name),
  };
}

/** The workspace's dbt executable (scripts/setup.sh installs it into .venv). */
export function dbtExecutable(workspaceRoot: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? join(workspaceRoot, '.venv', 'Scripts', 'dbt.exe') : join(workspaceRoot, '.venv', 'bin', 'dbt');
}

interface DbtOpts {
  db?: string;
  lake?: string;
  target: string;
  sqlServer?: string;
  sqlDatabase?: string;
  out?: string;
  dir?: string;
  json?: boolean;
  progress: boolean;
}

/** Runs dbt with `args` in `project`; its output goes to `log` line by line. Resolves with the exit code. */
function runDbt(
  exe: string,
  args: readonly string[],
  project: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<number> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(exe, [...args], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    let pending = '';
    const take = (chunk: Buffer): void => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) log(l);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => {
      if (pending !== '') log(pending);
      resolveRun(code ?? 1);
    });
  });
}

function checkTarget(value: string): DbtTarget {
  if (!(DBT_TARGETS as readonly string[]).includes(value))
    throw new StreamPulseError('DBT_UNKNOWN_TARGET', `--target '${value}' is not a target of the dbt project`, {
      remedy: `pass --target ${DBT_TARGETS.join(' or ')}`,
    });
  return value as DbtTarget;
}

/** The environment dbt runs with: the CLI's, the profile's variables, no telemetry, no version check, no colour. */
function dbtEnv(ctx: CliContext, target: DbtTarget, o: { db?: string; sqlServer?: string; sqlDatabase?: string; project: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...ctx.env,
    [DBT_ENV.target]: target,
    [DBT_ENV.sqliteSchemaDir]: join(o.project, 'target', 'schemas'),
    DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
    DBT_VERSION_CHECK: 'false',
    DBT_USE_COLORS: 'false',
    DBT_LOG_PATH: join(o.project, 'logs'),
  };
  if (o.db !== undefined) env[DBT_ENV.sqliteDb] = o.db;
  if (o.sqlServer !== undefined) env[DBT_ENV.sqlServer] = o.sqlServer;
  if (o.sqlDatabase !== undefined) env[DBT_ENV.sqlDatabase] = o.sqlDatabase;
  return env;
}

function sqliteDb(ctx: CliContext, opts: DbtOpts): string {
  const lake = opts.lake !== undefined ? ctx.resolvePath(opts.lake) : join(ctx.workspaceRoot(), 'out', 'demo');
  const db = opts.db !== undefined ? ctx.resolvePath(opts.db) : join(lake, 'serving', 'streampulse.sqlite');
  // dbt-sqlite opens the path with sqlite3.connect, which would create an empty database
  if (!existsSync(db) || !statSync(db).isFile())
    throw new StreamPulseError('DBT_NO_SERVING_DB', `no SQLite serving database at ${ctx.display(db)}`, {
      remedy: 'run `streampulse demo` (it writes <lake>/serving/streampulse.sqlite) or `streampulse serve load`, or pass --db FILE',
    });
  return db;
}

function azureNames(ctx: CliContext, opts: DbtOpts): { sqlServer: string; sqlDatabase: string } {
  const sqlServer = opts.sqlServer ?? ctx.env[DBT_ENV.sqlServer];
  const sqlDatabase = opts.sqlDatabase ?? ctx.env[DBT_ENV.sqlDatabase];
  if (!sqlServer || !sqlDatabase)
    throw new StreamPulseError('DBT_AZURE_UNNAMED', `--target azure needs the server and the database (${!sqlServer ? 'server' : 'database'} missing)`, {
      remedy: `pass --sql-server <name>.database.windows.net --sql-database <name> (or set ${DBT_ENV.sqlServer} and ${DBT_ENV.sqlDatabase}); log in with az login`,
    });
  if (opts.db !== undefined || opts.lake !== undefined)
    throw new StreamPulseError('DBT_TWO_TARGETS', '--db / --lake name a SQLite database, but --target azure tests Azure SQL', {
      remedy: 'drop --db and --lake for Azure SQL, or drop --target azure for the SQLite serving database',
    });
  return { sqlServer, sqlDatabase };
}

/** Writes the project (under `out`, or a temporary folder) and returns its folder and how to clean up. */
function writeProject(ctx: CliContext, set: ContractSet, out: string | undefined): { project: string; cleanup: () => void } {
  const base = out !== undefined ? ctx.resolvePath(out) : mkdtempSync(join(ctx.env['TMPDIR'] || tmpdir(), 'streampulse-dbt-'));
  const [written] = writeGenerated(base, [{ target: 'dbt', folder: 'dbt', files: dbtProjectFiles(set) }]);
  return { project: written!.dir, cleanup: out !== undefined ? () => undefined : () => rmSync(base, { recursive: true, force: true }) };
}

export const dbtCommand: CommandModule = {
  name: 'dbt',
  register(program: Command, ctx: CliContext): void {
    const group = program.command('dbt').description('the dbt project of the serving layer (generated from the contracts): run its tests');
    group
      .command('test')
      .description('generate the dbt project and run `dbt build` (the serving tests) on the SQLite serving database or Azure SQL; summarise run_results.json')
      .option('--db <file>', 'SQLite serving database (default: <lake>/serving/streampulse.sqlite)')
      .option('-l, --lake <dir>', 'lake folder whose serving database to test (default: <workspace>/out/demo)')
      .option('-t, --target <target>', `the profile's target: ${DBT_TARGETS.join(' or ')}`, 'sqlite')
      .option('--sql-server <fqdn>', `Azure SQL server for --target azure (or set ${DBT_ENV.sqlServer})`)
      .option('--sql-database <name>', `Azure SQL database for --target azure (or set ${DBT_ENV.sqlDatabase})`)
      .option('-o, --out <dir>', 'write the project to DIR/dbt and keep it (with dbt target/ and logs/); default: a temporary folder, removed')
      .option('-d, --dir <dir>', 'contract folder (default: <workspace>/contracts/streampulse)')
      .option('--no-progress', 'no dbt log on stderr')
      .option('--json', 'print the summary as JSON')
      .addHelpText('after', '\nExit codes: 0 every test passed, 1 a test failed or dbt could not run, 2 usage error.')
      .action(async (opts: DbtOpts) => {
        ctx.jsonMode = opts.json === true;
        const target = checkTarget(opts.target);
        const set = ctx.loadValid(ctx.contractsDir(opts.dir));
        const names = target === 'azure' ? azureNames(ctx, opts) : undefined;
        const db = target === 'sqlite' ? sqliteDb(ctx, opts) : undefined;
        const exe = dbtExecutable(ctx.workspaceRoot());
        if (!existsSync(exe))
          throw new StreamPulseError('DBT_NOT_INSTALLED', `dbt is not installed in the workspace's Python environment (${ctx.display(exe)})`, {
            remedy: 'bash scripts/setup.sh (it installs jobs/python/requirements.lock, with dbt-core, dbt-sqlite and dbt-sqlserver, into .venv)',
          });
        const expected = servingTests(set).length;
        const { project, cleanup } = writeProject(ctx, set, opts.out);
        try {
          const env = dbtEnv(ctx, target, { project, ...(db !== undefined ? { db } : {}), ...(names ?? {}) });
          const log = (line: string): void => {
            if (opts.progress) ctx.stderr(`${line}\n`);
          };
          const where = db !== undefined ? ctx.display(db) : `${names!.sqlServer}/${names!.sqlDatabase}`;
          log(`dbt build --target ${target} on ${where} (${count(expected, 'test')}; project ${ctx.display(project)})`);
          const results = join(project, 'target', 'run_results.json');
          const code = await runDbt(exe, ['build', '--project-dir', project, '--profiles-dir', project, '--target', target], project, env, log, ctx.signal);
          if (!existsSync(results))
            throw new StreamPulseError('DBT_FAILED', `dbt build exited with ${code} before it ran any test (no target/run_results.json)`, {
              remedy: opts.progress ? "read dbt's log above" : "run again without --no-progress to see dbt's log",
            });
          const summary = summariseRunResults(JSON.parse(readFileSync(results, 'utf8')));
          if (summary.totals.total !== expected)
            throw new StreamPulseError('DBT_FAILED', `dbt ran ${summary.totals.total} tests, the contracts give ${expected} (dbt exited with ${code})`, {
              remedy: "read dbt's log (stderr) for the nodes it did not run",
            });
          if (summary.failed.length > 0 || code !== 0) ctx.exitCode = 1;
          if (ctx.jsonMode) {
            ctx.printJson({ ok: ctx.exitCode === 0, target, where, ...summary });
            return;
          }
          const s = ctx.style;
          const t = summary.totals;
          ctx.print(
            ...summary.tests.map((r) =>
              r.status === 'pass'
                ? `${s.green('pass')}  ${r.name}`
                : `${s.red(r.status.toUpperCase())}  ${r.name}${r.failures > 0 ? `  ${r.failures.toLocaleString('en-US')} failing rows` : r.message ? `  ${r.message.split('\n')[0]}` : ''}`,
            ),
            '',
            `${t.pass} passed, ${t.fail} failed, ${t.error} errors, ${t.warn} warnings, ${t.skipped} skipped of ${t.total} dbt tests (${where})`,
            ...(summary.failed.length > 0 ? [`failed: ${summary.failed.join(', ')}`] : []),
          );
        } finally {
          cleanup();
        }
      });
  },
};

/** The dbt test name of each serving check (what the summary names). */
export function dbtTestNames(set: ContractSet): string[] {
  return servingTests(set).map(dbtTestName).sort();
}
