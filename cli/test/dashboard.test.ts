/**
 * `streampulse dashboard build` and the page `streampulse demo` writes, on the fixture
 * contracts over a small real lake (DuckDB, SQLite); the errors a user can meet.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContractsOrThrow } from '@streampulse/contracts';
import { CLI_DIR, run, VALID } from './run.js';

describe('streampulse dashboard build', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'sp-cli-dashboard-'));
  const lake = join(tmp, 'lake');
  const cards = loadContractsOrThrow(join(CLI_DIR, VALID)).dashboards.flatMap((d) => d.cards.map((c) => c.id));

  it('demo writes the page under the lake and says where it is', async () => {
    const r = await run(['demo', '--dir', VALID, '--out', lake, '--users', '40', '--days', '2', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { dashboard: string };
    expect(j.dashboard).toBe(join(lake, 'dashboard', 'index.html'));
    const html = readFileSync(j.dashboard, 'utf8');
    expect(cards.length).toBeGreaterThan(0);
    for (const id of cards) expect(html).toContain(`data-card-id="${id}"`);
    expect(html).not.toMatch(/https?:\/\//i);
  }, 60_000);

  it('builds the page from a serving database into --out; --json gives the path', async () => {
    const out = join(tmp, 'page');
    const r = await run(['dashboard', 'build', '--dir', VALID, '--db', join(lake, 'serving', 'streampulse.sqlite'), '--out', out, '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, cards: cards.length, page: join(out, 'index.html') });
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    const text = await run(['dashboard', 'build', '--dir', VALID, '--db', join(lake, 'serving', 'streampulse.sqlite'), '--out', out]);
    expect(text.code).toBe(0);
    expect(text.out).toContain(`  page  ${join(out, 'index.html')}`);
  }, 30_000);

  it('a missing serving database or quality report is an error with the fix; exit 1', async () => {
    const noDb = await run(['dashboard', 'build', '--dir', VALID, '--db', join(tmp, 'nowhere.sqlite'), '--out', join(tmp, 'x')]);
    expect(noDb.code).toBe(1);
    expect(noDb.err).toContain('error DASHBOARD_DB_MISSING: ');
    expect(noDb.err).toContain('streampulse demo');
    const noQuality = await run([
      'dashboard',
      'build',
      '--dir',
      VALID,
      '--db',
      join(lake, 'serving', 'streampulse.sqlite'),
      '--out',
      join(tmp, 'x'),
      '--quality',
      join(tmp, 'none.json'),
      '--json',
    ]);
    expect(noQuality.code).toBe(1);
    expect(JSON.parse(noQuality.out)).toMatchObject({ ok: false, error: { code: 'DASHBOARD_QUALITY_MISSING' } });
    expect(existsSync(join(tmp, 'x', 'index.html'))).toBe(false);
  }, 30_000);
});
