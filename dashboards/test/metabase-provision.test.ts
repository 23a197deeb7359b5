/**
 * `provisionMetabase` against an in-process fake of Metabase's API (./fake-metabase.ts):
 * the first run (requests in order, payloads), the idempotent second run, a changed card,
 * a removed card, and the API errors a run can meet.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ContractSet, findWorkspaceRoot, loadContractsOrThrow, STREAMPULSE_CONTRACTS_DIR, StreamPulseError } from '@streampulse/contracts';
import { type CardPayload, type DashboardPayload, MetabaseClient, provisionMetabase, type ProvisionResult } from '@streampulse/dashboards';
import { FakeMetabase, type WarehouseTable } from './fake-metabase.js';

const ROOT = findWorkspaceRoot(process.cwd())!;
const CONTRACTS = join(ROOT, STREAMPULSE_CONTRACTS_DIR);
const TMP = mkdtempSync(join(tmpdir(), 'sp-metabase-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const SHIPPED = loadContractsOrThrow(CONTRACTS);
const KEY = 'mb_test_key';
const TARGET = { host: 'sql-spulse-test.database.windows.net', database: 'sqldb-spulse-serving', identityClientId: '0b0c6e3c-1d2e-4f5a-8b9c-0d1e2f3a4b5c' };
const NO_WAIT = { sleep: async (): Promise<void> => undefined, intervalMs: 0 };

/** The served views as a schema sync of the Azure SQL database finds them: serving.<mart> with its columns. */
const warehouse = (set: ContractSet): WarehouseTable[] =>
  set.marts.map((m) => ({ schema: 'serving', name: m.mart, columns: [...m.dimensions.map((d) => d.name), ...m.measures.map((x) => x.name)] }));

/** A copy of the shipped contract folder with dashboard.yaml edited. */
function editedContracts(name: string, edit: (yaml: string) => string): ContractSet {
  const dir = join(TMP, name);
  cpSync(CONTRACTS, dir, { recursive: true });
  const file = join(dir, 'dashboard.yaml');
  const before = readFileSync(file, 'utf8');
  const after = edit(before);
  expect(after).not.toBe(before);
  writeFileSync(file, after);
  return loadContractsOrThrow(dir);
}

const run = (fake: FakeMetabase, set: ContractSet, o: { dryRun?: boolean; key?: string; progress?: string[] } = {}): Promise<ProvisionResult> =>
  provisionMetabase(set, {
    client: new MetabaseClient({ url: fake.url, apiKey: o.key ?? KEY }),
    dryRun: o.dryRun,
    database: TARGET,
    sync: NO_WAIT,
    onProgress: (l) => o.progress?.push(l),
  });

const MRR_BEFORE = 'Monthly recurring revenue of the paying subscribers as of the latest run.';
const MRR_AFTER = 'Monthly recurring revenue (USD) at the latest run.';
/** The edit of the "changed card" test, kept by the tests after it. */
const changeMrr = (y: string): string => y.replace(MRR_BEFORE, MRR_AFTER);

const actions = (r: ProvisionResult): string[] => r.items.map((i) => `${i.kind} ${i.key} ${i.action}`);
const cardIds = SHIPPED.dashboards[0]!.cards.map((c) => c.id);

describe("Metabase provisioning against Metabase's documented API shapes", () => {
  const fake = new FakeMetabase(KEY, warehouse(SHIPPED));
  beforeAll(() => fake.start());
  afterAll(() => fake.close());

  it('first run: the database entry (managed identity), a schema sync, the collection, ten native questions, the dashboard — in that order', async () => {
    const progress: string[] = [];
    const r = await run(fake, SHIPPED, { progress });
    expect(r.changed).toBe(true);
    expect(r.unresolved).toStrictEqual([]);
    expect(fake.lines()).toStrictEqual([
      'GET /api/database',
      'POST /api/database',
      'GET /api/database/1/metadata',
      'POST /api/database/1/sync_schema',
      'GET /api/database/1/metadata', // the sync runs in the background: polled until the fields are there
      'GET /api/database/1/metadata',
      'GET /api/collection',
      'POST /api/collection',
      ...cardIds.map(() => 'POST /api/card'),
      'POST /api/dashboard',
      'PUT /api/dashboard/1',
    ]);
    expect(fake.requests.every((q) => q.apiKey === KEY)).toBe(true);

    // the database entry: sqlserver over TLS, Entra managed identity — no user, no password
    const db = fake.requests[1]!.body as { engine: string; details: Record<string, unknown> };
    expect(db.engine).toBe('sqlserver');
    expect(db.details).toStrictEqual({
      host: TARGET.host,
      port: 1433,
      db: TARGET.database,
      ssl: true,
      'additional-options': `authentication=ActiveDirectoryManagedIdentity;msiClientId=${TARGET.identityClientId}`,
    });

    // the questions: native T-SQL on the analytics_* views, field filters bound to the synced field ids
    const fieldId = (view: string, column: string): number =>
      (fake.tables.get(1)!.find((t) => t['name'] === view)!['fields'] as Record<string, unknown>[]).find((f) => f['name'] === column)!['id'] as number;
    const posted = fake.requests.filter((q) => q.method === 'POST' && q.path === '/api/card').map((q) => q.body as CardPayload);
    expect(posted.map((c) => c.name)).toStrictEqual(SHIPPED.dashboards[0]!.cards.map((c) => c.title));
    for (const c of posted) {
      expect([c.type, c.collection_id, c.dataset_query.type, c.dataset_query.database]).toStrictEqual(['question', 1, 'native', 1]);
      expect(c.dataset_query.native.query).toMatch(/FROM \[serving\]\.\[analytics_\w+\]/);
      for (const [name, tag] of Object.entries(c.dataset_query.native['template-tags'])) {
        expect(c.dataset_query.native.query).toContain(`[[AND {{${name}}}]]`);
        expect(tag.type).toBe('dimension');
        expect(typeof tag.dimension[1]).toBe('number');
      }
    }
    const byTitle = (title: string): CardPayload => posted.find((c) => c.name === title)!;
    const mrr = byTitle('MRR (USD)');
    expect(mrr.display).toBe('smartscalar');
    expect(mrr.visualization_settings).toMatchObject({
      'scalar.field': 'mrr',
      column_settings: { '["name","mrr"]': { number_style: 'currency', currency: 'USD' } },
    });
    expect(mrr.dataset_query.native.query).toContain('[month]'); // the trend's time column
    const tag = mrr.dataset_query.native['template-tags']['date_range']!;
    expect(tag).toMatchObject({
      name: 'date_range',
      'display-name': 'Date range',
      type: 'dimension',
      dimension: ['field', fieldId('analytics_kpi_monthly', 'month'), null],
      'widget-type': 'date/all-options',
    });
    expect(mrr.parameters).toStrictEqual([
      { id: tag.id, type: 'date/all-options', target: ['dimension', ['template-tag', 'date_range']], name: 'Date range', slug: 'date_range' },
    ]);
    const flow = byTitle('New vs churned subscribers by tier');
    expect(flow.display).toBe('bar');
    // two dimensions and two measures: Metabase plots one measure per breakout, so the
    // measures are unpivoted into one value column labelled by tier and measure
    expect(flow.visualization_settings).toMatchObject({ 'graph.dimensions': ['month', 'series'], 'graph.metrics': ['value'] });
    const flowSql = (flow.dataset_query as { native: { query: string } }).native.query;
    expect(flowSql).toContain("CONCAT([q].[plan_tier], N' · ', [s].[measure]) AS [series]");
    expect(flowSql).toContain("(1, N'New paying subscribers', [q].[new_subscribers])");
    // T-SQL refuses ORDER BY in a derived table without TOP: only the outer query orders
    expect(flowSql.match(/ORDER BY/g)).toHaveLength(1);
    expect(flow.dataset_query.native['template-tags']['plan']).toMatchObject({
      dimension: ['field', fieldId('analytics_subscription_health', 'plan_tier'), null],
      'widget-type': 'string/=',
    });
    const rate = byTitle('Churn rate (this month)');
    expect(rate.visualization_settings).toMatchObject({ column_settings: { '["name","churn_rate"]': { number_style: 'percent' } } });
    const cohort = posted.find((c) => c.display === 'table' && c.visualization_settings['table.pivot'] === true)!;
    expect(cohort.visualization_settings).toMatchObject({ 'table.pivot_column': 'months_since_signup', 'table.cell_column': 'retention_rate' });
    const funnel = posted.find((c) => c.display === 'funnel')!;
    expect(funnel.visualization_settings).toMatchObject({ 'funnel.dimension': 'step', 'funnel.metric': 'value' });
    expect(funnel.dataset_query.native.query).toMatch(/CROSS APPLY \(VALUES\n {2}\(1, N'Visits', \[q\]\.\[visits\]\)/);
    expect(posted.find((c) => c.display === 'combo')!.visualization_settings['series_settings']).toStrictEqual({
      mrr: { display: 'bar' },
      paying_subscribers: { display: 'line' },
      arpu: { display: 'line' },
    });

    // the dashboard: created bare, then laid out with new dashcards (negative ids) and its filters
    expect(fake.requests.at(-2)!.body).toStrictEqual({
      name: 'Growth & Retention Command Center',
      description: SHIPPED.dashboards[0]!.description.trim().replace(/\s+/g, ' '),
      collection_id: 1,
      parameters: [
        { id: 'date_range', name: 'Date range', slug: 'date_range', type: 'date/all-options', sectionId: 'date' },
        { id: 'plan', name: 'Plan', slug: 'plan', type: 'string/=', sectionId: 'string' },
      ],
    });
    const put = fake.requests.at(-1)!.body as DashboardPayload;
    expect(put.dashcards.map((d) => d.id)).toStrictEqual(cardIds.map((_, i) => -(i + 1)));
    expect(put.dashcards.map((d) => d.card_id)).toStrictEqual(cardIds.map((_, i) => i + 1));
    expect(put.dashcards[0]).toStrictEqual({
      id: -1,
      card_id: 1,
      row: 0,
      col: 0,
      size_x: 8,
      size_y: 4,
      parameter_mappings: [{ parameter_id: 'date_range', card_id: 1, target: ['dimension', ['template-tag', 'date_range']] }],
      visualization_settings: {},
    });
    const top = put.dashcards.at(-1)!;
    expect([top.row, top.col, top.size_x, top.size_y]).toStrictEqual([30, 0, 24, 10]);
    expect(put.dashcards.find((d) => d.card_id === posted.indexOf(flow) + 1)!.parameter_mappings.map((m) => m.parameter_id)).toStrictEqual([
      'date_range',
      'plan',
    ]);
    // what the fake holds now: one dashboard with ten dashcards, each card in the collection
    expect((fake.dashboards.get(1)!['dashcards'] as unknown[]).length).toBe(10);
    expect(progress.at(-1)).toMatch(/^created dashboard "Growth & Retention Command Center" with 10 cards \(id 1\)$/);
  });

  it('second run: GETs only, every object unchanged (also when Metabase returns the queries as MBQL 5)', async () => {
    const since = fake.requests.length;
    const r = await run(fake, SHIPPED);
    expect(r.changed).toBe(false);
    expect(fake.writes(since)).toStrictEqual([]);
    expect(actions(r)).toStrictEqual([
      'database StreamPulse serving (Azure SQL) unchanged',
      'collection Growth & Retention Command Center unchanged',
      ...cardIds.map((id) => `card ${id} unchanged`),
      'dashboard growth_retention_command_center unchanged',
    ]);
    fake.cardQueryShape = 'mbql5';
    const again = fake.requests.length;
    expect((await run(fake, SHIPPED)).changed).toBe(false);
    expect(fake.writes(again)).toStrictEqual([]);
    fake.cardQueryShape = 'legacy';
  });

  it("a card's contract changes: only that question is PUT; the dashboard is unchanged", async () => {
    const set = editedContracts('changed', changeMrr);
    const dry = await run(fake, set, { dryRun: true });
    expect(dry.items.filter((i) => i.action !== 'unchanged').map((i) => [i.key, i.action, i.changes])).toStrictEqual([
      ['mrr_this_month', 'update', ['description']],
    ]);
    const since = fake.requests.length;
    const r = await run(fake, set);
    expect(fake.writes(since).map((w) => `${w.method} ${w.path}`)).toStrictEqual(['PUT /api/card/2']);
    expect((fake.writes(since)[0]!.body as Record<string, unknown>)['description']).toBe('Monthly recurring revenue (USD) at the latest run.');
    expect(r.items.find((i) => i.kind === 'dashboard')!.action).toBe('unchanged');
    expect((await run(fake, set)).changed).toBe(false);
  });

  it('a card removed from the contract: its dashcard leaves the dashboard and its question is archived, not deleted', async () => {
    const set = editedContracts('removed', (y) => {
      const changed = changeMrr(y);
      return changed.slice(0, changed.indexOf('  # ---- row 30: content'));
    });
    const since = fake.requests.length;
    const r = await run(fake, set);
    expect(fake.writes(since).map((w) => `${w.method} ${w.path}`)).toStrictEqual(['PUT /api/dashboard/1', 'PUT /api/card/10']);
    const put = fake.writes(since)[0]!.body as { dashcards: { id: number; card_id: number }[] };
    expect(put.dashcards.map((d) => d.card_id)).toStrictEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(put.dashcards.every((d) => d.id > 0)).toBe(true); // the remaining dashcards keep their ids
    expect(fake.writes(since)[1]!.body).toStrictEqual({ archived: true });
    expect(fake.cards.get(10)).toMatchObject({ archived: true, name: 'Top 20 titles by watch time (this month)' });
    expect(r.items.filter((i) => i.action !== 'unchanged').map((i) => `${i.kind} ${i.name} ${i.action} ${i.changes.join(',')}`)).toStrictEqual([
      'dashboard Growth & Retention Command Center update dashcards',
      'card Top 20 titles by watch time (this month) archive archived',
    ]);
    const after = fake.requests.length;
    expect((await run(fake, set)).changed).toBe(false);
    expect(fake.writes(after)).toStrictEqual([]);
  });
});

describe('Metabase API errors name the step, the card and the fix', () => {
  const fake = new FakeMetabase(KEY, warehouse(SHIPPED));
  beforeAll(() => fake.start());
  afterAll(() => fake.close());

  const failure = async (p: Promise<unknown>): Promise<StreamPulseError> => {
    const e = await p.then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(StreamPulseError);
    return e as StreamPulseError;
  };

  it('401: the API key', async () => {
    const e = await failure(run(fake, SHIPPED, { key: 'wrong' }));
    expect(e.code).toBe('METABASE_API_ERROR');
    expect(e.message).toBe('reading databases: 401 Unauthorized from GET /api/database: Unauthenticated');
    expect(e.remedy).toContain('STREAMPULSE_METABASE_API_KEY');
    expect(e.remedy).toContain('Key Vault');
  });

  it('404: the URL or a vanished object', async () => {
    fake.fail('GET', /^\/api\/collection$/, 404, 'API endpoint does not exist.');
    const e = await failure(run(fake, SHIPPED));
    expect(e.message).toBe('reading collections: 404 Not Found from GET /api/collection: API endpoint does not exist.');
    expect(e.remedy).toContain('--url');
  });

  it('500 while creating one question: the card is named; a re-run finishes the job', async () => {
    fake.fail('POST', /^\/api\/card$/, 500, JSON.stringify({ message: 'Error executing write query: connection reset' }), {
      when: (b) => (b as { name?: string }).name === 'MRR (USD)',
    });
    const e = await failure(run(fake, SHIPPED));
    expect(e.message).toBe(
      'creating question for card "mrr_this_month": 500 Internal Server Error from POST /api/card: Error executing write query: connection reset',
    );
    expect(e.remedy).toContain("Metabase's log");
    const r = await run(fake, SHIPPED);
    expect(r.items.filter((i) => i.action === 'create').map((i) => i.key)).toStrictEqual([...cardIds.slice(1), 'growth_retention_command_center']);
    expect((await run(fake, SHIPPED)).changed).toBe(false);
  });

  it('no response: the network', async () => {
    const gone = new FakeMetabase(KEY, []);
    await gone.start();
    const url = gone.url;
    await gone.close();
    const e = await failure(provisionMetabase(SHIPPED, { client: new MetabaseClient({ url, apiKey: KEY }), database: TARGET }));
    expect(e.message).toMatch(/^reading databases: no response from GET http:\/\/127\.0\.0\.1:\d+\/api\/database \(ECONNREFUSED\)$/);
    expect(e.remedy).toContain('--url');
  });
});
