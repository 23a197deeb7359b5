/**
 * `streampulse contracts export --format odcs` and the `odcs` mapping (`cli/src/generate/odcs.ts`):
 * the fixture contracts as ODCS v3.2.0 documents — a dataset's PII classification, quality
 * rules (ODCS library metrics nullValues / duplicateValues / invalidValues, SQL checks for
 * range and referential rules) and SLA (latency = the contract's freshness, retention,
 * completeness); a mart's Azure SQL server, grain key and T-SQL types. The documents are
 * linted by datacontract-cli in jobs/python/tests/test_odcs_export.py.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContractsOrThrow } from '@streampulse/contracts';
import { GENERATED_MARKER, ODCS_API_VERSION, odcsDocuments, odcsLogicalType, type OdcsServers } from '@streampulse/cli';
import { FIXTURES, run, VALID } from './run.js';

const TMP = mkdtempSync(join(tmpdir(), 'sp-odcs-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const SET = loadContractsOrThrow(join(FIXTURES, 'valid'));
const SERVERS: OdcsServers = { environment: 'prod', lakeAccount: 'stacmelakeprod', sqlServer: 'acme-sql-prod', sqlDatabase: 'sqldb-acme-serving' };
const DOCS = odcsDocuments(SET, SERVERS);
const doc = (path: string): string => {
  const d = DOCS[path];
  if (d === undefined) throw new Error(`no ${path}`);
  return d;
};
/** `lines` as consecutive lines of `text`, each indented by `indent` spaces. */
const block = (indent: number, ...lines: string[]): string => lines.map((l) => `${' '.repeat(indent)}${l}`).join('\n');

describe('ODCS mapping', () => {
  it('one document per dataset, gold model and mart, in name order, all ODCS v3.2.0 (the version datacontract-cli 1.2.8 lints)', () => {
    expect(ODCS_API_VERSION).toBe('v3.2.0');
    expect(Object.keys(DOCS)).toStrictEqual([
      'datasets/playbacks.odcs.yaml',
      'datasets/subscribers.odcs.yaml',
      'models/dim_subscriber.odcs.yaml',
      'models/fact_playback.odcs.yaml',
      'marts/analytics_watch_daily.odcs.yaml',
    ]);
    for (const text of Object.values(DOCS))
      expect(text).toMatch(/^# ODCS v3\.2\.0 data contract of .*\napiVersion: v3\.2\.0\nkind: DataContract\nid: "streampulse:/);
    expect(odcsDocuments(SET, SERVERS)).toStrictEqual(DOCS); // deterministic
    expect(['string', 'integer', 'bigint', 'double', 'decimal(12,2)', 'boolean', 'date', 'timestamp'].map(odcsLogicalType)).toStrictEqual([
      'string',
      'integer',
      'integer',
      'number',
      'number',
      'boolean',
      'date',
      'timestamp',
    ]);
  });

  it('a dataset with PII, rules and SLA: identity, owner, the silver table on ADLS, classification, library metrics, latency from freshness_hours', () => {
    const d = doc('datasets/subscribers.odcs.yaml');
    expect(d).toContain('name: subscribers\nversion: "1.2.0"\nstatus: active\ndomain: customer\ndataProduct: streampulse\n');
    expect(d).toContain('  purpose: Subscriber accounts, one record per change.\n');
    expect(d).toContain('location: "abfss://silver@stacmelakeprod.dfs.core.windows.net/subscribers"\n    format: delta\n');
    expect(d).toContain(block(4, 'type: azure', 'environment: prod'));
    // the key column: required, primary key, unique, critical; its not_null rule as ODCS nullValues
    expect(d).toContain(
      block(
        6,
        '- id: subscribers_subscriber_id',
        '  name: subscriber_id',
        '  physicalName: subscriber_id',
        '  logicalType: string',
        '  physicalType: STRING',
        '  description: Account id.',
        '  required: true',
        '  primaryKey: true',
        '  primaryKeyPosition: 1',
        '  unique: true',
        '  criticalDataElement: true',
        '  quality:',
        '    - id: subscribers_not_null_1',
        '      name: not_null_1',
        '      dimension: completeness',
        '      severity: error',
        '      customProperties:',
        '        - property: action',
        '          value: quarantine',
        '      type: library',
        '      metric: nullValues',
        '      mustBe: 0',
      ),
    );
    // PII: classification, tags and the class / silver policy
    expect(d).toContain(
      block(
        8,
        'description: "Login e-mail. (PII: email, pseudonymised in silver (salted SHA-256))"',
        'required: false',
        'classification: restricted',
        'tags:',
        '  - pii',
        '  - pii-email',
        'customProperties:',
        '  - property: piiClass',
        '    value: email',
        '  - property: piiPolicy',
        '    value: pseudonymise',
      ),
    );
    expect(d).toContain('    value: drop\n');
    expect(d).toContain('  limitations: "Personal data: email (email, pseudonymise), full_name (person_name, drop).');
    // a warn regex rule: invalidValues with the pattern, severity warning; max_length as maxLength
    expect(d).toContain(block(8, 'logicalTypeOptions:', '  maxLength: 2'));
    expect(d).toContain(
      block(
        12,
        'severity: warning',
        'customProperties:',
        '  - property: action',
        '    value: warn',
        'type: library',
        'metric: invalidValues',
        'arguments:',
        '  pattern: "^[A-Z]{2}$"',
        'mustBe: 0',
      ),
    );
    // SLA: freshness_hours (26) as latency on the event time, retention, completeness
    expect(d).toContain(block(2, '- id: subscribers_latency', '  property: latency', '  value: 26', '  unit: h', '  element: subscribers.updated_at'));
    expect(d).toContain(block(2, '- id: subscribers_retention', '  property: retention', '  value: 730', '  unit: d'));
    expect(d).toContain(block(2, '- id: subscribers_completeness', '  property: completeness', '  value: 99', '  unit: percent'));
    // the owner: team member and support channel
    expect(d).toMatch(
      /\nteam:\n {2}name: (\S+)\n {2}members:\n {4}- username: \1\n {6}role: owner\nsupport:\n {2}- channel: \1\n {4}tool: email\n {4}url: "mailto:\1"\n/,
    );
  });

  it('range and referential rules become SQL checks over the silver tables; a one-column unique rule a property duplicateValues', () => {
    const d = doc('datasets/playbacks.odcs.yaml');
    expect(d).toContain(
      'query: "SELECT COUNT(*) FROM `playbacks` t LEFT JOIN `subscribers` r ON t.`subscriber_id` = r.`subscriber_id` WHERE t.`subscriber_id` IS NOT NULL AND r.`subscriber_id` IS NULL"',
    );
    expect(d).toContain('query: "SELECT COUNT(*) FROM `playbacks` WHERE `completion_pct` < 0 OR `completion_pct` > 100"');
    expect(d).toMatch(
      /- id: playbacks_unique_3\n {12}name: unique_3\n {12}dimension: uniqueness\n {12}severity: error\n(?: {12,}.*\n)*? {12}metric: duplicateValues\n/,
    );
    expect(d).toContain('frequency\n    value: 1\n    unit: h'); // an hourly source
  });

  it('a mart: the served view on the Azure SQL server, the grain as primary key, T-SQL types, measures as critical with their expression', () => {
    const m = doc('marts/analytics_watch_daily.odcs.yaml');
    expect(m).toContain(
      block(
        2,
        '- server: serving-prod',
        '  type: sqlserver',
        '  environment: prod',
        '  description: the Azure SQL serving database',
        '  host: acme-sql-prod.database.windows.net',
        '  port: 1433',
        '  database: sqldb-acme-serving',
        '  schema: serving',
      ),
    );
    expect(m).toContain('    physicalType: view\n');
    expect(m).toContain(block(8, 'physicalType: "NVARCHAR(2)"', 'description: Country of the viewer.', 'primaryKey: true', 'primaryKeyPosition: 2'));
    expect(m).toContain(block(8, 'criticalDataElement: true', 'transformLogic: "count(distinct f.subscriber_id)"'));
    expect(m).toContain(block(10, '- property: metric', '  value: active_viewers'));
    expect(m).toContain(block(8, 'metric: duplicateValues', 'arguments:', '  properties:', '    - play_date', '    - country', 'mustBe: 0'));
    expect(m).toContain('  - property: rowLevelSecurityColumn\n');
  });

  it('without the stack names the documents have no servers', () => {
    for (const text of Object.values(odcsDocuments(SET))) expect(text).not.toContain('\nservers:');
  });
});

describe('streampulse contracts export --format odcs', () => {
  it('writes the documents to --out, owned by the odcs target, the same bytes every time', async () => {
    const out = join(TMP, 'odcs');
    const a = await run(['contracts', 'export', '--format', 'odcs', '--out', out, '--dir', VALID]);
    expect([a.code, a.err]).toStrictEqual([0, '']);
    expect(a.out).toMatch(/^wrote 5 files to .*odcs: ODCS v3\.2\.0 data contracts of 2 datasets, 2 models and 1 mart\n$/);
    expect(readdirSync(out).sort()).toStrictEqual([GENERATED_MARKER, 'datasets', 'marts', 'models']);
    expect(readFileSync(join(out, GENERATED_MARKER), 'utf8').split('\n')[0]).toBe('odcs');
    const first = readFileSync(join(out, 'datasets', 'subscribers.odcs.yaml'), 'utf8');
    // the default stack (dev) names the lake account
    expect(first).toContain('location: "abfss://silver@stspulselakedev.dfs.core.windows.net/subscribers"');
    const again = await run(['contracts', 'export', '--format', 'odcs', '--out', out, '--dir', VALID, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ ok: true, format: 'odcs', apiVersion: 'v3.2.0', out });
    expect(readFileSync(join(out, 'datasets', 'subscribers.odcs.yaml'), 'utf8')).toBe(first);
  });

  it('an unknown format and a folder it did not write are refused, nothing written', async () => {
    const bad = await run(['contracts', 'export', '--format', 'avro', '--out', join(TMP, 'avro'), '--dir', VALID]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("error EXPORT_UNKNOWN_FORMAT: unknown export format 'avro'");
    const mine = join(TMP, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'notes.txt'), 'mine\n');
    const refused = await run(['contracts', 'export', '--format', 'odcs', '--out', mine, '--dir', VALID]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('GENERATE_FOLDER_NOT_OURS');
    expect(readdirSync(mine)).toStrictEqual(['notes.txt']);
  });
});
