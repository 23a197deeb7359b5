/**
 * The SqlMigrations dynamic provider itself (mssql contract, no server here): what it
 * reports when the database cannot be reached (a closed port on 127.0.0.1), when no
 * Entra token can be had, when a migration's text does not match its checksum; how its
 * diff turns changed checksums into an update and unchanged ones into nothing; and the
 * provider as Pulumi runs it — serialized from the compiled program and loaded in
 * another process the way the dynamic-provider host loads it.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import * as contracts from '@streampulse/contracts';
import { findWorkspaceRoot, loadContractsOrThrow, STREAMPULSE_CONTRACTS_DIR, StreamPulseError } from '@streampulse/contracts';
import * as sql from '@streampulse/sql';
import * as serving from '@streampulse/serving';
import {
  diffSqlMigrations,
  migrationInput,
  servingOptionsFor,
  sqlMigrationsProvider,
  type SqlMigrationsInputs,
  type SqlMigrationsOutputs,
} from '@streampulse/infra';

const ROOT = findWorkspaceRoot()!;
const INFRA_DIR = join(ROOT, 'infra');
const PRINCIPALS = { metabase: 'spulse-id-metabase-dev', dataFactory: 'adf-spulse-dev' };
let inputs: SqlMigrationsInputs;
let closedPort: number;

/** A TCP port on 127.0.0.1 nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

beforeAll(async () => {
  const set = loadContractsOrThrow(join(ROOT, STREAMPULSE_CONTRACTS_DIR));
  closedPort = await freePort();
  inputs = {
    server: '127.0.0.1',
    port: closedPort,
    database: 'serving',
    principals: PRINCIPALS,
    migrations: sql.servingMigrations(set, servingOptionsFor(PRINCIPALS)).map(migrationInput),
  };
});

const runtime = async () => ({ sql, serving: serving as never, contracts });
const scopes: unknown[] = [];
const credential = {
  getToken: async (scope: string | string[]) => {
    scopes.push(scope);
    return { token: 'test-only-token', expiresOnTimestamp: Date.now() + 3_600_000 };
  },
};

async function failure(p: Promise<unknown>): Promise<StreamPulseError> {
  try {
    await p;
  } catch (e) {
    return e as StreamPulseError;
  }
  throw new Error('expected a failure');
}

describe('SqlMigrations provider: create / update (mssql contract, no server here)', () => {
  it('reports a clear StreamPulseError on a refused connection (a closed port on 127.0.0.1), after fetching the Entra token at apply time', async () => {
    scopes.length = 0;
    const provider = sqlMigrationsProvider({ load: runtime, credential });
    const e = await failure(provider.create!(inputs));
    expect(e).toBeInstanceOf(StreamPulseError);
    expect(e.code).toBe('SQL_CONNECTION_REFUSED');
    expect(e.message).toContain(`pulumi up could not apply the serving migrations to 127.0.0.1,${closedPort}/serving`);
    expect(e.message).toMatch(/ECONNREFUSED/);
    expect(e.remedy).toContain('firewall');
    expect(e.remedy).toContain('streampulse:sql.adminGroup');
    expect(scopes).toStrictEqual([serving.AZURE_SQL_SCOPE]);
    // update applies the same way (the journal skips what is unchanged)
    const u = await failure(provider.update!('id', { ...inputs, applied: [], unchanged: [] }, inputs));
    expect(u.code).toBe('SQL_CONNECTION_REFUSED');
  }, 30_000);

  it('says so when the deployment identity has no Entra token (and never connects)', async () => {
    const provider = sqlMigrationsProvider({
      load: runtime,
      credential: {
        getToken: async () => {
          throw new Error('no az login');
        },
      },
    });
    const e = await failure(provider.create!(inputs));
    expect(e.code).toBe('SQL_ENTRA_TOKEN');
    expect(e.message).toContain('no az login');
    expect(e.remedy).toContain('az login');
  });

  it('refuses a migration whose text does not match its checksum, before connecting', async () => {
    scopes.length = 0;
    const edited = { ...inputs, migrations: inputs.migrations.map((m, i) => (i === 2 ? { ...m, text: `${m.text}\n-- edited` } : m)) };
    const e = await failure(sqlMigrationsProvider({ load: runtime, credential }).create!(edited));
    expect(e.code).toBe('SQL_MIGRATION_CHECKSUM');
    expect(e.message).toContain(inputs.migrations[2]!.file);
    expect(scopes).toStrictEqual([]);
  });
});

describe('SqlMigrations provider: the apply path with a stand-in driver', () => {
  it('retries while a serverless database resumes (40613), then applies every migration as split from its text and reports what ran', async () => {
    const calls: string[] = [];
    let closed = 0;
    const stub = {
      sql: { splitBatches: sql.splitBatches },
      serving: {
        connectMssql: async (conn: string) => {
          calls.push(conn);
          if (calls.length === 1)
            throw new StreamPulseError('SQL_LOGIN_FAILED', "Database 'serving' on server '127.0.0.1' is not currently available (40613)", { remedy: 'wait' });
          return { pool: { close: async () => void closed++ }, where: '127.0.0.1/serving' };
        },
        applyMigrations: async (_pool: unknown, _where: string, ms: readonly sql.Migration[]) => {
          expect(ms.map((m) => m.batches)).toStrictEqual(
            sql.servingMigrations(loadContractsOrThrow(join(ROOT, STREAMPULSE_CONTRACTS_DIR)), servingOptionsFor(PRINCIPALS)).map((m) => m.batches),
          );
          return { applied: ms.slice(4).map((m) => m.id), skipped: ms.slice(0, 4).map((m) => m.id) };
        },
      },
      contracts,
    } as unknown as Awaited<ReturnType<typeof runtime>>;
    const r = await sqlMigrationsProvider({ load: async () => stub, retryDelayMs: 1 }).create!(inputs);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toBe(
      `Server=tcp:127.0.0.1,${closedPort};Database=serving;Authentication=Active Directory Default;Encrypt=True;TrustServerCertificate=False;Connection Timeout=60`,
    );
    expect(closed).toBe(1);
    expect(r.id).toBe('127.0.0.1/serving/serving-migrations');
    expect(r.outs).toMatchObject({
      server: '127.0.0.1',
      database: 'serving',
      principals: PRINCIPALS,
      applied: inputs.migrations.slice(4).map((m) => m.id),
      unchanged: inputs.migrations.slice(0, 4).map((m) => m.id),
    });
  });
});

describe('SqlMigrations provider: diff', () => {
  const state = (i: SqlMigrationsInputs): SqlMigrationsOutputs => ({ ...i, applied: i.migrations.map((m) => m.id), unchanged: [] });

  it('unchanged migrations are no change (whatever the provider text); a changed checksum is an update', () => {
    expect(diffSqlMigrations(state(inputs), inputs)).toMatchObject({ changes: false, replaces: [] });
    expect(diffSqlMigrations({ ...state(inputs), __provider: 'old text' } as SqlMigrationsOutputs, inputs).changes).toBe(false);
    const changed = { ...inputs, migrations: inputs.migrations.map((m) => (m.id === '0004_serving_views' ? { ...m, checksum: 'f'.repeat(64) } : m)) };
    expect(diffSqlMigrations(state(inputs), changed)).toMatchObject({ changes: true, replaces: [] });
    const added = { ...inputs, migrations: [...inputs.migrations, { ...inputs.migrations[0]!, id: '0009_new', file: '0009_new.sql' }] };
    expect(diffSqlMigrations(state(inputs), added)).toMatchObject({ changes: true, replaces: [] });
  });

  it('another server or database replaces the resource (the migrations go to that database)', () => {
    expect(diffSqlMigrations(state(inputs), { ...inputs, database: 'other' })).toMatchObject({ changes: true, replaces: ['database'] });
    expect(diffSqlMigrations(state(inputs), { ...inputs, server: 'x.database.windows.net' })).toMatchObject({ changes: true, replaces: ['server'] });
  });

  it('the journal is what makes create idempotent: delete leaves the database as it is', async () => {
    await expect(sqlMigrationsProvider().delete!('id', state(inputs))).resolves.toBeUndefined();
  });
});

describe('SqlMigrations provider as Pulumi runs it (serialized, loaded in another process; no server here)', () => {
  it('the compiled program serializes it; loaded like the dynamic-provider host loads it, it reaches @streampulse/serving beside infra/ and reports the refused connection', () => {
    const compiled = join(INFRA_DIR, 'dist', 'src', 'sql-migrations-provider.js');
    const sqlDist = join(ROOT, 'sql', 'dist', 'src', 'index.js');
    const servingDist = join(ROOT, 'serving', 'dist', 'src', 'index.js');
    for (const f of [compiled, sqlDist, servingDist])
      if (!existsSync(f)) throw new Error(`${f} does not exist: build first with \`node_modules/.bin/tsc -b\` (scripts/test.sh does)`);
    const pulumiDir = dirname(require.resolve('@pulumi/pulumi/package.json', { paths: [INFRA_DIR] }));
    const script = `
      import { createRequire } from 'node:module';
      import * as pulumi from '@pulumi/pulumi';
      import { sqlMigrationsProvider } from ${JSON.stringify(compiled)};
      const requireFromString = createRequire(${JSON.stringify(join(pulumiDir, 'package.json'))})('require-from-string');
      const credential = { getToken: async () => ({ token: 'test-only-token', expiresOnTimestamp: Date.now() + 3600000 }) };
      // as pulumi.dynamic.Resource does: serializeFunction(() => provider); the host calls handler()
      const deployed = sqlMigrationsProvider();
      const plain = await pulumi.runtime.serializeFunction(() => deployed, { allowSecrets: true });
      const withTestCredential = sqlMigrationsProvider({ credential });
      const sf = await pulumi.runtime.serializeFunction(() => withTestCredential, { allowSecrets: true });
      const provider = requireFromString(sf.text).handler();
      const inputs = JSON.parse(process.env.SP_INPUTS);
      let out;
      try {
        await provider.create(inputs);
        out = { ok: true };
      } catch (e) {
        out = { name: e.name, code: e.code, message: e.message };
      }
      out.plain = plain.text;
      process.stdout.write(JSON.stringify(out));
    `;
    const small = { ...inputs, migrations: inputs.migrations.slice(0, 2) };
    const r = spawnSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], {
      cwd: INFRA_DIR,
      encoding: 'utf8',
      env: { ...process.env, SP_INPUTS: JSON.stringify(small) },
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { name: string; code: string; message: string; plain: string };
    expect(out).toMatchObject({ name: 'StreamPulseError', code: 'SQL_CONNECTION_REFUSED' });
    expect(out.message).toContain(`127.0.0.1,${closedPort}/serving`);
    // what `pulumi up` stores in the state: no machine path, nothing captured but the provider's own functions
    expect(out.plain).not.toContain(ROOT);
    expect(out.plain).not.toMatch(/require\(/);
    expect(out.plain).toContain('createRequire(`${cwd}/package.json`)');
  }, 60_000);
});
