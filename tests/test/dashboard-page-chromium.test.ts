/**
 * The static dashboard page in a real browser: Debian's chromium (/usr/bin/chromium,
 * installed by scripts/setup.sh), driven headless by playwright-core, with every network
 * request blocked. Over a small demo lake it builds the page, opens it from disk, waits
 * until every card has drawn, and checks each card's figures against the SQLite serving
 * database queried here on its own (better-sqlite3 + cardSql): the text a reader sees for
 * numbers and table cells, the drawn series for charts. It saves the page as
 * out/test-artifacts/dashboard.png (laptop width, 1280 px); with UPDATE_GOLDEN=1 also as
 * docs/dashboard.png, the screenshot the README shows (reviewed like a golden file).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { loadContractsOrThrow } from '@streampulse/contracts';
import { cardSql, chartSeries, dashboardModel, formatChange, formatValue, groupOf, type ChartSeries, type ResolvedCard } from '@streampulse/dashboards';
import { buildDashboardPage, LOCAL_DEMO_SALT, runDemo } from '@streampulse/rehearsal';
import { compactPng } from './png.js';

const ROOT = process.cwd();
const CHROMIUM = '/usr/bin/chromium';
const SET = loadContractsOrThrow(join(ROOT, 'contracts', 'streampulse'));
const MODEL = dashboardModel(SET);
const SCREENSHOT = join(ROOT, 'out', 'test-artifacts', 'dashboard.png');
const README_SCREENSHOT = join(ROOT, 'docs', 'dashboard.png');
const LAPTOP = { width: 1280, height: 800 };
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

type Row = Record<string, unknown>;

// What the functions that run in the page use of its globals (this project compiles without the DOM library)
interface PageElement {
  readonly scrollWidth: number;
  readonly clientWidth: number;
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  getBoundingClientRect(): { readonly top: number };
  closest(selector: string): PageElement | null;
  querySelector(selector: string): PageElement | null;
}
interface DrawnChart {
  readonly data: { readonly labels: unknown[]; readonly datasets: readonly { readonly label: string; readonly data: unknown[] }[] };
}
declare const document: { readonly documentElement: PageElement; querySelectorAll(selector: string): Iterable<PageElement> };
declare const window: { readonly innerWidth: number; readonly Chart: { getChart(canvas: unknown): DrawnChart | undefined } };
const TMP = mkdtempSync(join(tmpdir(), 'sp-dashboard-chromium-'));
let sqlite: string;
let pageFile: string;
let context: BrowserContext;
let page: Page;
const requests: string[] = [];
const blocked: string[] = [];
const pageErrors: string[] = [];

/** The card's rows, queried here on the serving database, not taken from the page builder. */
function query(c: ResolvedCard): Row[] {
  const db = new Database(sqlite, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(cardSql(c, 'sqlite')).all() as Row[];
  } finally {
    db.close();
  }
}
function scalar(sql: string): unknown {
  const db = new Database(sqlite, { readonly: true, fileMustExist: true });
  try {
    return Object.values(db.prepare(sql).get() as Row)[0];
  } finally {
    db.close();
  }
}
const sel = (id: string): string => `[data-card-id="${id}"]`;
const cardsOf = (viz: readonly string[]): ResolvedCard[] => MODEL.cards.filter((c) => viz.includes(c.card.visualization));
/** The text a reader sees: the element as rendered (its inner text, not its text nodes). */
const seen = async (l: Locator): Promise<string> => (await l.allInnerTexts()).join('\n');
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: run "STREAMPULSE_TEST_TOOLS=1 bash scripts/setup.sh" (or scripts/test.sh): it installs Debian's chromium with apt-get`,
    );
  // a small lake over a month boundary (the demo's start), so number cards have a previous month
  const demo = await runDemo(SET, {
    lakeRoot: join(TMP, 'lake'),
    users: 400,
    days: 12,
    seed: 'dashboard',
    startDate: '2026-01-25',
    salt: LOCAL_DEMO_SALT,
    threads: 2,
    freshness: 'report',
  });
  sqlite = demo.publish.sqlite;
  pageFile = buildDashboardPage({ set: SET, sqlitePath: sqlite, outDir: join(TMP, 'dashboard'), qualityJson: demo.publish.qualityJson });
  context = await chromium.launchPersistentContext(join(TMP, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: LAPTOP,
    deviceScaleFactor: 1,
  });
  // nothing but the file itself may load: every other request is aborted and recorded
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  context.on('request', (r) => requests.push(r.url()));
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(pathToFileURL(pageFile).href, { waitUntil: 'load' });
  await page.waitForFunction(
    (n) => {
      const cards = [...document.querySelectorAll('[data-card-id]')];
      return cards.length === n && cards.every((c) => c.getAttribute('data-rendered') === 'true' || c.hasAttribute('data-error'));
    },
    MODEL.cards.length,
    { timeout: 20_000 },
  );
}, 180_000);

afterAll(async () => {
  await context?.close();
  rmSync(TMP, { recursive: true, force: true });
});

describe("the static dashboard page in Debian's chromium (headless, network blocked)", () => {
  it('loads from disk with no request but the page itself, and draws every card of the contract', async () => {
    expect(blocked).toEqual([]);
    expect(requests).toEqual([pathToFileURL(pageFile).href]);
    expect(pageErrors).toEqual([]);
    const cards = await page.$$eval('[data-card-id]', (es) =>
      es.map((e) => ({ id: e.getAttribute('data-card-id'), rendered: e.getAttribute('data-rendered'), error: e.getAttribute('data-error') })),
    );
    expect(cards).toEqual(MODEL.cards.map((c) => ({ id: c.card.id, rendered: 'true', error: null })));
  }, 60_000);

  it('number cards show the newest period of the serving database, formatted, and its change', async () => {
    const numbers = cardsOf(['number']);
    expect(numbers.length).toBeGreaterThan(0);
    for (const c of numbers) {
      const rows = query(c);
      const newest = rows.at(-1)!;
      const previous = rows.at(-2);
      expect(rows.length).toBe(2); // this month and the one before
      for (const m of c.measures) {
        const fig = page.locator(`${sel(c.card.id)} .figure[data-measure="${m.name}"]`);
        expect({ card: c.card.id, text: await seen(fig.locator('.figure-value')) }).toEqual({ card: c.card.id, text: formatValue(newest[m.name], m.format) });
        expect(await fig.getAttribute('data-value')).toBe(String(newest[m.name] ?? ''));
        const change = formatChange(newest[m.name], previous?.[m.name], m.format);
        expect(await seen(fig.locator('.figure-change'))).toContain(change === undefined ? 'no earlier period' : change.text);
      }
    }
  }, 60_000);

  it('table and pivot cells show the queried values as a reader sees them', async () => {
    for (const c of cardsOf(['table'])) {
      const rows = query(c);
      expect(rows.length).toBeGreaterThan(0);
      const texts: string[][] = [];
      for (const tr of await page.locator(`${sel(c.card.id)} tbody tr`).all()) texts.push(await tr.locator('td').allInnerTexts());
      expect(texts).toEqual(rows.map((r) => c.columns.map((col) => formatValue(r[col.name], col.format))));
    }
    for (const c of cardsOf(['pivot'])) {
      const rows = query(c);
      const [rowDim, colDim] = c.dimensions;
      const m = c.measures[0]!;
      const cells: { row: string | null; col: string | null; text: string }[] = [];
      for (const td of await page.locator(`${sel(c.card.id)} td[data-row]:not([data-value=""])`).all())
        cells.push({ row: await td.getAttribute('data-row'), col: await td.getAttribute('data-col'), text: await seen(td) });
      expect(rows.length).toBeGreaterThan(0);
      expect(cells.sort((a, b) => `${a.row}|${a.col}`.localeCompare(`${b.row}|${b.col}`))).toEqual(
        rows
          .map((r) => ({ row: String(r[rowDim!.name]), col: String(r[colDim!.name]), text: formatValue(r[m.name], m.format) }))
          .sort((a, b) => `${a.row}|${a.col}`.localeCompare(`${b.row}|${b.col}`)),
      );
    }
  }, 60_000);

  it('charts draw the queried series: every row and measure at its category, in its dataset', async () => {
    for (const c of cardsOf(['line', 'bar', 'area', 'combo', 'funnel', 'pie', 'row'])) {
      const rows = query(c);
      expect(rows.length).toBeGreaterThan(0);
      const carried = JSON.parse((await page.getAttribute(sel(c.card.id), 'data-series'))!) as ChartSeries;
      const drawn = await page.$eval(`${sel(c.card.id)} canvas`, (canvas) => {
        const chart = window.Chart.getChart(canvas);
        return chart === undefined ? null : { labels: chart.data.labels, datasets: chart.data.datasets.map((d) => ({ label: d.label, data: d.data })) };
      });
      expect(drawn).not.toBeNull();
      expect(drawn!.labels).toEqual(carried.labels);
      expect(drawn!.datasets).toEqual(carried.datasets.map((d) => ({ label: d.label, data: d.values })));
      expect(carried).toEqual(JSON.parse(JSON.stringify(chartSeries(c, rows))));
      // and independently of the series code: each queried value is drawn where it belongs
      if (carried.xColumn === null) {
        expect(drawn!.datasets[0]!.data).toEqual(c.measures.map((m) => num(rows[0]![m.name])));
        continue;
      }
      const groupDims = c.dimensions.slice(1);
      let points = 0;
      for (const r of rows)
        for (const m of c.measures) {
          const di = carried.datasets.findIndex((d) => d.measure === m.name && d.group === (groupDims.length === 0 ? null : groupOf(r, groupDims)));
          const xi = carried.x.indexOf(r[carried.xColumn!] as string | number | null);
          expect({ card: c.card.id, di: di >= 0, xi: xi >= 0 }).toEqual({ card: c.card.id, di: true, xi: true });
          expect(drawn!.datasets[di]!.data[xi]).toBe(num(r[m.name]));
          points++;
        }
      const drawnPoints = drawn!.datasets.reduce((s, d) => s + d.data.filter((v) => v !== null).length, 0);
      expect(drawnPoints).toBe(points - rows.reduce((s, r) => s + c.measures.filter((m) => r[m.name] === null).length, 0));
    }
  }, 60_000);

  it('shows each metric definition on hover, and the data-quality panel of the serving database', async () => {
    const c = cardsOf(['number'])[0]!;
    expect(await page.getAttribute(sel(c.card.id), 'title')).toContain(c.measures[0]!.definition);
    const tip = page.locator(`${sel(c.card.id)} .tip`);
    expect(await tip.isVisible()).toBe(false);
    await page.hover(`${sel(c.card.id)} .info`);
    expect(await tip.isVisible()).toBe(true);
    expect(await seen(tip)).toContain(c.measures[0]!.definition);
    await page.mouse.move(0, 0);

    expect(await page.getAttribute('[data-as-of]', 'data-as-of')).toBe(scalar('SELECT MAX(as_of_batch) FROM serving_marts'));
    const db = new Database(sqlite, { readonly: true });
    const perDataset = db
      .prepare(
        'SELECT dataset, COUNT(*) AS batches, SUM(rows_in) AS rows_in, SUM(quarantined) AS quarantined FROM quality_batches GROUP BY dataset ORDER BY dataset',
      )
      .all() as Row[];
    db.close();
    const shown = await page.$$eval('table.quality-datasets tbody tr', (trs) =>
      trs.map((tr) => ({
        dataset: tr.getAttribute('data-dataset'),
        batches: Number(tr.querySelector('[data-field="batches"]')!.getAttribute('data-value')),
        rows_in: Number(tr.querySelector('[data-field="rows_in"]')!.getAttribute('data-value')),
        quarantined: Number(tr.querySelector('[data-field="quarantined"]')!.getAttribute('data-value')),
      })),
    );
    expect(shown).toEqual(perDataset);
    const reasons = await page.$$eval('table.quality-reasons [data-field="rows"]', (tds) =>
      tds.reduce((s, td) => s + Number(td.getAttribute('data-value')), 0),
    );
    expect(reasons).toBe(perDataset.reduce((s, d) => s + Number(d['quarantined']), 0));
  }, 60_000);

  it('fits a laptop screen (1280 px) on the 24-column grid, and stacks the cards on narrower ones; saves the screenshot', async () => {
    const layout = async (
      width: number,
    ): Promise<{ overflow: boolean; clipped: string[]; numbers: number; others: number; rowsOfNumbers: number; rowsOfOthers: number }> => {
      await page.setViewportSize({ ...LAPTOP, width });
      // chart.js resizes its canvases on the next frames: wait for the page to settle
      await page.waitForFunction(() => document.documentElement.scrollWidth <= window.innerWidth, null, { timeout: 5_000 }).catch(() => undefined);
      const l = await page.evaluate(() => {
        const tops = (sel: string): number[] => [...document.querySelectorAll(sel)].map((e) => Math.round(e.getBoundingClientRect().top));
        return {
          overflow: document.documentElement.scrollWidth > window.innerWidth,
          // a table wider than its card scrolls inside it
          clipped: [...document.querySelectorAll('.table-wrap')]
            .filter((e) => e.scrollWidth > e.clientWidth + 1)
            .map((e) => e.closest('[data-card-id]')?.getAttribute('data-card-id') ?? e.closest('.panel')?.querySelector('h3')?.textContent ?? '?'),
          numbers: tops('[data-visualization="number"]'),
          others: tops('[data-card-id]:not([data-visualization="number"])'),
        };
      });
      return {
        overflow: l.overflow,
        clipped: l.clipped,
        numbers: l.numbers.length,
        others: l.others.length,
        rowsOfNumbers: new Set(l.numbers).size,
        rowsOfOthers: new Set(l.others).size,
      };
    };
    // laptop: the contract's layout — the headline numbers in one row, charts two by two, every table whole
    const laptop = await layout(LAPTOP.width);
    expect(laptop).toMatchObject({ overflow: false, clipped: [], rowsOfNumbers: 1 });
    expect(laptop.rowsOfOthers).toBeLessThan(laptop.others);
    mkdirSync(join(ROOT, 'out', 'test-artifacts'), { recursive: true });
    const png = compactPng(await page.screenshot({ fullPage: true }));
    writeFileSync(SCREENSHOT, png);
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(README_SCREENSHOT)) {
      mkdirSync(join(ROOT, 'docs'), { recursive: true });
      writeFileSync(README_SCREENSHOT, png);
    }
    expect(statSync(SCREENSHOT).size).toBeLessThan(400 * 1024);
    expect(png.readUInt32BE(16)).toBe(LAPTOP.width);
    // narrower: the numbers still side by side, each other card the full width
    const tablet = await layout(900);
    expect(tablet).toMatchObject({ overflow: false, rowsOfNumbers: 1 });
    expect(tablet.rowsOfOthers).toBe(tablet.others);
    // a phone: one card per row
    const phone = await layout(600);
    expect(phone).toMatchObject({ overflow: false, rowsOfNumbers: phone.numbers, rowsOfOthers: phone.others });
    await page.setViewportSize(LAPTOP);
  }, 60_000);
});
