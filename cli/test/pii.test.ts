import { afterAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContractsOrThrow } from '@streampulse/contracts';
import { piiReport } from '@streampulse/sql';
import { ROOT, run } from './run.js';

const SHIPPED = join(ROOT, 'contracts', 'streampulse');

/** The shipped contracts with users.email kept in silver and served as is by a small mart (as sql's pii-fixture). */
const served = mkdtempSync(join(tmpdir(), 'sp-cli-pii-'));
cpSync(SHIPPED, served, { recursive: true });
const users = join(served, 'datasets', 'users.yaml');
writeFileSync(users, readFileSync(users, 'utf8').replace(/pii:\n {6}class: email\n {6}policy: pseudonymise/, 'pii:\n      class: email\n      policy: keep'));
writeFileSync(
  join(served, 'marts', 'analytics_account_contacts.yaml'),
  `mart: analytics_account_contacts
version: 1.0.0
owner: analytics-engineering@streampulse.example
domain: customer
description: Test fixture - a mart serving a personal column, to see it masked.
grain: [email]
from:
  dataset: users
  alias: u
dimensions:
  - name: email
    type: string
    expr: u.email
    description: The account's e-mail address as silver holds it.
measures:
  - name: distinct_addresses
    type: bigint
    expr: count(distinct u.email)
    definition: Distinct addresses (an aggregate reveals no address).
`,
);
afterAll(() => rmSync(served, { recursive: true, force: true }));

describe('streampulse contracts pii', () => {
  it('text, shipped contracts: every PII column with its silver policy; nothing served; the roles', async () => {
    const r = await run(['contracts', 'pii', '--dir', SHIPPED]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const set = loadContractsOrThrow(SHIPPED);
    const ids = set.datasets.flatMap((d) => d.columns.filter((c) => c.pii).map((c) => `${d.dataset}.${c.name}`));
    expect(ids.length).toBeGreaterThanOrEqual(5);
    for (const id of ids) expect(r.out).toMatch(new RegExp(`^${id.replace('.', '\\.')}  class `, 'm'));
    expect(r.out).toContain(`${ids.length} PII columns (`);
    expect(r.out).toContain('0 served columns carry a PII value');
    expect(r.out).toMatch(
      /^users\.full_name {2}class person_name, policy drop\n {2}silver {3}dropped \(never reaches silver\)\n {2}reaches {2}nothing\n {2}served {3}no served column derives from it$/m,
    );
    expect(r.out).toMatch(/^users\.email {2}class email, policy pseudonymise\n {2}silver {3}pseudonymised/m);
    expect(r.out).toMatch(/^ {4}analytics_funnel_conversion\.\w+ {2}derived without its value/m);
    expect(r.out).toMatch(/^ {2}streampulse_reader +reader: SELECT on SCHEMA::\[serving\]; UNMASK no$/m);
  });

  it('a served PII column (users.email kept, served by a mart): its mask and who reads it, masked or not', async () => {
    const r = await run(['contracts', 'pii', '--dir', served]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('1 served column carries a PII value');
    expect(r.out).toContain(
      [
        '    analytics_account_contacts.distinct_addresses  derived without its value (an aggregate, grouping, join or filter): not masked',
        '    analytics_account_contacts.email  serves the value, masked with email() on [gold] and [staging], read as [serving].[analytics_account_contacts]',
        '      streampulse_reader   masked    via [serving].[analytics_account_contacts]',
        '      streampulse_loader   masked    via [staging].[analytics_account_contacts]',
        '      administrators       UNMASKED  via [gold].[analytics_account_contacts]',
      ].join('\n'),
    );
  });

  it('markdown: a table row per PII column with served value, mask and readers', async () => {
    const r = await run(['contracts', 'pii', '--dir', served, '--format', 'markdown']);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('## PII columns');
    const header = lines.findIndex((l) => l.startsWith('| PII column |'));
    expect(lines[header + 1]).toBe('|---|---|---|---|---|---|---|');
    const rows = lines.slice(header + 2, lines.indexOf('', header));
    expect(rows.length).toBe(piiReport(loadContractsOrThrow(served)).columns.length);
    for (const row of rows) expect(row.split(/(?<!\\)\|/).length).toBe(9); // 7 cells
    expect(rows).toContain(
      '| `users.email` | email | kept | 0 / 2 / 0 | `analytics_account_contacts.email` | `email()` | streampulse_reader (masked, via [serving].[analytics_account_contacts])<br>streampulse_loader (masked, via [staging].[analytics_account_contacts])<br>administrators (value, via [gold].[analytics_account_contacts]) |',
    );
    expect(rows).toContain('| `users.full_name` | person_name | dropped | 0 / 0 / 0 | none | — | — |');
    expect(r.out).toContain('| `streampulse_reader` | reader | `SCHEMA::[serving]` | no |');
  });

  it('json equals piiReport of @streampulse/sql; --json is --format json; a bad format is a usage error', async () => {
    const r = await run(['contracts', 'pii', '--dir', served, '--format', 'json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as Record<string, unknown>;
    expect(doc.ok).toBe(true);
    const want = JSON.parse(JSON.stringify(piiReport(loadContractsOrThrow(served)))) as Record<string, unknown>;
    expect(doc.columns).toEqual(want.columns);
    expect(doc.roles).toEqual(want.roles);
    expect((await run(['contracts', 'pii', '--dir', served, '--json'])).out).toBe(r.out);
    const bad = await run(['contracts', 'pii', '--dir', served, '--format', 'html']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--format must be one of text, markdown, json, got "html"');
    const both = await run(['contracts', 'pii', '--dir', served, '--json', '--format', 'markdown']);
    expect(both.code).toBe(2);
  });
});
