/**
 * The Metabase plan and payloads without a Metabase: a dry run against an empty one
 * (everything created, ids unresolved), a card added to the contract reaching the plan with
 * no code change, the database entry's authentication, and the comparisons that keep a
 * re-run idempotent.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findWorkspaceRoot, loadContractsOrThrow, STREAMPULSE_CONTRACTS_DIR } from '@streampulse/contracts';
import { type CardPayload, type DashboardPayload, databasePayload, diffDatabase, metabasePayloads, provisionMetabase } from '@streampulse/dashboards';

const ROOT = findWorkspaceRoot(process.cwd())!;
const CONTRACTS = join(ROOT, STREAMPULSE_CONTRACTS_DIR);
const SHIPPED = loadContractsOrThrow(CONTRACTS);
const TMP = mkdtempSync(join(tmpdir(), 'sp-metabase-plan-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

describe('the Metabase plan against an empty Metabase (dry run, no URL)', () => {
  it('creates the database entry, the collection, ten native questions on analytics_* views and one dashboard; ids unresolved', async () => {
    const r = await provisionMetabase(SHIPPED, { dryRun: true });
    expect(r.url).toBeNull();
    expect(r.items.map((i) => i.action)).toStrictEqual(Array(13).fill('create'));
    expect(r.items.map((i) => i.kind)).toStrictEqual(['database', 'collection', ...Array(10).fill('card'), 'dashboard']);
    for (const c of r.items.filter((i) => i.kind === 'card').map((i) => i.payload as CardPayload)) {
      expect(c.dataset_query).toMatchObject({ type: 'native', database: '<database>' });
      expect(c.dataset_query.native.query).toMatch(/^SELECT[\s\S]*FROM \[serving\]\.\[analytics_\w+\]/);
      expect(c.collection_id).toBe('<collection>');
    }
    expect(r.unresolved).toContain('<field serving.analytics_kpi_monthly.month>');
    expect(r.unresolved).toContain('<field serving.analytics_subscription_health.plan_tier>');
    expect(r.unresolved).toContain('<card mrr_this_month>');
    expect(r.unresolved).toContain('<sql-server>');
    const dash = r.items.at(-1)!.payload as DashboardPayload;
    expect(dash.dashcards.map((d) => d.card_id)).toStrictEqual(SHIPPED.dashboards[0]!.cards.map((c) => `<card ${c.id}>`));
  });

  it('a card added to a copy of dashboard.yaml appears in the plan: its question and its dashcard, with no code change', async () => {
    const dir = join(TMP, 'added');
    cpSync(CONTRACTS, dir, { recursive: true });
    const file = join(dir, 'dashboard.yaml');
    writeFileSync(
      file,
      `${readFileSync(file, 'utf8')}  - id: revenue_by_method
    title: Revenue by payment method, last 6 months
    mart: analytics_payment_quality
    visualization: bar
    query:
      dimensions: [month, payment_method]
      measures: [revenue]
      filters:
        - { column: month, op: last_n_months, value: 6 }
    layout: { row: 40, col: 0, width: 24, height: 8 }
`,
    );
    const r = await provisionMetabase(loadContractsOrThrow(dir), { dryRun: true });
    const added = r.items.find((i) => i.key === 'revenue_by_method')!;
    expect(added).toMatchObject({ kind: 'card', action: 'create', name: 'Revenue by payment method, last 6 months' });
    const q = added.payload as CardPayload;
    expect(q.display).toBe('bar');
    expect(q.dataset_query.native.query).toContain('FROM [serving].[analytics_payment_quality]');
    expect(Object.keys(q.dataset_query.native['template-tags'])).toStrictEqual(['date_range']);
    expect(q.visualization_settings).toMatchObject({ column_settings: { '["name","revenue"]': { number_style: 'currency' } } });
    const dash = r.items.find((i) => i.kind === 'dashboard')!.payload as DashboardPayload;
    expect(dash.dashcards.at(-1)).toMatchObject({ card_id: '<card revenue_by_method>', row: 40, col: 0, size_x: 24, size_y: 8 });
    expect(r.items.filter((i) => i.kind === 'card')).toHaveLength(11);
  });

  it('the payloads are deterministic (the generate target writes them)', () => {
    expect(JSON.stringify(metabasePayloads(SHIPPED))).toBe(JSON.stringify(metabasePayloads(loadContractsOrThrow(CONTRACTS))));
  });
});

describe('the serving database entry', () => {
  it('managed identity by default; other authentication through documented details keys', () => {
    expect(databasePayload({ host: 'h', database: 'd' }).details).toStrictEqual({
      host: 'h',
      port: 1433,
      db: 'd',
      ssl: true,
      'additional-options': 'authentication=ActiveDirectoryManagedIdentity',
    });
    // SQL authentication (a test server): user and password, no managed-identity option
    expect(databasePayload({ host: 'h', database: 'd', connection: { user: 'reader', password: 'p', port: 14330 } }).details).toStrictEqual({
      host: 'h',
      port: 14330,
      db: 'd',
      ssl: true,
      user: 'reader',
      password: 'p',
    });
    expect(() => databasePayload({ connection: { hostname: 'x' } })).toThrow(/"hostname", which is not a connection detail of Metabase's sqlserver driver/);
  });

  it('compares details as Metabase returns them: a masked secret is not a change, a left-over password under managed identity is', () => {
    const want = databasePayload({ host: 'h', database: 'd', connection: { user: 'reader', password: 'p' } });
    expect(diffDatabase({ engine: 'sqlserver', details: { ...want.details, password: '**MetabasePass**' } }, want)).toStrictEqual([]);
    const msi = databasePayload({ host: 'h', database: 'd', identityClientId: 'c' });
    expect(diffDatabase({ engine: 'sqlserver', details: { ...msi.details, user: 'reader', password: '**MetabasePass**' } }, msi)).toStrictEqual([
      'details.user',
      'details.password',
    ]);
    expect(diffDatabase({ engine: 'sqlserver', details: { ...msi.details, host: 'other' } }, msi)).toStrictEqual(['details.host']);
  });
});
