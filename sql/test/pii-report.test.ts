import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMINISTRATORS, maskFor, piiReport, servingColumns, servingGrants, servingMigrations, type PiiColumn } from '@streampulse/sql';
import { edit, load, piiFixture, shippedFiles } from './contract-fixtures.js';

const GOLDEN = join(__dirname, 'golden');
const byId = (cols: readonly PiiColumn[], id: string): PiiColumn => {
  const c = cols.find((x) => x.id === id);
  if (!c) throw new Error(`${id} not in the report: ${cols.map((x) => x.id).join(', ')}`);
  return c;
};

describe('piiReport: the shipped contracts', () => {
  const set = load(shippedFiles());
  const report = piiReport(set);

  it('lists every column the contracts classify as PII, sorted, with its class and policy', () => {
    const declared = set.datasets
      .flatMap((d) => d.columns.filter((c) => c.pii).map((c) => ({ id: `${d.dataset}.${c.name}`, class: c.pii!.class, policy: c.pii!.policy })))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(declared.length).toBeGreaterThanOrEqual(5);
    expect(report.columns.map((c) => ({ id: c.id, class: c.class, policy: c.policy }))).toEqual(declared);
  });

  it('a dropped column (users.full_name) never reaches silver, so nothing derives from it', () => {
    const c = byId(report.columns, 'users.full_name');
    expect(c.silver).toBe('dropped');
    expect(c.reaches).toEqual({ silver: [], gold: [], marts: [], cards: [] });
    expect(c.served).toEqual([]);
    expect(c.valueServed).toBe(false);
  });

  it('the pseudonymised e-mail stops in silver: no served derivative', () => {
    const c = byId(report.columns, 'users.email');
    expect(c.silver).toBe('pseudonymised');
    expect(c.reaches.silver).toEqual(['silver:users.email']);
    expect(c.served).toEqual([]);
  });

  it('a pseudonymised id (funnel_events.anonymous_id) reaches gold, marts and a card through the pseudonymise edge, without its value being served', () => {
    const c = byId(report.columns, 'funnel_events.anonymous_id');
    expect(c.silver).toBe('pseudonymised');
    expect(c.reaches.gold).toContain('gold:fact_funnel.anonymous_id');
    expect(c.reaches.marts.length).toBeGreaterThan(0);
    expect(c.reaches.cards.length).toBeGreaterThan(0);
    expect(c.served.map((s) => `${s.mart}.${s.column}`)).toEqual(c.reaches.marts.map((id) => id.slice('mart:'.length)));
    for (const s of c.served) {
      // the serving tracer (what decides masking) agrees: no PII value in the served column
      expect(s.carriesValue).toBe(false);
      expect(servingColumns(set, set.marts.find((m) => m.mart === s.mart)!).find((f) => f.name === s.column)!.pii).toEqual([]);
      expect(s.mask).toBeUndefined();
      expect(s.readers).toEqual([]);
    }
  });

  it('no served column carries a PII value, as 0006_masking (golden) masks nothing', () => {
    expect(report.columns.some((c) => c.valueServed)).toBe(false);
    expect(readFileSync(join(GOLDEN, 'streampulse', '0006_masking.sql'), 'utf8')).toContain('nothing is masked');
  });

  it('the roles are the grants of 0007_roles_and_grants (golden): reader SELECTs serving, loader staging, no UNMASK', () => {
    const golden = readFileSync(join(GOLDEN, 'streampulse', '0007_roles_and_grants.sql'), 'utf8');
    for (const g of servingGrants()) {
      const on = g.object === undefined ? `SCHEMA::[${g.schema}]` : `OBJECT::[${g.schema}].[${g.object}]`;
      expect(golden).toContain(`GRANT ${g.permissions.join(', ')} ON ${on} TO [${g.role}];`);
    }
    expect(golden.match(/^GRANT /gm)?.length).toBe(servingGrants().length);
    expect(golden).not.toMatch(/GRANT[^;]*UNMASK/);
    expect(report.roles).toEqual([
      { role: 'streampulse_reader', kind: 'reader', selects: ['SCHEMA::[serving]'], unmask: false },
      {
        role: 'streampulse_loader',
        kind: 'loader',
        selects: ['SCHEMA::[staging]', '[ops].[serving_load_progress]', '[ops].[schema_migrations]'],
        unmask: false,
      },
    ]);
  });
});

describe('piiReport: the pii-fixture (users.email kept and served by analytics_account_contacts)', () => {
  const set = load(piiFixture('email', 'keep'));
  const report = piiReport(set);
  const email = byId(report.columns, 'users.email');

  it('the served e-mail carries the value, masked with the mask 0006_masking (golden) puts on it', () => {
    expect(email.silver).toBe('kept');
    expect(email.valueServed).toBe(true);
    const served = email.served.find((s) => s.mart === 'analytics_account_contacts' && s.column === 'email')!;
    expect(served.carriesValue).toBe(true);
    expect(served.view).toBe('[serving].[analytics_account_contacts]');
    expect(served.mask).toBe('email()');
    const golden = readFileSync(join(GOLDEN, 'pii-fixture', '0006_masking.sql'), 'utf8');
    expect(golden).toContain(`ALTER TABLE [gold].[analytics_account_contacts] ALTER COLUMN [email] ADD MASKED WITH (FUNCTION = '${served.mask}');`);
  });

  it('who reads it: the reader masked through the view, the loader masked in staging, administrators unmasked', () => {
    const served = email.served.find((s) => s.column === 'email')!;
    expect(served.readers).toEqual([
      { role: 'streampulse_reader', via: '[serving].[analytics_account_contacts]', masked: true },
      { role: 'streampulse_loader', via: '[staging].[analytics_account_contacts]', masked: true },
      { role: ADMINISTRATORS, via: '[gold].[analytics_account_contacts]', masked: false },
    ]);
    // staging, the copy target that holds the loaded values between loads, carries the same mask as gold
    const staging = servingMigrations(set).find((m) => m.id === '0002_staging_tables')!.text;
    expect(staging).toContain(`[email] NVARCHAR(MAX) MASKED WITH (FUNCTION = '${served.mask}') NULL`);
  });

  it('an aggregate of the e-mail (count distinct) reaches the mart but serves no value and is not masked', () => {
    const agg = email.served.find((s) => s.column === 'distinct_addresses')!;
    expect(agg.carriesValue).toBe(false);
    expect(agg.mask).toBeUndefined();
    expect(agg.readers).toEqual([]);
  });

  it('the mask follows the class and policy through maskFor: pseudonymised → default(), phone kept → partial', () => {
    const pseudo = byId(piiReport(load(piiFixture('email', 'pseudonymise'))).columns, 'users.email');
    expect(pseudo.served.find((s) => s.column === 'email')?.mask).toBe('default()');
    const phone = byId(piiReport(load(piiFixture('phone', 'keep'))).columns, 'users.email');
    const col = phone.served.find((s) => s.column === 'email')!;
    expect(col.mask).toBe(maskFor({ type: 'string', pii: [{ class: 'phone', policy: 'keep', source: 'users.email' }] }));
    expect(col.mask).toBe('partial(0,"XXX-XXX-",4)');
    const dropped = byId(
      piiReport(load(edit(piiFixture('email', 'keep'), 'analytics_account_contacts.yaml', 'expr: u.email\n', `expr: "'redacted'"\n`))).columns,
      'users.email',
    );
    expect(dropped.valueServed).toBe(false);
  });

  it('the readers come from the grants of the serving options: a renamed reader role is the one reported', () => {
    expect(servingGrants({ readerRole: 'bi_reader' }).map((g) => g.role)).toContain('bi_reader');
    const col = byId(piiReport(set, { readerRole: 'bi_reader' }).columns, 'users.email').served.find((s) => s.column === 'email')!;
    expect(col.readers.map((r) => r.role)).toEqual(['bi_reader', 'streampulse_loader', ADMINISTRATORS]);
  });
});
