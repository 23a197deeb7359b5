/**
 * `streampulse metabase provision`: the plan against an empty Metabase (dry run without
 * --url), its human rendering, and the options it refuses. The provisioning itself is
 * tested against a fake Metabase in dashboards/test/metabase-provision.test.ts.
 */
import { describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { run } from './run.js';

/** A loopback URL nothing listens on (the port of a server just closed). */
async function closedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

interface PlanJson {
  ok: boolean;
  dryRun: boolean;
  url: string | null;
  changed: boolean;
  summary: Record<string, number>;
  objects: {
    kind: string;
    key: string;
    action: string;
    payload: { display?: string; dataset_query?: { type: string; native: { query: string } }; dashcards?: unknown[]; details?: Record<string, unknown> };
  }[];
  unresolved: string[];
}

describe('streampulse metabase provision', () => {
  it('--dry-run --json without --url: ten card questions, each a native query on an analytics_* view, and one dashboard', async () => {
    const r = await run([
      'metabase',
      'provision',
      '--dry-run',
      '--json',
      '--sql-server',
      'sql-spulse-dev.database.windows.net',
      '--sql-database',
      'sqldb-serving',
    ]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const plan = JSON.parse(r.out) as PlanJson;
    expect([plan.ok, plan.dryRun, plan.url, plan.changed]).toStrictEqual([true, true, null, true]);
    const cards = plan.objects.filter((o) => o.kind === 'card');
    expect(cards).toHaveLength(10);
    for (const c of cards) {
      expect(c.action).toBe('create');
      expect(c.payload.dataset_query!.type).toBe('native');
      expect(c.payload.dataset_query!.native.query).toMatch(/FROM \[serving\]\.\[analytics_\w+\]/);
    }
    const dashboards = plan.objects.filter((o) => o.kind === 'dashboard');
    expect(dashboards).toHaveLength(1);
    expect(dashboards[0]!.payload.dashcards).toHaveLength(10);
    expect(plan.summary).toStrictEqual({ create: 13, update: 0, unchanged: 0, archive: 0 });
    const db = plan.objects.find((o) => o.kind === 'database')!;
    expect(db.payload.details).toMatchObject({ host: 'sql-spulse-dev.database.windows.net', db: 'sqldb-serving', port: 1433, ssl: true });
    expect(plan.unresolved).toContain('<field serving.analytics_kpi_monthly.month>');
    expect(plan.unresolved).not.toContain('<sql-server>');
  });

  it('prints a table of objects and actions; secrets of --database-connection never appear', async () => {
    const r = await run(['metabase', 'provision', '--dry-run', '--database-connection', '{"user":"reader","password":"s3cret"}']);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^OBJECT\s+NAME\s+ACTION\s+CHANGES$/);
    expect(lines).toContainEqual(expect.stringMatching(/^question mrr_this_month\s+MRR \(USD\)\s+create$/));
    expect(lines).toContainEqual(expect.stringMatching(/^dashboard\s+Growth & Retention Command Center\s+create$/));
    expect(r.out).toContain('planned against an empty Metabase (no --url; ids unresolved): 13 to create (dry run: nothing was changed)');
    const json = await run(['metabase', 'provision', '--dry-run', '--json', '--database-connection', '{"user":"reader","password":"s3cret"}']);
    expect(json.out).not.toContain('s3cret');
    expect(json.out).toContain('"password": "********"');
  });

  it('refuses a live run without --url, without an API key, or with a bad option', async () => {
    const noUrl = await run(['metabase', 'provision']);
    expect(noUrl.code).toBe(1);
    expect(noUrl.err).toContain('error METABASE_NO_URL');
    const noKey = await run(['metabase', 'provision', '--url', 'http://127.0.0.1:9', '--sql-server', 'h', '--sql-database', 'd']);
    expect(noKey.code).toBe(1);
    expect(noKey.err).toContain('error METABASE_NO_API_KEY: no Metabase API key: pass --api-key or set STREAMPULSE_METABASE_API_KEY');
    const guid = await run(['metabase', 'provision', '--dry-run', '--identity-client-id', 'not-a-guid']);
    expect(guid.err).toContain('error METABASE_BAD_CLIENT_ID');
    const conn = await run(['metabase', 'provision', '--dry-run', '--database-connection', '{"hostname":"x"}']);
    expect(conn.err).toContain('"hostname", which is not a connection detail');
  });

  it('a live run reads the API key from STREAMPULSE_METABASE_API_KEY and names the failing step (here: nothing listens)', async () => {
    const url = await closedUrl();
    const r = await run(['metabase', 'provision', '--url', url, '--sql-server', 'h', '--sql-database', 'd', '--json'], {
      env: { STREAMPULSE_METABASE_API_KEY: 'mb_key' },
    });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.out) as { ok: boolean; error: { code: string; message: string } };
    expect(out.ok).toBe(false);
    expect(out.error.code).toBe('METABASE_API_ERROR');
    expect(out.error.message).toBe(`reading databases: no response from GET ${url}/api/database (ECONNREFUSED)`);
  });
});
