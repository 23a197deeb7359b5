/**
 * The Azure SQL serving migrations generated from the contracts: golden files
 * (UPDATE_GOLDEN=1 rewrites them; jobs/python/tests/test_tsql_parse.py parses every
 * golden file with sqlglot's T-SQL parser), and that types, masking, row-level security
 * and grants follow the contracts — change a PII class or the RLS column in a fixture
 * and the output changes accordingly.
 */
import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  maskFor,
  PII_MASKS,
  servingColumns,
  servingMigrations,
  servingOptions,
  servingTests,
  servingTestsSql,
  splitBatches,
  SERVING_OBJECTS,
  tsqlGoldType,
  type Migration,
} from '@streampulse/sql';
import { PII_CLASSES, type ContractSet } from '@streampulse/contracts';
import { edit, load, piiFixture, ROOT, shippedFiles } from './contract-fixtures.js';

const GOLDEN = join(ROOT, 'sql', 'test', 'golden');
const SHIPPED = load(shippedFiles());

const text = (ms: readonly Migration[], id: string): string => ms.find((m) => m.id.endsWith(id))!.text;
const byId = (ms: readonly Migration[]): Record<string, string> => Object.fromEntries(ms.map((m) => [m.id, m.text]));

/** The golden folders: the shipped contracts, and the shipped contracts plus a mart serving a kept e-mail. */
const SCENARIOS: Record<string, ContractSet> = {
  streampulse: SHIPPED,
  'pii-fixture': load(piiFixture('email', 'keep')),
};

function files(set: ContractSet): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of servingMigrations(set)) out[m.file] = m.text;
  out['serving_tests.sql'] = servingTestsSql(servingTests(set));
  return out;
}

describe('servingMigrations (T-SQL)', () => {
  it('matches the golden files (UPDATE_GOLDEN=1 rewrites them)', () => {
    for (const [name, set] of Object.entries(SCENARIOS)) {
      const dir = join(GOLDEN, name);
      const want = files(set);
      if (process.env['UPDATE_GOLDEN'] === '1') {
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        for (const [f, t] of Object.entries(want)) writeFileSync(join(dir, f), t);
      }
      expect(existsSync(dir) ? readdirSync(dir).sort() : []).toStrictEqual(Object.keys(want).sort());
      for (const [f, t] of Object.entries(want))
        expect({ file: `${name}/${f}`, text: readFileSync(join(dir, f), 'utf8') }).toStrictEqual({ file: `${name}/${f}`, text: t });
    }
  });

  it('is ordered, deterministic, and each file is its batches separated by GO lines with a SHA-256 checksum', () => {
    const a = servingMigrations(SHIPPED);
    expect(a.map((m) => m.id)).toStrictEqual([
      '0001_schemas',
      '0002_staging_tables',
      '0003_gold_tables',
      '0004_serving_views',
      '0005_load_procedures',
      '0006_masking',
      '0007_roles_and_grants',
      '0008_row_level_security',
    ]);
    expect(byId(servingMigrations(load(shippedFiles())))).toStrictEqual(byId(a));
    for (const m of a) {
      expect(m.checksum).toBe(createHash('sha256').update(m.text).digest('hex'));
      expect(splitBatches(m.text)).toStrictEqual(m.batches);
      expect(m.text).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:/); // no timestamps
    }
  });

  it('creates the schemas, staging tables, typed gold tables keyed by the grain, and one view per mart with the contract columns', () => {
    const ms = servingMigrations(SHIPPED);
    for (const s of ['staging', 'gold', 'serving', 'security'])
      expect(text(ms, 'schemas')).toContain(`IF SCHEMA_ID(N'${s}') IS NULL EXEC(N'CREATE SCHEMA [${s}] AUTHORIZATION [dbo]');`);
    expect(text(ms, 'schemas')).toContain('CREATE TABLE [ops].[schema_migrations]');
    for (const m of SHIPPED.marts) {
      const cols = servingColumns(SHIPPED, m);
      expect(text(ms, 'staging_tables')).toContain(`CREATE TABLE [staging].[${m.mart}]`);
      expect(text(ms, 'gold_tables')).toContain(`CREATE TABLE [gold].[${m.mart}]`);
      expect(text(ms, 'serving_views')).toContain(
        `CREATE OR ALTER VIEW [serving].[${m.mart}]\nAS\nSELECT\n${cols.map((c) => `  [${c.name}]`).join(',\n')}\nFROM [gold].[${m.mart}];`,
      );
      for (const g of m.grain) expect(text(ms, 'gold_tables')).toMatch(new RegExp(`\\[${g}\\] [A-Z0-9(),]+ NOT NULL`));
    }
    const gold = text(ms, 'gold_tables');
    // the mapping table with the contracts' bounds: enforced ASCII codes → VARCHAR(longest), bounded text → NVARCHAR(n)
    expect(gold).toContain('[region] VARCHAR(7) NOT NULL');
    expect(gold).toContain('[plan_tier] VARCHAR(8) NOT NULL');
    expect(gold).toContain('[content_id] NVARCHAR(64) NOT NULL');
    expect(gold).toContain('[mrr] DECIMAL(14,2) NULL');
    expect(gold).toContain('[churn_rate] FLOAT NULL');
    expect(gold).toContain('[is_original] BIT NOT NULL');
    expect(gold).toContain('[month] DATE NOT NULL');
    expect(gold).toContain(
      "CONSTRAINT [ck_analytics_subscription_health_region] CHECK ([region] COLLATE Latin1_General_100_BIN2 IN (N'APAC', N'EMEA', N'LATAM', N'NA', N'UNKNOWN'))",
    );
    expect(gold).toContain('CONSTRAINT [pk_analytics_kpi_monthly] PRIMARY KEY CLUSTERED ([_grain_key])');
  });

  it('creates exactly the procedures Data Factory calls, with its parameters', () => {
    const load = text(servingMigrations(SHIPPED), 'load_procedures');
    expect(SERVING_OBJECTS.mergeProcedure).toBe('[serving].[usp_merge_marts]');
    expect(load).toContain('CREATE OR ALTER PROCEDURE [serving].[usp_merge_marts]\n  @RunDate NVARCHAR(32)\nWITH EXECUTE AS OWNER');
    expect(load).toContain(
      'CREATE OR ALTER PROCEDURE [ops].[usp_record_pipeline_run]\n  @PipelineName NVARCHAR(140),\n  @RunId NVARCHAR(64),\n  @RunDate NVARCHAR(32),\n  @Status NVARCHAR(16),\n  @Detail NVARCHAR(4000) = NULL',
    );
    for (const m of SHIPPED.marts) {
      expect(load).toContain(`CREATE OR ALTER PROCEDURE [gold].[usp_merge_${m.mart}]`);
      expect(load).toContain(`EXEC [gold].[usp_merge_${m.mart}] @RunDate = @run_date;`);
    }
    // one transaction for every mart, after the staging checks
    expect(load.indexOf('THROW 50100, @failed, 1;')).toBeLessThan(load.indexOf('BEGIN TRANSACTION;'));
    expect(load.match(/BEGIN TRANSACTION;/g)).toHaveLength(1);
    // idempotent MERGE: unchanged rows are not updated
    expect(load).toMatch(/WHEN MATCHED AND EXISTS \(SELECT \[s\]\.\[active_users\], .* EXCEPT SELECT \[t\]\.\[active_users\], .*\) THEN/);
  });

  it('never moves serving back in time: a @RunDate before the newest merged load rolls back before any MERGE and returns 1', () => {
    const load = text(servingMigrations(SHIPPED), 'load_procedures');
    const master = load.slice(
      load.indexOf('CREATE OR ALTER PROCEDURE [serving].[usp_merge_marts]'),
      load.indexOf('CREATE OR ALTER PROCEDURE [ops].[usp_record_pipeline_run]'),
    );
    const guard = [
      'BEGIN TRANSACTION;',
      '  -- the newest merged load, locked until the commit: a concurrent load waits, then sees this one',
      '  DECLARE @served DATE = (SELECT MAX([run_date]) FROM [ops].[serving_loads] WITH (UPDLOCK, HOLDLOCK));',
      '  IF @served IS NOT NULL AND @run_date < @served',
      '    ROLLBACK TRANSACTION;',
      '  IF @served IS NOT NULL AND @run_date < @served',
      '    RETURN 1;',
      `  EXEC [gold].[usp_merge_${SHIPPED.marts[0]!.mart}] @RunDate = @run_date;`,
    ].join('\n');
    // inside the one transaction, after the staging checks, before the first mart's MERGE;
    // an equal date merges (a re-run of the newest batch is idempotent), only an older one is skipped
    expect(master).toContain(guard);
    expect(master.indexOf('THROW 50100, @failed, 1;')).toBeLessThan(master.indexOf(guard));
    // every mart procedure records its load in ops.serving_loads, which the guard reads
    for (const m of SHIPPED.marts) expect(load).toContain(`SELECT @RunDate, N'${m.mart}', (SELECT COUNT_BIG(*) FROM [staging].[${m.mart}]),`);
  });
});

describe('column facts traced through the models', () => {
  it('knows the enforced values, the string bounds and that no shipped mart serves personal data', () => {
    const health = servingColumns(SHIPPED, SHIPPED.marts.find((m) => m.row_level_security)!);
    expect(health.find((c) => c.name === 'region')).toMatchObject({ grain: true, maxLength: 7, domain: ['APAC', 'EMEA', 'LATAM', 'NA', 'UNKNOWN'], pii: [] });
    for (const m of SHIPPED.marts)
      for (const c of servingColumns(SHIPPED, m)) expect({ col: `${m.mart}.${c.name}`, pii: c.pii }).toStrictEqual({ col: `${m.mart}.${c.name}`, pii: [] });
    expect(text(servingMigrations(SHIPPED), 'masking')).toContain('No served column derives from a PII column');
  });

  it('traces PII through expressions but not through count/sum/avg', () => {
    const set = load(piiFixture('email', 'keep'));
    const cols = servingColumns(set, set.marts.find((m) => m.mart === 'analytics_account_contacts')!);
    expect(cols.find((c) => c.name === 'email')!.pii).toStrictEqual([{ class: 'email', policy: 'keep', source: 'users.email' }]);
    expect(cols.find((c) => c.name === 'email')!.maxLength).toBe(320);
    expect(cols.find((c) => c.name === 'distinct_addresses')!.pii).toStrictEqual([]);
    // a pseudonym is 64 hex characters, whatever the source's bound
    const pseud = load(piiFixture('email', 'pseudonymise'));
    expect(servingColumns(pseud, pseud.marts.find((m) => m.mart === 'analytics_account_contacts')!).find((c) => c.name === 'email')!.maxLength).toBe(64);
  });
});

describe('dynamic data masking follows the PII classes', () => {
  const maskOf = (cls: string, policy: string): string | undefined => {
    const set = load(piiFixture(cls, policy));
    const m = /ALTER TABLE \[gold\]\.\[analytics_account_contacts\] ALTER COLUMN \[email\] ADD MASKED WITH \(FUNCTION = '([^']+)'\);/.exec(
      text(servingMigrations(set), 'masking'),
    );
    return m?.[1];
  };

  it('changes the masking function when the fixture changes the column class', () => {
    expect(maskOf('email', 'keep')).toBe('email()');
    expect(maskOf('phone', 'keep')).toBe('partial(0,"XXX-XXX-",4)');
    expect(maskOf('payment_card', 'keep')).toBe('partial(0,"XXXX-XXXX-XXXX-",4)');
    expect(maskOf('person_name', 'keep')).toBe('partial(1,"XXXXX",0)');
    // a pseudonym has none of the class's format: masked whole
    expect(maskOf('email', 'pseudonymise')).toBe('default()');
  });

  it('masks nothing an aggregate hides, and drops stale masks of other gold columns', () => {
    const t = text(servingMigrations(load(piiFixture('email', 'keep'))), 'masking');
    expect(t.match(/ADD MASKED/g)).toHaveLength(1);
    expect(t).toContain('-- analytics_account_contacts.email derives from users.email (email, keep)');
    expect(t).toContain("FROM (VALUES (N'analytics_account_contacts', N'email')) AS [k] ([tbl], [col])");
    expect(t).toContain('DROP MASKED');
  });

  it('masks a served PII column on its staging table too, inline, so re-creating the table keeps the mask', () => {
    const migrations = servingMigrations(load(piiFixture('email', 'keep')));
    const staging = text(migrations, 'staging_tables');
    // CREATE TABLE … column type MASKED WITH (FUNCTION = '…'): the documented column-definition form
    expect(staging).toContain("[email] NVARCHAR(MAX) MASKED WITH (FUNCTION = 'email()') NULL");
    expect(staging.match(/MASKED WITH/g)).toHaveLength(1); // the aggregate serves no value
    // a pseudonym has none of its class's format: masked whole, on staging as on gold
    expect(text(servingMigrations(load(piiFixture('email', 'pseudonymise'))), 'staging_tables')).toContain(
      "[email] NVARCHAR(MAX) MASKED WITH (FUNCTION = 'default()') NULL",
    );
    // the shipped contracts serve no PII value: no staging column is masked
    expect(text(servingMigrations(SHIPPED), 'staging_tables')).not.toContain('MASKED');
  });

  it('has a function for every PII class; a non-string or mixed-class value is masked whole', () => {
    expect(Object.keys(PII_MASKS).sort()).toStrictEqual([...PII_CLASSES].sort());
    expect(maskFor({ type: 'date', pii: [{ class: 'birth_date', policy: 'keep', source: 'x.y' }] })).toBe('default()');
    expect(
      maskFor({
        type: 'string',
        pii: [
          { class: 'email', policy: 'keep', source: 'x.a' },
          { class: 'phone', policy: 'keep', source: 'x.b' },
        ],
      }),
    ).toBe('default()');
    expect(maskFor({ type: 'string', pii: [] })).toBeUndefined();
  });
});

describe('row-level security follows the contracts', () => {
  it('filters the shipped subscription health mart by region for the claim of its contract', () => {
    const t = text(servingMigrations(SHIPPED), 'row_level_security');
    expect(t).toContain('CREATE OR ALTER FUNCTION [security].[fn_rls_analytics_subscription_health] (@region VARCHAR(7))\nRETURNS TABLE\nWITH SCHEMABINDING');
    expect(t).toContain("AND [a].[claim] = N'extension_streampulse_region'");
    expect(t).toContain(
      'CREATE SECURITY POLICY [security].[rls_analytics_subscription_health]\n  ADD FILTER PREDICATE [security].[fn_rls_analytics_subscription_health]([region]) ON [gold].[analytics_subscription_health]\n  WITH (STATE = ON, SCHEMABINDING = ON);',
    );
    // the policy is dropped before the function is altered, then created again
    expect(t.indexOf('DROP SECURITY POLICY IF EXISTS [security].[rls_analytics_subscription_health];')).toBeLessThan(
      t.indexOf('CREATE OR ALTER FUNCTION [security].[fn_rls_analytics_subscription_health]'),
    );
    expect(t.match(/CREATE SECURITY POLICY/g)).toHaveLength(1);
    // the Metabase principal sees every region; nobody else is seeded
    expect(t).toContain("USING (VALUES (N'id-streampulse-metabase', N'extension_streampulse_region', N'*'))");
  });

  it('moves with the contract: another column and claim, or none', () => {
    const moved = load(
      edit(
        shippedFiles(),
        'analytics_subscription_health.yaml',
        /row_level_security:\n {2}column: region\n {2}principal_claim: extension_streampulse_region/,
        'row_level_security:\n  column: plan_tier\n  principal_claim: extension_streampulse_tier',
      ),
    );
    const t = text(servingMigrations(moved), 'row_level_security');
    expect(t).toContain('(@plan_tier VARCHAR(8))');
    expect(t).toContain('[security].[fn_rls_analytics_subscription_health]([plan_tier]) ON [gold].[analytics_subscription_health]');
    expect(t).toContain("N'extension_streampulse_tier'");
    const none = load(
      edit(
        shippedFiles(),
        'analytics_subscription_health.yaml',
        /row_level_security:\n {2}column: region\n {2}principal_claim: extension_streampulse_region\n/,
        '',
      ),
    );
    const u = text(servingMigrations(none), 'row_level_security');
    expect(u).not.toContain('CREATE SECURITY POLICY');
    expect(u).toContain(
      'DROP SECURITY POLICY IF EXISTS [security].[rls_analytics_subscription_health];\nDROP FUNCTION IF EXISTS [security].[fn_rls_analytics_subscription_health];',
    );
  });
});

describe('roles, grants and Entra principals', () => {
  const grants = (t: string): string[] => t.split('\n').filter((l) => /^(GRANT|DENY|REVOKE)\b/.test(l));

  it('grants least privilege: readers select the served views only, loaders write staging and run the load procedures', () => {
    const t = text(servingMigrations(SHIPPED), 'roles_and_grants');
    expect(grants(t)).toStrictEqual([
      'GRANT SELECT ON SCHEMA::[serving] TO [streampulse_reader];',
      'GRANT SELECT, INSERT, DELETE, ALTER ON SCHEMA::[staging] TO [streampulse_loader];',
      'GRANT EXECUTE ON OBJECT::[serving].[usp_merge_marts] TO [streampulse_loader];',
      'GRANT EXECUTE ON OBJECT::[ops].[usp_record_pipeline_run] TO [streampulse_loader];',
      'GRANT SELECT, INSERT, UPDATE, DELETE ON OBJECT::[ops].[serving_load_progress] TO [streampulse_loader];',
      'GRANT SELECT ON OBJECT::[ops].[schema_migrations] TO [streampulse_loader];',
    ]);
    const all = servingMigrations(SHIPPED)
      .map((m) => m.text)
      .join('\n');
    expect(all.split('\n').filter((l) => !l.startsWith('--'))).not.toContainEqual(expect.stringMatching(/UNMASK|db_owner|CONTROL/));
    expect(grants(all).filter((g) => /SCHEMA::\[(gold|security)\]/.test(g))).toStrictEqual([]);
  });

  it('creates the Entra users FROM EXTERNAL PROVIDER and adds them to their roles', () => {
    const t = text(servingMigrations(SHIPPED, { readerPrincipals: ['mi-metabase-prod'], loaderPrincipals: ['adf-streampulse-prod'] }), 'roles_and_grants');
    expect(t).toContain("IF DATABASE_PRINCIPAL_ID(N'mi-metabase-prod') IS NULL CREATE USER [mi-metabase-prod] FROM EXTERNAL PROVIDER;");
    expect(t).toContain("IF IS_ROLEMEMBER(N'streampulse_reader', N'mi-metabase-prod') = 0 ALTER ROLE [streampulse_reader] ADD MEMBER [mi-metabase-prod];");
    expect(t).toContain(
      "IF IS_ROLEMEMBER(N'streampulse_loader', N'adf-streampulse-prod') = 0 ALTER ROLE [streampulse_loader] ADD MEMBER [adf-streampulse-prod];",
    );
    expect(text(servingMigrations(SHIPPED, { readerPrincipals: ['mi-metabase-prod'] }), 'row_level_security')).toContain(
      "(N'mi-metabase-prod', N'extension_streampulse_region', N'*')",
    );
  });

  it('rejects a principal name that cannot be quoted safely', () => {
    expect(() => servingOptions({ readerPrincipals: ['x]; DROP TABLE t; --'] })).toThrow(expect.objectContaining({ code: 'SQL_BAD_PRINCIPAL' }));
    expect(() => servingOptions({ loaderPrincipals: [''] })).toThrow(expect.objectContaining({ code: 'SQL_BAD_PRINCIPAL' }));
  });
});

describe('gold types', () => {
  it('keeps every key within SQL Server limits: the clustered key is a 32-byte grain hash; every CHECKed column is bounded', () => {
    for (const m of SHIPPED.marts)
      for (const c of servingColumns(SHIPPED, m)) {
        const t = tsqlGoldType(c);
        expect(t).toMatch(/^(N?VARCHAR\((\d+|MAX)\)|INT|BIGINT|FLOAT|BIT|DATE|DATETIME2\(3\)|DECIMAL\(\d+,\d+\))$/);
        if (c.grain && c.type === 'string') expect(t).not.toContain('MAX');
      }
  });
});
