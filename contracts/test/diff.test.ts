import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ContractChange,
  type ContractDiff,
  type ContractSet,
  DIFF_FIELD_RULES,
  DIFF_LIST_KEYS,
  DIFF_MAP_PATTERNS,
  diffContracts,
  isWidening,
  loadContractFiles,
  SCHEMAS,
  StreamPulseError,
} from '@streampulse/contracts';
import { z } from 'zod';

const VALID = join(process.cwd(), 'contracts', 'test', 'fixtures', 'valid');
type Files = Map<string, string>;
const fixture = (): Files => new Map(readdirSync(VALID).map((f) => [f, readFileSync(join(VALID, f), 'utf8')]));

/** A copy of `files` with `from` replaced by `to` in `file` (the text must be there). */
function edit(files: Files, file: string, from: string, to: string): Files {
  const text = files.get(file);
  if (text === undefined || !text.includes(from)) throw new Error(`${file} has no ${JSON.stringify(from)}`);
  return new Map([...files, [file, text.replace(from, to)]]);
}
function load(files: Files): { set: ContractSet; texts: Files } {
  const r = loadContractFiles([...files].map(([file, text]) => ({ file, text })));
  if (!r.contracts) throw new Error(r.issues.map((i) => `${i.file}:${i.line} ${i.message}`).join('\n'));
  return { set: r.contracts, texts: files };
}
const diff = (base: Files, head: Files): ContractDiff => diffContracts(load(base), load(head));
/** The one change with this rule (fails when there is none or several). */
function only(d: ContractDiff, rule: string): ContractChange {
  const hits = d.changes.filter((c) => c.rule === rule);
  expect(hits.map((c) => c.rule)).toEqual([rule]);
  return hits[0]!;
}
const impact = (silver: string[], gold: string[], marts: string[], cards: string[]) => ({ silver, gold, marts, cards });
const FULL_PAYMENTS = impact(['payments'], ['fact_payments'], ['analytics_revenue'], ['revenue_board.revenue_trend']);

// A second mart and a card on it, so removals of both can be shown on a valid set.
const EXTRA_MART = `mart: analytics_payers
version: 1.0.0
owner: analytics@example.test
domain: billing
description: Paying users per month.
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
  - name: payers
    type: bigint
    expr: count(distinct f.user_id)
    definition: Users with a payment attempt.
    metric: payers
`;
const EXTRA_CARD = `  - id: payers_trend
    title: Payers trend
    mart: analytics_payers
    visualization: bar
    query:
      dimensions: [month]
      measures: [payers]
    layout: { row: 6, col: 0, width: 12, height: 6 }
`;
const withExtras = (): Files => {
  const f = fixture();
  f.set('analytics_payers.yaml', EXTRA_MART);
  f.set('dashboard.yaml', `${f.get('dashboard.yaml')!}${EXTRA_CARD}`);
  return f;
};

describe('contracts diff: one fixture pair per classification rule (class and impact)', () => {
  it('no change: nothing to report, the gate passes', () => {
    const d = diff(fixture(), fixture());
    expect(d.changes).toEqual([]);
    expect(d.gate).toEqual({ pass: true, failures: [], warnings: [] });
  });

  it('removed dataset column: breaking, reaches the silver table and the gold model that read it', () => {
    const base = fixture();
    let head = edit(base, 'users.yaml', '  - name: signup_at\n    type: timestamp\n    required: true\n    description: When the account was created.\n', '');
    head = edit(
      head,
      'dim_user.yaml',
      "  - name: cohort_month\n    type: date\n    description: Month of signup.\n    expr: date_trunc('month', u.signup_at)\n",
      '',
    );
    const d = diff(base, head);
    const c = only(d, 'dataset.columns[]-');
    expect(c).toMatchObject({ class: 'breaking', op: 'removed', path: 'columns.signup_at', contract: { kind: 'dataset', name: 'users', file: 'users.yaml' } });
    expect(c.line).toBe(38); // the base file's line of the removed column
    expect(c.impact).toEqual(impact(['users'], ['dim_user'], [], []));
    expect(only(d, 'model.columns[]-').impact).toEqual(impact([], ['dim_user'], [], []));
  });

  it('renamed column (same type): one "renamed?" change, still breaking', () => {
    const base = fixture();
    const head = edit(base, 'dim_user.yaml', 'name: cohort_month', 'name: signup_month');
    const c = only(diff(base, head), 'model.columns[]~');
    expect(c).toMatchObject({ class: 'breaking', op: 'renamed', before: 'cohort_month', after: 'signup_month' });
    expect(c.what).toContain('renamed? cohort_month → signup_month');
    expect(c.impact).toEqual(impact([], ['dim_user'], [], []));
  });

  it('narrowed type: breaking, reaches silver, gold, the mart and the card', () => {
    const base = fixture();
    const head = edit(base, 'payments.yaml', 'type: decimal(10,2)', 'type: decimal(8,2)');
    const c = only(diff(base, head), 'dataset.columns[].type');
    expect(c).toMatchObject({ class: 'breaking', path: 'columns.amount.type', before: 'decimal(10,2)', after: 'decimal(8,2)', line: 31 });
    expect(c.what).toContain('narrowed type');
    expect(c.impact).toEqual(FULL_PAYMENTS);
  });

  it('widened type: compatible, with the same impact listing', () => {
    const base = fixture();
    const head = edit(base, 'payments.yaml', 'type: decimal(10,2)', 'type: decimal(12,3)');
    const c = only(diff(base, head), 'dataset.columns[].type');
    expect(c.class).toBe('compatible');
    expect(c.what).toContain('widened type');
    expect(c.impact).toEqual(FULL_PAYMENTS);
  });

  it('changed type (neither wider nor narrower): breaking', () => {
    const base = fixture();
    const head = edit(base, 'analytics_revenue.yaml', '  - name: month\n    type: date', '  - name: month\n    type: timestamp');
    const c = only(diff(base, head), 'mart.dimensions[].type');
    expect(c.class).toBe('breaking');
    expect(c.what).toContain('changed type');
    expect(c.impact).toEqual(impact([], [], ['analytics_revenue'], ['revenue_board.revenue_trend']));
  });

  it('new required column: breaking; new optional column: compatible', () => {
    const base = fixture();
    const col = (req: boolean) => `  - name: currency\n    type: string\n    required: ${req}\n    description: ISO currency.\n  - name: created_at\n`;
    const req = only(diff(base, edit(base, 'payments.yaml', '  - name: created_at\n', col(true))), 'dataset.columns[]+');
    expect(req).toMatchObject({ class: 'breaking', op: 'added', path: 'columns.currency' });
    expect(req.impact).toEqual(impact(['payments'], [], [], []));
    const opt = only(diff(base, edit(base, 'payments.yaml', '  - name: created_at\n', col(false))), 'dataset.columns[]+');
    expect(opt.class).toBe('compatible');
    expect(opt.impact).toEqual(impact(['payments'], [], [], []));
  });

  it('changed key: breaking, reaches everything built on the dataset', () => {
    const base = fixture();
    const head = edit(base, 'payments.yaml', 'primary_key: [payment_id]', 'primary_key: [payment_id, created_at]');
    const c = only(diff(base, head), 'dataset.primary_key');
    expect(c).toMatchObject({ class: 'breaking', line: 17 });
    expect(c.impact).toEqual(FULL_PAYMENTS);
  });

  it('changed grain: breaking, reaches the mart that joins the model and its card', () => {
    const base = fixture();
    const head = edit(base, 'dim_user.yaml', 'grain: one row per user', 'grain: one row per user version');
    const c = only(diff(base, head), 'model.grain');
    expect(c.class).toBe('breaking');
    expect(c.impact).toEqual(impact([], ['dim_user'], ['analytics_revenue'], ['revenue_board.revenue_trend']));
  });

  it('changed metric definition: breaking, reaches the measures that implement it and their cards', () => {
    const base = fixture();
    const head = edit(base, 'metrics.yaml', 'definition: Sum of successful payments in the period.', 'definition: Sum of settled payments in the period.');
    const c = only(diff(base, head), 'metrics.metrics[].definition');
    expect(c).toMatchObject({ class: 'breaking', path: 'metrics.revenue.definition', contract: { kind: 'metrics', name: 'metrics' } });
    expect(c.impact).toEqual(impact([], [], ['analytics_revenue'], ['revenue_board.revenue_trend']));
  });

  it('changed metric formula: breaking; no measure implements the derived metric, so it reaches nothing', () => {
    const base = fixture();
    const head = edit(base, 'metrics.yaml', 'formula: revenue / payers', 'formula: revenue / (payers + 1)');
    const c = only(diff(base, head), 'metrics.metrics[].formula');
    expect(c.class).toBe('breaking');
    expect(c.impact).toEqual(impact([], [], [], []));
  });

  it('changed measure formula: breaking, reaches the mart and the card', () => {
    const base = fixture();
    const head = edit(base, 'analytics_revenue.yaml', 'then f.amount else 0 end', 'then f.amount * 1.1 else 0 end');
    const c = only(diff(base, head), 'mart.measures[].expr');
    expect(c.class).toBe('breaking');
    expect(c.impact).toEqual(impact([], [], ['analytics_revenue'], ['revenue_board.revenue_trend']));
  });

  it('removed mart and card: breaking (each with what it reached); added: compatible', () => {
    const d = diff(withExtras(), fixture());
    const mart = only(d, 'mart-');
    expect(mart).toMatchObject({ class: 'breaking', op: 'removed', contract: { kind: 'mart', name: 'analytics_payers', file: 'analytics_payers.yaml' } });
    expect(mart.impact).toEqual(impact([], [], ['analytics_payers'], ['revenue_board.payers_trend']));
    const card = only(d, 'dashboard.cards[]-');
    expect(card).toMatchObject({ class: 'breaking', path: 'cards.payers_trend', line: 14 });
    expect(card.impact).toEqual(impact([], [], [], ['revenue_board.payers_trend']));

    const back = diff(fixture(), withExtras());
    expect(only(back, 'mart+')).toMatchObject({ class: 'compatible', impact: impact([], [], ['analytics_payers'], ['revenue_board.payers_trend']) });
    expect(only(back, 'dashboard.cards[]+').class).toBe('compatible');
  });

  it('removed metric: breaking', () => {
    const base = fixture();
    const head = edit(
      base,
      'metrics.yaml',
      '  - name: arpu\n    label: ARPU\n    definition: Revenue per paying user.\n    unit: currency\n    kind: derived\n    formula: revenue / payers\n    depends_on: [revenue, payers]\n',
      '',
    );
    expect(only(diff(base, head), 'metrics.metrics[]-')).toMatchObject({ class: 'breaking', impact: impact([], [], [], []) });
  });

  it('removed measure implementing a metric: breaking, reaches the card', () => {
    const base = withExtras();
    const head = edit(base, 'analytics_revenue.yaml', '    metric: revenue\n  - name: payers\n', '    metric: revenue\n  - name: paying_users\n');
    // same type bigint: reported as a rename
    const c = only(diff(base, head), 'mart.measures[]~');
    expect(c.class).toBe('breaking');
    expect(c.impact).toEqual(impact([], [], ['analytics_revenue'], []));
  });

  it('description, owner and label text: compatible', () => {
    const base = fixture();
    let head = edit(base, 'payments.yaml', 'description: Payment attempts.', 'description: Payment attempts at the gateway.');
    head = edit(head, 'metrics.yaml', 'label: ARPU', 'label: Average revenue per payer');
    head = edit(head, 'dim_user.yaml', 'owner: analytics@example.test', 'owner: bi@example.test');
    const d = diff(base, head);
    expect(d.changes.map((c) => [c.rule, c.class])).toEqual([
      ['dataset.description', 'compatible'],
      ['model.owner', 'compatible'],
      ['metrics.metrics[].label', 'compatible'],
    ]);
  });

  it('quality rules: a warn rule is compatible, a quarantine rule is breaking and reaches the whole dataset', () => {
    const base = fixture();
    const rule = (action: string) => `  - rule: not_null\n    column: status\n    action: ${action}\nsilver:\n`;
    const warn = only(diff(base, edit(base, 'payments.yaml', 'silver:\n', rule('warn'))), 'dataset.quality[]+');
    expect(warn.class).toBe('compatible');
    expect(warn.impact).toEqual(impact(['payments'], ['fact_payments'], ['analytics_revenue'], ['revenue_board.revenue_trend']));
    const q = only(diff(base, edit(base, 'payments.yaml', 'silver:\n', rule('quarantine'))), 'dataset.quality[]+');
    expect(q.class).toBe('breaking');
    expect(q.impact).toEqual(FULL_PAYMENTS);
    const changed = only(
      diff(base, edit(base, 'users.yaml', 'values: [EMEA, NA, LATAM, APAC]\n    action: warn', 'values: [EMEA, NA, LATAM, APAC]\n    action: quarantine')),
      'dataset.quality[]',
    );
    expect(changed.class).toBe('breaking');
  });

  it('PII policy change: breaking for the consumers of the column', () => {
    const base = fixture();
    const head = edit(base, 'users.yaml', 'class: email\n      policy: pseudonymise', 'class: email\n      policy: keep');
    const c = only(diff(base, head), 'dataset.columns[].pii');
    expect(c).toMatchObject({ class: 'breaking', path: 'columns.email.pii' });
    expect(c.impact).toEqual(impact(['users'], [], [], []));
  });

  it('a new dataset is compatible', () => {
    const base = fixture();
    const head = new Map(base);
    head.set('plans.yaml', base.get('users.yaml')!.replace('dataset: users', 'dataset: plans').replace('users/{date}', 'plans/{date}'));
    const c = only(diff(base, head), 'dataset+');
    expect(c).toMatchObject({ class: 'compatible', contract: { name: 'plans' }, impact: impact(['plans'], [], [], []) });
  });
});

describe('contracts diff: the version gate', () => {
  const base = fixture();
  const narrowed = edit(base, 'payments.yaml', 'type: decimal(10,2)', 'type: decimal(8,2)');

  it('fails on a breaking change whose contract kept its major version, naming the fix', () => {
    const d = diff(base, edit(narrowed, 'payments.yaml', 'version: 1.0.0', 'version: 1.1.0'));
    expect(d.gate.pass).toBe(false);
    expect(d.gate.failures).toEqual([
      'payments.yaml: 1 breaking change(s) but the major version was not bumped (1.0.0 → 1.1.0): set version: 2.0.0 in payments.yaml',
    ]);
    expect(d.contracts).toEqual([expect.objectContaining({ status: 'major_not_bumped', base: '1.0.0', head: '1.1.0', breaking: 1, compatible: 0 })]);
  });

  it('passes after the major bump', () => {
    const d = diff(base, edit(narrowed, 'payments.yaml', 'version: 1.0.0', 'version: 2.0.0'));
    expect(d.gate).toEqual({ pass: true, failures: [], warnings: [] });
  });

  it('warns (does not fail) when only compatible changes came without a version bump', () => {
    const d = diff(base, edit(base, 'payments.yaml', 'description: Payment attempts.', 'description: Payment attempts, all gateways.'));
    expect(d.gate.pass).toBe(true);
    expect(d.gate.warnings).toEqual(['payments.yaml: compatible changes only and the version was not bumped (1.0.0): a minor or patch bump is recommended']);
  });

  it('metrics and dashboard files without a version count as 1.0.0: a breaking change needs version: 2.0.0', () => {
    const changed = edit(base, 'metrics.yaml', 'formula: revenue / payers', 'formula: revenue / (payers + 1)');
    expect(diff(base, changed).gate.failures).toEqual([
      'metrics.yaml: 1 breaking change(s) but the major version was not bumped (1.0.0 → 1.0.0): set version: 2.0.0 in metrics.yaml',
    ]);
    expect(diff(base, edit(changed, 'metrics.yaml', 'metrics:\n', 'version: 2.0.0\nmetrics:\n')).gate.pass).toBe(true);
  });

  it('a removed contract fails the gate unless its removal is acknowledged', () => {
    expect(diff(withExtras(), fixture()).gate.failures).toEqual(
      expect.arrayContaining([expect.stringContaining('analytics_payers.yaml: mart analytics_payers was removed')]),
    );
    const d = diffContracts(load(withExtras()), load(edit(fixture(), 'dashboard.yaml', 'title: Revenue board', 'version: 2.0.0\ntitle: Revenue board')), {
      allowRemoved: ['analytics_payers'],
    });
    expect(d.gate.pass).toBe(true);
  });
});

describe('contracts diff: every field of the model is classified', () => {
  /** Field paths of a JSON schema, with `[]` for list items and `{}` for map entries. */
  function paths(schema: Record<string, unknown>, prefix: string, out: string[]): void {
    const variants = [...((schema.anyOf ?? schema.oneOf ?? []) as Record<string, unknown>[])];
    if (variants.length > 0) {
      for (const v of variants) paths(v, prefix, out);
      return;
    }
    if (schema.type === 'object' && schema.properties) {
      for (const [k, v] of Object.entries(schema.properties as Record<string, Record<string, unknown>>)) paths(v, `${prefix}.${k}`, out);
      return;
    }
    if (schema.type === 'object' && typeof schema.additionalProperties === 'object') {
      out.push(`${prefix}{}`);
      return;
    }
    if (schema.type === 'array' && typeof schema.items === 'object') {
      const items = schema.items as Record<string, unknown>;
      if (items.type === 'object' || items.anyOf || items.oneOf) {
        out.push(`${prefix}[]`);
        paths(items, `${prefix}[]`, out);
        return;
      }
    }
    out.push(prefix);
  }
  /** Whether the diff classifies a path: it, or a field it is part of, has a rule. */
  const covered = (path: string): boolean => {
    for (let p = path; p.length > 0; ) {
      if (DIFF_FIELD_RULES[p] !== undefined) return true;
      const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['), p.lastIndexOf('{'));
      if (cut <= 0) return false;
      p = p.slice(0, cut);
    }
    return false;
  };

  for (const [kind, schema] of Object.entries(SCHEMAS)) {
    it(`${kind}: every field path has a rule, every list an added/removed rule`, () => {
      const out: string[] = [];
      paths(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>, kind, out);
      expect(out.length).toBeGreaterThan(3);
      const missing: string[] = [];
      for (const p of new Set(out)) {
        if (p.endsWith('[]')) {
          const list = p.slice(0, -2);
          if (covered(list)) continue;
          if (DIFF_LIST_KEYS[list] === undefined) missing.push(`${list} (no list key)`);
          for (const s of ['[]+', '[]-']) if (DIFF_FIELD_RULES[`${list}${s}`] === undefined) missing.push(`${list}${s}`);
        } else if (p.endsWith('{}')) {
          const map = p.slice(0, -2);
          if (covered(map)) continue;
          if (!DIFF_MAP_PATTERNS.has(map)) missing.push(`${map} (not a map pattern)`);
          for (const s of ['{}', '{}+', '{}-']) if (DIFF_FIELD_RULES[`${map}${s}`] === undefined) missing.push(`${map}${s}`);
        } else if (!covered(p)) missing.push(p);
      }
      expect(missing).toEqual([]);
    });
  }

  it('an unclassified field makes the diff throw instead of passing silently', () => {
    const { set } = load(fixture());
    const head = { ...set, datasets: set.datasets.map((d) => (d.dataset === 'users' ? { ...d, brand_new_field: 1 } : d)) } as ContractSet;
    expect(() => diffContracts({ set }, { set: head })).toThrow(StreamPulseError);
    expect(() => diffContracts({ set }, { set: head })).toThrow(/dataset\.brand_new_field/);
  });

  it('widening: integer→bigint, integer→double, decimal with room; not to string, not date→timestamp', () => {
    expect(isWidening('integer', 'bigint')).toBe(true);
    expect(isWidening('integer', 'double')).toBe(true);
    expect(isWidening('bigint', 'double')).toBe(false);
    expect(isWidening('integer', 'decimal(10,0)')).toBe(true);
    expect(isWidening('integer', 'decimal(9,0)')).toBe(false);
    expect(isWidening('decimal(10,2)', 'decimal(12,3)')).toBe(true);
    expect(isWidening('decimal(10,2)', 'decimal(10,3)')).toBe(false);
    expect(isWidening('integer', 'string')).toBe(false);
    expect(isWidening('date', 'timestamp')).toBe(false);
    expect(isWidening('bigint', 'integer')).toBe(false);
  });
});
