/**
 * The CLI's edge of the serving layer: the stack's principals for the migrations, and
 * reading a generated `sql/` folder back (the `sql` target of `generate` writes it). The
 * load itself (the lake's gold marts as a source, the target a command asks for) is the
 * rehearsal's (`@streampulse/rehearsal`).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { StreamPulseError } from '@streampulse/contracts';
import { loadStack, servingPrincipals, type StackConfig } from '@streampulse/infra';
import { splitBatches, type Migration, type ServingOptions } from '@streampulse/sql';
import { stackOption } from './stack-option.js';

/**
 * The serving options the CLI generates with: the principals are the stack's (infra's
 * `servingPrincipals`: the factory's system-assigned identity carries the factory's name,
 * Metabase's user-assigned identity its own), for `--stack` (default dev), unless given.
 */
export function cliServingOptions(root: string, o: PrincipalOptions & { stack?: string } = {}): ServingOptions {
  return stackServingOptions(loadStack(root, stackOption(o.stack ?? 'dev')).config, o);
}

export interface PrincipalOptions {
  metabasePrincipal?: string | undefined;
  loaderPrincipal?: string | undefined;
}

/** The same for a stack's config already loaded (what `generate` holds). */
export function stackServingOptions(config: StackConfig, o: PrincipalOptions = {}): ServingOptions {
  const principals = servingPrincipals(config);
  return { readerPrincipals: [o.metabasePrincipal ?? principals.metabase], loaderPrincipals: [o.loaderPrincipal ?? principals.dataFactory] };
}

/** Reads the migrations of a generated `sql/` folder (or its parent) as they are on disk. */
export function readMigrationsDir(dirIn: string): Migration[] {
  const dir = existsSync(join(dirIn, 'sql')) && !existsSync(join(dirIn, '0001_schemas.sql')) ? join(dirIn, 'sql') : dirIn;
  if (!existsSync(dir))
    throw new StreamPulseError('SQL_NO_MIGRATIONS', `${dir} does not exist`, {
      remedy: 'pass --from the sql/ folder written by `streampulse generate --out DIR` (DIR/sql)',
    });
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  if (files.length === 0)
    throw new StreamPulseError('SQL_NO_MIGRATIONS', `${dir} holds no migration files (NNNN_name.sql)`, {
      remedy: 'pass --from the sql/ folder written by `streampulse generate --out DIR` (DIR/sql)',
    });
  return files.map((file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    const id = basename(file, '.sql');
    const description = /^-- StreamPulse serving database, migration [^:]+: (.*)$/m.exec(text)?.[1] ?? id;
    return { id, file, description, batches: splitBatches(text), text, checksum: createHash('sha256').update(text).digest('hex') };
  });
}

/** The lake's gold marts (Parquet), read with DuckDB; the fingerprint is the file's SHA-256. */
