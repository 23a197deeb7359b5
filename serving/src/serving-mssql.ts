/**
 * Azure SQL through `mssql` (tedious): the connection (SQL authentication for a test
 * server, or an Entra access token from @azure/identity), `sql apply` (the migrations,
 * each in one transaction, recorded in the journal) and the load target of `serve load`.
 *
 * Every failure becomes a StreamPulseError that says what failed and how to fix it: a
 * malformed connection string, a refused connection, a refused login, a missing object
 * (the migrations did not run), a failed migration (which file, which batch).
 */
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import mssql from 'mssql';
import { closest, StreamPulseError, type ContractSet } from '@streampulse/contracts';
import { parseLogicalType } from '@streampulse/contracts';
import { lakeScalar, type ColumnFacts } from '@streampulse/sql';
import { describeCheck, failingRowsSql, type ServingCheck } from '@streampulse/sql';
import { checkFailed, loadOutdated, type MergeCounts, type ServingTarget, type StageProgress, type TestResult } from './serving-load.js';
import { SERVING_OBJECTS, servingName } from '@streampulse/sql';
import { journalBootstrap, type Migration } from '@streampulse/sql';

/** The Entra scope of Azure SQL Database tokens. */
export const AZURE_SQL_SCOPE = 'https://database.windows.net/.default';

export type AuthMode = 'sql-password' | 'entra-default' | 'entra-managed-identity';

/** A parsed ADO.NET-style connection string (`Key=Value;…`). */
export interface ConnectionSettings {
  readonly server: string;
  readonly port: number;
  readonly database: string;
  readonly auth: AuthMode;
  readonly user?: string;
  readonly password?: string;
  /** Client id of a user-assigned managed identity. */
  readonly clientId?: string;
  readonly encrypt: boolean;
  readonly trustServerCertificate: boolean;
  readonly connectTimeoutMs: number;
}

const KEYS: Readonly<Record<string, string>> = {
  server: 'server',
  'data source': 'server',
  address: 'server',
  addr: 'server',
  database: 'database',
  'initial catalog': 'database',
  'user id': 'user',
  uid: 'user',
  user: 'user',
  password: 'password',
  pwd: 'password',
  authentication: 'authentication',
  encrypt: 'encrypt',
  trustservercertificate: 'trustservercertificate',
  'trust server certificate': 'trustservercertificate',
  'connection timeout': 'timeout',
  'connect timeout': 'timeout',
  'client id': 'clientid',
  'user assigned identity id': 'clientid',
  'application name': 'ignored',
  'persist security info': 'ignored',
  multipleactiveresultsets: 'ignored',
};

const AUTH: Readonly<Record<string, AuthMode>> = {
  'sql password': 'sql-password',
  sqlpassword: 'sql-password',
  'active directory default': 'entra-default',
  'active directory managed identity': 'entra-managed-identity',
  'active directory msi': 'entra-managed-identity',
};

function badConnection(message: string, remedy?: string): StreamPulseError {
  return new StreamPulseError('SQL_BAD_CONNECTION_STRING', message, {
    remedy:
      remedy ??
      'write it as Key=Value pairs separated by ";", e.g. "Server=tcp:<server>.database.windows.net,1433;Database=<db>;Authentication=Active Directory Default;Encrypt=True" (Entra) or "Server=127.0.0.1,1433;Database=<db>;User Id=<user>;Password=<password>;Encrypt=False" (SQL authentication)',
  });
}

/** Parses `Key=Value;…` (values may be quoted with " or '); strict about keys and values. */
export function parseConnectionString(text: string): ConnectionSettings {
  const pairs = new Map<string, string>();
  let i = 0;
  const s = text.trim();
  if (s === '') throw badConnection('the connection string is empty');
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq < 0) throw badConnection(`"${s.slice(i).trim()}" has no "=": a connection string is Key=Value pairs separated by ";"`);
    const rawKey = s.slice(i, eq).trim().toLowerCase().replace(/\s+/g, ' ');
    let j = eq + 1;
    while (s[j] === ' ') j++;
    let value: string;
    if (s[j] === '"' || s[j] === "'") {
      const quote = s[j]!;
      const end = s.indexOf(quote, j + 1);
      if (end < 0) throw badConnection(`the value of "${rawKey}" opens a ${quote} quote that is never closed`);
      value = s.slice(j + 1, end);
      j = end + 1;
      while (s[j] === ' ') j++;
      if (j < s.length && s[j] !== ';') throw badConnection(`unexpected text after the quoted value of "${rawKey}"`);
    } else {
      const end = s.indexOf(';', j);
      value = s.slice(j, end < 0 ? s.length : end).trim();
      j = end < 0 ? s.length : end;
    }
    if (rawKey === '') throw badConnection('a pair has no key before "="');
    const key = KEYS[rawKey];
    if (key === undefined) {
      const hint = closest(rawKey, Object.keys(KEYS));
      throw badConnection(
        `unknown connection-string key "${rawKey}"${hint ? ` — did you mean "${hint}"?` : ''}`,
        `use the keys: Server, Database, User Id, Password, Authentication, Encrypt, TrustServerCertificate, Connection Timeout, Client Id`,
      );
    }
    if (key !== 'ignored') pairs.set(key, value);
    i = j + 1;
  }
  const serverRaw = pairs.get('server') ?? '';
  if (serverRaw === '') throw badConnection('the connection string names no server (Server=…)');
  const m = /^(?:tcp:)?([^,\\]+)(?:\\[^,]*)?(?:,(.*))?$/i.exec(serverRaw);
  if (!m) throw badConnection(`cannot read the server "${serverRaw}"`);
  const port = m[2] === undefined ? 1433 : Number(m[2].trim());
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw badConnection(`the port "${m[2]}" in Server=${serverRaw} is not a TCP port (1–65535)`);
  const database = pairs.get('database') ?? '';
  if (database === '')
    throw badConnection(
      'the connection string names no database (Database=…)',
      'add Database=<name>: the serving database (Azure SQL has no usable default database)',
    );
  const bool = (key: string, dflt: boolean): boolean => {
    const v = pairs.get(key);
    if (v === undefined) return dflt;
    const l = v.toLowerCase();
    if (['true', 'yes', '1', 'mandatory', 'strict'].includes(l)) return true;
    if (['false', 'no', '0', 'optional'].includes(l)) return false;
    throw badConnection(`${key}=${v} is not true or false`);
  };
  const timeoutRaw = pairs.get('timeout');
  const timeout = timeoutRaw === undefined ? 30 : Number(timeoutRaw);
  if (!Number.isFinite(timeout) || timeout <= 0) throw badConnection(`Connection Timeout=${timeoutRaw} is not a number of seconds`);
  const user = pairs.get('user');
  const password = pairs.get('password');
  const authRaw = pairs.get('authentication');
  let auth: AuthMode;
  if (authRaw !== undefined) {
    const a = AUTH[authRaw.toLowerCase().replace(/\s+/g, ' ')];
    if (a === undefined)
      throw badConnection(
        `Authentication=${authRaw} is not supported`,
        'use Authentication=Active Directory Default, Active Directory Managed Identity or Sql Password',
      );
    auth = a;
  } else auth = user !== undefined ? 'sql-password' : 'entra-default';
  if (auth === 'sql-password' && (user === undefined || password === undefined))
    throw badConnection(
      'SQL authentication needs both User Id and Password',
      'add User Id=…;Password=…, or use Authentication=Active Directory Default (Entra)',
    );
  if (auth !== 'sql-password' && password !== undefined)
    throw badConnection(
      'a password was given with Entra authentication',
      'drop Password (Entra uses a token), or use SQL authentication with User Id and Password',
    );
  const clientId = pairs.get('clientid');
  return {
    server: m[1]!.trim(),
    port,
    database,
    auth,
    ...(user !== undefined ? { user } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(clientId !== undefined ? { clientId } : {}),
    encrypt: bool('encrypt', true),
    trustServerCertificate: bool('trustservercertificate', false),
    connectTimeoutMs: timeout * 1000,
  };
}

/** The connection string for messages: the password replaced. */
export function redact(text: string): string {
  return text.replace(/((?:^|;)\s*(?:password|pwd)\s*=\s*)("[^"]*"|'[^']*'|[^;]*)/gi, '$1***');
}

export interface ConnectOptions {
  /** The Entra credential (default: DefaultAzureCredential / ManagedIdentityCredential per Authentication). */
  readonly credential?: TokenCredential;
}

/** The mssql configuration of a connection: SQL authentication, or an Entra access token. */
export async function mssqlConfig(settings: ConnectionSettings, options: ConnectOptions = {}): Promise<mssql.config> {
  const base: mssql.config = {
    server: settings.server,
    port: settings.port,
    database: settings.database,
    connectionTimeout: settings.connectTimeoutMs,
    requestTimeout: 10 * 60 * 1000,
    pool: { min: 0, max: 2 },
    options: { encrypt: settings.encrypt, trustServerCertificate: settings.trustServerCertificate, appName: 'streampulse' },
  };
  if (settings.auth === 'sql-password') return { ...base, user: settings.user!, password: settings.password! };
  const credential =
    options.credential ??
    (settings.auth === 'entra-managed-identity'
      ? settings.clientId !== undefined
        ? new ManagedIdentityCredential({ clientId: settings.clientId })
        : new ManagedIdentityCredential()
      : new DefaultAzureCredential(settings.clientId !== undefined ? { managedIdentityClientId: settings.clientId } : {}));
  let token: string;
  try {
    const t = await credential.getToken(AZURE_SQL_SCOPE);
    if (!t?.token) throw new Error('the credential returned no token');
    token = t.token;
  } catch (e) {
    throw new StreamPulseError('SQL_ENTRA_TOKEN', `could not get an Entra access token for Azure SQL (${settings.auth}): ${(e as Error).message}`, {
      cause: e,
      remedy: 'sign in (`az login`), or run where a managed identity is assigned; or use SQL authentication (User Id / Password) for a test server',
    });
  }
  return { ...base, authentication: { type: 'azure-active-directory-access-token', options: { token } } };
}

const errNumber = (e: unknown): number | undefined => {
  const x = e as { number?: unknown; originalError?: { number?: unknown; info?: { number?: unknown } } };
  const n = x.number ?? x.originalError?.number ?? x.originalError?.info?.number;
  return typeof n === 'number' ? n : undefined;
};

/** The error codes of an error and the errors behind it (cause, originalError, AggregateError.errors). */
function nestedCodes(e: unknown, depth = 0): string[] {
  if (e === null || typeof e !== 'object' || depth > 4) return [];
  const x = e as { code?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
  return [
    ...(typeof x.code === 'string' ? [x.code] : []),
    ...nestedCodes(x.cause, depth + 1),
    ...nestedCodes(x.originalError, depth + 1),
    ...(Array.isArray(x.errors) ? x.errors.flatMap((y) => nestedCodes(y, depth + 1)) : []),
  ];
}

/** Turns an mssql / tedious error into a StreamPulseError with a remedy. */
export function describeMssqlError(e: unknown, where: string, doing: string): StreamPulseError {
  if (e instanceof StreamPulseError) return e;
  const err = e as { code?: string; message?: string; originalError?: { code?: string; message?: string } };
  const code = err.code ?? err.originalError?.code;
  const msg = (err.message ?? String(e)).replace(/\s+/g, ' ').trim();
  const number = errNumber(e);
  const socket = nestedCodes(e).find((c) => /^E[A-Z]+$/.test(c) && !['ESOCKET', 'ELOGIN', 'ETIMEOUT', 'EREQUEST', 'EINSTLOOKUP'].includes(c));
  if (code === 'ESOCKET' || code === 'ECONNREFUSED' || /ECONNREFUSED|connect ECONN/.test(msg))
    return new StreamPulseError(
      'SQL_CONNECTION_REFUSED',
      `cannot reach SQL Server at ${where} while ${doing}: ${msg}${socket !== undefined && !msg.includes(socket) ? ` (${socket})` : ''}`,
      {
        cause: e,
        remedy: 'check Server=host,port in the connection string, that the server runs, and (Azure SQL) that the server firewall allows this client',
      },
    );
  if (code === 'ETIMEOUT')
    return new StreamPulseError('SQL_CONNECTION_TIMEOUT', `no answer from SQL Server at ${where} while ${doing}: ${msg}`, {
      cause: e,
      remedy: 'check the host, port and firewall; raise Connection Timeout=… if the server is slow to wake up (serverless)',
    });
  if (code === 'ELOGIN' || number === 18456 || /login failed/i.test(msg))
    return new StreamPulseError('SQL_LOGIN_FAILED', `SQL Server at ${where} refused the login: ${msg}`, {
      cause: e,
      remedy:
        'check User Id / Password, or (Entra) that the identity has a database user: `CREATE USER [name] FROM EXTERNAL PROVIDER` (migration 0007) and that Database= names that database',
    });
  // CREATE USER … FROM EXTERNAL PROVIDER: 33130 (principal not found / type not supported) and
  // 33134 (could not be resolved — e.g. "Server identity does not have Azure Active Directory
  // Readers permission"): Azure SQL resolves the name in Entra through the server's identity.
  if (number === 33130 || number === 33134 || /principal '.*' could not be (found|resolved)/i.test(msg))
    return new StreamPulseError('SQL_PRINCIPAL_UNRESOLVED', `${where}: ${msg} (while ${doing})`, {
      cause: e,
      remedy:
        "the SQL server's identity needs the Entra role Directory Readers (or Graph User.Read.All, GroupMember.Read.All, Application.Read.All) to create users FROM EXTERNAL PROVIDER; and the principal must exist with exactly that display name (the stack's names: `streampulse sql apply --stack <env>`, or --metabase-principal / --loader-principal)",
    });
  if (number === 208 || number === 2812 || /invalid object name|could not find stored procedure/i.test(msg))
    return new StreamPulseError('SQL_OBJECT_MISSING', `${where}: ${msg} (while ${doing})`, {
      cause: e,
      remedy: 'apply the serving migrations first: `streampulse sql apply --connection "…"`',
    });
  if (number === 229 || number === 230 || number === 262 || /permission was denied/i.test(msg))
    return new StreamPulseError('SQL_PERMISSION_DENIED', `${where}: ${msg} (while ${doing})`, {
      cause: e,
      remedy: 'run with an identity in the streampulse_loader role (serve load) or a database owner / Entra admin (sql apply)',
    });
  return new StreamPulseError('SQL_FAILED', `${where}: SQL Server error${number === undefined ? '' : ` ${number}`} while ${doing}: ${msg}`, {
    cause: e,
    remedy: 'read the SQL Server message above; the statement that failed is named in it',
  });
}

/** Opens a pool; every failure is a StreamPulseError. */
export async function connectMssql(connectionString: string, options: ConnectOptions = {}): Promise<{ pool: mssql.ConnectionPool; where: string }> {
  const settings = parseConnectionString(connectionString);
  const where = `${settings.server},${settings.port}/${settings.database}`;
  const config = await mssqlConfig(settings, options);
  const pool = new mssql.ConnectionPool(config);
  pool.on('error', () => undefined); // idle-connection errors surface on the next request
  try {
    await pool.connect();
  } catch (e) {
    await pool.close().catch(() => undefined);
    throw describeMssqlError(e, where, 'connecting');
  }
  return { pool, where };
}

export interface ApplyEvent {
  readonly migration: string;
  readonly action: 'apply' | 'skip' | 'applied';
  readonly batches: number;
}

export interface ApplyResult {
  readonly applied: readonly string[];
  readonly skipped: readonly string[];
}

/**
 * Applies the migrations: creates the journal if missing, then runs each migration
 * that is new or whose checksum changed — all its batches and its journal row in one
 * transaction (a failure rolls the migration back whole; earlier ones stay applied, so
 * a re-run continues with the failed one).
 */
export async function applyMigrations(
  pool: mssql.ConnectionPool,
  where: string,
  migrations: readonly Migration[],
  onProgress?: (e: ApplyEvent) => void,
): Promise<ApplyResult> {
  try {
    for (const b of journalBootstrap()) await pool.request().batch(b);
  } catch (e) {
    throw describeMssqlError(e, where, 'creating the migration journal [ops].[schema_migrations]');
  }
  let journal: Map<string, string>;
  try {
    const r = await pool.request().query<{ migration_id: string; checksum: string }>(`SELECT [migration_id], [checksum] FROM ${SERVING_OBJECTS.journal}`);
    journal = new Map(r.recordset.map((x) => [x.migration_id, x.checksum]));
  } catch (e) {
    throw describeMssqlError(e, where, 'reading the migration journal');
  }
  const applied: string[] = [];
  const skipped: string[] = [];
  for (const m of migrations) {
    if (journal.get(m.id) === m.checksum) {
      skipped.push(m.id);
      onProgress?.({ migration: m.id, action: 'skip', batches: m.batches.length });
      continue;
    }
    onProgress?.({ migration: m.id, action: 'apply', batches: m.batches.length });
    const tx = new mssql.Transaction(pool);
    let batchNo = 0;
    try {
      await tx.begin();
      for (const b of m.batches) {
        batchNo++;
        await new mssql.Request(tx).batch(b);
      }
      batchNo = 0;
      await new mssql.Request(tx)
        .input('id', mssql.NVarChar(128), m.id)
        .input('checksum', mssql.Char(64), m.checksum)
        .input('description', mssql.NVarChar(400), m.description)
        .query(
          `MERGE ${SERVING_OBJECTS.journal} AS t USING (SELECT @id AS [migration_id]) AS s ON t.[migration_id] = s.[migration_id]
WHEN MATCHED THEN UPDATE SET t.[checksum] = @checksum, t.[description] = @description, t.[applied_at] = SYSUTCDATETIME(), t.[applied_by] = SUSER_SNAME()
WHEN NOT MATCHED THEN INSERT ([migration_id], [checksum], [description]) VALUES (@id, @checksum, @description);`,
        );
      await tx.commit();
    } catch (e) {
      await tx.rollback().catch(() => undefined);
      const inner = describeMssqlError(
        e,
        where,
        batchNo > 0 ? `applying ${m.file}, batch ${batchNo} of ${m.batches.length}` : `recording ${m.file} in the journal`,
      );
      throw new StreamPulseError('SQL_MIGRATION_FAILED', `${m.file} was rolled back: ${inner.message}`, {
        cause: e,
        remedy: `${inner.remedy}. Migrations before ${m.id} stay applied; re-run \`streampulse sql apply\` after the fix and it continues with ${m.id}.`,
      });
    }
    applied.push(m.id);
    onProgress?.({ migration: m.id, action: 'applied', batches: m.batches.length });
  }
  return { applied, skipped };
}

function mssqlType(type: string): mssql.ISqlType | (() => mssql.ISqlType) {
  const t = parseLogicalType(type);
  switch (t.base) {
    case 'string':
      return mssql.NVarChar(mssql.MAX);
    case 'integer':
      return mssql.Int;
    case 'bigint':
      return mssql.BigInt;
    case 'double':
      return mssql.Float;
    case 'boolean':
      return mssql.Bit;
    case 'date':
      return mssql.Date;
    case 'timestamp':
      return mssql.DateTime2(3);
    case 'decimal':
      return mssql.Decimal(t.precision ?? 18, t.scale ?? 0);
  }
}

/** A lake value as mssql sends it (dates as UTC Date objects, decimals as numbers). */
export function coerceMssql(v: unknown, type: string): string | number | boolean | Date | null {
  if (v === null || v === undefined) return null;
  switch (parseLogicalType(type).base) {
    case 'date': {
      const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(v));
      return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
    }
    case 'timestamp': {
      const d = new Date(/[zZ]|[+-]\d{2}:?\d{2}$/.test(String(v)) ? String(v) : `${String(v).replace(' ', 'T')}Z`);
      return Number.isNaN(d.getTime()) ? null : d;
    }
    default:
      return lakeScalar(v, type);
  }
}

/** The Azure SQL serving database as a load target (staging by bulk insert, MERGE by the stored procedure). */
export class MssqlTarget implements ServingTarget {
  readonly kind = 'azure-sql' as const;

  constructor(
    private readonly pool: mssql.ConnectionPool,
    readonly where: string,
    private readonly set: ContractSet,
  ) {}

  private async run<T>(doing: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw describeMssqlError(e, this.where, doing);
    }
  }

  async prepare(): Promise<void> {
    const objects = [
      { name: SERVING_OBJECTS.mergeProcedure, type: 'P' },
      { name: servingName('ops', 'serving_load_progress', 'tsql'), type: 'U' },
      ...this.set.marts.map((m) => ({ name: servingName('staging', m.mart, 'tsql'), type: 'U' })),
    ];
    const r = await this.run('checking that the serving migrations ran', () =>
      this.pool
        .request()
        .query<{ name: string; id: number | null }>(
          objects.map((o) => `SELECT N'${o.name}' AS [name], OBJECT_ID(N'${o.name}', N'${o.type}') AS [id]`).join(' UNION ALL '),
        ),
    );
    const missing = r.recordset.filter((x) => x.id === null).map((x) => x.name);
    if (missing.length > 0)
      throw new StreamPulseError('SQL_OBJECT_MISSING', `${this.where} has no ${missing.join(', ')}: the serving migrations have not run (or are out of date)`, {
        remedy: 'apply them first: `streampulse sql apply --connection "…"`',
      });
  }

  async servedAsOf(): Promise<string | undefined> {
    const r = await this.run('reading the date the served marts stand for', () =>
      this.pool.request().query<{ d: string | null }>(`SELECT CONVERT(NCHAR(10), MAX([run_date]), 23) AS [d] FROM [ops].[serving_loads]`),
    );
    return r.recordset[0]?.d ?? undefined;
  }

  async progress(mart: string): Promise<StageProgress | undefined> {
    const r = await this.run('reading the load progress', () =>
      this.pool
        .request()
        .input('mart', mssql.NVarChar(128), mart)
        .query<{ load_id: string; rows_staged: string | number; complete: boolean }>(
          `SELECT [load_id], [rows_staged], [complete] FROM [ops].[serving_load_progress] WHERE [mart] = @mart`,
        ),
    );
    const x = r.recordset[0];
    return x ? { loadId: x.load_id, rowsStaged: Number(x.rows_staged), complete: x.complete } : undefined;
  }

  async stagedRows(mart: string): Promise<number> {
    const r = await this.run(`counting ${mart}'s staged rows`, () =>
      this.pool.request().query<{ n: string | number }>(`SELECT COUNT_BIG(*) AS [n] FROM ${servingName('staging', mart, 'tsql')}`),
    );
    return Number(r.recordset[0]?.n ?? 0);
  }

  private progressSql = `MERGE [ops].[serving_load_progress] AS t USING (SELECT @mart AS [mart]) AS s ON t.[mart] = s.[mart]
WHEN MATCHED THEN UPDATE SET t.[load_id] = @load_id, t.[rows_staged] = @rows, t.[complete] = @complete, t.[updated_at] = SYSUTCDATETIME()
WHEN NOT MATCHED THEN INSERT ([mart], [load_id], [rows_staged], [complete]) VALUES (@mart, @load_id, @rows, @complete);`;

  private progressRequest(r: mssql.Request, mart: string, loadId: string, rows: number, complete: boolean): Promise<unknown> {
    return r
      .input('mart', mssql.NVarChar(128), mart)
      .input('load_id', mssql.Char(64), loadId)
      .input('rows', mssql.BigInt, rows)
      .input('complete', mssql.Bit, complete)
      .query(this.progressSql);
  }

  private async inTransaction(doing: string, f: (tx: mssql.Transaction) => Promise<void>): Promise<void> {
    const tx = new mssql.Transaction(this.pool);
    try {
      await tx.begin();
      await f(tx);
      await tx.commit();
    } catch (e) {
      await tx.rollback().catch(() => undefined);
      throw describeMssqlError(e, this.where, doing);
    }
  }

  async resetStaging(mart: string, loadId: string): Promise<void> {
    await this.inTransaction(`emptying ${mart}'s staging table`, async (tx) => {
      await new mssql.Request(tx).batch(`TRUNCATE TABLE ${servingName('staging', mart, 'tsql')};`);
      await this.progressRequest(new mssql.Request(tx), mart, loadId, 0, false);
    });
  }

  async stageBatch(mart: string, cols: readonly ColumnFacts[], rows: readonly (readonly unknown[])[], loadId: string, rowsStaged: number): Promise<void> {
    const table = new mssql.Table(servingName('staging', mart, 'tsql'));
    table.create = false;
    for (const c of cols) table.columns.add(c.name, mssqlType(c.type), { nullable: true });
    for (const r of rows) table.rows.add(...r.map((v, k) => coerceMssql(v, cols[k]!.type)));
    await this.inTransaction(`staging ${rows.length} rows of ${mart}`, async (tx) => {
      await new mssql.Request(tx).bulk(table);
      await this.progressRequest(new mssql.Request(tx), mart, loadId, rowsStaged, false);
    });
  }

  async markStaged(mart: string, loadId: string): Promise<void> {
    const n = await this.stagedRows(mart);
    await this.run('recording the load progress', () => this.progressRequest(this.pool.request(), mart, loadId, n, true));
  }

  async merge(runDate: string): Promise<MergeCounts[]> {
    try {
      const r = await this.pool.request().input('RunDate', mssql.NVarChar(32), runDate).execute(SERVING_OBJECTS.mergeProcedure);
      // the procedure returns 1 when it merged nothing because the served marts are newer
      if (r.returnValue === 1) throw loadOutdated(this.where, runDate, (await this.servedAsOf()) ?? 'a later date');
    } catch (e) {
      if (e instanceof StreamPulseError) throw e;
      const n = errNumber(e);
      // the procedure's staging checks THROW 501xx with the check's id and description
      if (n !== undefined && n >= 50100 && n < 50999) throw checkFailed(this.where, `check ${n}`, (e as Error).message, []);
      throw describeMssqlError(e, this.where, `running ${SERVING_OBJECTS.mergeProcedure}`);
    }
    const r = await this.run('reading the merge counts', () =>
      this.pool
        .request()
        .query<{ mart: string; staged_rows: string; inserted: string; updated: string; deleted: string }>(
          `SELECT TOP (${this.set.marts.length}) [mart], [staged_rows], [inserted], [updated], [deleted] FROM [ops].[serving_loads] ORDER BY [load_no] DESC`,
        ),
    );
    return r.recordset.map((x) => ({
      mart: x.mart,
      staged: Number(x.staged_rows),
      inserted: Number(x.inserted),
      updated: Number(x.updated),
      deleted: Number(x.deleted),
    }));
  }

  async runTests(checks: readonly ServingCheck[]): Promise<TestResult[]> {
    const out: TestResult[] = [];
    for (const c of checks) {
      const r = await this.run(`running serving test ${c.id}`, () =>
        this.pool.request().query(failingRowsSql(c, 'tsql', (x) => servingName('serving', x, 'tsql'))),
      );
      out.push({ id: c.id, description: describeCheck(c), failures: r.recordset.length, sample: r.recordset.slice(0, 3) });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.pool.close().catch(() => undefined);
  }
}
