import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContractValidationError, formatIssue, loadContractFiles, loadContracts, loadContractsOrThrow, type InMemoryFile } from '@streampulse/contracts';
import { BROKEN_CASES } from './broken-cases.js';

const FIXTURES = join(process.cwd(), 'contracts', 'test', 'fixtures');
const VALID = join(FIXTURES, 'valid');
const BROKEN = join(FIXTURES, 'broken');

function validFiles(): InMemoryFile[] {
  return readdirSync(VALID)
    .sort()
    .map((f) => ({ file: f, text: readFileSync(join(VALID, f), 'utf8') }));
}

/** The valid set with the case folder's files replacing (or added to) it. */
function caseFiles(name: string): InMemoryFile[] {
  const over = readdirSync(join(BROKEN, name)).sort();
  const base = validFiles().filter((f) => !over.includes(f.file));
  return [...base, ...over.map((f) => ({ file: f, text: readFileSync(join(BROKEN, name, f), 'utf8') }))];
}

describe('valid fixture set', () => {
  it('loads with no issue and sorts every kind by name', () => {
    const r = loadContracts(VALID, { displayBase: FIXTURES });
    expect(r.issues).toEqual([]);
    const c = r.contracts!;
    expect(c.datasets.map((d) => d.dataset)).toEqual(['payments', 'users']);
    expect(c.models.map((m) => m.model)).toEqual(['dim_user', 'fact_payments']);
    expect(c.marts.map((m) => m.mart)).toEqual(['analytics_revenue']);
    expect(c.dashboards[0]!.cards.map((x) => x.id)).toEqual(['revenue_trend']);
    expect(c.datasets[0]!.file).toBe(join('valid', 'payments.yaml'));
    expect(r.files.every((f) => f.valid)).toBe(true);
  });

  it('applies documented defaults (required false, retention, scd type 1, empty quality)', () => {
    const c = loadContractsOrThrow(VALID);
    const users = c.datasets.find((d) => d.dataset === 'users')!;
    expect(users.columns.find((x) => x.name === 'region')!.required).toBe(false);
    expect(users.retention).toEqual({ landing_days: 30, bronze_days: 365, silver_days: 730, quarantine_days: 90 });
    const payments = c.datasets.find((d) => d.dataset === 'payments')!;
    expect(payments.silver.scd).toEqual({ type: 1 });
    expect(payments.silver.conform).toEqual([]);
  });
});

describe('broken fixtures: every problem reported with file, line, column, field and remedy', () => {
  it('has a fixture folder for every case in the table and vice versa', () => {
    expect(readdirSync(BROKEN).sort()).toEqual(BROKEN_CASES.map((c) => c.case).sort());
  });

  for (const c of BROKEN_CASES) {
    it(`${c.case}: ${c.first.code} at ${c.first.file}:${c.first.line}:${c.first.column}`, () => {
      const r = loadContractFiles(caseFiles(c.case));
      expect(r.contracts).toBeUndefined();
      expect(r.issues).toHaveLength(c.issueCount);
      expect(r.issues[0]).toEqual(c.first);
    });
  }
});

describe('reporting', () => {
  it('reports problems of several files in one pass, sorted by file and line', () => {
    const files = validFiles().map((f) => {
      if (f.file === 'users.yaml') return { ...f, text: f.text.replace('format: jsonl', 'format: parquet') };
      if (f.file === 'dashboard.yaml') return { ...f, text: f.text.replace('measures: [revenue]', 'measures: [revenu]') };
      return f;
    });
    const r = loadContractFiles(files);
    expect(r.issues.map((i) => `${i.file}:${i.line} ${i.code}`)).toEqual(['dashboard.yaml:12 CONTRACT_UNKNOWN_MEASURE', 'users.yaml:8 CONTRACT_INVALID_VALUE']);
    expect(r.issues[0]!.message).toBe('mart "analytics_revenue" has no measure "revenu" — did you mean "revenue"?');
  });

  it('formats an issue as file:line:column field: message, fix and code', () => {
    const r = loadContractFiles(caseFiles('unknown_field'));
    expect(formatIssue(r.issues[0]!)).toBe(
      'users.yaml:37:5 columns[3].requred: unknown field "requred" — did you mean "required"?\n' +
        '    fix: rename "requred" to "required"  [CONTRACT_UNKNOWN_FIELD]',
    );
  });

  it('loadContractsOrThrow throws one error carrying every issue, with a code and a remedy', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-contracts-'));
    for (const f of caseFiles('unknown_metric')) writeFileSync(join(dir, f.file), f.text);
    let caught: unknown;
    try {
      loadContractsOrThrow(dir, { displayBase: dir });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ContractValidationError);
    const err = caught as ContractValidationError;
    expect(err.code).toBe('CONTRACT_INVALID');
    expect(err.issues).toHaveLength(1);
    expect(err.message).toContain('analytics_revenue.yaml:29:13 measures[0].metric');
    expect(err.remedy).toContain('streampulse contracts validate');
  });

  it('names a missing directory, an empty directory and a missing metrics file', () => {
    expect(loadContracts('/nonexistent/contracts').issues[0]!.code).toBe('CONTRACT_DIR_MISSING');
    const empty = mkdtempSync(join(tmpdir(), 'sp-empty-'));
    expect(loadContracts(empty).issues[0]!.code).toBe('CONTRACT_DIR_EMPTY');
    const r = loadContractFiles(
      validFiles().filter((f) => f.file !== 'metrics.yaml'),
      'contracts/x',
    );
    expect(r.issues.map((i) => i.code)).toContain('CONTRACT_METRICS_MISSING');
    expect(r.issues.find((i) => i.code === 'CONTRACT_METRICS_MISSING')!.file).toBe('contracts/x');
  });

  it('points inside a block-scalar expression at the exact line and column', () => {
    const files = validFiles().map((f) =>
      f.file === 'analytics_revenue.yaml'
        ? {
            ...f,
            text: f.text.replace(
              '    expr: count(distinct case when f.is_successful then f.user_id end)',
              '    expr: |\n      count(distinct\n        case when f.is_successful then f.user end)',
            ),
          }
        : f,
    );
    const r = loadContractFiles(files);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ code: 'CONTRACT_UNKNOWN_COLUMN', line: 34, column: 40, path: 'measures[1].expr' });
    expect(
      files
        .find((f) => f.file === 'analytics_revenue.yaml')!
        .text.split('\n')[33]!
        .slice(39),
    ).toBe('f.user end)');
  });

  it('does not cascade: references to a contract whose own file is invalid are not reported again', () => {
    const r = loadContractFiles(caseFiles('unknown_field'));
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]!.file).toBe('users.yaml');
  });
});

describe('mart relationships (dimensions[].references) and row-level security', () => {
  /** The valid set plus a monthly calendar mart the revenue mart may reference. */
  const CALENDAR = `mart: analytics_calendar
version: 1.0.0
owner: analytics@example.test
domain: billing
description: One row per month with payments.
grain: [month]
from:
  model: fact_payments
  alias: f
dimensions:
  - name: month
    type: date
    expr: f.payment_month
    description: Calendar month.
measures:
  - name: payments
    type: bigint
    expr: count(*)
    definition: Payments in the month.
`;
  const withRevenue = (dimPatch: string, extra = ''): InMemoryFile[] => {
    const files = validFiles().map((f) =>
      f.file === 'analytics_revenue.yaml'
        ? {
            ...f,
            text:
              f.text.replace(
                '    expr: f.payment_month\n    description: Calendar month.\n',
                `    expr: f.payment_month\n    description: Calendar month.\n${dimPatch}`,
              ) + extra,
          }
        : f,
    );
    return [...files, { file: 'analytics_calendar.yaml', text: CALENDAR }];
  };

  it('accepts a reference to a mart whose grain is that column, with the same type', () => {
    const r = loadContractFiles(withRevenue('    references: { mart: analytics_calendar, column: month }\n'));
    expect(r.issues).toEqual([]);
    expect(r.contracts!.marts.find((m) => m.mart === 'analytics_revenue')!.dimensions[0]!.references).toEqual({ mart: 'analytics_calendar', column: 'month' });
  });

  it('names an unknown mart, an unknown column, a non-unique target and a type mismatch', () => {
    const issue = (patch: string) => loadContractFiles(withRevenue(patch)).issues.map((i) => [i.code, i.path, i.message]);
    expect(issue('    references: { mart: analytics_calender, column: month }\n')).toEqual([
      [
        'CONTRACT_UNKNOWN_MART',
        'dimensions[0].references.mart',
        'dimension "month" references mart "analytics_calender", which does not exist — did you mean "analytics_calendar"?',
      ],
    ]);
    expect(issue('    references: { mart: analytics_calendar, column: months }\n')).toEqual([
      ['CONTRACT_UNKNOWN_DIMENSION', 'dimensions[0].references.column', 'mart "analytics_calendar" has no dimension "months" — did you mean "month"?'],
    ]);
    expect(issue('    references: { mart: analytics_revenue, column: month }\n')).toEqual([
      ['CONTRACT_REFERENCE_NOT_UNIQUE', 'dimensions[0].references.column', '"analytics_revenue.month" is not unique: that mart\'s grain is (month, region)'],
    ]);
    const typed = withRevenue('    references: { mart: analytics_calendar, column: month }\n').map((f) =>
      f.file === 'analytics_calendar.yaml' ? { ...f, text: f.text.replace('    type: date', '    type: string') } : f,
    );
    expect(loadContractFiles(typed).issues.map((i) => i.code)).toEqual(['CONTRACT_REFERENCE_TYPE']);
  });

  it('row-level security: a string/integer dimension and a well-formed claim name', () => {
    const rls = (col: string, claim: string) =>
      loadContractFiles(withRevenue('', `row_level_security:\n  column: ${col}\n  principal_claim: ${claim}\n`)).issues.map((i) => [i.code, i.path]);
    expect(rls('region', 'extension_sales_region')).toEqual([]);
    expect(rls('month', 'extension_sales_region')).toEqual([['CONTRACT_RLS_COLUMN_TYPE', 'row_level_security.column']]);
    expect(rls('region', '"x\'; drop"')).toEqual([['CONTRACT_INVALID_VALUE', 'row_level_security.principal_claim']]);
    expect(rls('regoin', 'extension_sales_region')).toEqual([['CONTRACT_UNKNOWN_DIMENSION', 'row_level_security.column']]);
  });
});
