import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeFormula, formatIssue, loadContractFiles, loadContracts, type InMemoryFile } from '@streampulse/contracts';

// Metric formulas (contracts/README.md, "Metric formulas"): an expression over declared
// metric names, checked at load time with the position of the offending token.
const VALID = join(process.cwd(), 'contracts', 'test', 'fixtures', 'valid');
const SHIPPED = join(process.cwd(), 'contracts', 'streampulse');

function validFiles(): InMemoryFile[] {
  return readdirSync(VALID)
    .sort()
    .map((f) => ({ file: f, text: readFileSync(join(VALID, f), 'utf8') }));
}

/** The valid set with `metrics.yaml` edited: line 17 is arpu's `formula:`, line 18 its `depends_on:`. */
function withMetrics(edit: (text: string) => string): ReturnType<typeof loadContractFiles> {
  return loadContractFiles(validFiles().map((f) => (f.file === 'metrics.yaml' ? { ...f, text: edit(f.text) } : f)));
}

const formula =
  (src: string, dependsOn = '') =>
  (t: string) =>
    t.replace('    formula: revenue / payers\n    depends_on: [revenue, payers]\n', `    formula: ${src}\n${dependsOn}`);

const located = (r: ReturnType<typeof loadContractFiles>): string[] => r.issues.map((i) => `${i.file}:${i.line}:${i.column} ${i.code} ${i.message}`);

describe('metric formulas', () => {
  it('a formula naming an unknown metric: file:line:col of the name, a did-you-mean, the catalogue as remedy', () => {
    const r = withMetrics(formula('(revenue - refunds) / payres'));
    expect(r.contracts).toBeUndefined();
    // line 17 is "    formula: (revenue - refunds) / payres": the value starts at column 14, so
    // "refunds" is at 14 + 11 = 25 and "payres" at 14 + 22 = 36 ("refunds" is too far from any name for a suggestion)
    expect(r.issues.map(formatIssue)).toEqual([
      'metrics.yaml:17:25 metrics[2].formula: formula of arpu: "refunds" is not a declared metric\n' +
        '    fix: use one of: revenue, payers, arpu  [CONTRACT_UNKNOWN_METRIC]',
      'metrics.yaml:17:36 metrics[2].formula: formula of arpu: "payres" is not a declared metric — did you mean "payers"?\n' +
        '    fix: use one of: revenue, payers, arpu  [CONTRACT_UNKNOWN_METRIC]',
    ]);
  });

  it('says when an unknown name is a mart measure: formulas name metrics, not measures', () => {
    const r = withMetrics((t) => formula('revenue / payers')(t.replace(/ {2}- name: payers\n(?: {4}.*\n)+/, '')));
    expect(located(r)).toEqual([
      'metrics.yaml:12:24 CONTRACT_UNKNOWN_METRIC formula of arpu: "payers" is not a declared metric (it is a mart measure: analytics_revenue.payers; a formula names metrics, not measures)',
    ]);
    expect(r.issues[0]!.remedy).toBe('name the metric that measure serves (its "metric:"), or declare "payers" as a metric');
  });

  it('locates a syntax error at the offending token', () => {
    expect(located(withMetrics(formula('revenue / (payers')))).toEqual([
      'metrics.yaml:17:31 CONTRACT_EXPR_SYNTAX formula of arpu: expected ")" but found the end of the expression',
    ]);
    expect(located(withMetrics(formula('revenue / / payers')))).toEqual(['metrics.yaml:17:24 CONTRACT_EXPR_SYNTAX formula of arpu: unexpected "/"']);
  });

  it('rejects what is not arithmetic over metrics: strings, comparisons, parameters, columns, SQL functions', () => {
    const grammar = '(arithmetic over metric names: + - * /, parentheses, numbers and total())';
    expect(located(withMetrics(formula("revenue / payers > 'x'")))).toEqual([
      `metrics.yaml:17:31 CONTRACT_EXPR_SYNTAX formula of arpu: ">" is not part of a metric formula ${grammar}`,
    ]);
    expect(located(withMetrics(formula('revenue / $completion_threshold_pct')))).toEqual([
      `metrics.yaml:17:24 CONTRACT_EXPR_SYNTAX formula of arpu: parameter $completion_threshold_pct is not part of a metric formula ${grammar}`,
    ]);
    expect(located(withMetrics(formula('f.revenue / payers')))).toEqual([
      `metrics.yaml:17:15 CONTRACT_EXPR_SYNTAX formula of arpu: "." is not part of a metric formula ${grammar}`,
    ]);
    expect(located(withMetrics(formula('case when payers > 0 then revenue end')))).toEqual([
      `metrics.yaml:17:14 CONTRACT_EXPR_SYNTAX formula of arpu: keyword CASE is not part of a metric formula ${grammar}`,
    ]);
    expect(located(withMetrics(formula('sum(revenue) / payers')))).toEqual([
      'metrics.yaml:17:14 CONTRACT_UNKNOWN_FUNCTION formula of arpu: unknown function sum() (a function of gold and mart expressions, not of metric formulas)',
    ]);
    expect(located(withMetrics(formula('revenue / totl(revenue)')))).toEqual([
      'metrics.yaml:17:24 CONTRACT_UNKNOWN_FUNCTION formula of arpu: unknown function totl() — did you mean "total"?',
    ]);
    expect(located(withMetrics(formula('revenue / total(revenue / payers)')))).toEqual([
      'metrics.yaml:17:24 CONTRACT_FUNCTION_ARITY formula of arpu: total() takes one metric name',
    ]);
  });

  it('checks a given depends_on against the formula, both ways', () => {
    expect(located(withMetrics(formula('revenue / payers', '    depends_on: [revenue, arpu]\n')))).toEqual([
      'metrics.yaml:18:17 CONTRACT_DEPENDS_ON_MISMATCH depends_on of arpu is [revenue, arpu] but its formula uses [revenue, payers]; missing: payers; not in the formula: arpu',
    ]);
    expect(located(withMetrics(formula('revenue / payers', '    depends_on: [payers, revenue]\n')))).toEqual([]);
  });

  it('rejects a formula that depends on itself, directly or through another metric', () => {
    expect(located(withMetrics(formula('revenue / arpu')))).toEqual([
      'metrics.yaml:17:24 CONTRACT_CYCLE formula of arpu: metrics are defined in a cycle: arpu → arpu',
    ]);
    const twoStep = (t: string): string =>
      formula('revenue / arpu_twice')(t).replace(
        'parameters:',
        '  - name: arpu_twice\n    label: Twice\n    definition: Two ARPUs.\n    unit: currency\n    kind: derived\n    formula: 2 * arpu\nparameters:',
      );
    expect(located(withMetrics(twoStep))).toEqual([
      // reported where the cycle closes: line 23 is arpu_twice's "    formula: 2 * arpu"
      'metrics.yaml:23:18 CONTRACT_CYCLE formula of arpu_twice: metrics are defined in a cycle: arpu → arpu_twice → arpu',
    ]);
  });

  it('base metrics have no formula; derived ones must have one', () => {
    expect(located(withMetrics((t) => t.replace('    kind: base\n  - name: arpu', '    kind: base\n    formula: revenue\n  - name: arpu')))).toEqual([
      'metrics.yaml:12:14 CONTRACT_INVALID_VALUE base metric "payers" has a formula; a base metric is measured from the data, not computed from other metrics',
    ]);
    expect(located(withMetrics((t) => t.replace(/ {4}formula: .*\n {4}depends_on: .*\n/, '')))).toEqual([
      'metrics.yaml:12:5 CONTRACT_MISSING_FIELD derived metric "arpu" has no formula',
    ]);
  });

  it('valid formulas load; depends_on is derived from the formula (names in order of first use)', () => {
    const r = withMetrics(formula('(revenue + 0.5 * -revenue) / total(payers) * 100'));
    expect(r.issues).toEqual([]);
    expect(r.contracts!.metrics.metrics.map((m) => [m.name, m.depends_on])).toEqual([
      ['revenue', []],
      ['payers', []],
      ['arpu', ['revenue', 'payers']],
    ]);
    expect(analyzeFormula('a / total(b) + a').names).toEqual(['a', 'b']);
  });

  it('every derived metric of the shipped contracts has a checked formula, and trial-to-paid means what it says', () => {
    const set = loadContracts(SHIPPED).contracts!;
    const metric = (n: string) => set.metrics.metrics.find((m) => m.name === n)!;
    for (const m of set.metrics.metrics) {
      if (m.kind === 'derived') expect(analyzeFormula(m.formula!).problems).toEqual([]);
      else expect(m.formula).toBeUndefined();
    }
    expect(metric('trial_to_paid_rate').formula).toBe('funnel_paid_after_trial / funnel_trials');
    expect(metric('trial_to_paid_rate').depends_on).toEqual(['funnel_paid_after_trial', 'funnel_trials']);
    expect(metric('direct_purchase_share').depends_on).toEqual(['funnel_direct_purchases', 'funnel_paid']);
    expect(metric('content_performance').depends_on).toEqual(['watch_time']);
    // the funnel mart serves each derived metric next to the measures of its inputs
    const funnel = set.marts.find((m) => m.mart === 'analytics_funnel_conversion')!;
    const served = new Map(funnel.measures.map((x) => [x.metric, x.name]));
    expect(metric('trial_to_paid_rate').depends_on.map((d) => served.get(d))).toEqual(['paid_after_trial', 'trials']);
    expect(metric('direct_purchase_share').depends_on.map((d) => served.get(d))).toEqual(['direct_purchases', 'paid']);
  });
});
