/**
 * The CLI's edge of the serving layer: the stack's principals for the migrations, and
 * the generated `sql/` folder on disk. The load itself (the lake's gold marts as a source,
 * the target a command asks for) is the rehearsal's (`@streampulse/rehearsal`).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { StreamPulseError, type ContractSet } from '@streampulse/contracts';
import { isStackName, loadStack, servingPrincipals, STACKS } from '@streampulse/infra';
import { servingMigrations, servingTests, servingTestsSql, splitBatches, type Migration, type ServingOptions } from '@streampulse/sql';

/**
 * The serving options the CLI generates with: the principals are the stack's (infra's
 * `servingPrincipals`: the factory's system-assigned identity carries the factory's name,
 * Metabase's user-assigned identity its own), for `--stack` (default dev), unless given.
 */
export function cliServingOptions(root: string, o: { metabasePrincipal?: string; loaderPrincipal?: string; stack?: string } = {}): ServingOptions {
  const stack = o.stack ?? 'dev';
  if (!isStackName(stack)) throw new StreamPulseError('CLI_BAD_STACK', `unknown stack '${stack}'`, { remedy: `pass --stack ${STACKS.join(' or --stack ')}` });
  const principals = servingPrincipals(loadStack(root, stack).config);
  return { readerPrincipals: [o.metabasePrincipal ?? principals.metabase], loaderPrincipals: [o.loaderPrincipal ?? principals.dataFactory] };
}

/** Writes `<out>/sql` (migrations, migrations.json, tests/serving_tests.sql), replacing it; returns the relative paths. */
export function writeSqlDir(set: ContractSet, out: string, options: ServingOptions): string[] {
  const dir = join(out, 'sql');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'tests'), { recursive: true });
  const migrations = servingMigrations(set, options);
  const written: string[] = [];
  for (const m of migrations) {
    writeFileSync(join(dir, m.file), m.text);
    written.push(`sql/${m.file}`);
  }
  const index = { migrations: migrations.map((m) => ({ id: m.id, file: m.file, description: m.description, batches: m.batches.length, checksum: m.checksum })) };
  writeFileSync(join(dir, 'migrations.json'), `${JSON.stringify(index, null, 2)}\n`);
  written.push('sql/migrations.json');
  writeFileSync(join(dir, 'tests', 'serving_tests.sql'), servingTestsSql(servingTests(set)));
  written.push('sql/tests/serving_tests.sql');
  return written;
}

/** Reads the migrations of a generated `sql/` folder (or its parent) as they are on disk. */
export function readMigrationsDir(dirIn: string): Migration[] {
  const dir = existsSync(join(dirIn, 'sql')) && !existsSync(join(dirIn, '0001_schemas.sql')) ? join(dirIn, 'sql') : dirIn;
  if (!existsSync(dir))
    throw new StreamPulseError('SQL_NO_MIGRATIONS', `${dir} does not exist`, { remedy: 'pass --from the sql/ folder written by `streampulse generate --out DIR` (DIR/sql)' });
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  if (files.length === 0)
    throw new StreamPulseError('SQL_NO_MIGRATIONS', `${dir} holds no migration files (NNNN_name.sql)`, { remedy: 'pass --from the sql/ folder written by `streampulse generate --out DIR` (DIR/sql)' });
  return files.map((file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    const id = basename(file, '.sql');
    const description = /^-- StreamPulse serving database, migration [^:]+: (.*)$/m.exec(text)?.[1] ?? id;
    return { id, file, description, batches: splitBatches(text), text, checksum: createHash('sha256').update(text).digest('hex') };
  });
}

/** The lake's gold marts (Parquet), read with DuckDB; the fingerprint is the file's SHA-256. */
