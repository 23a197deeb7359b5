/**
 * `streampulse sql`: the Azure SQL serving migrations.
 *   sql generate --out DIR          write DIR/sql/ (as `generate` does)
 *   sql apply --connection "<conn>" apply them through mssql: each new or changed
 *                                   migration in one transaction, recorded in the journal
 * The connection string may come from STREAMPULSE_SQL_CONNECTION instead of the flag
 * (keeps a password out of the shell history).
 */
import type { Command } from 'commander';
import { StreamPulseError } from '@streampulse/contracts';
import { servingMigrations, type Migration } from '@streampulse/sql';
import { applyMigrations, connectMssql, redact } from '@streampulse/serving';
import type { CliContext } from '../context.js';
import { count } from '../output.js';
import { createProgress } from '../progress.js';
import { generateInput } from '../generate/input.js';
import { target } from '../generate/targets.js';
import { cliServingOptions, readMigrationsDir } from '../serving.js';
import { generatedLine, generateTargets } from './generate.js';
import type { CommandModule } from './types.js';

export const CONNECTION_ENV = 'STREAMPULSE_SQL_CONNECTION';

interface PrincipalOpts {
  metabasePrincipal?: string;
  loaderPrincipal?: string;
  stack?: string;
}

/** The connection string from --connection or the environment, or undefined. */
export function connectionFrom(ctx: CliContext, flag: string | undefined): string | undefined {
  if (flag !== undefined) return flag;
  const env = ctx.env[CONNECTION_ENV];
  return env !== undefined && env !== '' ? env : undefined;
}

const principalOptions = (c: Command): Command =>
  c
    .option('--metabase-principal <name>', 'Entra principal of Metabase (reader role; sees every row-level-secured row)')
    .option('--loader-principal <name>', "Entra principal of the loader (default: the stack's Data Factory managed identity, named after the factory)")
    .option('--stack <stack>', 'the stack whose principals the migrations name (dev | prod; default dev): infra names them', 'dev');

export const sqlCommand: CommandModule = {
  name: 'sql',
  register(program: Command, ctx: CliContext): void {
    const group = program.command('sql').description('Azure SQL serving database: generate the T-SQL migrations, apply them');
    principalOptions(
      group
        .command('generate')
        .description('write the T-SQL migrations and serving tests generated from the contracts to <out>/sql (only ever replacing a sql/ folder it wrote)')
        .requiredOption('-o, --out <dir>', 'output folder (the files go to <dir>/sql)')
        .option('-d, --dir <dir>', 'contract folder (default: <workspace>/contracts/streampulse)')
        .option('--json', 'print the summary as JSON'),
    ).action((opts: { out: string; dir?: string; json?: boolean } & PrincipalOpts) => {
      ctx.jsonMode = opts.json === true;
      const input = generateInput(ctx.workspaceRoot(), ctx.loadValid(ctx.contractsDir(opts.dir)), opts);
      const [sql] = generateTargets(ctx.resolvePath(opts.out), [target('sql')], input);
      if (ctx.jsonMode) ctx.printJson({ ok: true, out: sql!.dir, files: sql!.files.map((f) => `sql/${f}`) });
      else ctx.print(generatedLine(ctx, sql!));
    });

    principalOptions(
      group
        .command('apply')
        .description('apply the serving migrations to Azure SQL (new or changed ones, each in one transaction)')
        .option(
          '-c, --connection <conn>',
          `ADO.NET connection string (or set ${CONNECTION_ENV}); Entra: "Server=tcp:<srv>.database.windows.net,1433;Database=<db>;Authentication=Active Directory Default"`,
        )
        .option('--from <dir>', 'apply the files of a generated sql/ folder instead of generating from the contracts')
        .option('-d, --dir <dir>', 'contract folder (default: <workspace>/contracts/streampulse)')
        .option('--no-progress', 'no progress lines on stderr')
        .option('--json', 'print the summary as JSON')
        .addHelpText(
          'after',
          '\nAuthentication: Entra (Authentication=Active Directory Default | Active Directory Managed Identity; a token from @azure/identity)\n' +
            "Prerequisites: the caller is an Entra admin of the server (member of the stack's sql.adminGroup), and the SQL server's\n" +
            'identity holds the Entra role Directory Readers (CREATE USER … FROM EXTERNAL PROVIDER resolves the principals through it).\n' +
            'or SQL authentication (User Id=…;Password=…) for a test server. Exit codes: 0 success, 1 failure, 2 usage error.',
        ),
    ).action(async (opts: { connection?: string; from?: string; dir?: string; progress: boolean; json?: boolean } & PrincipalOpts) => {
      ctx.jsonMode = opts.json === true;
      const conn = connectionFrom(ctx, opts.connection);
      if (conn === undefined)
        throw new StreamPulseError('SQL_NO_CONNECTION', `no connection string: pass --connection "<conn>" or set ${CONNECTION_ENV}`, {
          remedy: 'e.g. --connection "Server=tcp:<server>.database.windows.net,1433;Database=<db>;Authentication=Active Directory Default;Encrypt=True"',
        });
      const migrations: Migration[] =
        opts.from !== undefined
          ? readMigrationsDir(ctx.resolvePath(opts.from))
          : servingMigrations(ctx.loadValid(ctx.contractsDir(opts.dir)), cliServingOptions(ctx.workspaceRoot(), opts));
      const { pool, where } = await connectMssql(conn);
      const progress = createProgress(ctx.stderr, ctx.interactive, opts.progress && !ctx.jsonMode);
      try {
        const r = await applyMigrations(pool, where, migrations, (e) => {
          if (e.action === 'apply') progress.update(`${e.migration}: applying ${count(e.batches, 'batch', 'batches')}…`);
          else progress.done(`${e.migration}: ${e.action === 'skip' ? 'unchanged, skipped' : `applied (${count(e.batches, 'batch', 'batches')})`}`);
        });
        if (ctx.jsonMode) ctx.printJson({ ok: true, server: where, applied: r.applied, unchanged: r.skipped });
        else ctx.print(`${where}: ${count(r.applied.length, 'migration')} applied, ${r.skipped.length} unchanged (connection ${redact(conn)})`);
      } finally {
        await pool.close().catch(() => undefined);
      }
    });
  },
};
