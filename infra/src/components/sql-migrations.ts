/**
 * SqlMigrations: the generated Azure SQL serving migrations (`servingMigrations` of
 * @streampulse/sql, the same pure function `streampulse generate` / `sql apply` call),
 * applied by `pulumi up` to the serving database through a dynamic resource
 * (`sql-migrations-provider.ts`).
 *
 * The Entra principals of `CREATE USER … FROM EXTERNAL PROVIDER` are the names this
 * program gives them: Metabase's user-assigned identity (reader role, sees every
 * row-level-secured row) and the Data Factory, whose system-assigned identity is named
 * after the factory (loader role). The resource's inputs are the server's FQDN and the
 * database's name (outputs of the Sql component's resources), the principals and every
 * migration file with its checksum — no credential: the deployment identity's Entra
 * token is fetched when the migrations are applied. It depends on the server (and so on
 * its Entra admin), the database, the network access (firewall rules or private
 * endpoint + DNS) and the two identities (Entra must know a principal before a database
 * user can be created for it).
 */
import * as pulumi from '@pulumi/pulumi';
import { servingMigrations, type Migration, type ServingOptions } from '@streampulse/sql';
import type { Estate } from '../context.js';
import { sqlMigrationsProvider, type MigrationInput, type SqlMigrationsInputs } from '../sql-migrations-provider.js';
import type { DataFactory } from './data-factory.js';
import type { Metabase } from './metabase.js';
import type { Sql } from './sql.js';

/** The Entra principals of the serving database, as this program names them. */
export interface SqlPrincipals {
  /** Metabase's user-assigned identity (reader role). */
  readonly metabase: string;
  /** The Data Factory (its system-assigned identity carries the factory's name; loader role). */
  readonly dataFactory: string;
}

/** The generator options for those principals (what `streampulse sql apply --metabase-principal … --loader-principal …` passes). */
export function servingOptionsFor(p: SqlPrincipals): ServingOptions {
  return { readerPrincipals: [p.metabase], loaderPrincipals: [p.dataFactory] };
}

/** A generated migration as the resource's input: the file and its checksum (the batches are split from the text at apply time). */
export const migrationInput = (m: Migration): MigrationInput => ({ id: m.id, file: m.file, description: m.description, checksum: m.checksum, text: m.text });

type Inputs = { readonly [K in keyof SqlMigrationsInputs]: pulumi.Input<SqlMigrationsInputs[K]> };

/** The dynamic resource (`pulumi-nodejs:dynamic/streampulse:SqlMigrations`). */
export class SqlMigrationsResource extends pulumi.dynamic.Resource {
  /** Migrations the last `pulumi up` ran (new or changed). */
  declare readonly applied: pulumi.Output<string[]>;
  /** Migrations the journal already had with the same checksum. */
  declare readonly unchanged: pulumi.Output<string[]>;

  constructor(name: string, inputs: Inputs, opts?: pulumi.CustomResourceOptions) {
    super(sqlMigrationsProvider(), name, { ...inputs, applied: undefined, unchanged: undefined }, opts, 'streampulse', 'SqlMigrations');
  }
}

export interface SqlMigrationsProps {
  readonly sql: Sql;
  readonly metabase: Metabase;
  readonly dataFactory: DataFactory;
}

export class SqlMigrations extends pulumi.ComponentResource {
  readonly principals: SqlPrincipals;
  /** The generated migrations, in apply order. */
  readonly migrations: readonly Migration[];
  readonly resource: SqlMigrationsResource;

  constructor(name: string, e: Estate, p: SqlMigrationsProps, opts?: pulumi.ComponentResourceOptions) {
    super('streampulse:infra:SqlMigrations', name, {}, opts);
    this.principals = { metabase: p.metabase.identityName, dataFactory: p.dataFactory.factoryName };
    this.migrations = servingMigrations(e.set, servingOptionsFor(this.principals));
    this.resource = new SqlMigrationsResource(
      `${name}-apply`,
      {
        server: p.sql.server.fullyQualifiedDomainName,
        port: 1433,
        database: p.sql.database.name,
        principals: this.principals,
        migrations: this.migrations.map(migrationInput),
      },
      { parent: this, dependsOn: [p.sql.server, p.sql.database, ...p.sql.networkAccess, p.metabase.identity, p.dataFactory.factory] },
    );
    this.registerOutputs({ migrations: this.migrations.map((m) => m.id), principals: this.principals });
  }
}
