/**
 * The static dashboard page's renderer, without a browser: formatting, one section per
 * card in layout order with its figures, deterministic bytes, no URL, the quality panel,
 * and a card added to a copy of the dashboard contract reaching the page with no code
 * change. (tests/test/dashboard-page-chromium.test.ts draws the page in a browser.)
 */
import { describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findWorkspaceRoot, loadContractsOrThrow, StreamPulseError } from '@streampulse/contracts';
import {
  chartSeries,
  dashboardModel,
  formatChange,
  formatValue,
  periodLabel,
  qualityFromReport,
  qualityFromServingRows,
  renderDashboardPage,
  summarizeQuality,
  type ChartSeries,
  type DashboardData,
  type DashboardModel,
  type ResolvedCard,
  type Row,
} from '@streampulse/dashboards';

const root = findWorkspaceRoot() ?? process.cwd();
const contractsDir = join(root, 'contracts', 'streampulse');
const model = dashboardModel(loadContractsOrThrow(contractsDir));
const card = (id: string, m: DashboardModel = model): ResolvedCard => {
  const c = m.cards.find((x) => x.card.id === id);
  if (c === undefined) throw new Error(`no card ${id}`);
  return c;
};

/** A library with the things the renderer must neutralise: URLs, a source map, a closing script tag. */
const FAKE_CHART_JS = [
  '/*!',
  ' * FakeChart v1.0',
  ' * https://fakechart.example.org',
  ' * (c) 2026 FakeChart Contributors',
  ' * Released under the MIT License',
  ' */',
  'window.Chart = function () {}; var s = "</script>"; // see http://fakechart.example.org/docs',
  '//# sourceMappingURL=chart.umd.js.map',
].join('\n');

const MONTHS = ['2025-11-01', '2025-12-01', '2026-01-01', '2026-02-01'];

/** Plausible rows for any card: three rows (two for a number card), values from the column's format. */
function rowsFor(c: ResolvedCard): Row[] {
  const n = c.card.visualization === 'number' ? 2 : c.card.visualization === 'funnel' ? 1 : 3;
  return Array.from({ length: n }, (_, i) =>
    Object.fromEntries(
      c.columns.map((col) => {
        const v =
          col.format === 'date'
            ? MONTHS[i + (c.card.visualization === 'number' ? 2 : 0)]
            : col.format === 'text'
              ? `${col.name}_${i}`
              : col.format === 'boolean'
                ? i % 2
                : col.format === 'percent'
                  ? 0.015 * (i + 1)
                  : col.format === 'currency'
                    ? 5364.14 + i * 100
                    : col.format === 'integer'
                      ? 12345 - i * 1000
                      : 10.5 * (i + 1);
        return [col.name, v];
      }),
    ),
  );
}

const QUALITY_REPORT = {
  batches: [
    {
      batch: '2026-02-06',
      datasets: [
        {
          dataset: 'users',
          rows_in: 100,
          promoted: 95,
          quarantined: 3,
          duplicates_dropped: 2,
          quarantined_by_reason: { 'required:user_id': 2, 'type:signup_at': 1 },
          freshness: { newest_event_time: '2026-02-06 22:00:00', age_hours: 2, sla_hours: 26, within_sla: true },
        },
      ],
    },
    {
      batch: '2026-02-07',
      datasets: [
        {
          dataset: 'users',
          rows_in: 50,
          promoted: 50,
          quarantined: 0,
          duplicates_dropped: 0,
          quarantined_by_reason: {},
          freshness: { newest_event_time: '2026-02-05 22:00:00', age_hours: 50, sla_hours: 26, within_sla: false },
        },
        { dataset: 'payments', rows_in: 10, promoted: 9, quarantined: 1, duplicates_dropped: 0, quarantined_by_reason: { 'required:payment_id': 1 } },
      ],
    },
  ],
};

function data(m: DashboardModel = model): DashboardData {
  return { rows: Object.fromEntries(m.cards.map((c) => [c.card.id, rowsFor(c)])), quality: qualityFromReport(QUALITY_REPORT), asOf: '2026-02-07' };
}

/** The opening tag and body of each card section, in document order. */
function sections(html: string): { id: string; tag: string; body: string }[] {
  return [...html.matchAll(/<section ([^>]*data-card-id="([^"]+)"[^>]*)>([\s\S]*?)<\/section>/g)].map((m) => ({ id: m[2]!, tag: m[1]!, body: m[3]! }));
}
const attrOf = (tag: string, name: string): string | undefined => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(` ${tag}`);
  return m?.[1]
    ?.replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#58;/g, ':')
    .replace(/&amp;/g, '&');
};
const cellTexts = (body: string): string[] => [...body.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((m) => m[1]!);

describe('formatting', () => {
  it('writes currency, percent, integers, decimals, dates, booleans and missing values as a reader expects', () => {
    expect(formatValue(5364.14, 'currency')).toBe('$5,364.14');
    expect(formatValue(-12.5, 'currency')).toBe('-$12.50');
    expect(formatValue(0.015, 'percent')).toBe('1.5%');
    expect(formatValue(0.34871, 'percent')).toBe('34.9%');
    expect(formatValue(1, 'percent')).toBe('100.0%');
    expect(formatValue(1234567, 'integer')).toBe('1,234,567');
    expect(formatValue(BigInt(42), 'integer')).toBe('42');
    expect(formatValue(73.2025, 'decimal')).toBe('73.20');
    expect(formatValue('2026-02-01', 'date')).toBe('2026-02-01');
    expect(formatValue(1, 'boolean')).toBe('Yes');
    expect(formatValue(0, 'boolean')).toBe('No');
    expect(formatValue(null, 'currency')).toBe('—');
    expect(formatValue('basic', 'text')).toBe('basic');
    expect(formatValue(-0.0001, 'integer')).toBe('0');
  });

  it('writes the change from the previous period with its sign, in points for percents', () => {
    expect(formatChange(1493.37, 1208.44, 'currency')).toEqual({ text: '+$284.93 (+23.6%)', direction: 'up', delta: expect.any(Number) });
    expect(formatChange(0.0101, 0.0425, 'percent')?.text).toBe('-3.2 pts');
    expect(formatChange(156, 156, 'integer')).toEqual({ text: '0 (0.0%)', direction: 'flat', delta: 0 });
    expect(formatChange(1100, 1000, 'integer')?.text).toBe('+100 (+10.0%)');
    expect(formatChange(5, 0, 'integer')?.text).toBe('+5');
    expect(formatChange(null, 3, 'integer')).toBeUndefined();
  });

  it('names a month by its first day, and leaves other dates alone', () => {
    expect(periodLabel('2026-02-01', true)).toBe('Feb 2026');
    expect(periodLabel('2026-02-07', false)).toBe('2026-02-07');
  });
});

describe('renderDashboardPage', () => {
  const html = renderDashboardPage(model, data(), { chartJs: FAKE_CHART_JS });

  it('renders every card of the contract once, in layout order, placed on the 24-column grid', () => {
    const s = sections(html);
    expect(s.map((x) => x.id)).toEqual(model.cards.map((c) => c.card.id));
    expect(s.map((x) => x.id)).toHaveLength(10);
    for (const c of model.cards) {
      const sec = s.find((x) => x.id === c.card.id)!;
      expect(attrOf(sec.tag, 'style')).toBe(
        `--c: ${c.card.layout.col + 1}; --w: ${c.card.layout.width}; --r: ${c.card.layout.row + 1}; --h: ${c.card.layout.height}`,
      );
      expect(sec.body).toContain(formatValue(c.card.title, 'text').replace(/&/g, '&amp;'));
    }
    expect(html).toContain('grid-template-columns: repeat(24, minmax(0, 1fr))');
    expect(html).toMatch(/@media \(max-width: 1100px\)/);
  });

  it('is deterministic: the same inputs give the same bytes', () => {
    expect(renderDashboardPage(model, data(), { chartJs: FAKE_CHART_JS })).toBe(html);
  });

  it('holds no URL, keeps the library licence notice, and nothing in the library closes its script', () => {
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toContain('sourceMappingURL');
    expect(html).toContain('(c) 2026 FakeChart Contributors');
    expect(html).toContain('Released under the MIT License');
    expect(html).toContain('fakechart.example.org');
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).not.toMatch(/<(link|img|iframe)[^>]+(href|src)="(?!data:)/);
    // a URL in the contract's text is shown, never a link
    const m = { ...model, description: 'See https://wiki.example.org/streampulse for more.' };
    const page = renderDashboardPage(m, data(), { chartJs: FAKE_CHART_JS });
    expect(page).not.toMatch(/https?:\/\//i);
    expect(page).toContain('https&#58;//wiki.example.org/streampulse');
  });

  it('number cards show the newest period formatted, its change from the period before, and the definition on hover', () => {
    const s = sections(html);
    const mrr = s.find((x) => x.id === 'mrr_this_month')!;
    expect(mrr.body).toContain('<div class="figure-value">$5,464.14</div>');
    expect(mrr.body).toContain('Feb 2026');
    expect(mrr.body).toContain('+$100.00 (+1.9%) vs Jan 2026');
    const fig = /<div class="figure"([^>]*)>/.exec(mrr.body)![1]!;
    expect(attrOf(fig, 'data-value')).toBe('5464.14');
    expect(attrOf(fig, 'title')).toBe(`${card('mrr_this_month').measures[0]!.label}: ${card('mrr_this_month').measures[0]!.definition}`);
    expect(attrOf(mrr.tag, 'title')).toContain(card('mrr_this_month').measures[0]!.definition);
    expect(attrOf(mrr.tag, 'data-rendered')).toBe('true');
    const churn = s.find((x) => x.id === 'churn_rate_this_month')!;
    expect(churn.body).toContain('<div class="figure-value">3.0%</div>');
    expect(churn.body).toContain('+1.5 pts vs Jan 2026');
    expect(s.find((x) => x.id === 'active_users_this_month')!.body).toContain('<div class="figure-value">11,345</div>');
  });

  it('tables show each row formatted with the raw value beside it; the pivot is a heat-shaded cohort grid', () => {
    const s = sections(html);
    const top = s.find((x) => x.id === 'top_titles_this_month')!;
    const c = card('top_titles_this_month');
    const rows = rowsFor(c);
    expect(cellTexts(top.body)).toEqual(rows.flatMap((r) => c.columns.map((col) => formatValue(r[col.name], col.format))));
    for (const col of c.columns) expect(top.body).toContain(`data-column="${col.name}" title="`);
    const pivot = s.find((x) => x.id === 'cohort_retention_grid')!;
    const cells = [...pivot.body.matchAll(/<td ([^>]*)>([^<]*)<\/td>/g)].filter((m) => attrOf(m[1]!, 'data-value') !== '');
    expect(cells.map((m) => m[2])).toEqual(['1.5%', '3.0%', '4.5%']);
    expect(cells.every((m) => /background: rgba\(37, 99, 235, 0\.\d+\)/.test(m[1]!))).toBe(true);
    expect(attrOf(pivot.tag, 'data-rendered')).toBe('true');
  });

  it('chart cards carry their series: one dataset per measure (and per further dimension value), values in query order', () => {
    const s = sections(html);
    for (const id of ['mrr_and_subscribers_trend', 'subscriber_flow_by_tier', 'daily_engagement', 'acquisition_funnel', 'payment_failure_rate_by_method']) {
      const sec = s.find((x) => x.id === id)!;
      expect(attrOf(sec.tag, 'data-rendered')).toBeUndefined(); // set by the page's script once drawn
      const series = JSON.parse(attrOf(sec.tag, 'data-series')!) as ChartSeries;
      expect(series).toEqual(JSON.parse(JSON.stringify(chartSeries(card(id), rowsFor(card(id))))));
      expect(sec.body).toContain('<canvas');
    }
    const flow = chartSeries(card('subscriber_flow_by_tier'), rowsFor(card('subscriber_flow_by_tier')));
    expect(flow.datasets.map((d) => [d.measure, d.group, d.stack])).toEqual([
      ['new_subscribers', 'plan_tier_0', 'new_subscribers'],
      ['churned_subscribers', 'plan_tier_0', 'churned_subscribers'],
      ['new_subscribers', 'plan_tier_1', 'new_subscribers'],
      ['churned_subscribers', 'plan_tier_1', 'churned_subscribers'],
      ['new_subscribers', 'plan_tier_2', 'new_subscribers'],
      ['churned_subscribers', 'plan_tier_2', 'churned_subscribers'],
    ]);
    expect(flow.datasets[0]!.values).toEqual([12345, null, null]);
    const combo = chartSeries(card('mrr_and_subscribers_trend'), rowsFor(card('mrr_and_subscribers_trend')));
    expect(combo.labels).toEqual(['Nov 2025', 'Dec 2025', 'Jan 2026']);
    expect(combo.datasets.map((d) => [d.type, d.axis])).toEqual([
      ['bar', 'y'],
      ['line', 'y1'],
      ['line', 'y2'],
    ]);
    const funnel = chartSeries(card('acquisition_funnel'), rowsFor(card('acquisition_funnel')));
    expect(funnel.x).toEqual(card('acquisition_funnel').measures.map((m) => m.name));
    expect(funnel.horizontal).toBe(true);
  });

  it('shows the header with the title, the description and the as-of batch, and the data-quality panel', () => {
    expect(html).toContain(`<h1>${model.title.replace(/&/g, '&amp;')}</h1>`);
    expect(html).toContain('As of <span class="as-of" data-as-of="2026-02-07">2026-02-07</span>');
    expect(html).toContain('2 batches (2026-02-06 → 2026-02-07) · 160 rows in = 154 promoted + 4 quarantined + 2 duplicates · from the quality report');
    expect(html).toMatch(
      /<tr data-dataset="users"><td>users<\/td><td class="num" data-field="batches" data-value="2">2<\/td><td class="num" data-field="rows_in" data-value="150">150<\/td>/,
    );
    expect(html).toContain(
      '<tr data-dataset="users" data-reason="required:user_id"><td>users</td><td>required:user_id</td><td class="num" data-field="rows" data-value="2">2</td></tr>',
    );
    expect(html).toMatch(/data-field="freshness" data-value="late"[^>]*>✗ late</);
  });

  it('refuses a model whose cards were not all queried', () => {
    const d = data();
    const rows = { ...d.rows };
    delete rows['mrr_this_month'];
    expect(() => renderDashboardPage(model, { ...d, rows }, { chartJs: '' })).toThrow(expect.objectContaining({ code: 'DASHBOARD_ROWS_MISSING' }));
  });

  it('shows a card without rows as empty, never as a wrong figure', () => {
    const d = data();
    const page = renderDashboardPage(model, { ...d, rows: { ...d.rows, mrr_this_month: [], daily_engagement: [] } }, { chartJs: '' });
    for (const id of ['mrr_this_month', 'daily_engagement']) {
      const sec = sections(page).find((x) => x.id === id)!;
      expect(sec.body).toContain('data-empty="true"');
      expect(attrOf(sec.tag, 'data-rendered')).toBe('true');
    }
  });
});

describe('quality data', () => {
  it('reads the serving database rows without reasons, and says so on the page', () => {
    const q = qualityFromServingRows([
      { batch: '2026-02-07', dataset: 'users', rows_in: 5, promoted: 4, quarantined: 1, duplicates_dropped: 0, warned: 0, within_sla: 1 },
    ]);
    expect(summarizeQuality(q)).toMatchObject({ batches: ['2026-02-07'], hasReasons: false, totals: { rows_in: 5, quarantined: 1 } });
    const page = renderDashboardPage(model, { ...data(), quality: q }, { chartJs: '' });
    expect(page).toContain("the reasons are in the run's quality report");
    expect(page).toContain('from the serving database');
  });

  it('refuses a file that is not a quality report, with the fix', () => {
    for (const bad of [{}, { batches: [{ batch: 'x' }] }, { batches: [{ batch: 'x', datasets: [{ dataset: 'u', rows_in: 'many' }] }] }]) {
      try {
        qualityFromReport(bad);
        throw new Error('accepted');
      } catch (e) {
        expect(e).toBeInstanceOf(StreamPulseError);
        expect((e as StreamPulseError).code).toBe('DASHBOARD_QUALITY_INVALID');
        expect((e as StreamPulseError).remedy).toContain('quality.json');
      }
    }
  });
});

describe('a card added to the dashboard contract reaches the page with no code change', () => {
  it('renders a new card of a copied contract folder with its rows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sp-dash-contract-'));
    try {
      cpSync(contractsDir, dir, { recursive: true });
      const file = join(dir, 'dashboard.yaml');
      writeFileSync(
        file,
        `${readFileSync(file, 'utf8').trimEnd()}
  - id: revenue_collected_by_month
    title: Cash revenue collected, by month
    description: Added by a test to a copy of the contract.
    mart: analytics_kpi_monthly
    visualization: bar
    query:
      dimensions: [month]
      measures: [revenue]
      filters:
        - { column: month, op: last_n_months, value: 6 }
    layout: { row: 40, col: 0, width: 24, height: 8 }
`,
      );
      const m = dashboardModel(loadContractsOrThrow(dir));
      expect(m.cards).toHaveLength(model.cards.length + 1);
      const added = card('revenue_collected_by_month', m);
      const rows = [
        { month: '2026-01-01', revenue: 4321.5 },
        { month: '2026-02-01', revenue: 1234.25 },
      ];
      const d = data(m);
      const page = renderDashboardPage(m, { ...d, rows: { ...d.rows, [added.card.id]: rows } }, { chartJs: '' });
      const sec = sections(page).find((x) => x.id === 'revenue_collected_by_month');
      expect(sec).toBeDefined();
      expect(sections(page).at(-1)!.id).toBe('revenue_collected_by_month');
      expect(sec!.body).toContain('Cash revenue collected, by month');
      const series = JSON.parse(attrOf(sec!.tag, 'data-series')!) as ChartSeries;
      expect(series.labels).toEqual(['Jan 2026', 'Feb 2026']);
      expect(series.datasets[0]).toMatchObject({ measure: 'revenue', values: [4321.5, 1234.25], display: ['$4,321.50', '$1,234.25'] });
      expect(attrOf(sec!.tag, 'title')).toContain(added.measures[0]!.definition);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
