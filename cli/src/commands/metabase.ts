/**
 * `streampulse metabase provision`: the dashboard contract into Metabase, idempotently —
 * the Azure SQL serving database entry (Entra managed identity), a collection, one native
 * question per card and the dashboard with its layout and filters (`@streampulse/dashboards`'
 * `provisionMetabase`). A second run changes nothing and says so.
 *
 *   metabase provision --url URL [--api-key KEY] --sql-server HOST --sql-database NAME
 *                      [--identity-client-id GUID] [--database-connection <json|@file>]
 *                      [--dry-run] [--json] [-d DIR]
 * The API key may come from STREAMPULSE_METABASE_API_KEY instead of the flag (keeps it out
 * of the shell history). `--dry-run` only reads (GETs); without --url it plans against an
 * empty Metabase.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { StreamPulseError } from '@streampulse/contracts';
import { MetabaseClient, type PlanItem, provisionMetabase, type ProvisionResult, SQLSERVER_DETAIL_KEYS } from '@streampulse/dashboards';
import type { CliContext } from '../context.js';
import { count, table } from '../output.js';
import { createProgress } from '../progress.js';
import type { CommandModule } from './types.js';

export const METABASE_API_KEY_ENV = 'STREAMPULSE_METABASE_API_KEY';

interface ProvisionOpts {
  url?: string;
  apiKey?: string;
  sqlServer?: string;
  sqlDatabase?: string;
  identityClientId?: string;
  databaseConnection?: string;
  dashboard?: string;
  dir?: string;
  dryRun?: boolean;
  json?: boolean;
  progress: boolean;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `--database-connection`: a JSON object of details keys, inline or `@file`. */
function connectionOption(ctx: CliContext, value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  let text = value;
  if (value.startsWith('@')) {
    const file = ctx.resolvePath(value.slice(1));
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new StreamPulseError('METABASE_BAD_CONNECTION', `cannot read --database-connection file ${ctx.display(file)}`, {
        remedy: 'pass @<file> with a readable JSON file, or the JSON itself',
        cause: e,
      });
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new StreamPulseError('METABASE_BAD_CONNECTION', '--database-connection is not valid JSON', {
      remedy: `pass a JSON object of connection details, e.g. '{"user":"reader","password":"…"}' (keys: ${SQLSERVER_DETAIL_KEYS.join(', ')})`,
      cause: e,
    });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new StreamPulseError('METABASE_BAD_CONNECTION', '--database-connection must be a JSON object', {
      remedy: `pass an object of connection details (keys: ${SQLSERVER_DETAIL_KEYS.join(', ')})`,
    });
  return parsed as Record<string, unknown>;
}

function urlOption(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new StreamPulseError('METABASE_BAD_URL', `--url ${url} is not a URL`, {
      remedy: "pass the Metabase site's root, e.g. --url https://metabase.example.org",
    });
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new StreamPulseError('METABASE_BAD_URL', `--url ${url} is not an http(s) URL`, {
      remedy: "pass the Metabase site's root, e.g. --url https://metabase.example.org",
    });
  return url;
}

const objectLabel = (i: PlanItem): string =>
  i.kind === 'card' ? (i.action === 'archive' ? `question #${i.id}` : `question ${i.key}`) : i.kind === 'database' ? 'database' : i.kind;

function summaryOf(r: ProvisionResult): Record<'create' | 'update' | 'unchanged' | 'archive', number> {
  const s = { create: 0, update: 0, unchanged: 0, archive: 0 };
  for (const i of r.items) s[i.action]++;
  return s;
}

function humanLines(ctx: CliContext, r: ProvisionResult): string[] {
  const rows = r.items.map((i) => [objectLabel(i), i.name, i.action, i.changes.join(', ')]);
  const lines = table(['OBJECT', 'NAME', 'ACTION', 'CHANGES'], rows, ctx.style);
  const where = r.url === null ? 'an empty Metabase (no --url; ids unresolved)' : `Metabase at ${r.url}`;
  const s = summaryOf(r);
  if (!r.changed) lines.push('', `nothing to change: ${where} matches the contracts (${count(r.items.length, 'object')} unchanged)`);
  else {
    const done = (n: number, verb: string, past: string): string => (n === 0 ? '' : r.dryRun ? `${n} to ${verb}` : `${n} ${past}`);
    const parts = [done(s.create, 'create', 'created'), done(s.update, 'update', 'updated'), done(s.archive, 'archive', 'archived')];
    if (s.unchanged > 0) parts.push(`${s.unchanged} unchanged`);
    const list = parts.filter((p) => p !== '').join(', ');
    lines.push('', r.dryRun ? `planned against ${where}: ${list} (dry run: nothing was changed)` : `provisioned ${where}: ${list}`);
  }
  return lines;
}

export const metabaseCommand: CommandModule = {
  name: 'metabase',
  register(program: Command, ctx: CliContext): void {
    const group = program.command('metabase').description('Metabase: provision the dashboard contract (database entry, collection, questions, dashboard)');
    group
      .command('provision')
      .description(
        'create or update, idempotently, the serving database entry, the collection, one native question per card and the dashboard (layout, filters) in Metabase',
      )
      .option('--url <url>', "the Metabase site's root (without it only --dry-run works: a plan against an empty Metabase)")
      .option('--api-key <key>', `a Metabase API key (or set ${METABASE_API_KEY_ENV})`)
      .option('--sql-server <host>', 'the Azure SQL server host of the serving database, e.g. sql-spulse-dev.database.windows.net')
      .option('--sql-database <name>', 'the serving database name')
      .option('--identity-client-id <guid>', "client id of Metabase's user-assigned managed identity (Entra authentication to Azure SQL)")
      .option(
        '--database-connection <json|@file>',
        'a JSON object of sqlserver connection details (host, port, db, user, password, ssl, additional-options, …) merged over the managed-identity defaults',
      )
      .option('--dashboard <name>', 'the dashboard contract (default: the only one)')
      .option('-d, --dir <dir>', 'contract folder (default: <workspace>/contracts/streampulse)')
      .option('--dry-run', 'print the plan (create / update with the changed fields / unchanged); read only')
      .option('--no-progress', 'no progress lines on stderr')
      .option('--json', 'print the plan or the result as JSON')
      .addHelpText(
        'after',
        '\nAuthentication to Azure SQL: Entra managed identity (mssql-jdbc authentication=ActiveDirectoryManagedIdentity; no user or\n' +
          'password). The identity must be a user of the serving database in the reader role (`streampulse sql apply` creates it).\n' +
          `API key: header x-api-key; from --api-key or ${METABASE_API_KEY_ENV} (e.g. set from the Key Vault secret).\n` +
          'Exit codes: 0 success, 1 failure, 2 usage error.',
      )
      .action(async (opts: ProvisionOpts) => {
        ctx.jsonMode = opts.json === true;
        const dryRun = opts.dryRun === true;
        if (opts.url === undefined && !dryRun)
          throw new StreamPulseError('METABASE_NO_URL', 'provisioning needs the Metabase to provision: pass --url', {
            remedy: 'pass --url https://<metabase>, or --dry-run to see the plan against an empty Metabase',
          });
        if (opts.identityClientId !== undefined && !GUID.test(opts.identityClientId))
          throw new StreamPulseError('METABASE_BAD_CLIENT_ID', `--identity-client-id ${opts.identityClientId} is not a GUID`, {
            remedy: "pass the managed identity's client id (az identity show --query clientId), e.g. 0b0c6e3c-1d2e-4f5a-8b9c-0d1e2f3a4b5c",
          });
        let client: MetabaseClient | undefined;
        if (opts.url !== undefined) {
          const key = opts.apiKey ?? (ctx.env[METABASE_API_KEY_ENV] === '' ? undefined : ctx.env[METABASE_API_KEY_ENV]);
          if (key === undefined)
            throw new StreamPulseError('METABASE_NO_API_KEY', `no Metabase API key: pass --api-key or set ${METABASE_API_KEY_ENV}`, {
              remedy: `create one in Metabase (Admin settings → Authentication → API keys, Administrators group) and set ${METABASE_API_KEY_ENV}`,
            });
          client = new MetabaseClient({ url: urlOption(opts.url), apiKey: key });
        }
        const connection = connectionOption(ctx, opts.databaseConnection);
        const set = ctx.loadValid(ctx.contractsDir(opts.dir));
        const progress = createProgress(ctx.stderr, ctx.interactive, opts.progress && !ctx.jsonMode && !dryRun);
        if (client !== undefined && !dryRun) progress.done(`provisioning Metabase at ${client.url}…`);
        const r = await provisionMetabase(set, {
          client,
          dryRun,
          dashboard: opts.dashboard,
          database: { host: opts.sqlServer, database: opts.sqlDatabase, identityClientId: opts.identityClientId, connection },
          onProgress: (line) => progress.done(line),
        });
        if (ctx.jsonMode) {
          ctx.printJson({
            ok: true,
            dryRun: r.dryRun,
            url: r.url,
            changed: r.changed,
            summary: summaryOf(r),
            objects: r.items.map((i) => ({ kind: i.kind, key: i.key, name: i.name, action: i.action, id: i.id, changes: i.changes, payload: i.payload })),
            unresolved: r.unresolved,
          });
          return;
        }
        ctx.print(...humanLines(ctx, r));
      });
  },
};
