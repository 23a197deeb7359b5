/**
 * The dynamic provider behind `SqlMigrations`: during `pulumi up` it applies the
 * generated serving migrations to the Azure SQL database with the same function
 * `streampulse sql apply` uses (`connectMssql` + `applyMigrations` of @streampulse/serving):
 * an Entra access token of the deployment identity (DefaultAzureCredential — in the
 * deploy workflow, the `az login` of `azure/login`), each new or changed migration in
 * one transaction, the journal `[ops].[schema_migrations]` skipping the unchanged ones.
 *
 * Pulumi serializes this provider's functions into the resource's `__provider` input
 * and runs them in its dynamic-provider process, so they must capture nothing but each
 * other and plain values: the serving loaders are loaded there at apply time — from the
 * workspace's `serving/` package beside the Pulumi project folder (infra/), which infra
 * does not depend on: the Pulumi program and its install carry no database driver
 * (mssql) and no native module; the token is fetched at apply time and is never an input
 * or an output.
 */
import type * as pulumi from '@pulumi/pulumi';
import type * as contractsModule from '@streampulse/contracts';
import type * as sqlModule from '@streampulse/sql';

/** What the provider calls of @streampulse/serving (structural: infra does not import that package). */
export interface ServingRuntime {
  connectMssql(connectionString: string, options?: { readonly credential?: unknown }): Promise<{ pool: { close(): Promise<void> }; where: string }>;
  applyMigrations(
    pool: never,
    where: string,
    migrations: readonly (MigrationInput & { readonly batches: readonly string[] })[],
  ): Promise<{ readonly applied: readonly string[]; readonly skipped: readonly string[] }>;
}

/** One generated migration as the resource holds it: the file, its id and checksum. */
export interface MigrationInput {
  readonly id: string;
  readonly file: string;
  readonly description: string;
  /** SHA-256 (hex) of `text`, as the generator and the journal record it. */
  readonly checksum: string;
  /** The file's text; the batches are split from it on GO lines, as `sql apply --from` does. */
  readonly text: string;
}

export interface SqlMigrationsInputs {
  /** Fully qualified server name (`<server>.database.windows.net`). */
  readonly server: string;
  readonly port: number;
  readonly database: string;
  /** The Entra principals the migrations create database users for (also in 0007's text). */
  readonly principals: { readonly metabase: string; readonly dataFactory: string };
  readonly migrations: readonly MigrationInput[];
}

export interface SqlMigrationsOutputs extends SqlMigrationsInputs {
  /** Migrations the last create/update ran (new or changed). */
  readonly applied: readonly string[];
  /** Migrations the journal already had with the same checksum. */
  readonly unchanged: readonly string[];
}

/** What the provider uses at apply time. */
export interface SqlRuntime {
  readonly sql: Pick<typeof sqlModule, 'splitBatches'>;
  readonly serving: ServingRuntime;
  readonly contracts: Pick<typeof contractsModule, 'StreamPulseError'>;
}

export interface SqlMigrationsProviderOptions {
  /** Loads the runtime (default: @streampulse/sql and @streampulse/contracts resolved from the current folder, @streampulse/serving from ../serving). */
  readonly load?: () => Promise<SqlRuntime>;
  /** The Entra credential (default: DefaultAzureCredential, from the connection's Authentication=Active Directory Default). */
  readonly credential?: unknown;
  /** Attempts to connect while a serverless database resumes (40613), a new firewall rule takes effect (40615) or the connection times out (default 6). */
  readonly connectAttempts?: number;
  /** Wait between those attempts (default 30 s). */
  readonly retryDelayMs?: number;
}

/** The connection string the provider connects with: Entra token of the deployment identity, no credential in it. */
export function migrationsConnectionString(i: Pick<SqlMigrationsInputs, 'server' | 'port' | 'database'>): string {
  return `Server=tcp:${i.server},${i.port};Database=${i.database};Authentication=Active Directory Default;Encrypt=True;TrustServerCertificate=False;Connection Timeout=60`;
}

/** @streampulse/sql and @streampulse/contracts, required from the folder `pulumi` runs in (infra/); @streampulse/serving from the workspace's serving/ beside it. */
async function loadSqlRuntime(): Promise<SqlRuntime> {
  const cwd = process.cwd();
  let req: (id: string) => unknown;
  try {
    const { createRequire } = process.getBuiltinModule('node:module');
    req = createRequire(`${cwd}/package.json`);
  } catch (e) {
    throw new Error(`the SqlMigrations provider needs Node.js 20.16 or later (process.getBuiltinModule): ${(e as Error).message}`);
  }
  try {
    const { join } = process.getBuiltinModule('node:path');
    const { createRequire } = process.getBuiltinModule('node:module');
    // the serving package resolves itself (and its drivers) from its own folder
    const serving = createRequire(join(cwd, '..', 'serving', 'package.json'))('@streampulse/serving') as SqlRuntime['serving'];
    return { sql: req('@streampulse/sql') as SqlRuntime['sql'], serving, contracts: req('@streampulse/contracts') as SqlRuntime['contracts'] };
  } catch (e) {
    throw new Error(
      `the SqlMigrations provider could not load @streampulse/sql, @streampulse/contracts from ${cwd} or @streampulse/serving from ${cwd}/../serving: ${(e as Error).message}. Run pulumi from infra/ of the built workspace after \`tsc -b\` (scripts/setup.sh), with Node.js 20.19 or later (it requires the packages' ES modules).`,
    );
  }
}

/** Runs the migrations the journal does not have (or has with another checksum). */
async function applySqlMigrations(inputs: SqlMigrationsInputs, options: SqlMigrationsProviderOptions): Promise<SqlMigrationsOutputs> {
  const { sql, serving, contracts } = await (options.load ?? loadSqlRuntime)();
  const { StreamPulseError } = contracts;
  const where = `${inputs.server},${inputs.port}/${inputs.database}`;
  const { createHash } = process.getBuiltinModule('node:crypto');
  const migrations = inputs.migrations.map((m) => {
    const sum = createHash('sha256').update(m.text).digest('hex');
    if (sum !== m.checksum)
      throw new StreamPulseError('SQL_MIGRATION_CHECKSUM', `${m.file}: its text hashes to ${sum}, not to the checksum ${m.checksum} it was generated with`, {
        remedy: 'the resource inputs were edited by hand: run `pulumi up` again from the workspace (the program regenerates the migrations from the contracts)',
      });
    return { ...m, batches: sql.splitBatches(m.text) };
  });
  const attempts = Math.max(1, options.connectAttempts ?? 6);
  const retryable = (e: unknown): boolean => {
    const x = e as { code?: unknown; message?: unknown };
    // 40613: a serverless database resuming; 40615: a firewall rule not yet in effect (it may take minutes)
    return x.code === 'SQL_CONNECTION_TIMEOUT' || /\b4061[35]\b|is not currently available|is not allowed to access the server/i.test(String(x.message));
  };
  const fail = (e: unknown): Error => {
    const x = e as { code?: unknown; message?: unknown; remedy?: unknown };
    const code = typeof x.code === 'string' && /^SQL_/.test(x.code) ? x.code : 'SQL_FAILED';
    const remedy = [
      typeof x.remedy === 'string' ? x.remedy : undefined,
      'pulumi up applies the migrations as the deployment identity: it must be in the SQL admin group (streampulse:sql.adminGroup), reach the server (dev: firewall; prod: a runner inside the VNet, through the private endpoint), and the SQL server identity must be able to read Entra (Directory Readers) to create the users FROM EXTERNAL PROVIDER',
    ]
      .filter((s) => s !== undefined)
      .join('. ');
    return new StreamPulseError(code, `pulumi up could not apply the serving migrations to ${where}: ${String(x.message)} — fix: ${remedy}`, {
      cause: e,
      remedy,
    });
  };
  let connected: { pool: { close(): Promise<void> }; where: string } | undefined;
  for (let attempt = 1; connected === undefined; attempt++) {
    try {
      connected = await serving.connectMssql(migrationsConnectionString(inputs), options.credential !== undefined ? { credential: options.credential } : {});
    } catch (e) {
      if (attempt >= attempts || !retryable(e)) throw fail(e);
      await new Promise((r) => setTimeout(r, options.retryDelayMs ?? 30_000));
    }
  }
  try {
    const r = await serving.applyMigrations(connected.pool as never, connected.where, migrations);
    return { ...inputs, applied: [...r.applied], unchanged: [...r.skipped] };
  } catch (e) {
    throw fail(e);
  } finally {
    await connected.pool.close().catch(() => undefined);
  }
}

/**
 * What changed: a new server/port/database replaces the resource (the migrations go to
 * another database); a changed list of (migration, checksum) is an update; anything
 * else — the same migrations, a new provider text — is no change.
 */
export function diffSqlMigrations(olds: Partial<SqlMigrationsOutputs>, news: SqlMigrationsInputs): pulumi.dynamic.DiffResult {
  const replaces = (['server', 'port', 'database'] as const).filter((k) => olds[k] !== news[k]);
  const sums = (ms: readonly Pick<MigrationInput, 'id' | 'checksum'>[] | undefined): string => (ms ?? []).map((m) => `${m.id}:${m.checksum}`).join('\n');
  const changed = sums(olds.migrations) !== sums(news.migrations);
  return { changes: replaces.length > 0 || changed, replaces, deleteBeforeReplace: false };
}

/**
 * The provider. Delete does nothing: dropping the serving objects is the database's
 * deletion, not this resource's (a replaced resource leaves the old database as it was).
 */
export function sqlMigrationsProvider(options: SqlMigrationsProviderOptions = {}): pulumi.dynamic.ResourceProvider<SqlMigrationsInputs, SqlMigrationsOutputs> {
  return {
    async diff(_id: string, olds: SqlMigrationsOutputs, news: SqlMigrationsInputs) {
      return diffSqlMigrations(olds, news);
    },
    async create(inputs: SqlMigrationsInputs) {
      const outs = await applySqlMigrations(inputs, options);
      return { id: `${inputs.server}/${inputs.database}/serving-migrations`, outs };
    },
    async update(_id: string, _olds: SqlMigrationsOutputs, news: SqlMigrationsInputs) {
      return { outs: await applySqlMigrations(news, options) };
    },
    async delete() {
      return;
    },
  };
}
