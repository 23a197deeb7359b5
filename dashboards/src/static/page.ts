/**
 * The static dashboard page: one self-contained HTML file rendered from the dashboard
 * model, each card's rows (its `cardSql(card, 'sqlite')` result on the serving
 * database), the run's quality data and the chart library's source text, which is
 * inlined. The page loads nothing: no URL appears in it.
 *
 * Every card of the contract is a `<section data-card-id="…">` placed on the contract's
 * 24-column grid. Its figures are written here as text and carried machine-readably:
 * `data-value` on each number, table cell and pivot cell; `data-series` (JSON, see
 * series.ts) on each chart card, whose script sets `data-rendered="true"` once chart.js
 * has drawn it (HTML-only cards carry it from the start). Hovering a card, a figure or a
 * column heading shows the definition of what it counts (`title`), and the ⓘ of each card
 * lists them all.
 *
 * Pure and deterministic: the same inputs give the same bytes (no clock, no randomness).
 */
import { StreamPulseError } from '@streampulse/contracts';
import type { CardColumn, DashboardModel, ResolvedCard } from '../model.js';
import { GRID_GAP, GRID_UNIT, PAGE_CSS, PAGE_SCRIPT } from './assets.js';
import { allMonthStarts, escapeHtml, formatChange, formatValue, NO_VALUE, numeric, periodLabel } from './format.js';
import { summarizeQuality, type QualityData } from './quality.js';
import { chartSeries, isChart, type Row } from './series.js';

export interface DashboardData {
  /** Each card's rows by card id: the result of `cardSql(card, 'sqlite')`, in the query's order. */
  readonly rows: Readonly<Record<string, readonly Row[]>>;
  readonly quality: QualityData;
  /** The newest batch the served marts hold; default: the newest batch of the quality data. */
  readonly asOf?: string;
}

export interface RenderOptions {
  /** The chart library's browser build (chart.js's `dist/chart.umd.js`), inlined into the page. */
  readonly chartJs: string;
}

const esc = escapeHtml;
const attr = (name: string, value: string): string => ` ${name}="${esc(value)}"`;
/** A raw cell value as `data-value` text: numbers as JavaScript prints them, missing as empty. */
const rawText = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const isNumericFormat = (c: CardColumn): boolean => c.format === 'integer' || c.format === 'decimal' || c.format === 'currency' || c.format === 'percent';

/**
 * The chart library's text made safe to inline: its licence header stays, URLs lose their
 * scheme (chart.js has them only in its comments), the source-map reference goes, and
 * nothing in it can close the script element.
 */
export function inlineLibrary(source: string): string {
  return source
    .replace(/^\/\/# sourceMappingURL=.*$/gm, '')
    .replace(/\bhttps?:\/\//gi, '')
    .replace(/<\/(script)/gi, '<\\/$1')
    .replace(/<!--/g, '<\\!--')
    .trimEnd();
}

/** Plain-text definitions of a card: its description and each measure's definition (the card's hover text). */
function definitionsText(rc: ResolvedCard): string {
  return [rc.card.description ?? '', ...rc.measures.map((m) => `${m.label}: ${m.definition}`)].filter((s) => s !== '').join('\n');
}

function head(rc: ResolvedCard): string {
  const desc = rc.card.description;
  return [
    '<div class="card-head">',
    `<h2${attr('title', desc ?? rc.card.title)}>${esc(rc.card.title)}</h2>`,
    '<span class="info" tabindex="0" role="button" aria-label="What these figures mean">i</span>',
    '<div class="tip" role="tooltip">',
    desc === undefined ? '' : `<p>${esc(desc)}</p>`,
    '<dl>',
    ...rc.columns.filter((c) => c.role === 'measure').map((m) => `<dt>${esc(m.label)}</dt><dd>${esc(m.definition)}</dd>`),
    '</dl></div></div>',
  ].join('');
}

function numberBody(rc: ResolvedCard, rows: readonly Row[]): string {
  const newest = rows[rows.length - 1];
  if (newest === undefined) return '<p class="empty" data-empty="true">No rows for this period.</p>';
  const previous = rc.trendColumn === undefined ? undefined : rows[rows.length - 2];
  const trend = rc.trendColumn;
  const months = trend !== undefined && allMonthStarts(rows.map((r) => r[trend]));
  const period = trend === undefined ? '' : periodLabel(newest[trend], months);
  const figures = rc.measures.map((m) => {
    const v = newest[m.name];
    const change = previous === undefined ? undefined : formatChange(v, previous[m.name], m.format);
    const changeHtml =
      trend === undefined
        ? ''
        : change === undefined
          ? '<div class="figure-change none">no earlier period to compare</div>'
          : `<div class="figure-change ${change.direction}"${attr('data-delta', String(change.delta))}>${change.direction === 'up' ? '▲' : change.direction === 'down' ? '▼' : '■'} ${esc(change.text)} vs ${esc(periodLabel(previous![trend], months))}</div>`;
    return [
      `<div class="figure"${attr('data-measure', m.name)}${attr('data-value', rawText(v))}${attr('title', `${m.label}: ${m.definition}`)}>`,
      `<div class="figure-value">${esc(formatValue(v, m.format))}</div>`,
      period === '' ? '' : `<div class="figure-period"${attr('data-period', rawText(newest[trend!]))}>${esc(period)}</div>`,
      changeHtml,
      '</div>',
    ].join('');
  });
  return `<div class="figures">${figures.join('')}</div>`;
}

function tableBody(rc: ResolvedCard, rows: readonly Row[]): string {
  if (rows.length === 0) return '<p class="empty" data-empty="true">No rows for this period.</p>';
  const cls = (c: CardColumn): string => (isNumericFormat(c) ? ' class="num"' : '');
  const th = rc.columns.map((c) => `<th${cls(c)}${attr('data-column', c.name)}${attr('title', `${c.label}: ${c.definition}`)}>${esc(c.label)}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        `<tr>${rc.columns.map((c) => `<td${cls(c)}${attr('data-column', c.name)}${attr('data-value', rawText(r[c.name]))}>${esc(formatValue(r[c.name], c.format))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<div class="table-wrap"><table class="data"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

/** Heat shade of a cell: the share of the grid's largest value, as the blue's opacity. */
function shade(v: number | undefined, max: number): { style: string; cls: string } {
  if (v === undefined) return { style: '', cls: 'none' };
  const a = max > 0 ? 0.06 + 0.76 * Math.max(0, Math.min(1, v / max)) : 0.06;
  const alpha = Math.round(a * 100) / 100;
  return { style: ` style="background: rgba(37, 99, 235, ${alpha})"`, cls: alpha > 0.5 ? 'dark' : 'light' };
}

function pivotBody(rc: ResolvedCard, rows: readonly Row[]): string {
  const [rowDim, colDim] = rc.dimensions;
  const m = rc.measures[0];
  if (rowDim === undefined || colDim === undefined || m === undefined) return tableBody(rc, rows);
  if (rows.length === 0) return '<p class="empty" data-empty="true">No rows for this period.</p>';
  const rowKeys: unknown[] = [];
  const seenRow = new Set<string>();
  const colKeys: unknown[] = [];
  const seenCol = new Set<string>();
  const cells = new Map<string, unknown>();
  for (const r of rows) {
    const rk = rawText(r[rowDim.name]);
    const ck = rawText(r[colDim.name]);
    if (!seenRow.has(rk)) {
      seenRow.add(rk);
      rowKeys.push(r[rowDim.name]);
    }
    if (!seenCol.has(ck)) {
      seenCol.add(ck);
      colKeys.push(r[colDim.name]);
    }
    cells.set(`${rk}\u0000${ck}`, r[m.name]);
  }
  // columns in their natural order (numbers numerically), whatever the row order
  const allNumeric = colKeys.every((k) => numeric(k) !== undefined);
  colKeys.sort((a, b) => (allNumeric ? numeric(a)! - numeric(b)! : rawText(a) < rawText(b) ? -1 : rawText(a) > rawText(b) ? 1 : 0));
  const max = Math.max(0, ...[...cells.values()].map((v) => numeric(v) ?? 0));
  const months = rowDim.format === 'date' && allMonthStarts(rowKeys);
  const headRow = `<tr><th${attr('title', rowDim.definition)}>${esc(rowDim.label)}</th>${colKeys
    .map((k) => `<th${attr('data-col', rawText(k))}${attr('title', `${colDim.label}: ${colDim.definition}`)}>${esc(formatValue(k, colDim.format))}</th>`)
    .join('')}</tr>`;
  const body = rowKeys
    .map((rk) => {
      const label = rowDim.format === 'date' ? periodLabel(rk, months) : formatValue(rk, rowDim.format);
      const tds = colKeys.map((ck) => {
        const key = `${rawText(rk)}\u0000${rawText(ck)}`;
        const has = cells.has(key);
        const v = cells.get(key);
        const s = shade(has ? numeric(v) : undefined, max);
        return `<td class="${s.cls}"${attr('data-row', rawText(rk))}${attr('data-col', rawText(ck))}${attr('data-value', has ? rawText(v) : '')}${s.style}${attr('title', `${label}, ${colDim.label} ${formatValue(ck, colDim.format)}: ${has ? formatValue(v, m.format) : 'no row'}`)}>${has ? esc(formatValue(v, m.format)) : ''}</td>`;
      });
      return `<tr${attr('data-row', rawText(rk))}><th>${esc(label)}</th>${tds.join('')}</tr>`;
    })
    .join('\n');
  return [
    `<p class="pivot-axis"${attr('title', `${m.label}: ${m.definition}`)}>${esc(m.label)} · rows: ${esc(rowDim.label.toLowerCase())}, columns: ${esc(colDim.label.toLowerCase())}</p>`,
    `<div class="table-wrap"><table class="pivot"${attr('data-measure', m.name)}><thead>${headRow}</thead><tbody>\n${body}\n</tbody></table></div>`,
  ].join('');
}

function chartBody(rc: ResolvedCard, rows: readonly Row[], height: number): { attrs: string; html: string } {
  const s = chartSeries(rc, rows);
  const attrs = attr('data-series', JSON.stringify(s));
  const funnel = rc.card.visualization === 'funnel';
  const chartHeight = Math.max(160, height - (funnel ? 64 : 0));
  const label = `${rc.card.title}: ${rc.measures.map((m) => m.label).join(', ')}`;
  let html = `<div class="chart" style="height: ${chartHeight}px"><canvas role="img"${attr('aria-label', label)}${attr('title', definitionsText(rc))}></canvas></div>`;
  if (funnel) {
    const first = s.datasets[0]?.values[0] ?? null;
    html += `<ol class="steps">${rc.measures
      .map((m, i) => {
        const v = s.datasets[0]?.values[i] ?? null;
        const share = v !== null && first !== null && first !== 0 ? `${formatValue(v / first, 'percent')} of ${rc.measures[0]!.label.toLowerCase()}` : '';
        return `<li${attr('data-measure', m.name)}${attr('data-value', rawText(v))}${attr('title', `${m.label}: ${m.definition}`)}><span>${esc(m.label)}</span><b>${esc(s.datasets[0]?.display[i] ?? '')}</b><span>${esc(i === 0 ? '' : share)}</span></li>`;
      })
      .join('')}</ol>`;
  }
  return { attrs, html };
}

function cardHtml(rc: ResolvedCard, rows: readonly Row[]): string {
  const { row, col, width, height } = rc.card.layout;
  const px = height * GRID_UNIT + (height - 1) * GRID_GAP - 62;
  const viz = rc.card.visualization;
  const common = [
    attr('class', `card card-${viz}`),
    attr('data-card-id', rc.card.id),
    attr('data-visualization', viz),
    attr('data-mart', rc.mart.mart),
    attr('title', definitionsText(rc)),
    attr('style', `--c: ${col + 1}; --w: ${width}; --r: ${row + 1}; --h: ${height}`),
  ].join('');
  if (isChart(rc) && rows.length > 0) {
    const { attrs, html } = chartBody(rc, rows, px);
    return `<section${common}${attrs}>${head(rc)}${html}</section>`;
  }
  const body =
    viz === 'number'
      ? numberBody(rc, rows)
      : viz === 'pivot'
        ? pivotBody(rc, rows)
        : isChart(rc)
          ? '<p class="empty" data-empty="true">No rows for this period.</p>'
          : tableBody(rc, rows);
  return `<section${common} data-rendered="true">${head(rc)}${body}</section>`;
}

const int = (n: number): string => formatValue(n, 'integer');

const QUALITY_TITLES: Readonly<Record<string, string>> = {
  rows_in: 'Lines landed in the batches: every landed line is promoted, quarantined or a counted duplicate',
  promoted: 'Rows that passed the quarantine rules and reached silver',
  quarantined: 'Rows set aside with a reason (the quarantine zone keeps each one with its raw text)',
  duplicates_dropped: 'Exact duplicates, rows re-sent from earlier batches, superseded versions and re-landed files',
  promoted_share: 'Promoted rows over rows in',
  freshness: "Whether the newest batch's newest promoted event was within the dataset's freshness SLA",
  age_hours: "Hours from the newest batch's newest promoted event to the end of that batch's day",
  batches_outside_sla: 'Batches whose newest promoted event was older than the freshness SLA',
};

function dataTable(cls: string, columns: readonly (readonly [field: string, label: string, numeric: boolean])[], body: string): string {
  const th = columns
    .map(
      ([f, label, n]) =>
        `<th${n ? ' class="num"' : ''}${attr('data-field', f)}${QUALITY_TITLES[f] === undefined ? '' : attr('title', QUALITY_TITLES[f]!)}>${esc(label)}</th>`,
    )
    .join('');
  return `<div class="table-wrap"><table${attr('class', `data ${cls}`)}><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

const numCell = (field: string, value: number, text: string): string =>
  `<td class="num"${attr('data-field', field)}${attr('data-value', String(value))}>${esc(text)}</td>`;

function qualityHtml(q: QualityData): string {
  const s = summarizeQuality(q);
  const first = s.batches[0];
  const last = s.batches[s.batches.length - 1];
  const t = s.totals;
  const meta =
    s.batches.length === 0
      ? 'No batch has been recorded yet.'
      : `${s.batches.length} ${s.batches.length === 1 ? 'batch' : 'batches'} (${first === last ? first : `${first} → ${last}`}) · ${int(t.rows_in)} rows in = ${int(t.promoted)} promoted + ${int(t.quarantined)} quarantined + ${int(t.duplicates_dropped)} duplicates · from the ${q.source}`;
  const share = (d: { rows_in: number; promoted: number }): number => (d.rows_in === 0 ? 1 : d.promoted / d.rows_in);
  const volumes = dataTable(
    'quality-datasets',
    [
      ['dataset', 'Dataset', false],
      ['batches', 'Batches', true],
      ['rows_in', 'Rows in', true],
      ['promoted', 'Promoted', true],
      ['quarantined', 'Quarantined', true],
      ['duplicates_dropped', 'Duplicates', true],
      ['promoted_share', 'Promoted share', true],
    ],
    s.datasets
      .map((d) =>
        [
          `<tr${attr('data-dataset', d.dataset)}><td>${esc(d.dataset)}</td>`,
          numCell('batches', d.batches, int(d.batches)),
          numCell('rows_in', d.rows_in, int(d.rows_in)),
          numCell('promoted', d.promoted, int(d.promoted)),
          numCell('quarantined', d.quarantined, int(d.quarantined)),
          numCell('duplicates_dropped', d.duplicates_dropped, int(d.duplicates_dropped)),
          numCell('promoted_share', share(d), formatValue(share(d), 'percent')),
          '</tr>',
        ].join(''),
      )
      .join('\n'),
  );
  const freshness = dataTable(
    'quality-freshness',
    [
      ['dataset', 'Dataset', false],
      ['freshness', 'Newest batch', false],
      ['age_hours', 'Age / SLA (h)', true],
      ['batches_outside_sla', 'Late batches', true],
    ],
    s.datasets
      .map((d) => {
        const f = d.latest.freshness;
        const age = f?.age_hours ?? null;
        const sla = f?.sla_hours ?? null;
        const ageText = age === null ? NO_VALUE : `${formatValue(age, 'decimal')}${sla === null ? '' : ` / ${formatValue(sla, 'integer')}`}`;
        const title = `newest batch ${d.latest.batch}${f?.newest_event_time ? `; newest promoted event ${f.newest_event_time}` : ''}`;
        return [
          `<tr${attr('data-dataset', d.dataset)}><td>${esc(d.dataset)}</td>`,
          `<td${attr('class', d.latest.within_sla ? 'ok' : 'late')}${attr('data-field', 'freshness')}${attr('data-value', d.latest.within_sla ? 'within_sla' : 'late')}${attr('title', title)}>${d.latest.within_sla ? '✓ within SLA' : '✗ late'}</td>`,
          `<td class="num"${attr('data-field', 'age_hours')}${attr('data-value', age === null ? '' : String(age))}>${esc(ageText)}</td>`,
          numCell('batches_outside_sla', d.batches_outside_sla, `${int(d.batches_outside_sla)} of ${int(d.batches)}`),
          '</tr>',
        ].join('');
      })
      .join('\n'),
  );
  const reasons = !s.hasReasons
    ? `<p class="empty">${int(t.quarantined)} rows quarantined; the reasons are in the run's quality report (reports/quality.json), which was not given.</p>`
    : s.reasons.length === 0
      ? '<p class="empty">No row was quarantined.</p>'
      : dataTable(
          'quality-reasons',
          [
            ['dataset', 'Dataset', false],
            ['reason', 'Reason', false],
            ['rows', 'Rows', true],
          ],
          s.reasons
            .map(
              (r) =>
                `<tr${attr('data-dataset', r.dataset)}${attr('data-reason', r.reason)}><td>${esc(r.dataset)}</td><td>${esc(r.reason)}</td>${numCell('rows', r.rows, int(r.rows))}</tr>`,
            )
            .join('\n'),
        );
  return [
    `<section class="quality" id="data-quality"${attr('data-source', q.source)}${attr('data-batches', String(s.batches.length))}>`,
    '<h2>Data quality</h2>',
    `<p class="meta">${esc(meta)}</p>`,
    '<div class="quality-grid">',
    `<div class="panel full"><h3>Rows per dataset, all batches</h3>${volumes}</div>`,
    `<div class="panel"><h3>Quarantined rows by reason</h3>${reasons}</div>`,
    `<div class="panel"><h3>Freshness</h3>${freshness}</div>`,
    '</div></section>',
  ].join('\n');
}

/** The whole page. Throws DASHBOARD_ROWS_MISSING when a card has no rows entry. */
export function renderDashboardPage(model: DashboardModel, data: DashboardData, options: RenderOptions): string {
  const missing = model.cards.filter((c) => data.rows[c.card.id] === undefined).map((c) => c.card.id);
  if (missing.length > 0)
    throw new StreamPulseError(
      'DASHBOARD_ROWS_MISSING',
      `no rows were given for card${missing.length === 1 ? '' : 's'} ${missing.join(', ')} of ${model.name}`,
      {
        remedy: "query each card of the dashboard model with cardSql(card, 'sqlite') and pass its rows under the card id",
      },
    );
  const batches = summarizeQuality(data.quality).batches;
  const asOf = data.asOf ?? batches[batches.length - 1];
  const filters = model.filters.map((f) => f.label).join(', ');
  const meta = [
    asOf === undefined ? 'As of: no batch yet' : `As of <span class="as-of"${attr('data-as-of', asOf)}>${esc(asOf)}</span> (newest batch)`,
    `${model.cards.length} cards`,
    `owner ${esc(model.owner)}`,
    `a static page over the serving database${filters === '' ? '' : `; the filters (${esc(filters)}) apply in Metabase`}`,
  ].join(' · ');
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(model.title)}</title>`,
    '<link rel="icon" href="data:,">',
    `<style>${PAGE_CSS}</style>`,
    '</head>',
    `<body${attr('data-dashboard', model.name)}>`,
    '<div class="page">',
    '<header class="page-head">',
    `<h1>${esc(model.title)}</h1>`,
    `<p class="desc">${esc(model.description)}</p>`,
    `<p class="meta">${meta}</p>`,
    '</header>',
    '<main class="grid">',
    ...model.cards.map((c) => cardHtml(c, data.rows[c.card.id]!)),
    '</main>',
    qualityHtml(data.quality),
    '<footer>Charts drawn with Chart.js (MIT licence), inlined in this file: the page loads nothing from a network.</footer>',
    '</div>',
    `<script>\n${inlineLibrary(options.chartJs)}\n</script>`,
    `<script>${PAGE_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
