/**
 * The dbt project of the serving layer (dbt-project.ts), from the shipped contracts and
 * variants of them: its tests are `servingTests` (one definition for `serve test` and dbt),
 * a contract change reaches the generated tests with no code change, exposures and
 * freshness come from the dashboard and dataset contracts. The rendered files are golden
 * files in cli/test (dbt-project-golden.test.ts); the real dbt runs them in
 * tests/test/dbt.test.ts and jobs/python/tests/test_dbt_project.py.
 */
import { describe, expect, it } from '@jest/globals';
import type { ContractSet } from '@streampulse/contracts';
import { DBT_TARGETS, dbtProject, dbtTestName, martFreshness, servingTests, type DbtYaml } from '../src/index.js';
import { edit, load, shippedFiles } from './contract-fixtures.js';

type Obj = { readonly [k: string]: DbtYaml };
const obj = (v: DbtYaml | undefined): Obj => v as Obj;
const arr = (v: DbtYaml | undefined): readonly DbtYaml[] => (v ?? []) as readonly DbtYaml[];

const SHIPPED = load(shippedFiles());

function sources(set: ContractSet): Obj[] {
  return arr(obj(dbtProject(set).yaml['models/sources.yml']!.value)['sources']).map(obj);
}
function servingTables(set: ContractSet): Obj[] {
  return arr(sources(set).find((s) => s['name'] === 'serving')!['tables']).map(obj);
}
/** Every test of the serving source: `{ <test macro>: { name, arguments } }` → [macro, name, arguments]. */
function allTests(set: ContractSet): { macro: string; name: string; args: Obj | undefined; table: string; column?: string }[] {
  return servingTables(set).flatMap((t) => {
    const table = String(t['name']);
    const entry = (x: DbtYaml, column?: string) => {
      const [macro, body] = Object.entries(obj(x))[0]!;
      return { macro, name: String(obj(body)['name']), args: obj(body)['arguments'] as Obj | undefined, table, ...(column ? { column } : {}) };
    };
    return [
      ...arr(t['data_tests']).map((x) => entry(x)),
      ...arr(t['columns']).flatMap((c) => arr(obj(c)['data_tests']).map((x) => entry(x, String(obj(c)['name'])))),
    ];
  });
}

describe('dbt project of the serving layer', () => {
  it('has exactly the checks of `serve test` as its tests (one definition serves both)', () => {
    const checks = servingTests(SHIPPED);
    const tests = allTests(SHIPPED);
    expect(tests.map((t) => t.name).sort()).toEqual(checks.map(dbtTestName).sort());
    for (const c of checks) {
      const t = tests.find((x) => x.name === dbtTestName(c))!;
      expect(t.table).toBe(c.mart);
      expect(t.macro).toBe(
        { not_null: 'not_null', unique: 'streampulse_unique', accepted_values: 'streampulse_accepted_values', relationships: 'streampulse_relationships' }[
          c.kind as string
        ],
      );
      if (c.kind === 'unique') expect(t.args?.['columns']).toEqual(c.columns);
      else expect(t.column).toBe(c.columns[0]);
      if (c.kind === 'accepted_values') expect(t.args?.['values']).toEqual(c.values);
      if (c.kind === 'relationships') expect(t.args).toEqual({ to: `source('serving', '${c.references!.mart}')`, field: c.references!.column });
    }
    // the grain of every mart is one unique combination of columns
    for (const m of SHIPPED.marts)
      expect(tests.filter((t) => t.table === m.mart && t.macro === 'streampulse_unique').map((t) => t.args?.['columns'])).toEqual([m.grain]);
  });

  it('changes the generated tests when a contract gains an accepted value, with no code change', () => {
    const before = SHIPPED;
    // a fourth plan tier, in the column's constraint and the quarantining rule of plans.yaml
    const after = load(edit(shippedFiles(), 'datasets/plans.yaml', /basic, standard, premium\]/g, 'basic, standard, premium, platinum]'));
    const planTier = (set: ContractSet) => allTests(set).find((t) => t.name === 'accepted_values__analytics_subscription_health__plan_tier')!.args!['values'];
    expect(planTier(before)).toEqual(['basic', 'premium', 'standard', 'unknown']);
    expect(planTier(after)).toEqual(['basic', 'platinum', 'premium', 'standard', 'unknown']);
    // nothing else of the sources changed
    const strip = (set: ContractSet) =>
      JSON.stringify(allTests(set).map((t) => (t.name === 'accepted_values__analytics_subscription_health__plan_tier' ? { ...t, args: undefined } : t)));
    expect(strip(after)).toBe(strip(before));
    // and `serve test` checks the same value list
    expect(servingTests(after).find((c) => c.id === 'accepted_values:analytics_subscription_health.plan_tier')!.values).toEqual(planTier(after));
  });

  it('declares one exposure per dashboard card, owned by the dashboard owner, depending on the view the card reads', () => {
    const exposures = arr(obj(dbtProject(SHIPPED).yaml['models/exposures.yml']!.value)['exposures']).map(obj);
    const cards = SHIPPED.dashboards.flatMap((d) => d.cards.map((c) => ({ c, d })));
    expect(cards).toHaveLength(10);
    expect(exposures.map((e) => e['name'])).toEqual(cards.map((x) => x.c.id));
    for (const [i, e] of exposures.entries()) {
      const { c, d } = cards[i]!;
      expect(e).toMatchObject({
        type: 'dashboard',
        label: c.title,
        owner: { name: d.owner.split('@')[0], email: d.owner },
        depends_on: [`source('serving', '${c.mart}')`],
      });
    }
  });

  it('sets the gold tables freshness from the SLA of the datasets each mart reads, on _run_date', () => {
    const gold = arr(sources(SHIPPED).find((s) => s['name'] === 'gold')!['tables']).map(obj);
    expect(gold.map((t) => t['name'])).toEqual(SHIPPED.marts.map((m) => m.mart));
    const engagement = SHIPPED.marts.find((m) => m.mart === 'analytics_engagement_daily')!;
    const f = martFreshness(SHIPPED, engagement);
    const sla = SHIPPED.datasets.filter((d) => f.datasets.includes(d.dataset)).map((d) => d.sla.freshness_hours);
    expect(f.datasets.length).toBeGreaterThan(0);
    expect(f).toMatchObject({ warnHours: 24 + Math.min(...sla), errorHours: 24 + Math.max(...sla) });
    const table = gold.find((t) => t['name'] === 'analytics_engagement_daily')!;
    expect(obj(table['config'])['freshness']).toEqual({
      warn_after: { count: f.warnHours, period: 'hour' },
      error_after: { count: f.errorHours, period: 'hour' },
    });
    expect(String(obj(table['config'])['loaded_at_field'])).toContain('_run_date');
    // a change of a dataset's SLA moves the threshold
    const stricter = load(edit(shippedFiles(), 'datasets/users.yaml', 'freshness_hours: 26', 'freshness_hours: 1'));
    const kpi = (set: ContractSet) => martFreshness(set, set.marts.find((m) => m.mart === 'analytics_kpi_monthly')!);
    expect(kpi(SHIPPED).datasets).toContain('users');
    expect(kpi(stricter).warnHours).toBe(25);
  });

  it('profiles the local SQLite database and Azure SQL with Entra ID (authentication: cli)', () => {
    const profiles = obj(obj(dbtProject(SHIPPED).yaml['profiles.yml']!.value)['streampulse_serving']);
    const outputs = obj(profiles['outputs']);
    expect(Object.keys(outputs)).toEqual([...DBT_TARGETS]);
    expect(outputs['sqlite']).toMatchObject({ type: 'sqlite', schema: 'main', schemas_and_paths: { main: "{{ env_var('STREAMPULSE_SERVING_DB') }}" } });
    expect(outputs['azure']).toMatchObject({ type: 'sqlserver', authentication: 'cli', encrypt: true, trust_cert: false, schema: 'dbt_test' });
    expect(JSON.stringify(outputs['azure'])).not.toMatch(/password|secret|PWD/i);
  });
});
