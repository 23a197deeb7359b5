/**
 * Azure SQL through mssql (mssql contract, no server here): the connection string,
 * the Entra token path with an injected credential, how driver errors become
 * StreamPulseErrors, a real connection attempt to a closed port on 127.0.0.1, and the
 * load target's check that the migrations ran. (A refused login through the CLI, from a
 * minimal TDS responder on 127.0.0.1, is in tests/test/serving.test.ts.)
 */
import { describe, expect, it } from '@jest/globals';
import { createServer, type AddressInfo } from 'node:net';
import mssql from 'mssql';
import type { StreamPulseError } from '@streampulse/contracts';
import { servingMigrations } from '@streampulse/sql';
import {
  applyMigrations,
  AZURE_SQL_SCOPE,
  connectMssql,
  describeMssqlError,
  MssqlTarget,
  mssqlConfig,
  parseConnectionString,
  redact,
} from '@streampulse/serving';
import { findWorkspaceRoot, loadContractsOrThrow, STREAMPULSE_CONTRACTS_DIR } from '@streampulse/contracts';
import { join } from 'node:path';
/** The shipped contracts. */
const shipped = () => loadContractsOrThrow(join(findWorkspaceRoot(process.cwd())!, STREAMPULSE_CONTRACTS_DIR));

const SQL_AUTH = 'Server=127.0.0.1,14330;Database=serving;User Id=loader;Password=p@ss;Encrypt=false';

describe('parseConnectionString (mssql contract, no server here)', () => {
  it('reads SQL authentication and Entra strings', () => {
    expect(parseConnectionString(SQL_AUTH)).toStrictEqual({
      server: '127.0.0.1',
      port: 14330,
      database: 'serving',
      auth: 'sql-password',
      user: 'loader',
      password: 'p@ss',
      encrypt: false,
      trustServerCertificate: false,
      connectTimeoutMs: 30000,
    });
    expect(
      parseConnectionString(
        'Server=tcp:sql-streampulse-dev.database.windows.net,1433;Initial Catalog=sqldb-serving;Authentication=Active Directory Default;Encrypt=True',
      ),
    ).toMatchObject({
      server: 'sql-streampulse-dev.database.windows.net',
      port: 1433,
      database: 'sqldb-serving',
      auth: 'entra-default',
      encrypt: true,
    });
    expect(parseConnectionString('Data Source=h;Database=d;Authentication=Active Directory Managed Identity;Client Id=1111')).toMatchObject({
      auth: 'entra-managed-identity',
      clientId: '1111',
      port: 1433,
    });
    expect(parseConnectionString('Server=h;Database=d;User Id=u;Password="a;b=c"').password).toBe('a;b=c');
  });

  it('says what is wrong with a bad connection string, and how to write it', () => {
    const code = (s: string): [string, string] => {
      try {
        parseConnectionString(s);
      } catch (e) {
        return [(e as StreamPulseError).code, (e as StreamPulseError).message];
      }
      return ['none', ''];
    };
    expect(code('')).toStrictEqual(['SQL_BAD_CONNECTION_STRING', 'the connection string is empty']);
    expect(code('just some words')).toStrictEqual([
      'SQL_BAD_CONNECTION_STRING',
      '"just some words" has no "=": a connection string is Key=Value pairs separated by ";"',
    ]);
    expect(code('Sever=h;Database=d')).toStrictEqual(['SQL_BAD_CONNECTION_STRING', 'unknown connection-string key "sever" — did you mean "server"?']);
    expect(code('Database=d;User Id=u;Password=p')).toStrictEqual(['SQL_BAD_CONNECTION_STRING', 'the connection string names no server (Server=…)']);
    expect(code('Server=h,99999;Database=d')).toStrictEqual(['SQL_BAD_CONNECTION_STRING', 'the port "99999" in Server=h,99999 is not a TCP port (1–65535)']);
    expect(code('Server=h;User Id=u;Password=p')[1]).toBe('the connection string names no database (Database=…)');
    expect(code('Server=h;Database=d;Authentication=Kerberos')[1]).toBe('Authentication=Kerberos is not supported');
    expect(code('Server=h;Database=d;User Id=u')[1]).toBe('SQL authentication needs both User Id and Password');
    expect(code('Server=h;Database=d;Authentication=Active Directory Default;Password=x')[1]).toBe('a password was given with Entra authentication');
    expect(code('Server=h;Database=d;Encrypt=maybe')[1]).toBe('encrypt=maybe is not true or false');
    expect(code('Server=h;Database=d;Password="open')[1]).toBe('the value of "password" opens a " quote that is never closed');
  });

  it('redacts the password for messages', () => {
    expect(redact(SQL_AUTH)).toBe('Server=127.0.0.1,14330;Database=serving;User Id=loader;Password=***;Encrypt=false');
    expect(redact('Server=h;pwd="a;b";Database=d')).toBe('Server=h;pwd=***;Database=d');
  });
});

describe('mssqlConfig (mssql contract, no server here)', () => {
  it('uses SQL authentication when the string has User Id and Password', async () => {
    const c = await mssqlConfig(parseConnectionString(SQL_AUTH));
    expect(c).toMatchObject({ server: '127.0.0.1', port: 14330, database: 'serving', user: 'loader', password: 'p@ss', options: { encrypt: false } });
    expect(c.authentication).toBeUndefined();
  });

  it('asks the Entra credential for an Azure SQL token and passes it as an access token', async () => {
    const scopes: unknown[] = [];
    const credential = {
      getToken: async (scope: string | string[]) => {
        scopes.push(scope);
        return { token: 'eyJ.test.token', expiresOnTimestamp: Date.now() + 3600_000 };
      },
    };
    const c = await mssqlConfig(parseConnectionString('Server=tcp:x.database.windows.net,1433;Database=d;Authentication=Active Directory Default'), {
      credential,
    });
    expect(scopes).toStrictEqual([AZURE_SQL_SCOPE]);
    expect(c.authentication).toStrictEqual({ type: 'azure-active-directory-access-token', options: { token: 'eyJ.test.token' } });
    expect(c.user).toBeUndefined();
  });

  it('reports a credential that cannot get a token', async () => {
    const credential = { getToken: async () => Promise.reject(new Error('no managed identity endpoint')) };
    await expect(mssqlConfig(parseConnectionString('Server=x;Database=d;Authentication=Active Directory Managed Identity'), { credential })).rejects.toThrow(
      expect.objectContaining({
        code: 'SQL_ENTRA_TOKEN',
        message: 'could not get an Entra access token for Azure SQL (entra-managed-identity): no managed identity endpoint',
      }),
    );
  });
});

describe('describeMssqlError (mssql contract, no server here)', () => {
  it('turns the driver errors into codes with remedies', () => {
    const login = describeMssqlError(new mssql.ConnectionError("Login failed for user 'loader'.", 'ELOGIN'), 'h,1433/db', 'connecting');
    expect([login.code, login.message]).toStrictEqual(['SQL_LOGIN_FAILED', "SQL Server at h,1433/db refused the login: Login failed for user 'loader'."]);
    const refused = describeMssqlError(new mssql.ConnectionError('Failed to connect to h:1433 - connect ECONNREFUSED', 'ESOCKET'), 'h,1433/db', 'connecting');
    expect(refused.code).toBe('SQL_CONNECTION_REFUSED');
    const missing = Object.assign(new mssql.RequestError("Invalid object name 'staging.analytics_kpi_monthly'.", 'EREQUEST'), { number: 208 });
    const m = describeMssqlError(missing, 'h,1433/db', 'counting rows');
    expect([m.code, m.remedy]).toStrictEqual(['SQL_OBJECT_MISSING', 'apply the serving migrations first: `streampulse sql apply --connection "…"`']);
    const denied = Object.assign(new mssql.RequestError('The EXECUTE permission was denied on the object', 'EREQUEST'), { number: 229 });
    expect(describeMssqlError(denied, 'h', 'x').code).toBe('SQL_PERMISSION_DENIED');
    // the documented Azure SQL errors of CREATE USER … FROM EXTERNAL PROVIDER without Directory Readers / with a wrong name
    const unresolved = Object.assign(
      new mssql.RequestError(
        "Principal 'adf-spulse-dev' could not be resolved. Error message: 'Server identity does not have Azure Active Directory Readers permission.'",
        'EREQUEST',
      ),
      { number: 33134 },
    );
    const u = describeMssqlError(unresolved, 'h', 'applying 0007_roles_and_grants');
    expect(u.code).toBe('SQL_PRINCIPAL_UNRESOLVED');
    expect(u.remedy).toContain('Directory Readers');
    expect(
      describeMssqlError(
        Object.assign(new mssql.RequestError("Principal 'x' could not be found or this principal type is not supported.", 'EREQUEST'), { number: 33130 }),
        'h',
        'x',
      ).code,
    ).toBe('SQL_PRINCIPAL_UNRESOLVED');
    const other = Object.assign(new mssql.RequestError('Arithmetic overflow', 'EREQUEST'), { number: 8115 });
    expect(describeMssqlError(other, 'h', 'merging').message).toBe('h: SQL Server error 8115 while merging: Arithmetic overflow');
  });
});

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('connecting (mssql contract, no server here; only 127.0.0.1)', () => {
  it('reports a refused connection on a closed port clearly', async () => {
    const port = await closedPort();
    await expect(connectMssql(`Server=127.0.0.1,${port};Database=serving;User Id=loader;Password=x;Encrypt=false;Connection Timeout=5`)).rejects.toThrow(
      expect.objectContaining({
        code: 'SQL_CONNECTION_REFUSED',
        message: expect.stringMatching(new RegExp(`^cannot reach SQL Server at 127\\.0\\.0\\.1,${port}/serving while connecting: .*ECONNREFUSED`)),
      }),
    );
  }, 20_000);

  it('applyMigrations reports a failing journal bootstrap instead of throwing the driver error', async () => {
    const failing = {
      request: () => ({
        batch: async () => Promise.reject(Object.assign(new mssql.RequestError('CREATE SCHEMA permission denied in database', 'EREQUEST'), { number: 262 })),
      }),
    };
    await expect(applyMigrations(failing as unknown as mssql.ConnectionPool, 'h,1433/db', servingMigrations(shipped()))).rejects.toThrow(
      expect.objectContaining({
        code: 'SQL_PERMISSION_DENIED',
        message: 'h,1433/db: CREATE SCHEMA permission denied in database (while creating the migration journal [ops].[schema_migrations])',
      }),
    );
  });
});

describe('MssqlTarget (mssql contract, no server here)', () => {
  it('refuses to load into a database whose migrations have not run, naming the missing objects', async () => {
    const set = shipped();
    const queries: string[] = [];
    const pool = {
      request: () => ({
        query: async (sql: string) => {
          queries.push(sql);
          // the procedure exists, one staging table does not
          return {
            recordset: [...sql.matchAll(/SELECT N'([^']+)' AS \[name\]/g)].map((m) => ({
              name: m[1],
              id: m[1] === '[staging].[analytics_kpi_monthly]' ? null : 1,
            })),
          };
        },
      }),
      close: async () => undefined,
    };
    const target = new MssqlTarget(pool as unknown as mssql.ConnectionPool, 'h,1433/serving', set);
    await expect(target.prepare()).rejects.toThrow(
      expect.objectContaining({
        code: 'SQL_OBJECT_MISSING',
        message: 'h,1433/serving has no [staging].[analytics_kpi_monthly]: the serving migrations have not run (or are out of date)',
        remedy: 'apply them first: `streampulse sql apply --connection "…"`',
      }),
    );
    expect(queries[0]).toContain("OBJECT_ID(N'[serving].[usp_merge_marts]', N'P')");
  });

  it('reads the date the served marts stand for, and turns the procedure skipping an older load (RETURN 1) into SERVING_LOAD_OUTDATED', async () => {
    const set = shipped();
    const calls: string[] = [];
    let returnValue = 1;
    const request = () => {
      const r = {
        input: (name: string, _type: unknown, value: unknown) => {
          calls.push(`input ${name}=${String(value)}`);
          return r;
        },
        execute: async (proc: string) => {
          calls.push(`execute ${proc}`);
          return { returnValue, recordset: [] };
        },
        query: async (sql: string) => {
          calls.push(sql);
          if (sql.includes('MAX([run_date])')) return { recordset: [{ d: '2026-02-07' }] };
          return { recordset: set.marts.map((m) => ({ mart: m.mart, staged_rows: '3', inserted: '1', updated: '1', deleted: '0' })) };
        },
      };
      return r;
    };
    const pool = { request, close: async () => undefined };
    const target = new MssqlTarget(pool as unknown as mssql.ConnectionPool, 'h,1433/serving', set);
    expect(await target.servedAsOf()).toBe('2026-02-07');
    expect(calls.at(-1)).toBe('SELECT CONVERT(NCHAR(10), MAX([run_date]), 23) AS [d] FROM [ops].[serving_loads]');
    await expect(target.merge('2026-02-05')).rejects.toThrow(
      expect.objectContaining({
        code: 'SERVING_LOAD_OUTDATED',
        message: 'h,1433/serving: the served marts are as of 2026-02-07; a load for 2026-02-05 would move them back in time. Nothing was merged.',
      }),
    );
    expect(calls).toContain('execute [serving].[usp_merge_marts]');
    returnValue = 0;
    expect((await target.merge('2026-02-07')).map((c) => c.mart)).toStrictEqual(set.marts.map((m) => m.mart));
  });
});
